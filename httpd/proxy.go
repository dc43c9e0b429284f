package httpd

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/loop"
)

// This file is nginx's proxy module for an HTTP upstream given by its
// address (conf.ProxyPass): the request body is read first (as with
// proxy_request_buffering on), then a connection is made with the loop's
// Dial, the request is sent (HTTP/1.0 with "Connection: close" by
// default), and the response is relayed as it arrives: status, headers
// (minus the ones nginx hides or makes itself) and body, through the
// header and body filters like any content handler's output. One
// connection per request: no upstream blocks, no keep-alive pool, no https,
// no name resolution at run time (a URL with variables must give an IP
// address).

// Messages of the proxy module, as nginx logs them.
const (
	logProxyConnect    = "connect() failed (%d: %s) while connecting to upstream, upstream: \"%s\""
	logProxyTimeout    = "upstream timed out (110: Connection timed out) while %s, upstream: \"%s\""
	logProxyClosedHead = "upstream prematurely closed connection while reading response header from upstream, upstream: \"%s\""
	logProxyClosedBody = "upstream prematurely closed connection while reading upstream, upstream: \"%s\""
	logProxyBadHead    = "upstream sent no valid HTTP/1.0 header while reading response header from upstream, upstream: \"%s\""
	logProxyBigHead    = "upstream sent too big header while reading response header from upstream, upstream: \"%s\""
	logProxyBadBody    = "upstream sent invalid chunked response while reading upstream, upstream: \"%s\""
	logProxyNoResolver = "no resolver defined to resolve %s"
	logProxyBadURL     = "invalid URL prefix in \"%s\""
)

// proxyMaxHead is the largest response head taken from an upstream
// (nginx's proxy_buffer_size, one page).
const proxyMaxHead = 4096

// proxyPauseAt is how much output may wait for the client before the
// upstream is read no further until it drains.
const proxyPauseAt = 256 << 10

// Steps of a proxied request.
const (
	pxConnect uint8 = iota + 1 // dialing
	pxHead                     // the request is sent, the response head is read
	pxBody                     // the response body is relayed
)

// proxyState is the proxy handler's state of one request, in the Txn.
type proxyState struct {
	up      *loop.Conn // the upstream connection; nil when none
	step    uint8
	url     string // upstream URL, for logs
	host    string // $proxy_host
	port    string // $proxy_port
	left    int64  // body bytes the upstream still owes; -1: until it closes
	chunked bool   // the upstream body is chunked
	chunk   ChunkedDecoder
}

// runProxy starts the proxy handler: the request body first.
func (t *Txn) runProxy() {
	if t.bodyState == bodyUnread && t.settings().Proxy.PassBody {
		t.waitFor(waitProxy)
		t.ReadBody(t.s.proxyFn.body)
		return
	}
	t.proxyConnect()
}

// proxyBodyRead is the body reader's callback.
func (t *Txn) proxyBodyRead(_ []byte, err error) {
	if !t.active || t.waitMod != waitProxy {
		return
	}
	t.waitFor(waitNone)
	if err != nil {
		code := 400
		if e, ok := err.(*Error); ok {
			code = e.Status
		}
		t.failRequest(code)
		return
	}
	t.proxyConnect()
}

// proxyConnect works out the upstream and the request and dials.
func (t *Txn) proxyConnect() {
	p := t.loc.ProxyPass
	network, addr, uri := "tcp", p.Addr, p.URI
	hasURI := p.HasURI
	if p.Unix {
		network = "unix"
	}
	t.proxy.host = p.Host
	if !p.Static {
		url := t.eval(p.Parts)
		a, u, unix, err := conf.SplitProxyURL(url)
		if err != nil {
			t.logf(conf.LogError, logProxyBadURL, url)
			t.special(500)
			return
		}
		addr, uri, hasURI = a, u, u != ""
		if unix {
			network, t.proxy.host = "unix", "localhost"
		} else {
			host, port, _ := net.SplitHostPort(a)
			t.proxy.host = a
			if port == "80" {
				t.proxy.host = host
			}
			if host == "localhost" {
				addr = net.JoinHostPort("127.0.0.1", port)
			} else if net.ParseIP(host) == nil {
				t.logf(conf.LogError, logProxyNoResolver, host)
				t.special(502)
				return
			}
		}
	}
	if !p.Static && !hasURI {
		uri = t.proxyClientURI()
	} else if p.Static {
		uri = t.proxyStaticURI(p)
	}
	if network == "unix" {
		t.proxy.url, t.proxy.port = "http://unix:"+addr+":"+uri, ""
	} else {
		_, port, _ := net.SplitHostPort(addr)
		t.proxy.url, t.proxy.port = "http://"+addr+uri, port
	}
	t.s.pbuf = t.proxyRequest(t.s.pbuf[:0], uri)
	t.proxy.step = pxConnect
	t.waitFor(waitProxy)
	st := t.settings().Proxy
	t.s.proxyTimer().Reset(st.ConnectTimeout + st.ReadTimeout)
	t.s.pseq++
	seq := t.s.pseq
	t.srvLoop().Dial(network, addr, st.ConnectTimeout, func(c *loop.Conn, err error) { t.proxyConnected(seq, c, err) })
}

// proxyStaticURI is the URI sent for a URL without variables: the
// original one when the URL has none; else the URL's, with the part of
// the request URI after the location's name appended (escaped) and the
// arguments.
func (t *Txn) proxyStaticURI(p *conf.ProxyPass) string {
	if !p.HasURI {
		return t.proxyClientURI()
	}
	rest := t.URI()
	if t.loc.Match != conf.MatchNamed && t.loc.Regex == nil && strings.HasPrefix(rest, t.loc.Pattern) {
		rest = rest[len(t.loc.Pattern):]
	}
	u := p.URI + escapeURI(rest)
	if a := t.Args(); a != "" {
		u += "?" + a
	}
	return u
}

// proxyClientURI is the URI sent upstream for a URL without a URI part:
// what the client sent, unless the URI or the arguments changed since
// (ngx.req.set_uri, set_uri_args, an internal redirect): nginx sends the
// new ones then, the path escaped.
func (t *Txn) proxyClientURI() string {
	if !t.uriSet && !t.argsSet {
		return t.RequestURI()
	}
	u := escapeURI(t.URI())
	if a := t.Args(); a != "" {
		u += "?" + a
	}
	return u
}

// escapeURI escapes what nginx's NGX_ESCAPE_URI escapes: controls, space,
// '#', '%', '?' and bytes from 0x7f.
func escapeURI(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if uriEscaped(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if uriEscaped(c) {
			b = append(b, '%', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func uriEscaped(c byte) bool { return c <= ' ' || c == '#' || c == '%' || c == '?' || c >= 0x7f }

// proxyDefaultHeaders are the headers the proxy module sets by default,
// after the location's proxy_set_header (which overrides them by name).
var proxyDefaultHeaders = []struct{ name, value string }{
	{"Host", "$proxy_host"}, {"Connection", "close"}, {"Content-Length", "$proxy_internal_body_length"},
	{"Transfer-Encoding", ""}, {"TE", ""}, {"Keep-Alive", ""}, {"Expect", ""}, {"Upgrade", ""},
}

// proxyRequest appends the request to send upstream.
func (t *Txn) proxyRequest(b []byte, uri string) []byte {
	st := &t.settings().Proxy
	b = append(b, t.method()...)
	b = append(b, ' ')
	b = append(b, uri...)
	b = append(b, " HTTP/"...)
	b = append(b, st.HTTPVersion...)
	b = append(b, "\r\n"...)
	header := func(name string, value []byte) {
		if len(value) == 0 {
			return
		}
		b = append(b, name...)
		b = append(b, ": "...)
		b = append(b, value...)
		b = append(b, "\r\n"...)
	}
	for i := range st.Headers {
		h := &st.Headers[i]
		v := t.appendEval(t.s.hbuf[:0], h.Value)
		t.s.hbuf = v
		header(h.Name, v)
	}
	for _, d := range proxyDefaultHeaders {
		if proxySets(st, d.name) {
			continue
		}
		switch d.value {
		case "":
		case "$proxy_host":
			header(d.name, []byte(t.proxy.host))
		case "$proxy_internal_body_length":
			if n := t.s.store.length(); t.bodyState == bodyDone && st.PassBody && (n > 0 || t.req.HasBody()) {
				header(d.name, strconv.AppendInt(t.s.hbuf[:0], n, 10))
			}
		default:
			header(d.name, []byte(d.value))
		}
	}
	if st.PassHeaders {
		for i := range t.req.NumHeaders() {
			k, v := t.req.HeaderAt(t.buf, i)
			if proxySets(st, unsafeString(k)) || proxyDefault(k) {
				continue
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "\r\n"...)
	if st.PassBody && t.bodyState == bodyDone {
		b = t.s.store.fileContent(b)
	}
	return b
}

// proxySets reports whether proxy_set_header names the header.
func proxySets(st *conf.ProxySettings, name string) bool {
	for i := range st.Headers {
		if equalFold(name, st.Headers[i].Name) {
			return true
		}
	}
	return false
}

// proxyDefault reports whether the header is one the proxy sets itself.
func proxyDefault(name []byte) bool {
	for _, d := range proxyDefaultHeaders {
		if equalFold(name, d.name) {
			return true
		}
	}
	return false
}

// proxyConnected is Dial's callback for the connect numbered seq (a
// request that ended since, and whose Txn serves another now, does not
// take it).
func (t *Txn) proxyConnected(seq uint64, c *loop.Conn, err error) {
	if seq != t.s.pseq || !t.active || t.waitMod != waitProxy || t.proxy.step != pxConnect {
		if c != nil {
			c.CloseNow(nil)
		}
		return
	}
	if err != nil {
		t.s.proxyTimer().Stop()
		var errno syscall.Errno
		if errors.As(err, &errno) && errno == syscall.ETIMEDOUT {
			t.proxyFail(504, logProxyTimeout, "connecting to upstream", t.proxy.url)
			return
		}
		if !errors.As(err, &errno) {
			errno = syscall.ECONNREFUSED
		}
		t.proxyFail(502, logProxyConnect, int(errno), errnoText(errno), t.proxy.url)
		return
	}
	t.proxy.up, t.proxy.step = c, pxHead
	t.s.phead = t.s.phead[:0]
	c.OnData(t.s.proxyFn.data)
	c.OnEOF(t.s.proxyFn.eof)
	c.OnClose(t.s.proxyFn.close)
	_, _ = c.Write(t.s.pbuf)
	t.s.proxyTimer().Reset(t.settings().Proxy.ReadTimeout)
}

// proxyData takes the upstream's bytes: the head, then the body.
func (t *Txn) proxyData(c *loop.Conn, data []byte) int {
	if c != t.proxy.up || !t.active {
		return len(data)
	}
	t.s.proxyTimer().Reset(t.settings().Proxy.ReadTimeout)
	n := 0
	if t.proxy.step == pxHead {
		var done bool
		if n, done = t.proxyHead(data); !done {
			return n
		}
	}
	return n + t.proxyBody(data[n:])
}

// proxyHead collects and applies the response head. It returns the bytes
// taken and whether the head is complete (or the request failed).
func (t *Txn) proxyHead(data []byte) (int, bool) {
	s := t.s
	old := len(s.phead)
	s.phead = append(s.phead, data...)
	end := headEnd(s.phead)
	if end < 0 {
		if len(s.phead) > proxyMaxHead {
			t.proxyFail(502, logProxyBigHead, t.proxy.url)
			return len(data), true
		}
		return len(data), false
	}
	taken := end - old
	if end > proxyMaxHead {
		t.proxyFail(502, logProxyBigHead, t.proxy.url)
		return len(data), true
	}
	status, ok := t.applyUpstreamHead(s.phead[:end])
	if !ok {
		t.proxyFail(502, logProxyBadHead, t.proxy.url)
		return len(data), true
	}
	if st := t.settings(); status >= 300 && st.Proxy.InterceptErrors && conf.ErrorPageFor(st.ErrorPages, status) != nil {
		// proxy_intercept_errors: the upstream's answer gives way to the
		// error_page of its status.
		t.proxyRelease()
		t.hdrs = t.hdrs[:0]
		t.special(status)
		return len(data), true
	}
	t.status = status
	t.proxy.step = pxBody
	if t.methodID() == MethodHEAD || status == 204 || status == 304 || status < 200 {
		t.proxy.left = 0
	}
	return taken, true
}

// headEnd returns the length of a response head in b (through its empty
// line, CRLF or LF), or -1 while it is incomplete.
func headEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		switch {
		case i+1 < len(b) && b[i+1] == '\n':
			return i + 2
		case i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n':
			return i + 3
		}
	}
	return -1
}

// applyUpstreamHead parses a response head into the Txn's response: the
// status, the headers the proxy passes, the body's framing.
func (t *Txn) applyUpstreamHead(head []byte) (int, bool) {
	line, rest, _ := cutLine(head)
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' {
		return 0, false
	}
	status := 0
	for _, c := range line[9:12] {
		if !isDigit(c) {
			return 0, false
		}
		status = status*10 + int(c-'0')
	}
	if len(line) > 12 && line[12] != ' ' {
		return 0, false
	}
	st := &t.settings().Proxy
	p := &t.proxy
	p.left, p.chunked = -1, false
	p.chunk.Reset()
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = cutLine(rest)
		if len(l) == 0 {
			break
		}
		k, v, ok := strings.Cut(string(l), ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return 0, false
		}
		v = strings.TrimSpace(v)
		switch {
		case strings.EqualFold(k, "content-length"):
			n, ok := parseContentLength([]byte(v))
			if !ok {
				return 0, false
			}
			p.left, t.clen = n, n
		case strings.EqualFold(k, "transfer-encoding"):
			if strings.EqualFold(v, "chunked") {
				p.chunked = true
			}
		case strings.EqualFold(k, "content-type"):
			t.ctype, t.ctypeSet = v, true
		case strings.EqualFold(k, "connection"), strings.EqualFold(k, "keep-alive"):
		case strings.EqualFold(k, "location") && !st.RedirectOff:
			t.hdrs = append(t.hdrs, Header{k, t.proxyRedirect(v)})
			t.locEngine = true
		case proxyHidden(st, k):
		default:
			t.hdrs = append(t.hdrs, Header{k, v})
		}
	}
	if p.chunked {
		p.left, t.clen = -1, -1
	}
	if p.left < 0 {
		t.noLength = true // streamed as it comes, as nginx relays it
	}
	if !t.ctypeSet {
		t.ctypeSet = true // the upstream's response had none: nginx adds none
	}
	return status, true
}

// cutLine splits the first line (LF or CRLF) off b.
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := 0
	for i < len(b) && b[i] != '\n' {
		i++
	}
	if i == len(b) {
		return b, nil, false
	}
	line, rest = b[:i], b[i+1:]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, rest, true
}

// proxyHiddenHeaders are the upstream headers nginx does not pass on by
// default (Date and Server are its own).
var proxyHiddenHeaders = []string{"Date", "Server", "X-Pad", "X-Accel-Expires", "X-Accel-Redirect",
	"X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset"}

func proxyHidden(st *conf.ProxySettings, name string) bool {
	for _, h := range st.Hide {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	for _, h := range st.Pass {
		if strings.EqualFold(h, name) {
			return false
		}
	}
	for _, h := range proxyHiddenHeaders {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// proxyRedirect is proxy_redirect default: a Location pointing at the
// upstream URL of a static proxy_pass is made to point at the location.
func (t *Txn) proxyRedirect(v string) string {
	p := t.loc.ProxyPass
	if !p.Static || p.Unix {
		return v
	}
	from, to := "http://"+p.Host+"/", "/"
	if p.HasURI {
		from, to = "http://"+p.Host+p.URI, t.loc.Pattern
	}
	if rest, ok := strings.CutPrefix(v, from); ok {
		return to + rest
	}
	return v
}

// proxyBody relays body bytes; it returns how many it took.
func (t *Txn) proxyBody(data []byte) int {
	p := &t.proxy
	n := 0
	switch {
	case p.left == 0:
	case p.chunked:
		for n < len(data) && !p.chunk.Done() {
			d, m, err := p.chunk.Next(data[n:])
			n += m
			if err != nil {
				t.proxyFail(502, logProxyBadBody, p.url)
				return len(data)
			}
			if len(d) > 0 {
				_ = t.Write(d)
			}
		}
		if p.chunk.Done() {
			p.left = 0
		}
	case p.left > 0:
		n = int(min(p.left, int64(len(data))))
		p.left -= int64(n)
		_ = t.Write(data[:n])
	default:
		n = len(data)
		_ = t.Write(data)
	}
	if !t.active {
		return len(data)
	}
	if p.left == 0 {
		t.proxyDone()
		return len(data)
	}
	// What the upstream sent goes on at once, as nginx's event pipe
	// writes to the client whenever it can (buffering only matters for a
	// client slower than the upstream: see below).
	t.Flush(false, nil)
	if c := t.s.c; c != nil && c.Pending() > proxyPauseAt && p.up != nil {
		// The client is slower than the upstream: read on once it drains.
		p.up.PauseRead()
		t.Flush(true, t.s.proxyFn.drain)
	}
	return n
}

// proxyDrained resumes reading the upstream once the client took the
// output that was waiting.
func (t *Txn) proxyDrained(err error) {
	if err == nil && t.active && t.proxy.up != nil {
		t.proxy.up.ResumeRead()
	}
}

// proxyEOF: the upstream closed its side.
func (t *Txn) proxyEOF(c *loop.Conn) {
	if c != t.proxy.up || !t.active {
		c.Close()
		return
	}
	p := &t.proxy
	switch {
	case p.step == pxHead:
		t.proxyFail(502, logProxyClosedHead, p.url)
	case p.left < 0 && !p.chunked:
		t.proxyDone()
	default:
		t.proxyFail(502, logProxyClosedBody, p.url)
	}
}

// proxyClosed: the upstream connection is gone (failed, or closed by us).
func (t *Txn) proxyClosed(c *loop.Conn, err error) {
	if c != t.proxy.up {
		return
	}
	t.proxy.up = nil
	if t.active && t.waitMod == waitProxy {
		t.proxyFail(502, logProxyClosedHead, t.proxy.url)
	}
}

// proxyTimeout is proxy_connect_timeout/proxy_read_timeout.
func (t *Txn) proxyTimeout() {
	if !t.active || t.waitMod != waitProxy {
		return
	}
	what := "reading response header from upstream"
	if t.proxy.step == pxBody {
		what = "reading upstream"
	}
	t.proxyFail(504, logProxyTimeout, what, t.proxy.url)
}

// proxyDone ends a relayed response.
func (t *Txn) proxyDone() {
	t.proxyRelease()
	t.finishResponse()
}

// proxyFail logs and ends the request: with a status page when nothing
// was sent yet, else by closing the connection.
func (t *Txn) proxyFail(code int, format string, args ...any) {
	t.logf(conf.LogError, format, args...)
	t.proxyRelease()
	t.failRequest(code)
}

// proxyRelease drops the upstream connection and the wait.
func (t *Txn) proxyRelease() {
	t.s.proxyTimer().Stop()
	if t.waitMod == waitProxy {
		t.waitFor(waitNone)
	}
	if up := t.proxy.up; up != nil {
		t.proxy.up = nil
		up.CloseNow(nil)
	}
	t.proxy.step = 0
}

// srvLoop is the server's loop.
func (t *Txn) srvLoop() *loop.Loop { return t.s.lst.srv.l }

// appendProxyVar appends the proxy module's variables.
func (t *Txn) appendProxyVar(dst []byte, name string) (out []byte, found, known bool) {
	switch name {
	case "proxy_host":
		return append(dst, t.proxy.host...), t.proxy.host != "", true
	case "proxy_port":
		return append(dst, t.proxy.port...), t.proxy.port != "", true
	case "proxy_add_x_forwarded_for":
		first := true
		for i := t.req.HeaderIndex(t.buf, "X-Forwarded-For", 0); i >= 0; i = t.req.HeaderIndex(t.buf, "X-Forwarded-For", i+1) {
			_, v := t.req.HeaderAt(t.buf, i)
			if !first {
				dst = append(dst, ", "...)
			}
			dst, first = append(dst, v...), false
		}
		if !first {
			dst = append(dst, ", "...)
		}
		return append(dst, t.s.addrs().remoteAddr...), true, true
	}
	return dst, false, false
}
