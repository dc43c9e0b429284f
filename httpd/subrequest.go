package httpd

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/luring/luring/conf"
)

// Subrequests (ngx.location.capture and capture_multi): an internal
// request through the same phase engine (rewrite, access, content,
// header filters) whose response is kept in memory instead of going to
// the client.
//
// A subrequest runs on a shadow session: a session of its own, with its
// own request state (work: parser, Txn, buffers, the echo and proxy
// handlers' bound callbacks and timers), that shares the client
// connection's identity (its Conn for addresses and liveness, its number
// for logs) but never reads from it or writes to it. So every handler a
// location can have runs in a subrequest unchanged, several subrequests
// run at once (capture_multi), and none disturbs the parent's buffers.
// Its request head is built from the parent's headers and parsed like a
// client's, so every request accessor and variable works as for any
// request. What differs is confined to the Txn's output (the body stays in
// the shadow's buffer; no head is written), its end (no log phase, no
// access log, as nginx's log_subrequest off; the result goes to the
// parent's callback) and its request body (the one given, or none).

// maxSubDepth is nginx's subrequest nesting limit (NGX_HTTP_MAX_SUBREQUESTS
// counts per request; ngx_lua meets the depth limit first: 50).
const maxSubDepth = 50

// ErrSubDepth is Subrequest's error past maxSubDepth nested subrequests.
var ErrSubDepth = errors.New("subrequests cycle")

// SubOptions describe a subrequest.
type SubOptions struct {
	Method string // "GET" when empty
	URI    string // the path, without arguments
	Args   string // the query string, without '?'
	// Body is the subrequest's request body when HasBody; otherwise it has
	// none, or the parent's when ForwardBody (nginx's default for a POST or
	// PUT subrequest of a request whose body was read).
	Body        []byte
	HasBody     bool
	ForwardBody bool
	// CopyVars starts the subrequest with a copy of the parent's variables
	// (copy_all_vars); ShareVars gives it the parent's own (share_all_vars:
	// writes are seen both ways). Otherwise its variables start empty.
	CopyVars, ShareVars bool
	// Headers replace the parent's headers of their names, or are added.
	Headers []Header
	// Init, when set, is called with the subrequest before it runs (the
	// Lua API gives it its ngx.ctx and sets its vars there).
	Init func(x Exchange)
}

// SubResult is a subrequest's response. Body and Headers are valid during
// the callback only.
type SubResult struct {
	Status    int
	Headers   []Header
	Body      []byte
	Truncated bool // the response ended early (its upstream went away or timed out)
}

// subState is what a subrequest's Txn keeps of its parent.
type subState struct {
	parent *Txn
	depth  int
	done   func(res *SubResult)
	res    SubResult
}

// IsSubrequest reports whether the request is a subrequest.
func (t *Txn) IsSubrequest() bool { return t.sub != nil }

// Internal implements Exchange.
func (t *Txn) Internal() bool { return t.sub != nil || t.internal }

// StartMs implements Exchange (a subrequest has its parent's).
func (t *Txn) StartMs() int64 { return t.s.startMs }

// Subrequest starts a subrequest of t; done gets its response once it
// ended, on the loop's thread, never inside Subrequest (the subrequest
// starts from the run queue). Abandoning t abandons its subrequests:
// their done is never called then.
func (t *Txn) Subrequest(o SubOptions, done func(res *SubResult)) error {
	depth := 1
	if t.sub != nil {
		depth = t.sub.depth + 1
	}
	if depth > maxSubDepth {
		t.logf(conf.LogError, "subrequests cycle while processing \"%s\"", o.URI)
		return ErrSubDepth
	}
	s := t.s
	srv := s.lst.srv
	sh := srv.getShadow()
	if s.addr == nil {
		s.addr = &connAddrs{} // shared, filled by whichever asks first
	}
	sh.c, sh.lst, sh.id, sh.addr, sh.requests = s.c, s.lst, s.id, s.addr, s.requests
	sh.state = stBusy
	sh.attach()
	sh.startMs = s.startMs
	// The head: the request line, then the parent's headers but its body
	// framing, then the subrequest's own length.
	h := sh.hbuf[:0]
	method := o.Method
	if method == "" {
		method = "GET"
	}
	h = append(h, method...)
	h = append(h, ' ')
	h = append(h, o.URI...)
	if o.Args != "" {
		h = append(h, '?')
		h = append(h, o.Args...)
	}
	h = append(h, " HTTP/1.1\r\n"...)
	for i := range t.req.NumHeaders() {
		k, v := t.req.HeaderAt(t.buf, i)
		if equalFold(k, "content-length") || equalFold(k, "transfer-encoding") || hasHeaderNamed(o.Headers, string(k)) {
			continue
		}
		h = append(h, k...)
		h = append(h, ": "...)
		h = append(h, v...)
		h = append(h, "\r\n"...)
	}
	for _, hd := range o.Headers {
		h = append(h, hd.Name...)
		h = append(h, ": "...)
		h = append(h, hd.Value...)
		h = append(h, "\r\n"...)
	}
	body, hasBody := o.Body, o.HasBody
	if !hasBody && o.ForwardBody && t.bodyState == bodyDone && s.store.kept {
		body, hasBody = s.store.fileContent(nil), true
	}
	if hasBody {
		h = append(h, "Content-Length: "...)
		h = strconv.AppendInt(h, int64(len(body)), 10)
		h = append(h, "\r\n"...)
	}
	h = append(h, "\r\n"...)
	sh.hbuf = h
	n, err := sh.p.Parse(h)
	if err != nil {
		srv.putShadow(sh)
		return err
	}
	sh.head = append(sh.head[:0], h[:n]...)
	st := &sh.txn
	st.begin()
	st.srv, st.caps = t.srv, nil
	sh.subSt = subState{parent: t, depth: depth, done: done}
	st.sub = &sh.subSt
	st.bodyState = bodyNone
	if hasBody {
		sh.store.kept = true
		sh.store.mem = append(sh.store.mem[:0], body...)
		st.bodyState = bodyDone
	}
	switch {
	case o.ShareVars:
		st.vals, st.valSet, st.sharedVars = t.vals, t.valSet, true
	case o.CopyVars:
		copy(st.vals, t.vals)
		copy(st.valSet, t.valSet)
	}
	t.subs = append(t.subs, sh)
	if o.Init != nil {
		o.Init(st)
	}
	srv.l.Soon(st.run)
	return nil
}

// subEnd delivers a finished subrequest's response to its parent and lets
// its shadow session go.
func (t *Txn) subEnd() {
	sub := t.sub
	t.releaseCtx()
	t.active = false
	sh := t.s
	p := sub.parent
	for i, x := range p.subs {
		if x == sh {
			p.subs = append(p.subs[:i], p.subs[i+1:]...)
			break
		}
	}
	res := &sub.res
	res.Status = t.status
	if res.Status == 0 {
		res.Status = 200
	}
	res.Headers = t.ResponseHeaders()
	res.Body = sh.body
	if (t.fixedLen || t.clen >= 0) && !hasHeaderNamed(res.Headers, "Content-Length") {
		// nginx keeps the length of a body it made (return, a file, an
		// error page) in content_length_n, which ngx_lua reports.
		res.Headers = append(res.Headers, Header{"Content-Length", strconv.Itoa(len(sh.body))})
	}
	if p.active {
		sub.done(res)
	}
	sh.subSt = subState{}
	sh.srvRelease()
}

// abandonSubs ends t's subrequests without their results (t itself ends
// early).
func (t *Txn) abandonSubs() {
	for len(t.subs) > 0 {
		sh := t.subs[len(t.subs)-1]
		t.subs = t.subs[:len(t.subs)-1]
		st := &sh.txn
		st.abandonSubs()
		if st.active {
			st.step = stepDone
			st.cancelWaits()
			st.releaseCtx()
			st.active = false
		}
		sh.srvRelease()
	}
}

// srvRelease gives a shadow session and its request state back.
func (s *session) srvRelease() {
	srv := s.lst.srv
	if t := &s.txn; t.sharedVars {
		// The variables were the parent's: the next request of this state
		// must not reuse (and overwrite) them.
		t.vals, t.valSet, t.sharedVars = nil, nil, false
	}
	s.store.release()
	s.detach()
	s.c, s.addr = nil, nil
	srv.putShadow(s)
}

// getShadow returns a shadow session for a subrequest.
func (srv *Server) getShadow() *session { return takeFree(&srv.shadows) }

// putShadow keeps a shadow session for the next subrequest.
func (srv *Server) putShadow(s *session) {
	if s.work != nil {
		s.detach()
	}
	keepFree(&srv.shadows, s, maxFreeWorks)
}

// hasHeaderNamed reports whether hs has a header called name (any case).
func hasHeaderNamed(hs []Header, name string) bool {
	for _, h := range hs {
		if equalFold(h.Name, name) {
			return true
		}
	}
	return false
}

// RawHeader implements Exchange: the main request's head as the client
// sent it, its request line left out with noRequestLine.
func (t *Txn) RawHeader(noRequestLine bool) []byte {
	m := t
	for m.sub != nil {
		m = m.sub.parent
	}
	if m.req == nil {
		return nil
	}
	h := m.req.RawHead(m.buf)
	if noRequestLine {
		if i := bytes.IndexByte(h, '\n'); i >= 0 {
			h = h[i+1:]
		}
	}
	return h
}
