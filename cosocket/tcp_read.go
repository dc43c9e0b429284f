package cosocket

import (
	"bytes"
	"errors"
	"io"

	"github.com/luring/luring/loop"
)

// ReadMode says what a receive waits for.
type ReadMode uint8

// Read modes, as receive's argument names them.
const (
	ReadLine  ReadMode = iota // "*l": up to "\n", every "\r" of the line dropped
	ReadAll                   // "*a": until the peer closes; the end is not an error
	ReadN                     // a number: exactly N bytes
	ReadAny                   // receiveany(max): what is there, at most N bytes
	ReadUntil                 // receiveuntil's iterator: up to a pattern (Until)
)

// Read is one receive request.
type Read struct {
	Mode ReadMode
	// N is the byte count of ReadN, the maximum of ReadAny, and the chunk
	// size of ReadUntil (0: the whole part up to the pattern).
	N int
	// Until is ReadUntil's iterator state.
	Until *Matcher
}

// Result is what a receive returns: Data, or Err with Partial, the bytes
// consumed before the error. Data and Partial alias the socket's buffer
// (or scratch space): when Receive returns them they are valid until the
// next call on the socket; in OnRead, during the call only. EndOfPart is
// receiveuntil's end-of-part marker (Lua: nil, nil, nil).
type Result struct {
	Data      []byte
	Err       error
	Partial   []byte
	EndOfPart bool
}

// Receive reads as r says. When the bytes are there (or the stream ended)
// it returns the result and true, without a loop turn. Otherwise it starts
// a wait bounded by ReadTimeout and returns false: the result comes
// through OnRead. Errors: ErrClosed (not connected, the read half closed,
// or the peer closed before the bytes came), ErrBusy*, ErrTimeout (the
// socket stays usable), a connection error (the read half closes).
func (s *TCP) Receive(r Read) (Result, bool) {
	s.settle()
	if s.c == nil || s.readClosed {
		return Result{Err: ErrClosed}, true
	}
	if s.connecting {
		return Result{Err: ErrBusyConnecting}, true
	}
	if s.reading {
		return Result{Err: ErrBusyReading}, true
	}
	if r.Mode == ReadN && r.N == 0 {
		return Result{Data: []byte{}}, true
	}
	if r.Mode == ReadUntil && r.Until.Begin(r.N) {
		return Result{EndOfPart: true}, true
	}
	s.readTimed = false
	if res, ok := s.try(r); ok {
		return res, true
	}
	s.rd = r
	s.reading = true
	if s.ReadTimeout > 0 {
		if s.rdTimer == nil {
			s.rdTimer = s.w.l.NewTimer(s.timeoutFn)
		}
		s.rdTimer.Reset(s.ReadTimeout)
	}
	s.src.WaitRead(s.readFn)
	return Result{}, false
}

// CancelRead abandons a receive that waits; OnRead will not run.
func (s *TCP) CancelRead() {
	if !s.reading {
		return
	}
	s.reading = false
	if s.rdTimer != nil {
		s.rdTimer.Stop()
	}
	if s.src != nil {
		s.src.CancelRead()
	}
}

// settle discards the bytes of the last result handed out.
func (s *TCP) settle() {
	if s.consume > 0 {
		n := s.consume
		s.consume = 0
		if s.c != nil {
			s.src.Discard(n)
		}
	}
}

// onMore runs when more bytes came (or the stream ended) during a wait.
func (s *TCP) onMore(c *loop.Conn) {
	if !s.reading || c != s.c {
		return
	}
	res, ok := s.try(s.rd)
	if !ok {
		s.src.WaitRead(s.readFn)
		return
	}
	s.finishRead(res)
}

// finishRead ends a wait with res.
func (s *TCP) finishRead(res Result) {
	s.reading = false
	if s.rdTimer != nil {
		s.rdTimer.Stop()
	}
	s.OnRead(res)
	s.settle()
}

// onReadTimeout: the read timeout expired; what was read so far is the
// partial result, consumed, and the socket stays usable.
func (s *TCP) onReadTimeout() {
	if !s.reading || s.c == nil {
		return
	}
	s.src.CancelRead()
	s.readTimed = true
	res := s.partial(s.rd, ErrTimeout)
	s.finishRead(res)
}

// try answers r from the buffer when it can.
func (s *TCP) try(r Read) (Result, bool) {
	src := s.src
	data := src.Peek()
	end := src.Err() // no more bytes will come when set
	switch r.Mode {
	case ReadLine:
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			s.consume = i + 1
			return Result{Data: s.stripCR(data[:i])}, true
		}
	case ReadN:
		if len(data) >= r.N {
			s.consume = r.N
			return Result{Data: data[:r.N]}, true
		}
	case ReadAll:
		if end != nil && errors.Is(end, io.EOF) {
			s.consume = len(data)
			return Result{Data: data}, true
		}
	case ReadAny:
		if len(data) > 0 {
			n := min(len(data), r.N)
			s.consume = n
			return Result{Data: data[:n]}, true
		}
	case ReadUntil:
		if res, ok := s.tryUntil(r, data); ok {
			return res, true
		}
	}
	if end == nil {
		return Result{}, false
	}
	s.readClosed = true
	return s.partial(r, endError(end)), true
}

// partial is the error result of r: the bytes read so far are consumed
// and returned with err.
func (s *TCP) partial(r Read, err error) Result {
	data := s.src.Peek()
	switch r.Mode {
	case ReadAny:
		data = data[:0]
	case ReadLine:
		data = s.stripCR(data)
	case ReadUntil:
		return s.untilPartial(r, err)
	}
	s.consume = len(s.src.Peek())
	if r.Mode == ReadAny {
		s.consume = 0
	}
	return Result{Err: err, Partial: data}
}

// endError is the error a read gets once the stream ended: ErrClosed for
// the peer's close, the connection's failure otherwise.
func endError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, loop.ErrClosed) {
		return ErrClosed
	}
	return err
}

// stripCR returns line without its "\r" bytes (ngx_lua drops every one of
// a *l line), copying only when there is one.
func (s *TCP) stripCR(line []byte) []byte {
	if bytes.IndexByte(line, '\r') < 0 {
		return line
	}
	out := s.scratch[:0]
	for _, b := range line {
		if b != '\r' {
			out = append(out, b)
		}
	}
	s.scratch = out
	return out
}
