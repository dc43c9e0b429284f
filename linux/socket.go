package linux

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// DefaultBacklog is the listen backlog when ListenOptions.Backlog is 0:
// nginx's NGX_LISTEN_BACKLOG on Linux. The kernel caps it at
// net.core.somaxconn (see SomaxConn).
const DefaultBacklog = 511

// ListenOptions tunes Listen. The zero value is nginx's default listener:
// backlog 511, no SO_REUSEPORT, IPv6 sockets IPv6-only.
type ListenOptions struct {
	// Backlog is the accept queue length; 0 means DefaultBacklog.
	Backlog int
	// ReusePort sets SO_REUSEPORT before bind so that each worker can bind
	// its own listener to the same address and the kernel spreads new
	// connections over them (nginx "listen ... reuseport"). TCP only:
	// current kernels refuse it on unix sockets (EOPNOTSUPP) and older ones
	// accepted it without effect, so share one unix listener instead.
	ReusePort bool
	// DualStack clears IPV6_V6ONLY on an IPv6 listener so that "[::]:port"
	// also accepts IPv4 (as v4-mapped peers). By default IPV6_V6ONLY is set,
	// like nginx's "ipv6only=on", so "[::]:80" and "0.0.0.0:80" can coexist.
	// It only matters for the wildcard: binding a specific IPv6 address
	// makes the kernel set IPV6_V6ONLY anyway.
	DualStack bool
}

// Socket returns a new non-blocking, close-on-exec stream socket of the
// given family (unix.AF_INET, unix.AF_INET6, unix.AF_UNIX), for dialing.
func Socket(family int) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

// Listen returns a listening socket for network and address (see ParseAddr
// for the forms accepted). The fd is non-blocking and close-on-exec; the
// caller owns it and closes it with unix.Close.
//
// TCP listeners get SO_REUSEADDR, SO_REUSEPORT when opts.ReusePort, and
// IPV6_V6ONLY per opts.DualStack. For a unix path, a leftover socket file
// is removed first when nothing accepts on it any more (connect is
// refused); a live socket or a file of any other type is left alone and
// bind fails with EADDRINUSE.
func Listen(network, address string, opts ListenOptions) (fd int, err error) {
	sa, family, err := ParseAddr(network, address)
	if err != nil {
		return -1, err
	}
	fd, err = Socket(family)
	if err != nil {
		return -1, err
	}
	if err := bindListen(fd, family, sa, opts); err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// bindListen turns the fresh socket fd into a listener.
func bindListen(fd, family int, sa unix.Sockaddr, opts ListenOptions) error {
	if err := prepareListener(fd, family, sa, opts); err != nil {
		return err
	}
	if err := unix.Bind(fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	backlog := opts.Backlog
	if backlog <= 0 {
		backlog = DefaultBacklog
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return os.NewSyscallError("listen", err)
	}
	return nil
}

// prepareListener sets the options that must precede bind.
func prepareListener(fd, family int, sa unix.Sockaddr, opts ListenOptions) error {
	if family != unix.AF_UNIX {
		if err := SetReuseAddr(fd, true); err != nil {
			return err
		}
	}
	if opts.ReusePort {
		if err := SetReusePort(fd, true); err != nil {
			return err
		}
	}
	if family == unix.AF_INET6 {
		if err := setBool(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, !opts.DualStack); err != nil {
			return err
		}
	}
	if u, ok := sa.(*unix.SockaddrUnix); ok && u.Name[0] != '@' {
		return removeStaleSocket(u)
	}
	return nil
}

// removeStaleSocket unlinks the socket file at u.Name when no one listens
// on it. It does nothing when there is no file, the file is not a socket,
// or a listener answers; bind then reports the conflict.
func removeStaleSocket(u *unix.SockaddrUnix) error {
	fi, err := os.Lstat(u.Name)
	if err != nil || fi.Mode().Type() != fs.ModeSocket {
		return nil
	}
	probe, err := Socket(unix.AF_UNIX)
	if err != nil {
		return err
	}
	err = unix.Connect(probe, u)
	_ = unix.Close(probe)
	if !errors.Is(err, unix.ECONNREFUSED) {
		return nil // live (connected, or EAGAIN on a full backlog) or unknown
	}
	if err := os.Remove(u.Name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
