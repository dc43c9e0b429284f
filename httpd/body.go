package httpd

import "github.com/luring/luring/conf"

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
)

// continueLine is the interim response to "Expect: 100-continue".
const continueLine = "HTTP/1.1 100 Continue\r\n\r\n"

// ReadBody reads the whole request body into memory and calls cb with it
// (nil for a request without a body) or with an error (errClientClosed,
// ErrBodyTooLarge, ErrInvalidChunked, or a timeout *Error with status 408).
// The slice is valid until the request ends. cb runs on the loop's thread,
// never inside ReadBody: when the outcome is known at once (no body, the
// body already read, a read in progress, a closed connection) it comes
// from the loop's run queue on a later step of the turn.
//
// It answers "Expect: 100-continue" first. The body is held in memory up
// to client_max_body_size (nginx would spill what exceeds
// client_body_buffer_size to a temporary file; package reqsock replaces
// this reader). A body nobody reads is discarded after the response.
func (t *Txn) ReadBody(cb func(body []byte, err error)) {
	s := t.s
	switch t.bodyState {
	case bodyNone:
		t.bodyLater(cb, nil, nil)
		return
	case bodyDone:
		t.bodyLater(cb, s.reqBody, nil)
		return
	case bodyReading:
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
	if !t.expectOK && t.req.ExpectContinue(t.buf) {
		t.expectOK = true
		_, _ = s.c.WriteString(continueLine)
	}
	t.bodyState = bodyReading
	t.bodyCb = cb
	s.reqBody = s.reqBody[:0]
	s.state = stBody
	s.readTimeout(t.settings().ClientBodyTimeout)
	s.resume()
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

// readBody consumes body bytes for ReadBody and returns how many it took.
func (s *session) readBody(data []byte) int {
	t := &s.txn
	maxSize := t.settings().ClientMaxBodySize
	n := 0
	if t.req.Chunked() {
		for n < len(data) && !s.chunk.Done() {
			d, m, err := s.chunk.Next(data[n:])
			n += m
			if err != nil {
				t.bodyFailed(err)
				return n
			}
			if maxSize > 0 && s.chunk.Size() > maxSize {
				t.logf(conf.LogError, "client intended to send too large chunked body: %d+ bytes", s.chunk.Size())
				t.bodyFailed(ErrBodyTooLarge)
				return n
			}
			s.reqBody = append(s.reqBody, d...)
		}
		s.bodyN += int64(n)
		if !s.chunk.Done() {
			s.readTimeout(t.settings().ClientBodyTimeout)
			return n
		}
	} else {
		n = int(min(s.left, int64(len(data))))
		s.reqBody = append(s.reqBody, data[:n]...)
		s.left -= int64(n)
		s.bodyN += int64(n)
		if s.left > 0 {
			s.readTimeout(t.settings().ClientBodyTimeout)
			return n
		}
	}
	s.state = stBusy
	s.rto.Stop()
	t.bodyState = bodyDone
	cb := t.bodyCb
	t.bodyCb = nil
	if s.reqBody == nil {
		s.reqBody = []byte{}
	}
	cb(s.reqBody, nil)
	return n
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
