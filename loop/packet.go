package loop

import (
	"errors"
	"net"
	"net/netip"
	"os"

	"github.com/luring/luring/linux"
	"golang.org/x/sys/unix"
)

// ErrRecvBusy is passed to a PacketConn's Recv callback when another Recv
// on it is still pending: one receive at a time.
var ErrRecvBusy = errors.New("loop: a receive is already pending")

// PacketConn is one connected datagram socket (UDP, or unix datagram) owned
// by a loop: what ngx.socket.udp is after setpeername, and what the
// resolver sends its queries on. All methods are for the loop's thread only.
//
// Every callback runs on the loop's thread, exactly once, and never inside
// the call that passed it: a result known at once comes from the run queue.
//
// Send sends one datagram. The bytes are copied into a buffer the
// PacketConn owns until the kernel has taken them, so p may be reused at
// once. Sends go out one at a time, in the order called (a resolver may send
// its A and AAAA queries back to back).
//
// Recv receives one datagram into the caller's buf. len(buf) is the most it
// takes: a longer datagram is truncated to it and its rest dropped, as
// recv(2) does. n == 0 with a nil error is an empty datagram (legal, and not
// an end of anything: a datagram socket has none). One Recv at a time.
//
// buf is the kernel's from Recv until done runs. After CancelRecv, or Close,
// the kernel may still write into it until the cancelled receive has ended,
// which the caller does not see: reuse it only as the next Recv's buffer
// (the PacketConn keeps it alive meanwhile). A datagram, or an error, that
// the cancelled receive had already taken is kept for the next Recv and
// copied into its buffer, so CancelRecv loses nothing, as a recv(2) that
// timed out would not.
//
// Errors: a UDP peer that is not listening answers with ICMP port
// unreachable; the kernel reports it once, to the next send or receive,
// as ECONNREFUSED. Send and Recv pass such errors on as *os.SyscallError,
// so errors.Is(err, unix.ECONNREFUSED) works; the PacketConn stays usable.
// After Close, every callback still pending gets ErrClosed.
//
// Timeouts are the caller's: arm a Timer when calling Recv, stop it in the
// callback, and call CancelRecv when it fires. A request and its answer:
//
//	timer := l.AfterFunc(timeout, func() {
//		pc.CancelRecv() // done will not run
//		answer(nil, errTimeout)
//	})
//	pc.Recv(buf, func(n int, err error) {
//		timer.Stop()
//		answer(buf[:n], err)
//	})
//	pc.Send(query, func(err error) {
//		if err != nil && timer.Stop() {
//			pc.CancelRecv()
//			answer(nil, err)
//		}
//	})
//
// A caller that does this per request keeps its callbacks and a Timer
// (NewTimer, Reset) in its own struct, bound once: then nothing is
// allocated per datagram.
type PacketConn struct {
	l          *Loop
	fd         int         // owned; closed by the close operation; -1 once closed
	prev, next *PacketConn // links in l.packets

	// Receive side.
	recvFn     func(n int, err error) // the pending Recv's done; nil when none
	ubuf       []byte                 // the pending Recv's buffer
	rbuf       []byte                 // buffer of the receive in flight, or holding the kept datagram
	recvUD     uint64                 // receive in flight, 0 when none
	recvCancel bool                   // a cancel of recvUD is in flight
	kept       bool                   // a cancelled receive took keptN bytes (in rbuf) or keptErr: the next Recv's
	keptN      int                    // bytes of the kept datagram
	keptErr    error                  // the kept error
	recvDue    bool                   // recvFn runs from the run queue (a kept result, or closed)

	// Send side.
	sends      []packetSend // in order of Send; sends[0] is in flight while sendUD != 0
	sendUD     uint64       // send in flight, 0 when none
	sendCancel bool         // a cancel of sendUD is in flight

	// Close.
	closing bool   // Close was called
	closeUD uint64 // in-flight close, 0 when none
	closed  bool   // fd closed, pending callbacks told
	del     Task   // deliveries from the run queue (deliver)
}

// packetSend is one datagram waiting to be sent or in flight.
type packetSend struct {
	buf  []byte          // the datagram's copy; a loop buffer when it fits one, nil after Close
	done func(err error) // runs once
}

// DialPacket opens a datagram socket connected to address: for "udp",
// "udp4" and "udp6" a literal IP and port ("127.0.0.1:53", "[::1]:53"), for
// "unixgram" a socket path or an "@abstract" name. A unixgram socket is
// bound to an autobind (abstract) address first, so the peer can answer.
// The connect is synchronous: on a datagram socket it does not block (see
// linux.DialPacket). An address that cannot be parsed, an unreachable
// network or a missing unix socket is an error at once; a closed UDP port
// shows up later, as ECONNREFUSED on Send or Recv. No name resolution
// happens here.
func (l *Loop) DialPacket(network, address string) (*PacketConn, error) {
	return l.DialPacketFrom(network, address, netip.AddrPort{})
}

// DialPacketFrom is DialPacket from the local address local (see
// linux.DialPacketFrom): an invalid local is no binding.
func (l *Loop) DialPacketFrom(network, address string, local netip.AddrPort) (*PacketConn, error) {
	if l.stopping.Load() {
		return nil, ErrStopped
	}
	fd, err := linux.DialPacketFrom(network, address, local)
	if err != nil {
		return nil, err
	}
	// The socket was connected without the ring; its first ring operation
	// is a Send or Recv, so the ring must forget any earlier descriptor
	// that had its number.
	l.r.Fresh(fd)
	pc := &PacketConn{l: l, fd: fd}
	pc.del.Init(pc.deliver)
	l.packets.add(pc)
	return pc, nil
}

// Fd returns the socket descriptor, for socket options. Do not read, write
// or close it.
func (pc *PacketConn) Fd() int { return pc.fd }

// Loop returns the PacketConn's loop.
func (pc *PacketConn) Loop() *Loop { return pc.l }

// LocalAddr returns the local address (a getsockname call): a
// *net.UDPAddr, or a *net.UnixAddr with the autobind name ("@" and five hex
// digits). nil once closed.
func (pc *PacketConn) LocalAddr() net.Addr { a, _ := linux.PacketLocalAddr(pc.fd); return a }

// RemoteAddr returns the peer address (a getpeername call). nil once closed.
func (pc *PacketConn) RemoteAddr() net.Addr { a, _ := linux.PacketPeerAddr(pc.fd); return a }

// Closed reports whether Close was called.
func (pc *PacketConn) Closed() bool { return pc.closing }

// Send sends p as one datagram (empty is allowed) and calls done once the
// kernel has taken it (err nil) or failed it (err says why: ECONNREFUSED
// from an earlier ICMP error, EMSGSIZE for a datagram too long, ErrClosed
// once closed). p is copied; it may be reused at once. done runs exactly
// once, never inside Send; it may be nil. Datagrams go out in the order of
// the calls.
func (pc *PacketConn) Send(p []byte, done func(err error)) {
	if pc.closing {
		pc.sends = append(pc.sends, packetSend{done: done})
		if pc.closed {
			pc.l.Schedule(&pc.del)
		} // else the close in flight fails it
		return
	}
	var buf []byte
	if len(p) <= pc.l.opts.RecvBufferSize {
		buf = pc.l.getBuf()
	} else {
		buf = make([]byte, 0, len(p))
	}
	buf = append(buf, p...)
	pc.sends = append(pc.sends, packetSend{buf: buf, done: done})
	pc.startSend()
}

// startSend submits the first queued datagram unless one is in flight.
func (pc *PacketConn) startSend() {
	if pc.sendUD != 0 || pc.closing || len(pc.sends) == 0 {
		return
	}
	o, ud := pc.l.ops.alloc(opPacketSend)
	o.setPacket(pc)
	pc.sendUD = ud
	pc.l.r.Send(ud, pc.fd, pc.sends[0].buf)
}

func (pc *PacketConn) onSend(cqe completion) {
	pc.sendUD, pc.sendCancel = 0, false
	s := pc.sends[0]
	n := copy(pc.sends, pc.sends[1:])
	pc.sends[n] = packetSend{}
	pc.sends = pc.sends[:n]
	pc.l.putBuf(s.buf)
	var err error
	switch {
	case cqe.Res >= 0:
		// Taken whole: a datagram is never sent in part.
	case pc.closing && cqe.Res == -int32(unix.ECANCELED):
		err = ErrClosed
	default:
		err = os.NewSyscallError("send", unix.Errno(-cqe.Res))
	}
	if pc.closing {
		pc.maybeFinish()
	} else {
		pc.startSend()
	}
	if s.done != nil {
		s.done(err)
	}
}

// Recv receives one datagram into buf (truncated to len(buf)) and calls
// done with its length, or with an error (ECONNREFUSED from an earlier ICMP
// error, ErrClosed once closed, ErrRecvBusy when another Recv is pending).
// done (not nil) runs exactly once, never inside Recv, unless CancelRecv
// comes first. See PacketConn for how long buf belongs to the kernel.
func (pc *PacketConn) Recv(buf []byte, done func(n int, err error)) {
	if pc.recvFn != nil {
		pc.l.Soon(func() { done(0, ErrRecvBusy) })
		return
	}
	pc.recvFn, pc.ubuf = done, buf
	switch {
	case pc.closing || pc.kept:
		pc.recvDue = true
		pc.l.Schedule(&pc.del)
	case pc.recvUD != 0:
		// A cancelled receive is still in flight, and a descriptor has one
		// read-side operation at a time: onRecv re-arms with buf once it
		// has ended, or hands over what it took.
	default:
		pc.armRecv()
	}
}

// armRecv submits a receive into the pending Recv's buffer.
func (pc *PacketConn) armRecv() {
	o, ud := pc.l.ops.alloc(opPacketRecv)
	o.setPacket(pc)
	pc.recvUD, pc.recvCancel, pc.rbuf = ud, false, pc.ubuf
	pc.l.r.Recv(ud, pc.fd, pc.ubuf)
}

// CancelRecv abandons the pending Recv: its done will not run, and the
// receive in flight is cancelled. A new Recv may follow at once. It does
// nothing when no Recv is pending.
func (pc *PacketConn) CancelRecv() {
	if pc.recvFn == nil {
		return
	}
	pc.recvFn, pc.ubuf, pc.recvDue = nil, nil, false
	if pc.recvUD != 0 && !pc.recvCancel {
		pc.recvCancel = true
		pc.l.cancel(pc.fd, pc.recvUD)
	}
}

// Receiving reports whether a Recv is pending.
func (pc *PacketConn) Receiving() bool { return pc.recvFn != nil }

func (pc *PacketConn) onRecv(cqe completion) {
	cancelled := pc.recvCancel
	pc.recvUD, pc.recvCancel = 0, false
	if pc.closing {
		pc.rbuf = nil
		pc.maybeFinish() // a pending Recv hears ErrClosed from onClosed
		return
	}
	n, err := 0, error(nil)
	if cqe.Res >= 0 {
		n = int(cqe.Res)
	} else {
		err = os.NewSyscallError("recv", unix.Errno(-cqe.Res))
	}
	if cancelled {
		if cqe.Res == -int32(unix.ECANCELED) {
			// Cancelled before it took anything; a Recv may wait meanwhile.
			pc.rbuf = nil
			if pc.recvFn != nil {
				pc.armRecv()
			}
			return
		}
		// It completed before the cancel landed: what it took stays for
		// the next Recv, as it would have stayed in the socket.
		if pc.recvFn == nil {
			pc.kept, pc.keptN, pc.keptErr = true, n, err
			return
		}
		n = copy(pc.ubuf, pc.rbuf[:n])
	}
	fn := pc.recvFn
	pc.recvFn, pc.ubuf, pc.rbuf = nil, nil, nil
	fn(n, err)
}

// deliver runs from the run queue: a Recv answered by a kept result or by
// the close, and Sends made after the close.
func (pc *PacketConn) deliver() {
	if pc.recvDue {
		pc.recvDue = false
		fn := pc.recvFn
		n, err := 0, error(ErrClosed)
		if !pc.closing {
			n, err = copy(pc.ubuf, pc.rbuf[:pc.keptN]), pc.keptErr
			pc.kept, pc.keptN, pc.keptErr, pc.rbuf = false, 0, nil, nil
		}
		pc.recvFn, pc.ubuf = nil, nil
		fn(n, err)
	}
	if pc.closed {
		pc.failSends()
	}
}

// Close closes the PacketConn: the receive and the send in flight are
// cancelled, the socket is closed through the ring, and every callback
// still pending gets ErrClosed (a send the kernel had already taken reports
// nil), each once and never inside Close. Closing twice does nothing.
func (pc *PacketConn) Close() {
	if pc.closing {
		return
	}
	pc.closing = true
	pc.kept, pc.keptN, pc.keptErr = false, 0, nil
	pc.maybeFinish()
}

// maybeFinish closes the socket once no operation is in flight on it,
// cancelling those that are.
func (pc *PacketConn) maybeFinish() {
	if pc.closeUD != 0 || pc.closed {
		return
	}
	if pc.recvUD != 0 && !pc.recvCancel {
		pc.recvCancel = true
		pc.l.cancel(pc.fd, pc.recvUD)
	}
	if pc.sendUD != 0 && !pc.sendCancel {
		pc.sendCancel = true
		pc.l.cancel(pc.fd, pc.sendUD)
	}
	if pc.recvUD != 0 || pc.sendUD != 0 {
		return
	}
	o, ud := pc.l.ops.alloc(opPacketClose)
	o.setPacket(pc)
	pc.closeUD = ud
	pc.l.r.CloseFD(ud, pc.fd)
}

func (pc *PacketConn) onClosed(cqe completion) {
	pc.closeUD = 0
	pc.closed = true
	pc.fd = -1
	pc.l.packets.remove(pc)
	pc.rbuf = nil
	if fn := pc.recvFn; fn != nil {
		pc.recvFn, pc.ubuf, pc.recvDue = nil, nil, false
		fn(0, ErrClosed)
	}
	pc.failSends()
}

// failSends tells every queued Send that the PacketConn is closed,
// including Sends made by those callbacks.
func (pc *PacketConn) failSends() {
	for len(pc.sends) > 0 {
		s := pc.sends[0]
		pc.sends[0] = packetSend{}
		pc.sends = pc.sends[1:]
		pc.l.putBuf(s.buf)
		if s.done != nil {
			s.done(ErrClosed)
		}
	}
	pc.sends = nil
}

// packetList is an intrusive list of a loop's open PacketConns, for Stop.
type packetList struct {
	head *PacketConn
	n    int
}

func (pl *packetList) add(pc *PacketConn) {
	pc.next = pl.head
	if pl.head != nil {
		pl.head.prev = pc
	}
	pl.head = pc
	pl.n++
}

func (pl *packetList) remove(pc *PacketConn) {
	if pc.prev != nil {
		pc.prev.next = pc.next
	} else {
		pl.head = pc.next
	}
	if pc.next != nil {
		pc.next.prev = pc.prev
	}
	pc.prev, pc.next = nil, nil
	pl.n--
}

// each calls fn for every PacketConn; fn may close it.
func (pl *packetList) each(fn func(pc *PacketConn)) {
	for pc := pl.head; pc != nil; {
		next := pc.next
		fn(pc)
		pc = next
	}
}
