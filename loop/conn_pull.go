package loop

import (
	"io"

	"golang.org/x/sys/unix"
)

// Pull reading: a connection without an OnData function is read by the code
// that owns it (a cosocket, a request-body reader) instead of being offered
// its bytes. Reading stays armed as for a push connection, so bytes arrive in
// the Conn's buffer whether or not someone waits for them, and a peer's close
// or reset is noticed even on an idle connection. Up to Options.MaxInput
// bytes are buffered without a reader; a reader that waits for more lifts the
// limit, because it asked for it.
//
// The reader answers from the buffer when it can (no loop turn, no callback)
// and waits otherwise:
//
//	data := c.Peek()
//	if i := bytes.IndexByte(data, '\n'); i >= 0 {
//		line := string(data[:i]) // the one copy
//		c.Discard(i + 1)
//		return line
//	}
//	c.WaitRead(onMore) // onMore looks again
//
// Peek's slice aliases the Conn's own buffer. It is valid until the next
// Discard on the connection, or until control returns to the loop (new bytes
// may move the buffer), whichever comes first; copy what must outlive that.

// Peek returns the received bytes not consumed yet (empty when none). See the
// validity rule above.
func (c *Conn) Peek() []byte { return c.in[c.rpos:] }

// Discard consumes the first n buffered bytes (n <= Buffered(); more is
// clamped). It invalidates earlier Peek slices.
func (c *Conn) Discard(n int) {
	n = min(max(n, 0), c.Buffered())
	c.rpos += int32(n)
	if int(c.rpos) == len(c.in) && c.in != nil {
		c.releaseInput()
	}
	c.checkInputLimit()
}

// WaitRead calls fn once more bytes have been buffered, the peer closed its
// side (EOF reports it), or the connection closed (Err reports why). fn runs
// on the loop's thread, never inside WaitRead: when one of those already
// holds, it comes from the run queue in this turn. One wait at a time: a
// second WaitRead replaces the first one's fn. Only for a connection without
// OnData.
func (c *Conn) WaitRead(fn func(c *Conn)) {
	c.readFn = fn
	if c.eof || c.closed || c.closing {
		c.readDue = true
		c.queueDelivery()
		return
	}
	c.updateRead()
}

// CancelRead drops the pending WaitRead: its fn will not run. The bytes
// stay buffered; reading goes on as for any connection.
func (c *Conn) CancelRead() {
	c.readFn = nil
	c.readDue = false
	c.updateRead() // the MaxInput pause applies again
}

// PendingInput reports what this turn's completions that the loop has not
// delivered yet hold for the connection's reads: bytes (data), the peer's
// close or a failure (closed). A caller deciding whether an idle
// connection can be handed out (a cosocket's setkeepalive) asks this,
// since what arrived in the same batch as the bytes it just consumed is
// only delivered after it returns. It scans the rest of the batch; outside
// a batch (tasks, timers) it reports nothing.
func (c *Conn) PendingInput() (data, closed bool) {
	if c.recvUD == 0 {
		return false, false
	}
	for _, cqe := range c.l.cqes[c.l.next:] {
		if cqe.UserData != c.recvUD {
			continue
		}
		switch errno := unix.Errno(-cqe.Res); {
		case cqe.Res > 0:
			data = true
		case errno == unix.ENOBUFS, errno == unix.ECANCELED, errno == unix.EAGAIN, errno == unix.EINTR:
			// no buffer, a cancel, a retry: nothing arrived
		default:
			closed = true // 0 is the peer's FIN
		}
	}
	return data, closed
}

// Reading reports whether a WaitRead is pending.
func (c *Conn) Reading() bool { return c.readFn != nil }

// EOF reports whether the peer closed its side of the connection. Bytes
// received before it may still be buffered.
func (c *Conn) EOF() bool { return c.eof }

// Err reports why the connection cannot deliver more bytes: nil while it
// can, io.EOF once the peer closed its side, the failure (or ErrClosed) once
// the connection is closing or closed.
func (c *Conn) Err() error {
	switch {
	case c.closing || c.closed:
		return c.closeErrOr()
	case c.eof:
		return io.EOF
	}
	return nil
}

// wakeReader runs the pending WaitRead callback.
func (c *Conn) wakeReader() {
	fn := c.readFn
	if fn == nil {
		return
	}
	c.readFn = nil
	c.readDue = false
	fn(c)
	if c.readFn == nil && c.fullPause && !c.closed {
		c.updateRead() // nobody waits now: the MaxInput pause applies again
	}
}
