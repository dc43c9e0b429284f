package httpd

import (
	"errors"
	"io"

	"github.com/luring/luring/conf"
)

// Errors ReadBody passes to its callback. They are *Error values naming
// the status nginx finalizes the request with; after any of them the
// connection closes after the response.
var (
	// ErrBodyTooLarge: a chunked body grew past client_max_body_size.
	ErrBodyTooLarge = &Error{413, "client intended to send too large chunked body"}
	// errBodyTimeout: client_body_timeout expired between two reads
	// (nginx closes without a response).
	errBodyTimeout = &Error{StatusRequestTimeout, "client timed out"}
	// ErrBodyBusy: ReadBody was called while a read is in progress.
	ErrBodyBusy = &Error{500, "request body is being read"}
	// errBodyWrite: the temp file of a spilled body could not be written.
	errBodyWrite = &Error{500, "failed to write the request body to a temp file"}
)

// Hijack's refusals, in ngx_lua's words.
var (
	ErrHijackPending  = errors.New("pending data to write")
	ErrHijackTwice    = errors.New("duplicate call")
	ErrHijackBodyBusy = errors.New("pending request body reading in some other thread")
)

// Request body states of a Txn.
const (
	bodyNone    uint8 = iota // the request has no body
	bodyUnread               // a body follows, nobody read it yet
	bodyReading              // ReadBody is reading it
	bodyDone                 // read (or streamed, or replaced) completely
	bodyBroken               // reading failed; the connection must close
	bodyStream               // the request socket streams it
	bodyDiscard              // DiscardBody: dropped after the response
	bodyRaw                  // the connection was hijacked
)

// BodyState is what became of a request's body, as the Lua API asks it.
type BodyState uint8

// Body states.
const (
	BodyAbsent    BodyState = iota // no body and nothing installed
	BodyUnread                     // a body follows; nobody read it
	BodyReading                    // ReadBody or the request socket is reading it
	BodyStored                     // read whole (or installed): RequestBody has it
	BodyStreamed                   // consumed through the request socket: nothing kept
	BodyDiscarded                  // DiscardBody was called
	BodyFailed                     // reading failed
)

// continueLine is the interim response to "Expect: 100-continue".
const continueLine = "HTTP/1.1 100 Continue\r\n\r\n"

// BodyState reports the body's state.
func (t *Txn) BodyState() BodyState {
	switch t.bodyState {
	case bodyUnread:
		return BodyUnread
	case bodyReading, bodyStream:
		return BodyReading
	case bodyDone:
		if t.s.store.kept {
			return BodyStored
		}
		return BodyStreamed
	case bodyBroken:
		return BodyFailed
	case bodyDiscard:
		return BodyDiscarded
	case bodyRaw:
		return BodyStreamed
	}
	if t.s.store.kept {
		return BodyStored
	}
	return BodyAbsent
}

// expectContinue answers "Expect: 100-continue" once, when the body is
// first asked for.
func (t *Txn) expectContinue() {
	if !t.expectOK && t.req.ExpectContinue(t.buf) {
		t.expectOK = true
		_, _ = t.s.c.WriteString(continueLine)
	}
}

// ReadBody reads the whole request body and calls cb with it: the bytes
// when it is kept in memory, nil when it went to a temp file (BodyFile)
// or there is none; or with an error (errClientClosed, ErrBodyTooLarge,
// ErrInvalidChunked, a timeout *Error with status 408). The slice is valid
// until the request ends. cb runs on the loop's thread, never inside
// ReadBody: when the outcome is known at once (no body, the body already
// read, a read in progress, a closed connection) it comes from the loop's
// run queue on a later step of the turn. cb may be nil for a request
// without a body: ReadBody then only records an empty body.
//
// It answers "Expect: 100-continue" first. A body that does not fit
// client_body_buffer_size (nginx's rule: more than a quarter over it
// beyond what came with the head), or any body with
// client_body_in_file_only, is written to a temp file under
// client_body_temp_path: a blocking write on the loop's thread, the
// documented exception (docs/architecture.md). A body nobody reads is
// discarded after the response.
func (t *Txn) ReadBody(cb func(body []byte, err error)) {
	s := t.s
	switch t.bodyState {
	case bodyNone:
		s.store.kept = true // an empty body record, as ngx_lua's read_body makes one
		if cb != nil {
			t.bodyLater(cb, s.store.data(), nil)
		}
		return
	case bodyDiscard, bodyRaw, bodyDone:
		t.bodyLater(cb, s.store.data(), nil)
		return
	case bodyReading, bodyStream:
		t.bodyLater(cb, nil, ErrBodyBusy)
		return
	case bodyBroken:
		t.bodyLater(cb, nil, errClientClosed)
		return
	}
	if s.c == nil {
		t.bodyLater(cb, nil, errClientClosed)
		return
	}
	t.expectContinue()
	t.bodyState = bodyReading
	t.bodyCb = cb
	st := t.settings()
	limit := int64(-1) // memory
	switch {
	case st.ClientBodyInFile != conf.BodyFileOff:
		limit = 0
	case s.chunked:
		limit = st.ClientBodyBufferSize
	case s.left > s.preread && s.left-s.preread >= st.ClientBodyBufferSize+st.ClientBodyBufferSize>>2:
		limit = st.ClientBodyBufferSize
	}
	s.store.reset(limit, st.ClientBodyInFile == conf.BodyFileOn)
	s.store.kept = true
	if limit < 0 && !s.chunked && int64(cap(s.store.mem)) < s.left {
		// A body kept in memory has its length known: one buffer of it, not
		// a doubling series (a pooled request state keeps at most 64 KiB).
		s.store.mem = make([]byte, 0, s.left)
	}
	s.state = stBody
	s.br.begin(false)
	s.lst.srv.l.Schedule(&s.pumpTask)
}

// pump moves body bytes from the reader to the store until the body is
// complete or the reader has to wait.
func (s *session) pump() {
	t := &s.txn
	if t.bodyState != bodyReading || s.state != stBody {
		return
	}
	b := &s.br
	for {
		data := b.Peek()
		if len(data) > 0 {
			if err := s.store.write(t, data); err != nil {
				t.bodyFailed(errBodyWrite)
				return
			}
			b.Discard(len(data))
			continue
		}
		if b.Complete() {
			break
		}
		switch err := b.Err(); {
		case err == nil:
			s.readTimeout(t.settings().ClientBodyTimeout)
			b.WaitRead(s.pumpFn)
			return
		case errors.Is(err, io.EOF):
			continue // the rest is buffered: Peek has it
		case err == ErrClientAborted:
			s.lst.srv.logf(conf.LogInfo, s.id, "client prematurely closed connection while reading client request body")
			t.bodyFailed(errClientClosed)
			if s.state != stClosed && s.c != nil && t.active {
				s.abort(StatusClientClosedRequest)
			}
			return
		default:
			t.bodyFailed(err)
			return
		}
	}
	if err := s.store.finish(); err != nil {
		t.bodyFailed(errBodyWrite)
		return
	}
	s.push()
	s.state = stBusy
	s.rto.Stop()
	t.bodyState = bodyDone
	cb := t.bodyCb
	t.bodyCb = nil
	body := s.store.data()
	if body == nil && !s.store.inFile() {
		body = []byte{}
	}
	if cb != nil {
		cb(body, nil)
	}
}

// bodyLater delivers a ReadBody outcome known at once from the run queue.
// The work's task carries one outcome; a second one while it waits (two
// light threads reading at once) takes a closure.
func (t *Txn) bodyLater(cb func(body []byte, err error), body []byte, err error) {
	w := t.s.work
	if w.bodyNow.cb != nil {
		t.s.lst.srv.l.Soon(func() { cb(body, err) })
		return
	}
	w.bodyNow.cb, w.bodyNow.body, w.bodyNow.err = cb, body, err
	t.s.lst.srv.l.Schedule(&w.bodyNow.task)
}

// bodyNowRun is the work's bodyNow task: it delivers the outcome it holds,
// unless the request ended meanwhile.
func (w *work) bodyNowRun() {
	b := &w.bodyNow
	cb, body, err := b.cb, b.body, b.err
	b.cb, b.body, b.err = nil, nil, nil
	if cb != nil && w.txn.active {
		cb(body, err)
	}
}

// bodyFailed ends a body read with err: the connection cannot be reused.
func (t *Txn) bodyFailed(err error) {
	s := t.s
	if s.state == stBody {
		s.state = stBusy
	}
	s.rto.Stop()
	t.bodyState = bodyBroken
	t.linger = true
	s.push()
	cb := t.bodyCb
	t.bodyCb = nil
	if e, ok := err.(*Error); ok && e.Status == StatusRequestTimeout {
		// nginx terminates the request without a response.
		if cb != nil {
			cb(nil, err)
		}
		if t.active {
			s.abort(StatusRequestTimeout)
		}
		return
	}
	if cb != nil {
		cb(nil, err)
	}
}

// BodyReader hands the body to a streaming reader (ngx.req.socket()): it
// answers "Expect: 100-continue", and the reader serves the bytes that came
// with the head first, then the connection's, up to the end of the body.
// Errors: ErrNoBody, ErrBodyExists, ErrBodyDiscarded, ErrClientAborted
// (the connection is gone).
func (t *Txn) BodyReader() (*BodyReader, error) {
	s := t.s
	switch t.bodyState {
	case bodyUnread:
	case bodyDiscard:
		return nil, ErrBodyDiscarded
	case bodyNone:
		if s.store.kept {
			return nil, ErrBodyExists
		}
		return nil, ErrNoBody
	default:
		return nil, ErrBodyExists
	}
	if s.c == nil {
		return nil, ErrClientAborted
	}
	t.expectContinue()
	t.bodyState = bodyStream
	s.state = stStream
	s.rto.Stop()
	s.br.begin(false)
	return &s.br, nil
}

// Hijack hands the client connection over (ngx.req.socket(true)): the
// reader returned gives every byte the session has not consumed (its Conn
// is in pull mode) (the unread body, and anything the client sent after
// it), the response counts as sent (nothing more is written by httpd),
// and the connection closes after the request. Errors: ErrHijackTwice,
// ErrHijackBodyBusy (a body read is under way), ErrHijackPending (response
// bytes not yet taken by the kernel: flush them first), ErrClientAborted.
func (t *Txn) Hijack() (*BodyReader, error) {
	s := t.s
	switch {
	case t.hijacked:
		return nil, ErrHijackTwice
	case t.bodyState == bodyReading || t.bodyState == bodyStream && !s.br.Complete():
		return nil, ErrHijackBodyBusy
	case s.c == nil:
		return nil, ErrClientAborted
	case len(s.body) > 0 || s.c.Pending() > 0 || t.committed && !t.onWire:
		return nil, ErrHijackPending
	}
	t.hijacked = true
	if t.bodyState == bodyUnread || t.bodyState == bodyStream || t.bodyState == bodyDiscard {
		t.bodyState = bodyRaw
	}
	// The response counts as sent; its status stays what the handler set
	// (none: the access log says 000, as nginx's does).
	t.committed = true
	t.onWire, t.finished = true, true
	t.linger = true
	t.keepalive = false
	s.state = stStream
	s.rto.Stop()
	s.br.begin(true)
	return &s.br, nil
}

// Hijacked reports whether Hijack handed the connection over.
func (t *Txn) Hijacked() bool { return t.hijacked }

// DiscardBody drops the body (ngx.req.discard_body): nobody reads it
// from now on, and it is discarded after the response so the connection
// stays in step.
func (t *Txn) DiscardBody() {
	if t.bodyState == bodyUnread {
		t.bodyState = bodyDiscard
	}
}
