package loop

import (
	"github.com/luring/luring/ring"
	"golang.org/x/sys/unix"
)

// minRecvSpace is the least free space a plain recv is given (bytes).
const minRecvSpace = 4 << 10

// wantRead reports whether the connection should have a recv armed.
// A pull reader that waits (WaitRead) lifts the MaxInput pause: it asked for
// more than is buffered.
func (c *Conn) wantRead() bool {
	return !c.closing && !c.eof && !c.userPause && (!c.fullPause || c.readFn != nil) && !c.outPause
}

// updateRead arms or cancels the recv to match wantRead.
func (c *Conn) updateRead() {
	if c.wantRead() {
		if c.recvUD == 0 {
			c.armRecv()
		}
		return
	}
	// A plain recv finishes by itself with at most one buffer of data; a
	// multishot one keeps going and must be cancelled. On close both go.
	if c.recvUD != 0 && !c.cancelled && (c.recvMulti || c.closing) {
		c.cancelled = true
		c.l.cancel(int(c.fd), c.recvUD)
	}
}

func (c *Conn) armRecv() {
	l := c.l
	if l.multi && c.inShift == 0 {
		o, ud := l.ops.alloc(opRecvMulti)
		o.setConn(c)
		c.recvUD, c.recvMulti, c.cancelled = ud, true, false
		l.r.RecvMultishot(ud, int(c.fd), bufGroup)
		return
	}
	c.compactInput()
	if cap(c.in)-len(c.in) < minRecvSpace {
		c.growInput(minRecvSpace)
	}
	buf := c.in[len(c.in):cap(c.in)]
	if c.inShift != 0 && c.readFn == nil {
		// A limited connection receives no more than its bound: with a
		// plain recv the rest waits in the kernel (a multishot one would
		// fill provided buffers with all the peer sent).
		if room := c.maxInput() - c.Buffered(); room >= minRecvSpace && room < len(buf) {
			buf = buf[:room]
		}
	}
	o, ud := l.ops.alloc(opRecv)
	o.setConn(c)
	c.recvUD, c.recvMulti, c.cancelled = ud, false, false
	l.r.Recv(ud, int(c.fd), buf)
}

// compactInput drops the consumed prefix of in. Only while no plain recv is
// writing into in.
func (c *Conn) compactInput() {
	if c.rpos == 0 {
		return
	}
	n := copy(c.in, c.in[c.rpos:])
	c.in = c.in[:n]
	c.rpos = 0
}

// growInput makes room for at least extra more bytes.
func (c *Conn) growInput(extra int) {
	if c.in == nil {
		c.in = c.l.getBuf()
	}
	if cap(c.in)-len(c.in) >= extra {
		return
	}
	size := 2 * cap(c.in)
	for size-len(c.in) < extra {
		size *= 2
	}
	n := c.l.getBig(size)[:len(c.in)]
	copy(n, c.in)
	c.l.putBuf(c.in)
	c.in = n
}

// maxBigBufs and maxBigBuf bound the loop's free list of grown input
// buffers. A connection whose reader lags behind the network (a large
// request body streamed through a Lua reader) grows its buffer past the
// standard size and empties it again many times per request; without the
// list every cycle was a new allocation (13.6 GB in 5 s of the body-stream
// workload, 63% of the process's allocations).
const (
	maxBigBufs = 32
	maxBigBuf  = 256 << 10
)

// getBig returns an empty buffer of at least size bytes' capacity.
func (l *Loop) getBig(size int) []byte {
	for i, b := range l.bigBufs {
		if cap(b) >= size {
			last := len(l.bigBufs) - 1
			l.bigBufs[i] = l.bigBufs[last]
			l.bigBufs[last] = nil
			l.bigBufs = l.bigBufs[:last]
			return b[:0]
		}
	}
	return make([]byte, 0, size)
}

// putBig keeps a grown buffer for reuse when the list has room.
func (l *Loop) putBig(b []byte) {
	if cap(b) > maxBigBuf || len(l.bigBufs) >= maxBigBufs {
		return
	}
	l.bigBufs = append(l.bigBufs, b[:0])
}

func (c *Conn) onRecv(cqe ring.Completion) {
	more := cqe.Flags&ring.FlagMore != 0
	if !more {
		c.recvUD, c.cancelled = 0, false
	}
	switch {
	case cqe.Res > 0 && cqe.Flags&ring.FlagBuffer != 0:
		buf := c.l.r.Buffer(bufGroup, cqe.BufID)[:cqe.Res]
		c.input(buf, true)
		c.l.r.ReleaseBuffer(bufGroup, cqe.BufID)
	case cqe.Res > 0:
		c.in = c.in[:len(c.in)+int(cqe.Res)]
		c.input(nil, false)
	case cqe.Res == 0:
		c.eof = true
		c.queueDelivery()
		c.readDue = c.readFn != nil
	case cqe.Res == -int32(unix.ECANCELED) || cqe.Res == -int32(unix.ENOBUFS):
		// Paused, closing, or out of provided buffers: updateRead decides.
	default:
		if !c.closing {
			c.fail("recv", cqe.Res)
		}
	}
	if c.closing {
		c.maybeFinish()
		return
	}
	if !more {
		c.updateRead()
	}
}

// input offers received bytes to OnData. With fromRing, data is a provided
// buffer about to be released: bytes not consumed are copied into in. In
// pull mode the bytes are kept and a waiting reader is told.
func (c *Conn) input(data []byte, fromRing bool) {
	if c.onData == nil {
		if fromRing {
			c.keep(data)
		}
		c.checkInputLimit()
		c.wakeReader()
		return
	}
	if fromRing {
		if c.Buffered() == 0 && c.deliverable() {
			n := c.offer(data)
			if n < len(data) {
				c.keep(data[n:])
			}
			c.checkInputLimit()
			return
		}
		c.keep(data)
	}
	if c.deliverable() {
		c.rpos += int32(c.offer(c.in[c.rpos:]))
		if int(c.rpos) == len(c.in) {
			c.releaseInput()
		}
	}
	c.checkInputLimit()
}

func (c *Conn) deliverable() bool { return !c.userPause && !c.closing && c.onData != nil }

// offer calls OnData and clamps what it says it consumed.
func (c *Conn) offer(data []byte) int {
	n := c.onData(c, data)
	if n < 0 {
		n = 0
	} else if n > len(data) {
		n = len(data)
	}
	return n
}

// keep appends p to the buffered input (multishot mode: no recv writes into in).
func (c *Conn) keep(p []byte) {
	if int(c.rpos) == len(c.in) {
		c.in, c.rpos = c.in[:0], 0
	}
	if cap(c.in)-len(c.in) < len(p) {
		c.compactInput()
		c.growInput(len(p))
	}
	c.in = append(c.in, p...)
}

// releaseInput gives an emptied input buffer back to the loop, so an idle
// connection holds none (multishot mode; a plain recv needs its buffer).
func (c *Conn) releaseInput() {
	if c.recvUD != 0 && !c.recvMulti {
		// A plain recv in flight writes after len(in): moving len would
		// misplace what it brings (stale bytes would be delivered as new).
		// The consumed prefix goes at the next armRecv's compaction.
		return
	}
	if c.l.multi && c.in != nil {
		c.l.putBuf(c.in)
		c.in, c.rpos = nil, 0
		return
	}
	c.in, c.rpos = c.in[:0], 0
}

func (c *Conn) checkInputLimit() {
	full := c.Buffered() >= c.maxInput()
	if full != c.fullPause {
		c.fullPause = full
		c.updateRead()
	}
}

// deliverQueued runs in each turn for connections queued by ResumeRead,
// Flush, or end of stream.
func (c *Conn) deliverQueued() {
	if c.flushDo {
		c.flushDo = false
		c.runFlushes(nil)
		c.putOut()
	}
	if c.readDue {
		c.readDue = false
		c.wakeReader()
	}
	if c.closed {
		return
	}
	if c.Buffered() > 0 && c.deliverable() {
		c.input(nil, false)
	}
	if c.eof && !c.closing && c.deliverable() {
		if c.onEOF != nil {
			fn := c.onEOF
			c.onEOF = nil
			fn(c)
		} else {
			c.Close()
		}
	}
}

// flushDirty submits the output of every connection written to this turn.
func (l *Loop) flushDirty() {
	for i, c := range l.dirty {
		l.dirty[i] = nil
		c.dirty = false
		c.startSend()
	}
	l.dirty = l.dirty[:0]
}

func (c *Conn) startSend() {
	w := c.w
	if w == nil || w.sendUD != 0 || c.closed || c.abort {
		return
	}
	if w.woff == len(w.wbuf) {
		if len(w.out) == 0 {
			return
		}
		w.wbuf, w.out = w.out, w.wbuf[:0]
		w.woff = 0
	}
	o, ud := c.l.ops.alloc(opSend)
	o.setConn(c)
	w.sendUD = ud
	c.l.r.Send(ud, int(c.fd), w.wbuf[w.woff:])
}

func (c *Conn) onSend(cqe ring.Completion) {
	w := c.w // a send in flight keeps it
	w.sendUD = 0
	if cqe.Res < 0 {
		if !c.abort {
			c.fail("send", cqe.Res)
		}
		c.maybeFinish()
		return
	}
	w.woff += int(cqe.Res)
	w.sent += uint64(cqe.Res)
	if w.woff == len(w.wbuf) {
		w.wbuf, w.woff = w.wbuf[:0], 0
	}
	c.runFlushes(nil)
	if c.outPause && c.Pending() <= c.l.opts.WriteHighWater/4 {
		c.outPause = false
		c.updateRead()
	}
	if c.Pending() > 0 {
		c.startSend()
	} else {
		c.releaseOutput()
		c.maybeShutdown()
	}
	c.maybeFinish()
}

// releaseOutput gives drained output buffers back to the loop, and the
// write side too when nothing waits on it.
func (c *Conn) releaseOutput() {
	w := c.w
	if w == nil {
		return
	}
	if w.out != nil && len(w.out) == 0 {
		c.l.putBuf(w.out)
		w.out = nil
	}
	if w.wbuf != nil && len(w.wbuf) == 0 {
		c.l.putBuf(w.wbuf)
		w.wbuf = nil
	}
	c.putOut()
}

// runFlushes calls the Flush callbacks that are due; with err (or once the
// connection is closed) every remaining one. A callback may Write or
// Flush: the write side stays while the loop runs.
func (c *Conn) runFlushes(err error) {
	w := c.w
	if w == nil {
		return
	}
	n := 0
	for n < len(w.flushes) {
		f := w.flushes[n]
		if err == nil && !c.closed && w.sent < f.target {
			break
		}
		e := err
		if e == nil && c.closed && w.sent < f.target {
			e = c.closeErrOr()
		}
		w.flushes[n] = flushWait{}
		n++
		f.fn(c, e)
	}
	if n > 0 {
		w.flushes = append(w.flushes[:0], w.flushes[n:]...)
	}
}

func (c *Conn) closeErrOr() error {
	if c.closeErr != nil {
		return c.closeErr
	}
	return ErrClosed
}

func (c *Conn) maybeShutdown() {
	if !c.wclose || c.shut || c.ctlUD != 0 || c.closing || c.Pending() > 0 {
		return
	}
	o, ud := c.l.ops.alloc(opShutdown)
	o.setConn(c)
	c.ctlUD = ud
	c.l.r.Shutdown(ud, int(c.fd), unix.SHUT_WR)
}

func (c *Conn) onShutdown(cqe ring.Completion) {
	c.ctlUD = 0
	c.shut = true
	c.maybeFinish()
}

// maybeFinish closes the socket of a closing connection once nothing is in
// flight on it and (for a graceful close) its output has been sent.
func (c *Conn) maybeFinish() {
	if !c.closing || c.closed || c.ctlUD != 0 { // a shutdown finishes first
		return
	}
	if c.recvUD != 0 {
		if !c.cancelled {
			c.cancelled = true
			c.l.cancel(int(c.fd), c.recvUD)
		}
		return
	}
	if c.w != nil && c.w.sendUD != 0 {
		return
	}
	if !c.abort && c.Pending() > 0 {
		c.startSend()
		return
	}
	o, ud := c.l.ops.alloc(opClose)
	o.setConn(c)
	c.ctlUD = ud
	c.l.r.CloseFD(ud, int(c.fd))
}

func (c *Conn) onClosed(cqe ring.Completion) {
	c.ctlUD = 0
	c.closed = true
	c.fd = -1
	c.l.conns.remove(c)
	c.runFlushes(c.closeErrOr())
	if c.in != nil && (c.onData != nil || c.Buffered() == 0) {
		c.l.putBuf(c.in)
		c.in, c.rpos = nil, 0
	}
	// A pull reader keeps the bytes that came before the end: they are
	// its partial result (the buffer goes with the Conn).
	if w := c.w; w != nil {
		// Unsent output is dropped (no send is in flight on its buffers).
		// The counters stay while they show a loss, for a later Flush.
		c.l.putBuf(w.out)
		c.l.putBuf(w.wbuf)
		w.out, w.wbuf, w.woff = nil, nil, 0
		c.putOut()
	}
	c.wakeReader()
	if c.onClose != nil {
		fn := c.onClose
		c.onClose = nil
		fn(c, c.closeErr)
	}
}

// cancel submits a cancel of operation target on fd.
func (l *Loop) cancel(fd int, target uint64) {
	_, ud := l.ops.alloc(opCancel) // nothing to point at: the target reports on its own
	l.r.Cancel(ud, fd, target)
}

// getOut returns an empty write side from the loop's free list.
func (l *Loop) getOut() *connOut {
	if n := len(l.outs); n > 0 {
		w := l.outs[n-1]
		l.outs[n-1] = nil
		l.outs = l.outs[:n-1]
		return w
	}
	return &connOut{}
}

// putOutState keeps w, whose buffers were given back, for reuse.
func (l *Loop) putOutState(w *connOut) {
	*w = connOut{flushes: w.flushes[:0]}
	if len(l.outs) < maxFreeBufs {
		l.outs = append(l.outs, w)
	}
}

// getBuf returns an empty buffer of RecvBufferSize capacity from the loop's
// free list.
func (l *Loop) getBuf() []byte {
	if n := len(l.bufs); n > 0 {
		b := l.bufs[n-1]
		l.bufs[n-1] = nil
		l.bufs = l.bufs[:n-1]
		return b
	}
	return make([]byte, 0, l.opts.RecvBufferSize)
}

// putBuf keeps b for reuse when it has the standard size.
func (l *Loop) putBuf(b []byte) {
	if cap(b) > l.opts.RecvBufferSize {
		l.putBig(b)
		return
	}
	if cap(b) != l.opts.RecvBufferSize || len(l.bufs) >= maxFreeBufs {
		return
	}
	l.bufs = append(l.bufs, b[:0])
}

// maxFreeBufs bounds the loop's free list of buffers.
const maxFreeBufs = 1024

// connList is an intrusive list of a loop's open connections.
type connList struct {
	head *Conn
	n    int
}

func (cl *connList) add(c *Conn) {
	c.next = cl.head
	if cl.head != nil {
		cl.head.prev = c
	}
	cl.head = c
	cl.n++
}

func (cl *connList) remove(c *Conn) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		cl.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.prev, c.next = nil, nil
	cl.n--
}

// each calls fn for every connection; fn may close it.
func (cl *connList) each(fn func(c *Conn)) {
	for c := cl.head; c != nil; {
		next := c.next
		fn(c)
		c = next
	}
}
