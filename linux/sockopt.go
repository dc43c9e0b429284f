package linux

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// SetNoDelay sets TCP_NODELAY (disables Nagle's algorithm) when on.
func SetNoDelay(fd int, on bool) error {
	return setBool(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, on)
}

// SetKeepAlive sets SO_KEEPALIVE. The probe timing is the kernel's
// (net.ipv4.tcp_keepalive_*) unless SetKeepAlivePeriod changes it.
func SetKeepAlive(fd int, on bool) error {
	return setBool(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, on)
}

// SetKeepAlivePeriod sets the keepalive timing of a TCP socket, like
// nginx's "so_keepalive=idle:interval:count": TCP_KEEPIDLE (idle time
// before the first probe), TCP_KEEPINTVL (time between probes) and
// TCP_KEEPCNT (unanswered probes before the connection is dropped).
// Durations are rounded up to whole seconds. A zero or negative value
// leaves that setting unchanged. It does not enable keepalive; call
// SetKeepAlive too.
func SetKeepAlivePeriod(fd int, idle, interval time.Duration, count int) error {
	if idle > 0 {
		if err := setInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, seconds(idle)); err != nil {
			return err
		}
	}
	if interval > 0 {
		if err := setInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, seconds(interval)); err != nil {
			return err
		}
	}
	if count > 0 {
		return setInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, count)
	}
	return nil
}

// seconds rounds d (> 0) up to whole seconds.
func seconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

// SetSendBuffer sets SO_SNDBUF to bytes. The kernel doubles the value for
// its bookkeeping (getsockopt reports 2*bytes) and caps it at
// net.core.wmem_max.
func SetSendBuffer(fd, bytes int) error {
	return setInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, bytes)
}

// SetRecvBuffer sets SO_RCVBUF to bytes. The kernel doubles the value for
// its bookkeeping (getsockopt reports 2*bytes) and caps it at
// net.core.rmem_max.
func SetRecvBuffer(fd, bytes int) error {
	return setInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, bytes)
}

// SetReuseAddr sets SO_REUSEADDR (bind despite connections in TIME_WAIT).
func SetReuseAddr(fd int, on bool) error {
	return setBool(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, on)
}

// SetReusePort sets SO_REUSEPORT; it must precede bind to take effect.
func SetReusePort(fd int, on bool) error {
	return setBool(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, on)
}

// SetLinger sets SO_LINGER: with sec >= 0, close waits up to sec seconds
// for unsent data (sec 0 resets the connection on close); with sec < 0,
// lingering is off (the default: close returns at once and the kernel
// sends the rest in the background).
func SetLinger(fd, sec int) error {
	l := unix.Linger{}
	if sec >= 0 {
		l.Onoff, l.Linger = 1, int32(sec)
	}
	if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &l); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	return nil
}

// SocketError reads and clears SO_ERROR: the result of a non-blocking
// connect once the socket is writable, or a pending asynchronous error.
// It returns nil when there is none, the unix.Errno itself (so
// errors.Is(err, unix.ECONNREFUSED) works) when there is one, and an
// *os.SyscallError when getsockopt fails.
func SocketError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt", err)
	}
	if v != 0 {
		return unix.Errno(v)
	}
	return nil
}

func setBool(fd, level, opt int, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return setInt(fd, level, opt, v)
}

func setInt(fd, level, opt, v int) error {
	if err := unix.SetsockoptInt(fd, level, opt, v); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	return nil
}
