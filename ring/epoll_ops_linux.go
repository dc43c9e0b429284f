package ring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxIO caps the length of one recv or send so that Res fits an int32.
const maxIO = 1 << 30

// The data syscalls here never block (MSG_DONTWAIT, non-blocking
// listeners), so they use RawSyscall: no scheduler hand-off per operation.

// doRead tries fd's read-side operation; fd may be readable.
func (r *epollRing) doRead(fd int, st *fdState) {
	switch st.rd.kind {
	case opAccept, opAcceptMulti:
		r.doAccept(fd, st)
	case opRecv:
		n, e := recvfrom(fd, st.rd.buf(), 0)
		switch {
		case e == unix.EAGAIN:
			st.readable = false
		case e != 0:
			r.endRead(st, -int32(e))
		default:
			r.endRead(st, int32(n))
		}
	case opRecvMulti:
		r.doRecvMulti(fd, st)
	}
}

// endRead completes the read-side operation for the last time.
func (r *epollRing) endRead(st *fdState, res int32) {
	r.complete(st.rd.ud, res, 0, 0)
	st.rd = pendingOp{}
}

// doAccept accepts until EAGAIN (multishot, at most shotBudget per round)
// or once.
func (r *epollRing) doAccept(fd int, st *fdState) {
	for i := 0; i < shotBudget; i++ {
		r1, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(fd), 0, 0,
			unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		switch e {
		case 0:
		case unix.EAGAIN:
			st.readable = false
			return
		case unix.EINTR, unix.ECONNABORTED:
			continue // the kernel's accept retries these too
		default:
			r.endRead(st, -int32(e)) // EMFILE & co. end a multishot, as io_uring does
			return
		}
		nfd := int(r1)
		r.fresh(nfd)
		if st.rd.kind == opAccept {
			r.endRead(st, int32(nfd))
			return
		}
		r.complete(st.rd.ud, int32(nfd), FlagMore, 0)
	}
	r.enqueue(fd, st) // budget used up, still readable: next round
}

// fresh drops what the ring knew of a previous descriptor with the number
// of the new descriptor nfd. A number never used has no state yet.
func (r *epollRing) fresh(nfd int) {
	if st := r.fds.get(nfd); st != nil {
		r.forget(st)
	}
}

// doRecvMulti reads into provided buffers until EAGAIN, the end, an error
// or the round's budget.
func (r *epollRing) doRecvMulti(fd int, st *fdState) {
	g := r.group(st.rd.group)
	if g == nil {
		r.endRead(st, -int32(unix.ENOBUFS))
		return
	}
	for i := 0; i < shotBudget; i++ {
		bid, ok := g.take()
		if !ok {
			// Like io_uring, end with -ENOBUFS once the socket has something
			// to report (data, end of stream or an error); the caller re-arms
			// after releasing buffers and then learns which.
			if _, e := recvfrom(fd, r.scratch[:], unix.MSG_PEEK); e == unix.EAGAIN {
				st.readable = false
			} else {
				r.endRead(st, -int32(unix.ENOBUFS))
			}
			return
		}
		n, e := recvfrom(fd, g.slot(bid), 0)
		switch {
		case e == unix.EAGAIN:
			g.put(bid)
			st.readable = false
			return
		case e != 0:
			g.put(bid)
			r.endRead(st, -int32(e))
			return
		case n == 0:
			g.put(bid)
			r.endRead(st, 0)
			return
		}
		r.complete(st.rd.ud, int32(n), FlagBuffer|FlagMore, bid)
		if n < len(g.slot(bid)) && !st.hangup {
			// A short read drained the socket's data: with edge-triggered
			// registration the next arrival (data or FIN) raises a new
			// event, so a read that would only say EAGAIN is saved. Not
			// after a hang-up was reported: its edge is spent, and the
			// end of stream still waits behind the data.
			st.readable = false
			return
		}
	}
	r.enqueue(fd, st)
}

// doWrite tries fd's write-side operation; fd may be writable.
func (r *epollRing) doWrite(fd int, st *fdState) {
	var n int
	var e unix.Errno
	switch st.wr.kind {
	case opSend:
		b := st.wr.buf()
		if len(b) > maxIO {
			b = b[:maxIO]
		}
		n, e = sysResult(unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd),
			uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)),
			unix.MSG_NOSIGNAL|unix.MSG_DONTWAIT, 0, 0))
	case opSendmsg:
		n, e = sysResult(unix.RawSyscall(unix.SYS_SENDMSG, uintptr(fd),
			uintptr(unsafe.Pointer(st.wr.msg())), unix.MSG_NOSIGNAL|unix.MSG_DONTWAIT))
	case opConnect:
		r.doConnect(fd, st)
		return
	default:
		return
	}
	switch {
	case e == unix.EINTR:
		r.enqueue(fd, st)
	case e == unix.EAGAIN:
		st.writable = false
	case e != 0:
		r.endWrite(st, -int32(e))
	default:
		r.endWrite(st, int32(n))
	}
}

// endWrite completes the write-side operation.
func (r *epollRing) endWrite(st *fdState, res int32) {
	r.complete(st.wr.ud, res, 0, 0)
	st.wr = pendingOp{}
}

// doConnect starts the connection, or checks it once fd is writable.
func (r *epollRing) doConnect(fd int, st *fdState) {
	op := &st.wr
	if op.connecting {
		soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			r.endWrite(st, errRes(err))
			return
		}
		if soerr != 0 {
			r.endWrite(st, -int32(soerr))
			return
		}
		// No error pending: connected, or a wake-up before the handshake ended.
	}
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd),
		uintptr(unsafe.Pointer(op.sa())), uintptr(op.salen))
	switch {
	case e == unix.EINTR, e == unix.EINPROGRESS, e == unix.EALREADY:
		op.connecting = true
		st.writable = false
	case e == 0, e == unix.EISCONN && op.connecting:
		r.endWrite(st, 0)
	default:
		r.endWrite(st, -int32(e))
	}
}

// recvfrom is a non-blocking recv(2) that retries EINTR.
func recvfrom(fd int, b []byte, flags int) (int, unix.Errno) {
	if len(b) > maxIO {
		b = b[:maxIO]
	}
	for {
		n, e := sysResult(unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd),
			uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)),
			uintptr(flags|unix.MSG_DONTWAIT), 0, 0))
		if e != unix.EINTR {
			return n, e
		}
	}
}

// sysResult adapts a raw syscall's return values.
func sysResult(r1, _ uintptr, e unix.Errno) (int, unix.Errno) {
	return int(r1), e
}
