package httpd

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/loop"
)

// StatusRequestTimeout is 408, logged when a client is too slow; nginx
// closes such connections without a response.
const StatusRequestTimeout = 408

// Txn is one request and its response: the Exchange the Lua API works
// with. A Txn belongs to its connection and is reused for the next
// request once the log phase has run; do not keep it past Runner.Abort or
// the end of the request. Loop thread only.
type Txn struct {
	s   *session
	req *Request // the parser's request; offsets into buf
	buf []byte   // the head (a copy owned by the session)

	srv    *conf.Server
	loc    *conf.Location
	caps   []string // captures of the deciding regex (server name, then location)
	active bool     // between begin and the end of logging

	// phase engine
	phase   Phase
	step    uint8
	pending bool // a handler returned Pending and was not resumed yet

	// response
	status      int
	hdrs        []Header // response headers in order; Content-Type apart
	ctype       string
	ctypeSet    bool // the handler set (or cleared) Content-Type
	clen        int64
	committed   bool // status and headers are fixed (nginx: header_sent)
	onWire      bool // the head was written to the Conn
	chunked     bool
	finished    bool   // the body was ended
	headerOnly  bool   // HEAD, 204, 304: no body on the wire
	fixedLen    bool   // the engine made the body (error page, return, file): it has a Content-Length
	headCalled  bool   // SendHeaders was called: the head is fixed as is, no HTTP/1.0 buffering
	lastMod     string // Last-Modified of a file, printed after Content-Length (headers-more may drop it)
	fileTime    string // a file's Last-Modified as nginx's last_modified_time: what If-Modified-Since and If-Range compare
	keepalive   bool
	linger      bool // close with a lingering close after the response
	hidden      int64
	bodySent    int64       // body bytes written ($body_bytes_sent)
	bytesSent   int64       // all bytes written ($bytes_sent)
	noLength    bool        // a filter or handler dropped the length: the body is chunked, or ends with the connection
	noRanges    bool        // Accept-Ranges was cleared: range requests are not honoured
	allowRanges bool        // the content handler can serve byte ranges (static files)
	ranges      []byteRange // the byte ranges of a 206 response
	boundary    uint64      // the multipart/byteranges boundary of several ranges
	partCtype   string      // the content type of each part of a multipart/byteranges body
	clenHdr     bool        // Content-Length is a header of the list (headers-more set it)
	locEngine   bool        // the Location header is the engine's, made absolute when relative
	hideServer  bool        // the Server header nginx adds was cleared (more_clear_headers)
	hideDate    bool        // the Date header nginx adds was cleared
	ef          uint8       // the echo body filter's state (efOff when the location has none)

	// clientClose: the client asked to close, as decided at the
	// request's start (nginx's r->keepalive).
	clientClose bool
	waitMod     uint8      // which module handler waits (waitEcho, waitProxy); waitNone for Lua's
	echo        echoState  // the echo handler's state
	proxy       proxyState // the proxy handler's state

	// variables
	vals       []string // values of set variables, by Server.vars index
	valSet     []bool
	args       string
	argsSet    bool
	argsNil    bool // $args was set to nil (not found until set again)
	bodyState  uint8
	bodyCb     func(body []byte, err error)
	expectOK   bool       // "100 Continue" was sent
	hijacked   bool       // Hijack handed the connection over
	sub        *subState  // set for a subrequest: its parent and callback
	subs       []*session // the shadow sessions of this request's running subrequests
	sharedVars bool       // vals and valSet are the parent's (share_all_vars)
	// An internal redirect (error_page, ngx.exec) replaces the URI:
	uri            string // the new path
	uriSet         bool   // uri is in force
	internal       bool   // the request went through an internal redirect
	redirects      uint8  // internal redirects so far (nginx stops at 10)
	errPage        bool   // an error_page redirect happened (recursive_error_pages off)
	errStatus      int    // the status error_page's redirect answers with (0: the new location's)
	methodSet      string // the method ngx.req.set_method set ("": the parsed one)
	inHeaderFilter bool   // header_filter_by_lua runs: the head may still be edited
	bodyInit       bool   // InitBody began a body that FinishBody has not ended

	ctx  any
	strs [nLazy]string
	have uint8 // bit i: strs[i] is built
}

// Module handlers that wait (Txn.waitMod): what abandon must cancel.
const (
	waitNone  uint8 = iota // no module handler waits (Lua's waits are the runner's)
	waitEcho               // echo_sleep or echo_read_request_body
	waitProxy              // the proxy: body, connect, or upstream response
)

// waitFor marks a module handler as waiting (m) or done waiting.
func (t *Txn) waitFor(m uint8) {
	t.waitMod = m
	t.pending = m != waitNone
}

// Lazily built request strings.
const (
	lzMethod = iota
	lzLine
	lzURI
	lzRequestURI
	lzArgs
	nLazy
)

var _ Exchange = (*Txn)(nil)

// begin resets the Txn for the request just parsed.
func (t *Txn) begin() {
	s := t.s
	t.reset()
	t.req, t.buf = &s.p.req, s.head
	if t.req.HasBody() {
		t.bodyState = bodyUnread
	}
	t.clientClose = !t.req.KeepAlive()
	t.srv, t.caps = s.lst.srv.selectServer(s.lst, t.req.Host(t.buf))
	if t.caps != nil {
		t.caps = cloneStrings(t.caps)
	}
}

// beginBad resets the Txn for a refused or timed-out head: no server was
// selected, the default one of the socket stands in.
func (t *Txn) beginBad() {
	s := t.s
	t.reset()
	t.req, t.buf = &s.p.req, s.head
	t.srv = s.lst.def
	t.step = stepDone
}

func (t *Txn) reset() {
	n := len(t.s.lst.srv.vars)
	vals, valSet := t.vals[:0], t.valSet[:0]
	for range n {
		vals = append(vals, "")
		valSet = append(valSet, false)
	}
	clear(vals)
	clear(valSet)
	hdrs := t.hdrs[:0]
	clear(t.hdrs)
	items := t.echo.items[:0]
	clear(t.echo.items)
	ranges := t.ranges[:0]
	*t = Txn{s: t.s, vals: vals, valSet: valSet, hdrs: hdrs, clen: -1, active: true, ranges: ranges}
	t.echo.items = items
}

// clear drops references once the connection is gone.
func (t *Txn) clear() {
	t.ctx, t.bodyCb, t.caps, t.srv, t.loc = nil, nil, nil, nil, nil
	clear(t.strs[:])
	t.have = 0
}

// settings are the merged settings in force: the location's, or the
// server's before (or without) a location.
func (t *Txn) settings() *conf.Settings {
	if t.loc != nil {
		return &t.loc.Settings
	}
	return &t.srv.Settings
}

func (t *Txn) lazy(i int, b []byte) string {
	if t.have&(1<<i) == 0 {
		t.strs[i] = string(b)
		t.have |= 1 << i
	}
	return t.strs[i]
}

// unsafeString views b as a string for a call that does not keep it.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func cloneStrings(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.Clone(s)
	}
	return out
}

// Loop implements Exchange.
func (t *Txn) Loop() *loop.Loop { return t.s.lst.srv.l }

// ConnID implements Exchange.
func (t *Txn) ConnID() uint64 { return t.s.id }

// Phase implements Exchange.
func (t *Txn) Phase() Phase { return t.phase }

// Location implements Exchange.
func (t *Txn) Location() *conf.Location { return t.loc }

// Server implements Exchange.
func (t *Txn) Server() *conf.Server { return t.srv }

// Method implements Exchange.
func (t *Txn) Method() string {
	if t.methodSet != "" {
		return t.methodSet
	}
	return t.lazy(lzMethod, t.req.Method(t.buf))
}

// method is the request method's name (ngx.req.set_method's, if set).
func (t *Txn) method() []byte {
	if t.methodSet != "" {
		return unsafe.Slice(unsafe.StringData(t.methodSet), len(t.methodSet))
	}
	return t.req.Method(t.buf)
}

// methodID is the request method (ngx.req.set_method's, if set).
func (t *Txn) methodID() Method {
	if t.methodSet != "" {
		return lookupMethod(t.method())
	}
	return t.req.MethodID()
}

// SetMethod implements Exchange: ngx.req.set_method.
func (t *Txn) SetMethod(name string) {
	t.methodSet = name
	t.have &^= 1 << lzMethod
}

// RequestLine implements Exchange.
func (t *Txn) RequestLine() string { return t.lazy(lzLine, t.req.RequestLine(t.buf)) }

// URI implements Exchange.
func (t *Txn) URI() string {
	if t.uriSet {
		return t.uri
	}
	return t.lazy(lzURI, t.req.Path(t.buf))
}

// path is the request's URI path: the parsed one, or where an internal
// redirect sent it.
func (t *Txn) path() []byte {
	if t.uriSet {
		return unsafe.Slice(unsafe.StringData(t.uri), len(t.uri))
	}
	return t.req.Path(t.buf)
}

// RequestURI implements Exchange.
func (t *Txn) RequestURI() string { return t.lazy(lzRequestURI, t.req.RequestURI(t.buf)) }

// Args implements Exchange; an assignment to $args shows here.
func (t *Txn) Args() string {
	if t.argsSet {
		return t.args
	}
	return t.lazy(lzArgs, t.req.Args(t.buf))
}

func (t *Txn) argsBytes() []byte {
	if t.argsSet {
		return unsafe.Slice(unsafe.StringData(t.args), len(t.args))
	}
	return t.req.Args(t.buf)
}

// HTTPVersion implements Exchange.
func (t *Txn) HTTPVersion() float64 {
	switch t.req.Version() {
	case 1000:
		return 1.0
	case 9:
		return 0.9
	}
	return 1.1
}

// RequestHeader implements Exchange.
func (t *Txn) RequestHeader(name string) (string, bool) {
	v := t.req.Header(t.buf, name)
	if v == nil {
		return "", false
	}
	return string(v), true
}

// RequestHeaders implements Exchange.
func (t *Txn) RequestHeaders() []Header {
	n := t.req.NumHeaders()
	out := make([]Header, n)
	for i := range n {
		k, v := t.req.HeaderAt(t.buf, i)
		out[i] = Header{string(k), string(v)}
	}
	return out
}

// RemoteAddr implements Exchange.
func (t *Txn) RemoteAddr() string {
	return t.s.addrs().remoteAddr
}

// Ctx implements Exchange.
func (t *Txn) Ctx() any { return t.ctx }

// SetCtx implements Exchange.
func (t *Txn) SetCtx(v any) { t.ctx = v }

// Logf implements Exchange: an error-log line with nginx's request suffix.
func (t *Txn) Logf(level conf.LogLevel, format string, args ...any) {
	t.logf(level, format, args...)
}

func (t *Txn) logf(level conf.LogLevel, format string, args ...any) {
	el := t.s.lst.srv.elog
	if !el.Enabled(level) {
		return
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, format, args...)
	sb.WriteString(", client: ")
	sb.WriteString(t.s.addrs().remoteAddr)
	sb.WriteString(", server: ")
	if t.srv != nil && len(t.srv.Names) > 0 {
		sb.WriteString(t.srv.Names[0].Name)
	}
	if t.req != nil && t.req.line.n > 0 {
		sb.WriteString(`, request: "`)
		sb.Write(t.req.RequestLine(t.buf))
		sb.WriteByte('"')
	}
	if t.req != nil {
		if h := t.req.HostHeader(t.buf); h != nil {
			sb.WriteString(`, host: "`)
			sb.Write(h)
			sb.WriteByte('"')
		}
		if r := t.req.Header(t.buf, "Referer"); r != nil {
			sb.WriteString(`, referrer: "`)
			sb.Write(r)
			sb.WriteByte('"')
		}
	}
	el.Log(level, t.s.lst.srv.worker, t.s.id, sb.String())
}
