package loop

import (
	"net/netip"
	"os"
	"time"

	"github.com/luring/luring/linux"
	"github.com/luring/luring/ring"
	"golang.org/x/sys/unix"
)

// dialer is one connection attempt in flight. Loop thread only.
type dialer struct {
	l        *Loop
	fd       int                      // the connecting socket; handed to the Conn on success
	raw      unix.RawSockaddrAny      // the peer address; the kernel reads it until completion
	salen    uint32                   // length of raw
	ud       uint64                   // the connect operation
	timer    *Timer                   // cancels the connect after the timeout
	timedOut bool                     // the timer fired
	cb       func(c *Conn, err error) // runs exactly once
}

// Dial connects to address ("tcp", "tcp4", "tcp6": a literal IP and port, or
// localhost; "unix": a socket path) without blocking, and calls cb on the
// loop's thread exactly once: with the connection, or with an error
// (errors.Is works with unix.ECONNREFUSED, unix.ENETUNREACH, unix.ETIMEDOUT
// and friends). timeout <= 0 means no limit but the kernel's. No name
// resolution happens here: resolving is the caller's business.
func (l *Loop) Dial(network, address string, timeout time.Duration, cb func(c *Conn, err error)) {
	l.DialFrom(network, address, netip.AddrPort{}, timeout, cb)
}

// DialFrom is Dial from the local address local (a TCP socket is bound to
// it before it connects; port 0 lets the kernel choose). An invalid local
// is no binding; unix sockets ignore it. A failed bind (an address of the
// other family, one that is not local) reaches cb like a failed connect.
func (l *Loop) DialFrom(network, address string, local netip.AddrPort, timeout time.Duration, cb func(c *Conn, err error)) {
	d := &dialer{l: l, fd: -1, cb: cb}
	if l.stopping.Load() {
		d.fail(ErrStopped)
		return
	}
	sa, family, err := linux.ParseAddr(network, address)
	if err != nil {
		d.fail(err)
		return
	}
	if d.salen, err = linux.SockaddrToRaw(sa, &d.raw); err != nil {
		d.fail(err)
		return
	}
	if d.fd, err = linux.Socket(family); err != nil {
		d.fail(err)
		return
	}
	if family != unix.AF_UNIX {
		_ = linux.SetNoDelay(d.fd, true)
		if local.IsValid() {
			if err := linux.BindLocal(d.fd, local); err != nil {
				d.fail(err)
				return
			}
		}
	}
	o, ud := l.ops.alloc(opConnect)
	o.setDialer(d)
	d.ud = ud
	l.r.Connect(d.ud, d.fd, &d.raw, d.salen)
	if timeout > 0 {
		d.timer = l.AfterFunc(timeout, func() {
			d.timedOut = true
			l.cancel(d.fd, d.ud)
		})
	}
}

// fail reports err in a coming turn, so cb never runs inside Dial.
func (d *dialer) fail(err error) {
	if d.fd >= 0 {
		unix.Close(d.fd)
		d.fd = -1
	}
	cb := d.cb
	d.l.Soon(func() { cb(nil, err) })
}

func (d *dialer) onConnect(cqe ring.Completion) {
	if d.timer != nil {
		d.timer.Stop()
	}
	if cqe.Res < 0 {
		errno := unix.Errno(-cqe.Res)
		if d.timedOut && errno == unix.ECANCELED {
			errno = unix.ETIMEDOUT
		}
		unix.Close(d.fd)
		d.fd = -1
		d.cb(nil, os.NewSyscallError("connect", errno))
		return
	}
	c := d.l.newConn(d.fd)
	d.fd = -1
	d.cb(c, nil)
	if !c.closing {
		c.updateRead()
	}
}
