package cosocket

import (
	"errors"
	"net/netip"
	"time"

	"github.com/luring/luring/loop"
)

// ErrBusy is the error of a UDP operation while a receive waits on the
// socket (ngx_lua's "socket busy").
var ErrBusy = errors.New("socket busy")

// maxDatagram is the most a UDP receive takes (ngx_lua's
// UDP_MAX_DATAGRAM_SIZE).
const maxDatagram = 65536

// UDP is one datagram cosocket (ngx.socket.udp): a connected UDP or unix
// datagram socket. Sends go out at once (the send's own failure, such as
// ECONNREFUSED from an earlier ICMP, is reported by the next call);
// receives wait for one datagram, bounded by ReadTimeout, and a timeout
// leaves the socket usable. Loop thread only.
type UDP struct {
	w  *Worker
	pc *loop.PacketConn // nil until setpeername

	// ReadTimeout bounds each receive (0: no limit).
	ReadTimeout time.Duration
	// OnRead and OnPeer receive the results of waits: a datagram (valid
	// during the call only) or an error; setpeername's lookup of a name.
	OnRead func(data []byte, err error)
	OnPeer func(err error)

	reading       bool
	resolving     bool
	resolveCancel func()
	peerSeq       uint64
	local         netip.AddrPort // Bind's address; invalid: none
	sendErr       error          // a failed send, reported by the next call
	buf           []byte
	timer         *loop.Timer
	recvFn        func(n int, err error)
	sendFn        func(err error)
}

// NewUDP returns a datagram socket of the worker without a peer.
func (w *Worker) NewUDP() *UDP {
	u := &UDP{w: w}
	u.recvFn = u.onRecv
	u.sendFn = u.onSent
	return u
}

// Connected reports whether the socket has a peer.
func (u *UDP) Connected() bool { return u.pc != nil }

// Busy reports whether a receive or a lookup waits.
func (u *UDP) Busy() bool { return u.reading || u.resolving }

// SetPeer connects the socket to host:port, or to the unix datagram path
// when unixPath is true; a host name goes through res. A connected socket
// is closed first. It returns (nil, false) when done, an error, or
// (nil, true) when a name is being resolved: OnPeer gets the result.
func (u *UDP) SetPeer(host string, port int, unixPath bool, res Resolver) (err error, pending bool) {
	if u.Busy() {
		return ErrBusy, false
	}
	u.closeConn()
	u.sendErr = nil
	if unixPath {
		return u.dial("unixgram", host), false
	}
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return u.dial("udp", netip.AddrPortFrom(a, uint16(port)).String()), false
	}
	if host == "" {
		return parseHostError{host: host, why: "no host"}, false
	}
	if res == nil {
		return noResolverError{host}, false
	}
	u.resolving = true
	u.peerSeq++
	seq := u.peerSeq
	u.resolveCancel = res.Resolve(host, func(addrs []netip.Addr, err error) {
		if !u.resolving || u.peerSeq != seq {
			return
		}
		u.resolving, u.resolveCancel = false, nil
		if err == nil {
			err = u.dial("udp", netip.AddrPortFrom(addrs[0], uint16(port)).String())
		}
		u.OnPeer(err)
	})
	return nil, true
}

// Bind sets the local address the next setpeername binds the socket to
// (ngx_lua's udpsock:bind); port 0 lets the kernel choose. Unix sockets
// ignore it.
func (u *UDP) Bind(local netip.AddrPort) { u.local = local }

// CancelPeer abandons a lookup setpeername waits for.
func (u *UDP) CancelPeer() {
	if !u.resolving {
		return
	}
	u.resolving = false
	u.peerSeq++
	if fn := u.resolveCancel; fn != nil {
		u.resolveCancel = nil
		fn()
	}
}

func (u *UDP) dial(network, addr string) error {
	pc, err := u.w.l.DialPacketFrom(network, addr, u.local)
	if err != nil {
		return err
	}
	u.pc = pc
	return nil
}

// Send sends p as one datagram. ErrClosed without a peer, ErrBusy while
// a receive waits; an earlier send's failure comes back here first.
func (u *UDP) Send(p []byte) error {
	if u.pc == nil {
		return ErrClosed
	}
	if u.Busy() {
		return ErrBusy
	}
	if err := u.sendErr; err != nil {
		u.sendErr = nil
		return err
	}
	u.pc.Send(p, u.sendFn)
	return nil
}

func (u *UDP) onSent(err error) {
	if err != nil && !errors.Is(err, loop.ErrClosed) {
		u.sendErr = err
	}
}

// Receive waits for one datagram of at most size bytes (at most 65536;
// <= 0: 65536); the result comes through OnRead. It returns at once
// (false) with ErrClosed or ErrBusy, or with an earlier send's failure.
func (u *UDP) Receive(size int) (err error, pending bool) {
	if u.pc == nil {
		return ErrClosed, false
	}
	if u.Busy() {
		return ErrBusy, false
	}
	if err := u.sendErr; err != nil {
		u.sendErr = nil
		return err, false
	}
	if size <= 0 || size > maxDatagram {
		size = maxDatagram
	}
	if cap(u.buf) < size {
		u.buf = make([]byte, size)
	}
	u.reading = true
	if u.ReadTimeout > 0 {
		if u.timer == nil {
			u.timer = u.w.l.NewTimer(u.onTimeout)
		}
		u.timer.Reset(u.ReadTimeout)
	}
	u.pc.Recv(u.buf[:size], u.recvFn)
	return nil, true
}

func (u *UDP) onRecv(n int, err error) {
	if !u.reading {
		return
	}
	u.reading = false
	if u.timer != nil {
		u.timer.Stop()
	}
	if err != nil {
		u.OnRead(nil, endError(err))
		return
	}
	u.OnRead(u.buf[:n], nil)
}

func (u *UDP) onTimeout() {
	if !u.reading {
		return
	}
	u.reading = false
	u.pc.CancelRecv()
	u.OnRead(nil, ErrTimeout)
}

// CancelRead abandons a receive that waits; OnRead will not run.
func (u *UDP) CancelRead() {
	if !u.reading {
		return
	}
	u.reading = false
	if u.timer != nil {
		u.timer.Stop()
	}
	u.pc.CancelRecv()
}

// Close closes the socket: ErrClosed without a peer, ErrBusy while a
// receive waits.
func (u *UDP) Close() error {
	if u.pc == nil {
		return ErrClosed
	}
	if u.Busy() {
		return ErrBusy
	}
	u.closeConn()
	return nil
}

// Abandon cancels what waits and closes the socket (its request ended).
func (u *UDP) Abandon() {
	u.CancelPeer()
	u.CancelRead()
	u.closeConn()
}

func (u *UDP) closeConn() {
	if u.pc != nil {
		u.pc.Close()
		u.pc = nil
	}
}

// Peer names the peer for logs.
func (u *UDP) Peer() string {
	if u.pc == nil {
		return ""
	}
	if a := u.pc.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}
