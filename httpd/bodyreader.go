package httpd

import (
	"errors"
	"io"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/loop"
)

// The request body on the wire, read pull style. One reader serves every
// consumer of a body: ReadBody (ngx.req.read_body, lua_need_request_body,
// echo_read_request_body, the proxy), the streaming request socket
// (ngx.req.socket(), package reqsock) and the discard after the response.
// Its position is the session's (left, chunk), so whoever stops reading
// half-way leaves the rest to the discard and the connection stays in step.
//
// While a body is read this way the client's Conn is in pull mode (no
// OnData); the bytes that came with the head are simply the first bytes of
// the Conn's buffer, served from where the parser left them. Once the body
// is complete the Conn goes back to the session, which finds a pipelined
// request right behind the body, untouched.

// Errors of a body read (BodyReader.Err). Their texts are what
// ngx.req.socket() returns to Lua.
var (
	// ErrClientAborted: the client closed before the body was complete.
	ErrClientAborted = errors.New("client aborted")
	// ErrNoBody: the request has no body to stream (no Content-Length, or
	// 0, and not chunked).
	ErrNoBody = errors.New("no body")
	// ErrBodyExists: the body is read (or being read) already.
	ErrBodyExists = errors.New("request body already exists")
	// ErrBodyDiscarded: DiscardBody was called.
	ErrBodyDiscarded = errors.New("request body discarded")
)

// BodyReader is the current request's body as a cosocket.Source: Peek
// returns body bytes only (the Content-Length's worth of the Conn's buffer,
// or decoded chunk data), Err is io.EOF once all of the body is buffered,
// ErrClientAborted when the client went away before, or a framing error.
type BodyReader struct {
	s      *session
	c      *loop.Conn         // the connection the read began on
	fn     func(c *loop.Conn) // the pending WaitRead's callback
	task   loop.Task          // delivers a wait whose answer is known
	connFn func(c *loop.Conn) // onConn, bound once
	dec    []byte             // chunked: decoded data; dec[doff:] unconsumed
	doff   int
	err    error // a framing error or an oversized chunked body, for good
	// raw: the reader is the hijacked connection's input, every byte of
	// it, with no body framing or limit.
	raw bool
}

func (b *BodyReader) init() {
	b.connFn = b.onConn
	b.task.Init(b.due)
}

// begin starts a read on the session's connection (its Conn goes to pull
// mode).
func (b *BodyReader) begin(raw bool) {
	s := b.s
	b.c, b.fn, b.err, b.raw = s.c, nil, nil, raw
	b.dec, b.doff = b.dec[:0], 0
	s.pull()
}

// settled reports whether the reader may look at the Conn's input: not
// while the session's OnData runs (a handler that took the body or the
// connection inside it), since the head being parsed is still in front of
// the body then, or the bytes are not in the Conn's buffer yet.
func (b *BodyReader) settled() bool {
	s := b.s
	return !s.inData && s.c != nil && b.c == s.c
}

// Peek returns the body bytes buffered and not consumed yet.
func (b *BodyReader) Peek() []byte {
	s := b.s
	if !b.settled() {
		return nil
	}
	if b.raw {
		return s.c.Peek()
	}
	if s.chunked {
		b.decode()
		return b.dec[b.doff:]
	}
	data := s.c.Peek()
	if int64(len(data)) > s.left {
		data = data[:s.left]
	}
	if data == nil {
		data = noBytes // the body's end is an empty partial result, not none
	}
	return data
}

var noBytes = []byte{}

// decode moves the chunk data of the Conn's buffer into dec (chunked
// bodies are the one case of a copy: their framing sits between the data).
func (b *BodyReader) decode() {
	s := b.s
	if b.err != nil || s.chunk.Done() {
		return
	}
	raw := s.c.Peek()
	if len(raw) == 0 {
		return
	}
	if b.doff == len(b.dec) {
		b.dec, b.doff = b.dec[:0], 0
	}
	maxSize := s.txn.settings().ClientMaxBodySize
	n := 0
	for n < len(raw) && !s.chunk.Done() {
		d, m, err := s.chunk.Next(raw[n:])
		n += m
		if err != nil {
			b.err = err
			break
		}
		if maxSize > 0 && s.chunk.Size() > maxSize {
			s.txn.logf(conf.LogError, "client intended to send too large chunked body: %d+ bytes", s.chunk.Size())
			b.err = ErrBodyTooLarge
			break
		}
		b.dec = append(b.dec, d...)
	}
	s.c.Discard(n)
	s.bodyN += int64(n)
}

// Discard consumes n body bytes.
func (b *BodyReader) Discard(n int) {
	s := b.s
	if !b.settled() || n <= 0 {
		return
	}
	if b.raw {
		s.c.Discard(n)
		return
	}
	if s.chunked {
		b.doff = min(b.doff+n, len(b.dec))
		if s.chunk.Done() && b.doff == len(b.dec) {
			b.s.bodyComplete()
		}
		return
	}
	n = int(min(int64(n), s.left, int64(s.c.Buffered())))
	s.c.Discard(n)
	s.left -= int64(n)
	s.bodyN += int64(n)
	if s.left == 0 {
		s.bodyComplete()
	}
}

// Complete reports whether every body byte has been consumed.
func (b *BodyReader) Complete() bool {
	s := b.s
	if b.raw {
		return false
	}
	if s.chunked {
		return s.chunk.Done() && b.doff == len(b.dec)
	}
	return s.left == 0
}

// Err reports why no more body bytes than those buffered will come: io.EOF
// once all of the body is buffered, ErrClientAborted when the client closed
// before, a chunked framing error or ErrBodyTooLarge. nil while more may
// come.
func (b *BodyReader) Err() error {
	s := b.s
	if b.err != nil {
		return b.err
	}
	if s.c == nil || b.c != s.c {
		return ErrClientAborted
	}
	if s.inData {
		return nil
	}
	if b.raw {
		return s.c.Err()
	}
	if s.chunked {
		b.decode()
		if b.err != nil {
			return b.err
		}
		if s.chunk.Done() {
			return io.EOF
		}
	} else if int64(s.c.Buffered()) >= s.left {
		return io.EOF
	}
	if s.c.Err() != nil {
		return ErrClientAborted
	}
	return nil
}

// WaitRead calls fn once more body bytes are buffered or the body cannot
// grow any more (Err). Never inside WaitRead.
func (b *BodyReader) WaitRead(fn func(c *loop.Conn)) {
	b.fn = fn
	if b.s.inData || b.Err() != nil {
		b.s.lst.srv.l.Schedule(&b.task)
		return
	}
	b.s.c.WaitRead(b.connFn)
}

// CancelRead drops the pending WaitRead.
func (b *BodyReader) CancelRead() {
	b.fn = nil
	if s := b.s; s.c != nil && b.c == s.c && s.pulling {
		s.c.CancelRead()
	}
}

func (b *BodyReader) onConn(c *loop.Conn) {
	if fn := b.fn; fn != nil {
		b.fn = nil
		fn(b.c)
	}
}

func (b *BodyReader) due() {
	if fn := b.fn; fn != nil {
		b.fn = nil
		fn(b.c)
	}
}

// pullInput bounds what the client connection buffers while a body reader
// or a hijacker reads it: a large body streams through a window this size
// and otherwise waits in the kernel, as nginx reads a body through its
// buffer. Measured on the body-stream workload (1 MiB bodies, 256
// connections): with the loop's 1 MiB default each connection's buffer
// grew to the whole body and the server's RSS to 1.8 GiB.
const pullInput = 64 << 10

// pull hands the connection's input to the body reader (or a raw socket).
func (s *session) pull() {
	if s.c != nil && !s.pulling {
		s.pulling = true
		s.c.OnData(nil)
		s.c.LimitInput(pullInput)
	}
}

// push gives the connection's input back to the session.
func (s *session) push() {
	if !s.pulling {
		return
	}
	s.pulling = false
	if s.c != nil {
		s.c.CancelRead()
		s.c.LimitInput(0)
		s.c.OnData(sessionData)
	}
}

// bodyComplete: the last body byte was consumed through the reader.
func (s *session) bodyComplete() {
	t := &s.txn
	if t.bodyState == bodyStream {
		t.bodyState = bodyDone
		s.state = stBusy
	}
	if t.bodyState != bodyRaw {
		s.push()
	}
}

// Conn is the client connection the reader reads from.
func (b *BodyReader) Conn() *loop.Conn { return b.c }

// CountSent adds n bytes a raw request socket sent to the request's
// $body_bytes_sent and $bytes_sent, as nginx counts them.
func (b *BodyReader) CountSent(n int) {
	if t := &b.s.txn; b.raw && t.active {
		t.bodySent += int64(n)
		t.bytesSent += int64(n)
	}
}
