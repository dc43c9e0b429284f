package loop

import (
	"errors"
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
	fd         int    // owned; closed by the close operation
	id         uint64 // connection number in this loop, for logs
	prev, next *Conn  // links in l.conns

	onData  func(c *Conn, data []byte) int
	onEOF   func(c *Conn)
	onClose func(c *Conn, err error)

	// Ctx is free for the owner of the connection (an HTTP session, say).
	Ctx any

	// Read side.
	in        []byte // buffered input; in[rpos:] is unconsumed
	rpos      int    // consumed prefix of in
	recvUD    uint64 // in-flight recv operation, 0 when none
	recvMulti bool   // the in-flight recv is multishot
	userPause bool   // PauseRead was called
	fullPause bool   // paused because input reached MaxInput
	outPause  bool   // paused because output is over WriteHighWater
	eof       bool   // the peer closed its side (recv returned 0)
	readFn    func(c *Conn) // pull mode: the WaitRead callback, nil when none waits
	readDue   bool          // pull mode: readFn is to run in this turn's deliveries
	cancelled bool   // a cancel of recvUD is in flight
	del       Task   // queued deliveries (deliverQueued) in the loop's run queue

	// Write side.
	out     []byte      // written, not yet submitted
	wbuf    []byte      // submitted; wbuf[woff:] not yet taken by the kernel
	woff    int         // bytes of wbuf taken
	sendUD  uint64      // in-flight send, 0 when none
	queued  uint64      // bytes accepted by Write since the start
	sent    uint64      // bytes taken by the kernel since the start
	flushes []flushWait // Flush callbacks in order of target
	dirty   bool        // in l.dirty
	wclose  bool        // CloseWrite asked
	shutUD  uint64      // in-flight shutdown, 0 when none
	shut    bool        // write side shut down
	flushDo bool        // satisfied flushes are due in this turn's deliveries

	// Close.
	closing  bool   // Close or CloseNow was called
	abort    bool   // CloseNow: drop output
	closeUD  uint64 // in-flight close, 0 when none
	closed   bool   // fd closed and OnClose ran
	closeErr error  // why the connection ended (nil for a clean close)
}

// flushWait is one Flush callback, due once sent reaches target.
type flushWait struct {
	target uint64
	fn     func(c *Conn, err error)
}

func (l *Loop) newConn(fd int) *Conn {
	l.nextID++
	c := &Conn{l: l, fd: fd, id: l.nextID}
	c.del.conn = c
	l.conns.add(c)
	return c
}

// ID is the connection's number in its loop (1, 2, ...), for logs.
func (c *Conn) ID() uint64 { return c.id }

// Fd returns the socket descriptor, for socket options. Do not read, write or
// close it.
func (c *Conn) Fd() int { return c.fd }

// Loop returns the connection's loop.
func (c *Conn) Loop() *Loop { return c.l }

// LocalAddr returns the local address (a getsockname call).
func (c *Conn) LocalAddr() net.Addr { a, _ := linux.LocalAddr(c.fd); return a }

// RemoteAddr returns the peer address (a getpeername call).
func (c *Conn) RemoteAddr() net.Addr { a, _ := linux.PeerAddr(c.fd); return a }

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

// Buffered returns the number of received bytes not consumed yet.
func (c *Conn) Buffered() int { return len(c.in) - c.rpos }

// Pending returns the number of written bytes the kernel has not taken yet.
func (c *Conn) Pending() int { return int(c.queued - c.sent) }

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
	if c.out == nil {
		c.out = c.l.getBuf()
	}
	c.out = append(c.out, p...)
	c.queued += uint64(len(p))
	c.markDirty()
	return len(p), nil
}

// Flush calls fn once every byte written before it has been taken by the
// kernel (err nil), or the connection failed or closed first (err says why).
// fn runs exactly once, on the loop's thread, never inside Flush itself.
func (c *Conn) Flush(fn func(c *Conn, err error)) {
	c.flushes = append(c.flushes, flushWait{target: c.queued, fn: fn})
	if c.closed {
		c.flushDo = true
		c.queueDelivery()
		return
	}
	if c.sent >= c.queued {
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
	if c.sendUD != 0 {
		c.l.cancel(c.fd, c.sendUD)
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

func (c *Conn) queueDelivery() { c.l.Schedule(&c.del) }
