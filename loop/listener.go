package loop

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/luring/luring/linux"
	"github.com/luring/luring/ring"
	"golang.org/x/sys/unix"
)

// Accept back-off after running out of descriptors or memory (EMFILE,
// ENFILE, ENOBUFS, ENOMEM): existing connections keep being served, and
// accepting resumes after the delay, doubling up to the maximum.
const (
	acceptBackoffMin = 50 * time.Millisecond
	acceptBackoffMax = time.Second
)

// Listener accepts connections on one listening socket of its loop, with a
// multishot accept. Each loop of a group has its own SO_REUSEPORT socket on
// the same address, and the kernel spreads connections over them.
type Listener struct {
	l        *Loop
	fd       int // listening socket; -1 once closed
	addr     net.Addr
	onConn   func(c *Conn)
	acceptUD uint64 // in-flight accept, 0 when none
	closing  bool
	backoff  *Timer        // re-arms accept after a resource error
	delay    time.Duration // current back-off
	starved  bool          // a resource error was logged and not yet recovered
	onClosed func()        // runs once the socket is closed (see OnClosed)
	noDelay  bool          // set TCP_NODELAY on accepted connections (not for unix sockets, not with NoNoDelay)
	// noDelayLogged: a TCP_NODELAY failure was logged (once per listener).
	noDelayLogged bool
}

// OnClosed sets a function to run once Close has finished: the accept in
// flight has ended (every connection it took was handed to onConn) and the
// socket is closed. It runs at once if that already happened.
func (ln *Listener) OnClosed(fn func()) {
	if ln.closing && ln.fd < 0 {
		fn()
		return
	}
	ln.onClosed = fn
}

// ListenOptions tune Listen. The zero value gives nginx's defaults.
type ListenOptions struct {
	Backlog   int  // listen backlog (default 511, as nginx)
	NoReuse   bool // do not set SO_REUSEPORT (one loop only)
	DualStack bool // let "[::]:port" accept IPv4 too (IPV6_V6ONLY off)
	RecvBuf   int  // SO_RCVBUF when > 0 (bytes)
	SendBuf   int  // SO_SNDBUF when > 0 (bytes)
	NoNoDelay bool // leave Nagle on for accepted connections (TCP_NODELAY is set by default)
}

// Listen opens a listening socket ("tcp", "tcp4", "tcp6" or "unix"; TCP
// ones with SO_REUSEPORT), and calls onConn on the loop's thread for each accepted
// connection. onConn sets the connection's OnData and friends; reading starts
// when it returns.
func (l *Loop) Listen(network, address string, onConn func(c *Conn)) (*Listener, error) {
	return l.ListenWith(network, address, ListenOptions{}, onConn)
}

// ListenWith is Listen with options.
func (l *Loop) ListenWith(network, address string, o ListenOptions, onConn func(c *Conn)) (*Listener, error) {
	if l.stopping.Load() {
		return nil, ErrStopped
	}
	fd, err := linux.Listen(network, address, linux.ListenOptions{
		ReusePort: !o.NoReuse && network != "unix", Backlog: o.Backlog, DualStack: o.DualStack,
	})
	if err != nil {
		return nil, err
	}
	if o.RecvBuf > 0 {
		if err := linux.SetRecvBuffer(fd, o.RecvBuf); err != nil {
			l.logf("setsockopt(SO_RCVBUF, %d) on %s %s failed, ignored: %v", o.RecvBuf, network, address, err)
		}
	}
	if o.SendBuf > 0 {
		if err := linux.SetSendBuffer(fd, o.SendBuf); err != nil {
			l.logf("setsockopt(SO_SNDBUF, %d) on %s %s failed, ignored: %v", o.SendBuf, network, address, err)
		}
	}
	addr, err := linux.LocalAddr(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	ln := &Listener{l: l, fd: fd, addr: addr, onConn: onConn, delay: acceptBackoffMin,
		noDelay: !o.NoNoDelay && network != "unix"}
	ln.backoff = l.NewTimer(ln.arm)
	l.listeners = append(l.listeners, ln)
	ln.arm()
	return ln, nil
}

// AdoptListener makes a Listener of fd, a socket that is already bound and
// listening (one inherited across a configuration reload, say). The
// Listener owns fd from then on and closes it on Close; connections queued
// on the socket are kept and accepted here.
func (l *Loop) AdoptListener(fd int, onConn func(c *Conn)) (*Listener, error) {
	if l.stopping.Load() {
		return nil, ErrStopped
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	addr, err := linux.LocalAddr(fd)
	if err != nil {
		return nil, err
	}
	_, isUnix := addr.(*net.UnixAddr)
	ln := &Listener{l: l, fd: fd, addr: addr, onConn: onConn, delay: acceptBackoffMin, noDelay: !isUnix}
	ln.backoff = l.NewTimer(ln.arm)
	l.listeners = append(l.listeners, ln)
	ln.arm()
	return ln, nil
}

// Dup returns a new close-on-exec descriptor for the listening socket, for
// a successor to adopt with AdoptListener: the socket, and the connections
// queued on it, live on after this Listener closes. Safe on the loop's
// thread; the caller owns the new descriptor.
func (ln *Listener) Dup() (int, error) {
	if ln.fd < 0 {
		return -1, ErrClosed
	}
	fd, err := unix.FcntlInt(uintptr(ln.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("fcntl", err)
	}
	return fd, nil
}

// Addr returns the address the listener is bound to (with the real port
// when asked for port 0).
func (ln *Listener) Addr() net.Addr { return ln.addr }

// Fd returns the listening socket, for socket options.
func (ln *Listener) Fd() int { return ln.fd }

// Close stops accepting and closes the listening socket once the accept in
// flight has been cancelled.
func (ln *Listener) Close() {
	if ln.closing {
		return
	}
	ln.closing = true
	ln.backoff.Stop()
	if ln.acceptUD != 0 {
		ln.l.cancel(ln.fd, ln.acceptUD)
		return
	}
	ln.closeFd()
}

func (ln *Listener) closeFd() {
	if ln.fd >= 0 {
		// A listening socket closes without blocking.
		unix.Close(ln.fd)
		ln.fd = -1
	}
	ls := ln.l.listeners
	for i, x := range ls {
		if x == ln {
			ln.l.listeners = append(ls[:i], ls[i+1:]...)
			break
		}
	}
	if fn := ln.onClosed; fn != nil {
		ln.onClosed = nil
		fn()
	}
}

func (ln *Listener) arm() {
	if ln.closing || ln.acceptUD != 0 {
		return
	}
	o, ud := ln.l.ops.alloc(opAccept)
	o.setListener(ln)
	ln.acceptUD = ud
	ln.l.r.Accept(ud, ln.fd, true)
}

func (ln *Listener) onAccept(cqe ring.Completion) {
	if cqe.Flags&ring.FlagMore == 0 {
		ln.acceptUD = 0
	}
	if cqe.Res >= 0 {
		if ln.closing && ln.l.stopStart {
			unix.Close(int(cqe.Res)) // the loop is ending: nobody would serve it
		} else {
			// Also after Close: the kernel took this connection off the
			// queue before the cancel landed; dropping it would reset a
			// client that did nothing wrong.
			ln.accepted(int(cqe.Res))
		}
	} else {
		ln.acceptFailed(unix.Errno(-cqe.Res))
	}
	if ln.acceptUD == 0 {
		if ln.closing {
			ln.closeFd()
		} else if !ln.backoff.Active() {
			ln.arm()
		}
	}
}

func (ln *Listener) accepted(fd int) {
	if ln.starved {
		ln.starved = false
		ln.delay = acceptBackoffMin
		ln.l.logf("accept() on %s resumed", ln.addr)
	}
	if ln.noDelay {
		if err := linux.SetNoDelay(fd, true); err != nil && !ln.noDelayLogged {
			ln.noDelayLogged = true
			ln.l.logf("setsockopt(TCP_NODELAY) on a connection accepted on %s failed, ignored: %v", ln.addr, err)
		}
	}
	c := ln.l.newConn(fd)
	ln.onConn(c)
	if !c.closing {
		c.updateRead()
	}
}

func (ln *Listener) acceptFailed(errno unix.Errno) {
	switch errno {
	case unix.ECANCELED:
	case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
		if !ln.starved {
			ln.starved = true
			ln.l.logf("accept4() failed (%d: %s) on %s, accepting again in %v", int(errno), errText(errno), ln.addr, ln.delay)
		}
		if ln.acceptUD != 0 {
			ln.l.cancel(ln.fd, ln.acceptUD)
		}
		ln.backoff.Reset(ln.delay)
		ln.delay = min(2*ln.delay, acceptBackoffMax)
	default:
		// ECONNABORTED, EPROTO, EPERM (netfilter) and friends: this
		// connection is lost, the listener is fine.
	}
}

// errText words an errno as nginx logs it: capitalised strerror.
func errText(e unix.Errno) string {
	s := e.Error()
	if s == "" {
		return fmt.Sprintf("errno %d", int(e))
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
