package cosocket

import (
	"errors"
	"io"

	"github.com/luring/luring/loop"
)

// sendAhead is how many written bytes a send may leave to the loop before
// it waits for the kernel to take them: within it a send returns at once,
// as a write into a socket buffer with room does (the loop submits the
// bytes at the end of the turn). Beyond it the send waits, bounded by
// SendTimeout, so a slow peer holds the sender back.
const sendAhead = 64 << 10

// BeginSend checks that a send may start: ErrClosed when not connected or
// the write half was closed by an earlier error, ErrBusyConnecting or
// ErrBusyWriting when another coroutine waits. After it, write the payload
// with Write and WriteString, then call EndSend.
func (s *TCP) BeginSend() error {
	s.settle()
	switch {
	case s.c == nil || s.writeClosed:
		return ErrClosed
	case s.connecting:
		return ErrBusyConnecting
	case s.writing:
		return ErrBusyWriting
	}
	if err := s.c.Err(); err != nil && !errors.Is(err, io.EOF) {
		// The connection failed since the last call: the send reports it
		// and the write half closes.
		s.writeClosed = true
		return endError(err)
	}
	return nil
}

// Write appends p to the payload of the send begun with BeginSend (p is
// copied once, into the connection's send buffer).
func (s *TCP) Write(p []byte) { _, _ = s.c.Write(p) }

// WriteString is Write for a string.
func (s *TCP) WriteString(p string) { _, _ = s.c.WriteString(p) }

// EndSend finishes the send begun with BeginSend. It returns (nil, false)
// when the bytes may be left to the loop, or (nil, true) when the send
// waits for the kernel to take them, at most SendTimeout: the result comes
// through OnWrite. Any send error closes the write half; the read half
// stays usable.
func (s *TCP) EndSend() (err error, pending bool) {
	c := s.c
	if c.Closed() {
		s.writeClosed = true
		return endError(c.Err()), false
	}
	s.writeTimed = false
	if c.Pending() <= sendAhead {
		return nil, false
	}
	s.writing = true
	if s.SendTimeout > 0 {
		if s.wrTimer == nil {
			s.wrTimer = s.w.l.NewTimer(s.onSendTimeout)
		}
		s.wrTimer.Reset(s.SendTimeout)
	}
	c.Flush(s.flushedFn)
	return nil, true
}

// CancelWrite abandons a send that waits; OnWrite will not run. The bytes
// already written stay queued on the connection.
func (s *TCP) CancelWrite() {
	if !s.writing {
		return
	}
	s.writing = false
	if s.wrTimer != nil {
		s.wrTimer.Stop()
	}
}

// onFlushed: the kernel took the bytes written before a waiting send's
// Flush, or the connection failed.
func (s *TCP) onFlushed(c *loop.Conn, err error) {
	if !s.writing || c != s.c {
		return
	}
	s.writing = false
	if s.wrTimer != nil {
		s.wrTimer.Stop()
	}
	if err != nil {
		s.writeClosed = true
		err = endError(err)
	}
	s.OnWrite(err)
}

// onSendTimeout: a waiting send did not drain in SendTimeout.
func (s *TCP) onSendTimeout() {
	if !s.writing {
		return
	}
	s.writing = false
	s.writeClosed = true
	s.writeTimed = true
	s.OnWrite(ErrTimeout)
}
