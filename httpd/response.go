package httpd

import (
	"errors"
	"strconv"

	"github.com/luring/luring/loop"
)

// Errors of the response writer.
var (
	// ErrFinished is returned by writes after the response body was ended
	// (ngx.eof) or the request is over.
	ErrFinished = errors.New("httpd: response already finished")
	// ErrClosed is returned when the client connection is gone.
	ErrClosed = errors.New("httpd: connection closed")
	// ErrBuffering is passed to a Flush callback when the flush did
	// nothing because the response of an HTTP/1.0 request is buffered
	// whole to send it with a Content-Length (see Txn.Buffering).
	ErrBuffering = errors.New("buffering")
)

// Buffering reports whether the response body is held back until its end,
// as ngx_lua's lua_http10_buffering does for HTTP/1.0 requests: the body
// then goes out with a Content-Length, and flushes do nothing. It holds
// for an HTTP/1.0 (or 0.9) request whose headers were not sent explicitly
// nor given a Content-Length, unless the response has no body.
func (t *Txn) Buffering() bool {
	return t.active && !t.finished && !t.onWire && !t.headCalled && !t.fixedLen &&
		t.clen < 0 && !t.noLength && t.req.Version() < 1001 && !t.headerOnly && t.methodID() != MethodHEAD &&
		t.settings().LuaHTTP10Buffering
}

// maxBodyBuffer is how many body bytes are held before they are sent
// without waiting for a flush or the end (bytes); a response larger than
// this goes out chunked.
const maxBodyBuffer = 64 << 10

// Status implements Exchange.
func (t *Txn) Status() int { return t.status }

// SetStatus implements Exchange.
func (t *Txn) SetStatus(code int) bool {
	if t.committed && !t.inHeaderFilter {
		return false
	}
	t.status = code
	return true
}

// ResponseHeader implements Exchange.
func (t *Txn) ResponseHeader(name string) []string {
	if equalFold(name, "content-type") {
		if t.ctype == "" {
			return nil
		}
		return []string{t.ctype}
	}
	if equalFold(name, "content-length") && t.clen >= 0 {
		return []string{strconv.FormatInt(t.clen, 10)}
	}
	var out []string
	for _, h := range t.hdrs {
		if len(h.Name) == len(name) && equalFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}

// SetResponseHeader implements Exchange. Content-Type and Content-Length
// are kept apart, as nginx does: of several values the last counts (ngx_lua
// sets them one after the other), no value removes it. Ignored once headers
// were sent.
func (t *Txn) SetResponseHeader(name string, values []string) {
	if t.committed && !t.inHeaderFilter {
		return
	}
	switch {
	case equalFold(name, "content-type"):
		t.ctypeSet, t.ctype = true, ""
		if len(values) > 0 {
			t.ctype = values[len(values)-1]
		}
		return
	case equalFold(name, "content-length"):
		t.clen = -1
		if len(values) > 0 {
			if n, ok := parseContentLength([]byte(values[len(values)-1])); ok {
				t.clen = n
			}
		}
		return
	}
	if equalFold(name, "location") {
		t.locEngine = false
	}
	kept := t.hdrs[:0]
	for _, h := range t.hdrs {
		if len(h.Name) != len(name) || !equalFold(h.Name, name) {
			kept = append(kept, h)
		}
	}
	clear(t.hdrs[len(kept):])
	t.hdrs = kept
	for _, v := range values {
		t.hdrs = append(t.hdrs, Header{name, v})
	}
}

// addHeader appends a response header (engine use: Location of return).
func (t *Txn) addHeader(name, value string) { t.hdrs = append(t.hdrs, Header{name, value}) }

// ResponseHeaders implements Exchange.
func (t *Txn) ResponseHeaders() []Header {
	out := make([]Header, 0, len(t.hdrs)+2)
	if t.ctype != "" {
		out = append(out, Header{"Content-Type", t.ctype})
	}
	if t.clen >= 0 && !t.clenHdr {
		out = append(out, Header{"Content-Length", strconv.FormatInt(t.clen, 10)})
	}
	return append(out, t.hdrs...)
}

// ResponseFraming implements Exchange.
func (t *Txn) ResponseFraming() (string, bool) {
	keep := t.keepalive
	if !t.committed {
		keep = t.keepAlive()
	}
	switch {
	case t.status == 101:
		return "upgrade", false
	case keep:
		return "keep-alive", t.chunked
	}
	return "close", t.chunked
}

// HeadersSent implements Exchange. As in nginx, the first body byte, a
// flush or SendHeaders fixes the status and headers; the head itself goes
// on the wire with the first flush, or at the end together with the body
// and a Content-Length.
func (t *Txn) HeadersSent() bool { return t.committed && !t.inHeaderFilter }

// SendHeaders implements Exchange.
func (t *Txn) SendHeaders() error {
	if !t.active {
		return ErrFinished
	}
	t.commit()
	t.headCalled = true
	return nil
}

// Write implements Exchange.
func (t *Txn) Write(p []byte) error { return writeBody(t, p) }

// WriteString implements Exchange.
func (t *Txn) WriteString(p string) error { return writeBody(t, p) }

// writeBody appends p to the response body: Write and WriteString without
// converting one into the other.
func writeBody[T []byte | string](t *Txn, p T) error {
	if !t.active || t.finished {
		return ErrFinished
	}
	if t.s.c == nil {
		return ErrClosed
	}
	t.commit()
	if t.headerOnly {
		t.hidden += int64(len(p))
		return nil
	}
	if t.ef == efBefore {
		t.echoBefore()
	}
	s := t.s
	s.body = append(s.body, p...)
	if len(s.body) >= maxBodyBuffer && !t.Buffering() && t.sub == nil {
		t.flushOut()
	}
	return nil
}

// Flush implements Exchange. While Buffering, nothing is sent and done
// gets ErrBuffering (ngx_lua: "lua http 1.0 buffering makes ngx.flush() a
// no-op"). done never runs inside Flush.
func (t *Txn) Flush(wait bool, done func(err error)) {
	if t.sub != nil {
		// A subrequest's response stays in memory until it ends.
		t.commit()
		if done != nil {
			t.s.lst.srv.l.Soon(func() { done(nil) })
		}
		return
	}
	if t.Buffering() {
		t.commit()
		if done != nil {
			t.s.lst.srv.l.Soon(func() { done(ErrBuffering) })
		}
		return
	}
	if t.active && !t.finished && t.s.c != nil {
		t.commit()
		if t.ef == efBefore && !t.headerOnly {
			t.echoBefore()
		}
		t.flushOut()
	}
	if done == nil {
		return
	}
	if t.s.c == nil {
		t.s.lst.srv.l.Soon(func() { done(ErrClosed) })
		return
	}
	t.s.c.Flush(func(_ *loop.Conn, err error) { done(err) })
}

// EOF implements Exchange.
func (t *Txn) EOF() error {
	if !t.active {
		return ErrFinished
	}
	if t.finished {
		return nil
	}
	t.commit()
	if t.ef != efOff && t.ef != efDone && !t.headerOnly {
		t.echoAfter()
	}
	t.finished = true
	s := t.s
	if t.sub != nil {
		return nil // the body stays in the shadow's buffer for the parent
	}
	if s.c == nil {
		return ErrClosed
	}
	if !t.onWire {
		t.writeHead(true)
	}
	t.writeBody(s.body)
	if t.chunked {
		t.wire("0\r\n\r\n")
	}
	s.body = s.body[:0]
	return nil
}

// Finished implements Exchange.
func (t *Txn) Finished() bool { return t.finished }

// commit fixes status and headers (nginx's header_sent) and runs the
// header filters, in the reference's order: not-modified, headers-more,
// echo's, range.
func (t *Txn) commit() {
	if t.committed {
		return
	}
	t.committed = true
	if t.errStatus > 0 {
		t.status = t.errStatus // an error_page's response keeps the error's status
	}
	if t.status == 0 {
		t.status = 200
	}
	if code := t.settings().HeaderFilter; code != nil {
		// header_filter_by_lua runs first of the filters (ngx_lua's module
		// sits above headers-more and echo in the reference's chain); the
		// head counts as not sent while it runs, so it may edit it.
		if hf, ok := t.s.lst.srv.runner.(HeaderFilterRunner); ok {
			t.inHeaderFilter = true
			hf.RunHeaderFilter(t, code)
			t.inHeaderFilter = false
			if t.status == 0 {
				t.status = 200
			}
		}
	}
	switch t.status {
	case 204, 304:
		t.headerOnly = true
		t.ctype, t.clen = "", -1
	default:
		if !t.ctypeSet && (t.fixedLen || t.settings().LuaUseDefaultType) {
			t.ctype = t.settings().DefaultType
		}
	}
	if t.status == 200 && t.notModified() {
		t.status, t.headerOnly = 304, true
		t.ctype, t.clen = "", -1
		t.dropHeader("accept-ranges")
	}
	t.moreOutput()
	if t.methodID() == MethodHEAD {
		t.headerOnly = true
	}
	t.echoHeaderFilter()
	if t.allowRanges {
		t.rangeFilter()
	}
	t.addHeaders()
	t.keepalive = t.keepAlive()
}

// addHeaders is add_header (nginx's headers filter, which runs after the
// modules' filters): for the statuses it names, or always.
func (t *Txn) addHeaders() {
	hs := t.settings().AddHeaders
	if len(hs) == 0 {
		return
	}
	ok := false
	switch t.status {
	case 200, 201, 204, 206, 301, 302, 303, 304, 307, 308:
		ok = true
	}
	for i := range hs {
		h := &hs[i]
		if !ok && !h.Always {
			continue
		}
		if v := t.eval(h.Value); v != "" {
			t.addHeader(h.Name, v)
		}
	}
}

// keepAlive decides whether the connection stays open after this response.
func (t *Txn) keepAlive() bool {
	s := t.s
	st := t.settings()
	switch {
	case t.linger, s.lst.srv.stopping, t.clientClose, st.KeepaliveTimeout <= 0,
		st.KeepaliveRequests > 0 && int64(s.requests) >= int64(st.KeepaliveRequests):
		return false
	case t.bodyState == bodyUnread && !t.expectOK && t.req.ExpectContinue(t.buf):
		// The client waits for "100 Continue" before sending the body we
		// would have to discard: close instead of waiting for it.
		return false
	case t.bodyState == bodyBroken:
		return false
	}
	return true
}

// flushOut puts the head (if not yet) and the buffered body on the wire.
func (t *Txn) flushOut() {
	s := t.s
	if !t.onWire {
		t.writeHead(false)
	}
	t.writeBody(s.body)
	s.body = s.body[:0]
}

// writeBody writes body bytes, chunk-framed when the response is chunked.
func (t *Txn) writeBody(p []byte) {
	if len(p) == 0 || t.headerOnly {
		return
	}
	s := t.s
	if t.chunked {
		b := strconv.AppendInt(s.hbuf[:0], int64(len(p)), 16)
		b = append(b, "\r\n"...)
		s.hbuf = b
		t.wireBytes(b)
		t.wireBytes(p)
		t.wire("\r\n")
		t.bodySent += int64(len(p))
		return
	}
	t.wireBytes(p)
	t.bodySent += int64(len(p))
}

func (t *Txn) wireBytes(p []byte) {
	n, _ := t.s.c.Write(p)
	t.bytesSent += int64(n)
}

func (t *Txn) wire(p string) {
	n, _ := t.s.c.WriteString(p)
	t.bytesSent += int64(n)
}

// writeHead builds the status line and headers in nginx's order
// (ngx_http_header_filter) and writes them. final: the body is complete in
// the buffer, so its length is known.
func (t *Txn) writeHead(final bool) {
	t.onWire = true
	s := t.s
	if t.clen < 0 && !t.headerOnlyStatus() {
		switch {
		case t.noLength && !t.headerOnly && t.req.Version() >= 1001:
			t.chunked = true
		case t.noLength:
			if !t.headerOnly {
				t.keepalive = false // the end of the body is the close
			}
		case final && (t.fixedLen || t.req.Version() < 1001 && !t.headCalled && t.settings().LuaHTTP10Buffering && !t.headerOnly):
			// A body the engine made whole (error pages, return, files),
			// or an HTTP/1.0 response buffered whole. Output of a Lua
			// handler otherwise has no length, as in ngx_lua.
			t.clen = int64(len(s.body)) + t.hidden
		case t.headerOnly:
		case t.req.Version() >= 1001:
			t.chunked = true
		default:
			t.keepalive = false // HTTP/1.0: the end of the body is the close
		}
	}
	if t.req.Version() == 9 {
		return // HTTP/0.9: body only
	}
	clk := s.lst.srv.now()
	var b []byte
	if t.status == 101 {
		// nginx has no reason phrase for 1xx; ngx_lua's ngx.status sets
		// this status line for 101.
		b = append(s.hbuf[:0], "HTTP/1.1 101 Switching Protocols\r\n"...)
	} else {
		b = AppendStatusLine(s.hbuf[:0], ResponseStatus(t.status))
	}
	if !t.hideServer && !t.hasHeader("server") {
		b = append(b, "Server: "...)
		b = append(b, s.lst.srv.token...)
		b = append(b, "\r\n"...)
	}
	if !t.hideDate && !t.hasHeader("date") {
		b = append(b, "Date: "...)
		b = append(b, clk.date...)
		b = append(b, "\r\n"...)
	}
	if t.ctype != "" {
		b = append(b, "Content-Type: "...)
		b = append(b, t.ctype...)
		b = append(b, "\r\n"...)
	}
	if t.clen >= 0 && !t.clenHdr {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, t.clen, 10)
		b = append(b, "\r\n"...)
	}
	if t.lastMod != "" {
		b = append(b, "Last-Modified: "...)
		b = append(b, t.lastMod...)
		b = append(b, "\r\n"...)
	}
	for _, h := range t.hdrs {
		if t.relativeLocation(h) {
			// nginx's header filter makes a local redirect absolute, and
			// prints it here; other Locations keep their place.
			h.Value = t.absoluteURL(h.Value)
			b = appendHeader(b, h)
		}
	}
	if t.chunked {
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	if t.status == 101 {
		// nginx's header filter: a protocol switch; no HTTP request follows.
		t.keepalive = false
		b = append(b, "Connection: upgrade\r\n"...)
	} else if t.keepalive {
		b = append(b, "Connection: keep-alive\r\n"...)
		if ka := t.settings().KeepaliveHeader; ka > 0 {
			b = append(b, "Keep-Alive: timeout="...)
			b = append(b, secs(ka)...)
			b = append(b, "\r\n"...)
		}
	} else {
		b = append(b, "Connection: close\r\n"...)
	}
	for _, h := range t.hdrs {
		// Headers a handler set are sent as set, Connection and
		// Transfer-Encoding included (after the engine's own), as nginx does.
		if !t.relativeLocation(h) {
			b = appendHeader(b, h)
		}
	}
	b = append(b, "\r\n"...)
	s.hbuf = b
	t.wireBytes(b)
}

// relativeLocation reports whether h is a Location the header writer
// makes absolute: the engine's own (return, redirects, a proxied one; not
// one Lua set, which ngx_lua keeps as it is) starting with '/', with
// absolute_redirect on.
func (t *Txn) relativeLocation(h Header) bool {
	return t.locEngine && len(h.Value) > 0 && h.Value[0] == '/' && equalFold(h.Name, "location") && t.settings().AbsoluteRedirect
}

// setLocation adds the engine's Location header (nginx's
// headers_out.location).
func (t *Txn) setLocation(v string) {
	t.addHeader("Location", v)
	t.locEngine = true
}

// headerOnlyStatus: statuses whose responses never have a body or length.
func (t *Txn) headerOnlyStatus() bool { return t.status == 204 || t.status == 304 || t.status < 200 }

func (t *Txn) hasHeader(lname string) bool {
	for _, h := range t.hdrs {
		if len(h.Name) == len(lname) && equalFold(h.Name, lname) {
			return true
		}
	}
	return false
}

func appendHeader(b []byte, h Header) []byte {
	if h.Name == "" {
		return b
	}
	b = append(b, h.Name...)
	b = append(b, ": "...)
	b = append(b, h.Value...)
	return append(b, "\r\n"...)
}

// dropHeader removes every response header named lname (lower case).
func (t *Txn) dropHeader(lname string) {
	kept := t.hdrs[:0]
	for _, h := range t.hdrs {
		if len(h.Name) != len(lname) || !equalFold(h.Name, lname) {
			kept = append(kept, h)
		}
	}
	clear(t.hdrs[len(kept):])
	t.hdrs = kept
}
