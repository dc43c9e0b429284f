package loop

import (
	"errors"
	"math/bits"
	"net"
	"os"

	"github.com/luring/luring/linux"
	"golang.org/x/sys/unix"
)

// ErrClosed is passed to Flush callbacks and returned by Write once a
// connection is closing or closed, and passed to a PacketConn's pending
// Send and Recv callbacks once it is closed.
var ErrClosed = errors.New("loop: connection closed")

// Conn is one stream connection (TCP or unix) owned by a loop. All methods are
// for the loop's thread only.
//
// Reading is push-style or pull-style. Push (an HTTP session): the OnData
// function gets every received byte not yet consumed and says how many it
// consumed; the rest stays buffered (up to Options.MaxInput, then reading
// pauses) and is offered again, followed by new bytes, when more arrive or
// ResumeRead is called. Pull (a cosocket; a connection without OnData): the
// reader looks at what is buffered with Peek, consumes with Discard, and asks
// for more with WaitRead (conn_pull.go).
//
// Writing copies into loop-owned buffers and is submitted once per loop turn
// with one send. Flush reports when everything written so far has reached the
// kernel. Output above Options.WriteHighWater pauses reading until it drains:
// a slow peer cannot make the loop buffer without bound.
type Conn struct {
	l          *Loop
	prev, next *Conn  // links in l.conns
	id         uint64 // connection number in this loop, for logs

	onData  func(c *Conn, data []byte) int
	onEOF   func(c *Conn)
	onClose func(c *Conn, err error)

	// Ctx is free for the owner of the connection (an HTTP session, say).
	Ctx any

	in     []byte        // buffered input; in[rpos:] is unconsumed; nil when empty (multishot)
	readFn func(c *Conn) // pull mode: the WaitRead callback, nil when none waits
	recvUD uint64        // in-flight recv operation, 0 when none
	// w is the write side while output is pending or Flush callbacks wait;
	// nil otherwise (taken from and given back to the loop's free list), so
	// an idle connection holds none of it.
	w        *connOut
	ctlUD    uint64 // in-flight shutdown or close (never both at once), 0 when none
	closeErr error  // why the connection ended (nil for a clean close)
	// del is the queued-deliveries task (deliverQueued) while it waits in
	// the loop's run queue; nil otherwise (pooled, as w).
	del  *Task
	fd   int32 // owned; closed by the close operation; -1 once closed
	rpos int32 // consumed prefix of in (less than Options.MaxInput plus a buffer)

	// Read state.
	// inShift, when not 0, bounds the unconsumed input at 1<<inShift bytes
	// instead of Options.MaxInput (LimitInput).
	inShift   uint8
	recvMulti bool // the in-flight recv is multishot
	cancelled bool // a cancel of recvUD is in flight
	userPause bool // PauseRead was called
	fullPause bool // paused because input reached MaxInput
	outPause  bool // paused because output is over WriteHighWater
	eof       bool // the peer closed its side (recv returned 0)
	readDue   bool // pull mode: readFn is to run in this turn's deliveries
	// Write state.
	dirty   bool // in l.dirty
	flushDo bool // satisfied flushes are due in this turn's deliveries
	wclose  bool // CloseWrite asked
	shut    bool // write side shut down
	// Close state.
	closing bool // Close or CloseNow was called
	abort   bool // CloseNow: drop output
	closed  bool // fd closed and OnClose ran
}

// connOut is a connection's write side while it has output or flushes.
type connOut struct {
	out     []byte      // written, not yet submitted
	wbuf    []byte      // submitted; wbuf[woff:] not yet taken by the kernel
	woff    int         // bytes of wbuf taken
	sendUD  uint64      // in-flight send, 0 when none
	queued  uint64      // bytes accepted by Write since w was taken
	sent    uint64      // bytes taken by the kernel since w was taken
	flushes []flushWait // Flush callbacks in order of target
}

// flushWait is one Flush callback, due once sent reaches target.
type flushWait struct {
	target uint64
	fn     func(c *Conn, err error)
}

func (l *Loop) newConn(fd int) *Conn {
	l.nextID++
	c := &Conn{l: l, fd: int32(fd), id: l.nextID}
	l.conns.add(c)
	return c
}

// ID is the connection's number in its loop (1, 2, ...), for logs.
func (c *Conn) ID() uint64 { return c.id }

// Fd returns the socket descriptor, for socket options. Do not read, write or
// close it.
func (c *Conn) Fd() int { return int(c.fd) }

// Loop returns the connection's loop.
func (c *Conn) Loop() *Loop { return c.l }

// LocalAddr returns the local address (a getsockname call).
func (c *Conn) LocalAddr() net.Addr { a, _ := linux.LocalAddr(int(c.fd)); return a }

// RemoteAddr returns the peer address (a getpeername call).
func (c *Conn) RemoteAddr() net.Addr { a, _ := linux.PeerAddr(int(c.fd)); return a }

// OnData sets the function that gets received bytes. data is valid only
// during the call; fn returns how many leading bytes it consumed. Bytes that
// arrived while there was no OnData are offered in this loop turn.
func (c *Conn) OnData(fn func(c *Conn, data []byte) int) {
	c.onData = fn
	if c.Buffered() > 0 || c.eof {
		c.queueDelivery()
	}
}

// OnEOF sets the function called once the peer has closed its side of the
// connection (after every byte before it was offered to OnData). Without one
// the connection closes itself after flushing its output.
func (c *Conn) OnEOF(fn func(c *Conn)) { c.onEOF = fn }

// OnClose sets the function called exactly once when the connection has
// been closed; err is nil after Close, the cause otherwise.
func (c *Conn) OnClose(fn func(c *Conn, err error)) { c.onClose = fn }

// LimitInput bounds how many unconsumed bytes the connection buffers
// before reading pauses (rounded up to a power of two, at most
// Options.MaxInput); 0 restores Options.MaxInput. A reader streaming a
// large body sets a small bound, so the body waits in the kernel (TCP
// flow control) instead of in the loop's memory.
func (c *Conn) LimitInput(n int) {
	c.inShift = 0
	if n > 0 && n < c.l.opts.MaxInput {
		c.inShift = uint8(bits.Len(uint(n - 1)))
	}
	if c.inShift != 0 && c.recvMulti && c.recvUD != 0 && !c.cancelled {
		// A bounded connection reads with plain recvs (armRecv): the
		// multishot one makes way.
		c.cancelled = true
		c.l.cancel(int(c.fd), c.recvUD)
	}
	c.checkInputLimit()
}

// maxInput is the connection's input bound.
func (c *Conn) maxInput() int {
	if c.inShift != 0 {
		return 1 << c.inShift
	}
	return c.l.opts.MaxInput
}

// Buffered returns the number of received bytes not consumed yet.
func (c *Conn) Buffered() int { return len(c.in) - int(c.rpos) }

// Pending returns the number of written bytes the kernel has not taken yet.
func (c *Conn) Pending() int {
	if c.w == nil {
		return 0
	}
	return int(c.w.queued - c.w.sent)
}

// Closed reports whether Close or CloseNow was called.
func (c *Conn) Closed() bool { return c.closing }

// PauseRead stops offering input and, soon after, receiving it: unread bytes
// wait in the kernel, which applies TCP flow control to the peer.
func (c *Conn) PauseRead() {
	c.userPause = true
	c.updateRead()
}

// ResumeRead undoes PauseRead. Buffered input is offered to OnData again in
// this loop turn, even if no new bytes arrive.
func (c *Conn) ResumeRead() {
	c.userPause = false
	if c.Buffered() > 0 || c.eof {
		c.queueDelivery()
	}
	c.updateRead()
}

// Write queues p for sending. p is copied; it may be reused at once.
func (c *Conn) Write(p []byte) (int, error) { return queueOutput(c, p) }

// WriteString is Write for a string, without converting it first.
func (c *Conn) WriteString(s string) (int, error) { return queueOutput(c, s) }

// queueOutput copies p into the connection's output buffer.
func queueOutput[T []byte | string](c *Conn, p T) (int, error) {
	if c.closing || c.wclose {
		return 0, ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	w := c.takeOut()
	if w.out == nil {
		w.out = c.l.getBuf()
	}
	w.out = append(w.out, p...)
	w.queued += uint64(len(p))
	c.markDirty()
	return len(p), nil
}

// Flush calls fn once every byte written before it has been taken by the
// kernel (err nil), or the connection failed or closed first (err says why).
// fn runs exactly once, on the loop's thread, never inside Flush itself.
func (c *Conn) Flush(fn func(c *Conn, err error)) {
	w := c.takeOut()
	w.flushes = append(w.flushes, flushWait{target: w.queued, fn: fn})
	if c.closed || w.sent >= w.queued {
		c.flushDo = true
		c.queueDelivery()
	}
}

// CloseWrite shuts down the sending side once every written byte has been
// sent (a half-close). Reading goes on.
func (c *Conn) CloseWrite() {
	if c.closing || c.wclose {
		return
	}
	c.wclose = true
	c.maybeShutdown()
}

// Close closes the connection gracefully: reading stops, written bytes are
// sent, then the socket closes and OnClose runs with a nil error.
func (c *Conn) Close() {
	if c.closing {
		return
	}
	c.closing = true
	c.updateRead()
	c.maybeFinish()
}

// CloseNow closes the connection at once: unsent output is dropped, Flush
// callbacks get err (ErrClosed when nil), and OnClose runs with err.
func (c *Conn) CloseNow(err error) {
	if c.closed || (c.closing && c.abort) {
		return
	}
	c.closing = true
	c.abort = true
	if c.closeErr == nil {
		c.closeErr = err
	}
	c.updateRead()
	if c.w != nil && c.w.sendUD != 0 {
		c.l.cancel(int(c.fd), c.w.sendUD)
	}
	c.maybeFinish()
}

// fail ends the connection after an I/O error.
func (c *Conn) fail(syscall string, res int32) {
	c.CloseNow(os.NewSyscallError(syscall, unix.Errno(-res)))
}

func (c *Conn) markDirty() {
	if !c.dirty {
		c.dirty = true
		c.l.dirty = append(c.l.dirty, c)
	}
	if c.Pending() > c.l.opts.WriteHighWater && !c.outPause {
		c.outPause = true
		c.updateRead()
	}
}

// queueDelivery has deliverQueued run from the run queue in this turn,
// once however often it is asked for before.
func (c *Conn) queueDelivery() {
	if c.del == nil {
		c.del = c.l.takeTask()
		c.del.conn = c
		c.l.runq.push(c.del)
	}
}

// takeOut returns the write side, taking one from the loop's free list
// when the connection has none.
func (c *Conn) takeOut() *connOut {
	if c.w == nil {
		c.w = c.l.getOut()
	}
	return c.w
}

// putOut gives the write side back to the loop once it holds nothing: no
// output, no send in flight, no Flush waiting.
func (c *Conn) putOut() {
	w := c.w
	if w == nil || w.sendUD != 0 || w.queued != w.sent || len(w.flushes) != 0 || c.dirty {
		return
	}
	c.w = nil
	c.l.putBuf(w.out)
	c.l.putBuf(w.wbuf)
	c.l.putOutState(w)
}
