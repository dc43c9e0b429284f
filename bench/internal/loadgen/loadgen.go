// Package loadgen is the echo load client: one thread, one epoll instance and
// N non-blocking TCP connections, each doing ping-pong (write one message,
// read exactly as many bytes back, write the next).
//
// The client is deliberately cheaper per message than any server it drives:
// per round trip it makes one write and (usually) one read, with raw
// syscalls that never block, and one epoll_wait per batch of ready
// connections; it allocates nothing after setup. So on a machine where the
// server has one CPU and the client another, the server is what saturates.
// Result.CPUSeconds lets the caller check that.
//
// Place in the import graph: used only by bench/cmd/echo-client; imports
// x/sys.
package loadgen

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// Config describes one load run. The zero value is not usable: Addr, Conns
// and Size are required.
type Config struct {
	Addr        string        // server address, host:port
	Conns       int           // concurrent connections, each with one message in flight
	Size        int           // message size in bytes (>= 8: the first 8 bytes carry a sequence stamp)
	Warmup      time.Duration // run before measuring; not counted
	Duration    time.Duration // measured window
	VerifyEvery int           // compare a reply's full content every VerifyEvery-th round trip per connection (default 64)
}

// Result is what one run measured, over the window only.
type Result struct {
	Msgs       uint64  `json:"msgs"`        // round trips completed
	Seconds    float64 `json:"seconds"`     // window length
	MsgsPerSec float64 `json:"msgs_per_s"`  // Msgs / Seconds
	CPUSeconds float64 `json:"cpu_seconds"` // this process's user+system CPU during the window
	Verified   uint64  `json:"verified"`    // replies whose full content was compared
}

// ErrStalled is returned when no reply arrived for stallTimeout.
var ErrStalled = errors.New("loadgen: no reply for 5s")

const stallTimeout = 5 * time.Second

// conn is one client connection. seq numbers its round trips; msg holds the
// message in flight, stamped with conn id and seq in its first 8 bytes.
type conn struct {
	fd   int
	id   uint32
	seq  uint32
	msg  []byte
	got  int  // bytes of the reply received so far
	woff int  // bytes of msg written so far
	wout bool // EPOLLOUT is armed (a write was partial)
}

// Run dials cfg.Conns connections, runs the warm-up, calls onMeasure (may be
// nil) when the measured window starts, and returns at the end of the
// window, with every connection closed.
func Run(cfg Config, onMeasure func()) (Result, error) {
	if cfg.Conns <= 0 || cfg.Size < 8 {
		return Result{}, fmt.Errorf("loadgen: need conns > 0 and size >= 8, got %d and %d", cfg.Conns, cfg.Size)
	}
	if cfg.VerifyEvery <= 0 {
		cfg.VerifyEvery = 64
	}
	sa, family, err := sockaddr(cfg.Addr)
	if err != nil {
		return Result{}, err
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return Result{}, fmt.Errorf("loadgen: epoll_create1: %w", err)
	}
	defer unix.Close(epfd)

	var byFd []*conn // indexed by descriptor
	defer func() {
		for _, c := range byFd {
			if c != nil {
				unix.Close(c.fd)
			}
		}
	}()
	for i := 0; i < cfg.Conns; i++ {
		c, err := dial(sa, family, uint32(i), cfg.Size)
		if err != nil {
			return Result{}, err
		}
		for len(byFd) <= c.fd {
			byFd = append(byFd, nil)
		}
		byFd[c.fd] = c
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(c.fd)}
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
			return Result{}, fmt.Errorf("loadgen: epoll_ctl: %w", err)
		}
	}
	for _, c := range byFd {
		if c != nil {
			if err := c.send(epfd); err != nil {
				return Result{}, err
			}
		}
	}

	rbuf := make([]byte, cfg.Size+1) // one spare byte catches a server that sends too much
	events := make([]unix.EpollEvent, 256)
	var done, verified uint64
	var res Result
	var ru0 unix.Rusage
	start := time.Now()
	measureAt, endAt := start.Add(cfg.Warmup), start.Add(cfg.Warmup+cfg.Duration)
	var winStart time.Time
	var doneAtStart uint64
	lastProgress, lastDone := start, done
	for {
		now := time.Now()
		if winStart.IsZero() && !now.Before(measureAt) {
			winStart, doneAtStart = now, done
			_ = unix.Getrusage(unix.RUSAGE_SELF, &ru0)
			if onMeasure != nil {
				onMeasure()
			}
		}
		if !winStart.IsZero() && !now.Before(endAt) {
			var ru1 unix.Rusage
			_ = unix.Getrusage(unix.RUSAGE_SELF, &ru1)
			res.Msgs = done - doneAtStart
			res.Seconds = now.Sub(winStart).Seconds()
			res.MsgsPerSec = float64(res.Msgs) / res.Seconds
			res.CPUSeconds = cpuSeconds(ru1) - cpuSeconds(ru0)
			res.Verified = verified
			return res, nil
		}
		if done != lastDone {
			lastProgress, lastDone = now, done
		} else if now.Sub(lastProgress) > stallTimeout {
			return Result{}, ErrStalled
		}

		n, err := unix.EpollWait(epfd, events, 10)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return Result{}, fmt.Errorf("loadgen: epoll_wait: %w", err)
		}
		for _, ev := range events[:n] {
			c := byFd[ev.Fd]
			if ev.Events&unix.EPOLLOUT != 0 && c.wout {
				if err := c.send(epfd); err != nil {
					return Result{}, err
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) == 0 {
				continue
			}
			complete, checked, err := c.receive(rbuf, cfg)
			if err != nil {
				return Result{}, err
			}
			if checked {
				verified++
			}
			if complete {
				done++
				c.next()
				if err := c.send(epfd); err != nil {
					return Result{}, err
				}
			}
		}
	}
}

// receive reads what has arrived of the reply. It reports whether the reply
// is complete and whether its content was compared in full.
func (c *conn) receive(rbuf []byte, cfg Config) (complete, checked bool, err error) {
	want := cfg.Size - c.got
	n, errno := rawIO(unix.SYS_READ, c.fd, rbuf[:want+1])
	switch {
	case errno == unix.EAGAIN || errno == unix.EINTR:
		return false, false, nil
	case errno != 0:
		return false, false, fmt.Errorf("loadgen: read: %w", errno)
	case n == 0:
		return false, false, fmt.Errorf("loadgen: connection %d: server closed it", c.id)
	case n > want:
		return false, false, fmt.Errorf("loadgen: connection %d: %d bytes back for a %d-byte message", c.id, c.got+n, cfg.Size)
	}
	full := c.seq%uint32(cfg.VerifyEvery) == 0
	if c.got < 8 {
		// The stamp is always checked: a reply to another message or
		// connection would not match it.
		k := min(n, 8-c.got)
		if !bytes.Equal(rbuf[:k], c.msg[c.got:c.got+k]) {
			return false, false, fmt.Errorf("loadgen: connection %d: reply %d does not match its message", c.id, c.seq)
		}
	}
	if full && !bytes.Equal(rbuf[:n], c.msg[c.got:c.got+n]) {
		return false, false, fmt.Errorf("loadgen: connection %d: reply %d differs from its message", c.id, c.seq)
	}
	c.got += n
	return c.got == cfg.Size, full && c.got == cfg.Size, nil
}

// next prepares the following message: a new stamp, the rest unchanged.
func (c *conn) next() {
	c.seq++
	c.got, c.woff = 0, 0
	binary.LittleEndian.PutUint32(c.msg[4:8], c.seq)
}

// send writes what is left of the message, arming EPOLLOUT if the socket
// buffer is full and disarming it once the message is out.
func (c *conn) send(epfd int) error {
	for c.woff < len(c.msg) {
		n, errno := rawIO(unix.SYS_WRITE, c.fd, c.msg[c.woff:])
		if errno == unix.EINTR {
			continue
		}
		if errno == unix.EAGAIN {
			if !c.wout {
				c.wout = true
				return c.watch(epfd, unix.EPOLLIN|unix.EPOLLOUT)
			}
			return nil
		}
		if errno != 0 {
			return fmt.Errorf("loadgen: write: %w", errno)
		}
		c.woff += n
	}
	if c.wout {
		c.wout = false
		return c.watch(epfd, unix.EPOLLIN)
	}
	return nil
}

func (c *conn) watch(epfd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(c.fd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
		return fmt.Errorf("loadgen: epoll_ctl: %w", err)
	}
	return nil
}

// rawIO is read(2) or write(2) on a non-blocking socket. It never blocks, so
// it skips the runtime's syscall bookkeeping (RawSyscall), keeping the
// client's own cost per message low.
func rawIO(trap uintptr, fd int, p []byte) (int, unix.Errno) {
	r, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafePointer(p)), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(r), 0
}

// dial opens one blocking connect, then switches the socket to
// non-blocking with TCP_NODELAY set (as both servers set on their side).
func dial(sa unix.Sockaddr, family int, id uint32, size int) (*conn, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("loadgen: socket: %w", err)
	}
	for {
		err = unix.Connect(fd, sa)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("loadgen: connect: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("loadgen: TCP_NODELAY: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("loadgen: non-blocking: %w", err)
	}
	c := &conn{fd: fd, id: id, msg: make([]byte, size)}
	for i := 8; i < size; i++ {
		c.msg[i] = byte(i*7 + int(id))
	}
	binary.LittleEndian.PutUint32(c.msg[0:4], id)
	return c, nil
}

// sockaddr resolves a literal host:port (no DNS: the benchmark dials
// addresses the servers printed).
func sockaddr(addr string) (unix.Sockaddr, int, error) {
	ap, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, 0, fmt.Errorf("loadgen: %w", err)
	}
	if ip4 := ap.IP.To4(); ip4 != nil {
		sa := &unix.SockaddrInet4{Port: ap.Port}
		copy(sa.Addr[:], ip4)
		return sa, unix.AF_INET, nil
	}
	sa := &unix.SockaddrInet6{Port: ap.Port}
	copy(sa.Addr[:], ap.IP.To16())
	return sa, unix.AF_INET6, nil
}

func cpuSeconds(ru unix.Rusage) float64 {
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
