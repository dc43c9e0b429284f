package httpd

// span is a byte range of the request buffer: buf[off : off+n].
type span struct{ off, n int32 }

// of returns the range in buf with its capacity capped, so appending to
// it never writes into the buffer. It is non-nil whenever buf is.
func (s span) of(buf []byte) []byte {
	e := s.off + s.n
	return buf[s.off:e:e]
}

// hdr names the headers the parser locates while parsing.
type hdr uint8

const (
	hOther hdr = iota
	hHost
	hConnection
	hContentLength
	hTransferEncoding
	hExpect
	hContentType
	hCookie
	hUserAgent
	// only checked for duplicates, as nginx's unique header lines
	hIfModifiedSince
	hIfUnmodifiedSince
	hIfMatch
	hIfNoneMatch
	hContentRange
	hIfRange
	hAuthorization
	hProxyAuthorization
	hCount
)

// field is one header line kept in the request.
type field struct {
	name, value span
	id          hdr
}

// Path forms.
const (
	pathRaw        = iota // path span is the path, as sent
	pathNormalized        // Request.norm holds it
	pathSlash             // "/": absolute-form target without a path
)

// connection types, as nginx's headers_in.connection_type.
const (
	connDefault = iota
	connClose
	connKeepAlive
)

// Request is a parsed request head. It holds offsets into the buffer it was
// parsed from, never copies: every getter taking buf expects that buffer
// (the same bytes at the same offsets, see Parser and Parser.Rebase) and
// returns a subslice of it, valid until the caller moves, reuses or
// overwrites those bytes. Returned slices have their capacity capped, so
// appending to one copies instead of clobbering the buffer. Getters without
// buf return values computed during Parse. A Request belongs to its Parser
// and is overwritten by Parser.Reset.
type Request struct {
	start   int32 // first byte of the request line
	headLen int   // bytes of the head, blank lines before it included

	line, method span // request line without CRLF; method token
	meth         Method
	target       span // request-target as sent
	uri          span // origin-form part: path and query ($request_uri)
	path, args   span // raw path; query without '?' and fragment
	host         span // host[:port] of an absolute-form target
	server       span // host for server selection, port and final dot dropped
	norm         []byte
	pathFlags    uint8
	major        uint8
	minor        uint16

	fields        []field       // header lines in order, ignored ones excluded
	known         [hCount]int32 // index+1 of the first line of each, 0: none
	ignored       int           // invalid header lines dropped
	contentLength int64         // -1 when absent
	chunked       bool
	conn          uint8
}

// Method returns the method token (buf-backed).
func (r *Request) Method(buf []byte) []byte { return r.method.of(buf) }

// MethodID returns the method as a Method constant, MethodOther for a
// token nginx does not know.
func (r *Request) MethodID() Method { return r.meth }

// RequestLine returns the request line without its line end, nginx's
// $request (buf-backed).
func (r *Request) RequestLine(buf []byte) []byte { return r.line.of(buf) }

// Target returns the request-target exactly as sent: "/a?b" or
// "http://host/a?b" (buf-backed).
func (r *Request) Target(buf []byte) []byte { return r.target.of(buf) }

// RequestURI returns the path and query as sent, nginx's $request_uri: for
// an absolute-form target, the part from the path on, "/" when there is
// none. The result is buf-backed, or a static "/".
func (r *Request) RequestURI(buf []byte) []byte {
	if r.pathFlags == pathSlash && r.uri.n == 0 {
		return slash
	}
	return r.uri.of(buf)
}

// RawPath returns the path before '?' or '#', undecoded (buf-backed, or a
// static "/" for an absolute-form target without a path).
func (r *Request) RawPath(buf []byte) []byte {
	if r.pathFlags == pathSlash {
		return slash
	}
	return r.path.of(buf)
}

// Path returns the decoded, normalised path used for location matching,
// nginx's $uri before any rewrite (see NormalizePath). When the raw path
// needs no work it is the buf-backed raw path; otherwise it lives in the
// parser's scratch and stays valid until Parser.Reset.
func (r *Request) Path(buf []byte) []byte {
	switch r.pathFlags {
	case pathNormalized:
		return r.norm[:len(r.norm):len(r.norm)]
	case pathSlash:
		return slash
	}
	return r.path.of(buf)
}

// Args returns the query string without '?' and without any fragment,
// nginx's $args, undecoded (buf-backed, empty when there is none).
func (r *Request) Args(buf []byte) []byte { return r.args.of(buf) }

// Version returns the HTTP version as nginx's http_version: 1000 for
// HTTP/1.0, 1001 for HTTP/1.1, 9 for HTTP/0.9 (major×1000 + minor).
func (r *Request) Version() int { return int(r.major)*1000 + int(r.minor) }

// Host returns the host nginx selects the server with ($host before its
// lowercasing): from an absolute-form target when there is one, else from
// the Host header, without port and final dot. nginx lowercases it; this
// returns the bytes as sent (compare case-insensitively). Empty for
// HTTP/1.0 without Host (buf-backed).
func (r *Request) Host(buf []byte) []byte { return r.server.of(buf) }

// RawHead returns the head as it arrived, from the first byte of the
// request line to the end of the empty line after the headers (buf-backed).
func (r *Request) RawHead(buf []byte) []byte { return buf[r.start:r.headLen:r.headLen] }

// HeaderLen returns the length of the head, as Parse returned it.
func (r *Request) HeaderLen() int { return r.headLen }

// NumHeaders returns the number of header lines kept.
func (r *Request) NumHeaders() int { return len(r.fields) }

// HeaderAt returns the name and value of header line i, in arrival order,
// value trimmed of spaces (buf-backed).
func (r *Request) HeaderAt(buf []byte, i int) (name, value []byte) {
	f := &r.fields[i]
	return f.name.of(buf), f.value.of(buf)
}

// IgnoredHeaders returns the number of header lines dropped as invalid
// (ignore_invalid_headers, underscores_in_headers). nginx logs them.
func (r *Request) IgnoredHeaders() int { return r.ignored }

// HeaderIndex returns the index of the first header line at or after from
// whose name equals name in any case, or -1. Use it with HeaderAt to walk
// repeated headers without allocating.
func (r *Request) HeaderIndex(buf []byte, name string, from int) int {
	for i := from; i < len(r.fields); i++ {
		f := &r.fields[i]
		if int(f.name.n) == len(name) && equalFold(f.name.of(buf), name) {
			return i
		}
	}
	return -1
}

// Header returns the value of the first header line named name, in any
// case. It returns nil when there is none and an empty non-nil slice for
// an empty value (buf-backed).
func (r *Request) Header(buf []byte, name string) []byte {
	if id := lookupHeader(name); id != hOther {
		return r.knownValue(buf, id)
	}
	if i := r.HeaderIndex(buf, name, 0); i >= 0 {
		return r.fields[i].value.of(buf)
	}
	return nil
}

func (r *Request) knownValue(buf []byte, id hdr) []byte {
	if i := r.known[id]; i > 0 {
		return r.fields[i-1].value.of(buf)
	}
	return nil
}

// ContentType returns the first Content-Type value or nil (buf-backed).
func (r *Request) ContentType(buf []byte) []byte { return r.knownValue(buf, hContentType) }

// Cookie returns the first Cookie value or nil (buf-backed); walk the
// others with HeaderIndex.
func (r *Request) Cookie(buf []byte) []byte { return r.knownValue(buf, hCookie) }

// UserAgent returns the first User-Agent value or nil (buf-backed).
func (r *Request) UserAgent(buf []byte) []byte { return r.knownValue(buf, hUserAgent) }

// Connection returns the first Connection value or nil (buf-backed).
func (r *Request) Connection(buf []byte) []byte { return r.knownValue(buf, hConnection) }

// Expect returns the Expect value or nil (buf-backed).
func (r *Request) Expect(buf []byte) []byte { return r.knownValue(buf, hExpect) }

// TransferEncoding returns the Transfer-Encoding value or nil (buf-backed).
func (r *Request) TransferEncoding(buf []byte) []byte {
	return r.knownValue(buf, hTransferEncoding)
}

// HostHeader returns the Host header value as sent, port included, or nil
// (buf-backed).
func (r *Request) HostHeader(buf []byte) []byte { return r.knownValue(buf, hHost) }

// ContentLength returns the Content-Length, or -1 when there is none.
func (r *Request) ContentLength() int64 { return r.contentLength }

// Chunked reports Transfer-Encoding: chunked; read the body with a
// ChunkedDecoder.
func (r *Request) Chunked() bool { return r.chunked }

// HasBody reports whether a body follows the head.
func (r *Request) HasBody() bool { return r.chunked || r.contentLength > 0 }

// ExpectContinue reports whether nginx would answer "100 Continue" before
// reading the body: HTTP/1.1 or later and Expect equal to "100-continue".
func (r *Request) ExpectContinue(buf []byte) bool {
	v := r.Expect(buf)
	return v != nil && r.Version() >= 1001 && len(v) == 12 && equalFold(v, "100-continue")
}

// KeepAlive reports whether the connection stays open after the response,
// as nginx decides before the response changes it: a Connection header
// with a "close" token closes, one with a "keep-alive" token keeps (HTTP/1.0
// included); without either, HTTP/1.1 and later keep and older close. nginx
// matches the substrings "close" and "keep-alive" anywhere in the value;
// this matches comma-separated tokens, so "Connection: closed" is ignored.
func (r *Request) KeepAlive() bool {
	switch r.conn {
	case connClose:
		return false
	case connKeepAlive:
		return true
	}
	return r.Version() > 1000
}

// noteKnown applies nginx's per-header handlers to field i.
func (r *Request) noteKnown(buf []byte, i int) error {
	f := &r.fields[i]
	id := f.id
	if id == hOther {
		return nil
	}
	first := r.known[id] == 0
	switch id {
	case hHost:
		if !first {
			return ErrDuplicateHost
		}
		n, ok := validHost(f.value.of(buf))
		if !ok {
			return ErrInvalidHost
		}
		if r.server.n == 0 {
			r.server = span{f.value.off, int32(n)}
		}
	case hConnection:
		if c := connectionType(f.value.of(buf)); c != connDefault {
			r.conn = c
		}
	case hContentType, hCookie, hUserAgent:
	default:
		if !first {
			return ErrDuplicateHeader
		}
	}
	if first {
		r.known[id] = int32(i + 1)
	}
	return nil
}

// finish runs nginx's checks on the complete head, in nginx's order
// (ngx_http_process_request_header).
func (r *Request) finish(buf []byte) error {
	if r.known[hHost] == 0 && r.Version() > 1000 {
		return ErrMissingHost
	}
	if v := r.knownValue(buf, hContentLength); v != nil {
		n, ok := parseContentLength(v)
		if !ok {
			return ErrInvalidContentLength
		}
		r.contentLength = n
	}
	if v := r.knownValue(buf, hTransferEncoding); v != nil {
		if r.Version() < 1001 {
			return ErrTransferEncoding10
		}
		if len(v) != 7 || !equalFold(v, "chunked") {
			return ErrUnknownTransferEncoding
		}
		if r.contentLength >= 0 {
			return ErrContentLengthAndChunked
		}
		r.chunked = true
	}
	switch r.meth {
	case MethodCONNECT:
		return ErrConnect
	case MethodTRACE:
		return ErrTrace
	}
	return nil
}

// parseContentLength is nginx's ngx_atoof: one or more digits, no sign, no
// overflow of int64.
func parseContentLength(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// connectionType finds "close" or "keep-alive" among the comma-separated
// tokens of a Connection value; close wins within one value.
func connectionType(v []byte) uint8 {
	t := uint8(connDefault)
	for len(v) > 0 {
		var tok []byte
		tok, v = nextToken(v)
		switch {
		case len(tok) == 5 && equalFold(tok, "close"):
			return connClose
		case len(tok) == 10 && equalFold(tok, "keep-alive"):
			t = connKeepAlive
		}
	}
	return t
}

// nextToken splits the first comma-separated element off v, trimmed of
// spaces and tabs.
func nextToken(v []byte) (tok, rest []byte) {
	i := 0
	for i < len(v) && v[i] != ',' {
		i++
	}
	tok, rest = v[:i], v[min(i+1, len(v)):]
	for len(tok) > 0 && (tok[0] == ' ' || tok[0] == '\t') {
		tok = tok[1:]
	}
	for len(tok) > 0 && (tok[len(tok)-1] == ' ' || tok[len(tok)-1] == '\t') {
		tok = tok[:len(tok)-1]
	}
	return tok, rest
}

// validHost is nginx's ngx_http_validate_host: it returns the length of the
// host without port and final dot, and false for a host nginx refuses
// (empty, "..", '/', a bad character, an unclosed IP literal, a bad or too
// large port).
func validHost(h []byte) (int, bool) {
	const (
		sStart = iota
		sName
		sLiteral
		sLiteralEnd
		sPort
	)
	st, hostLen, dotPos, port := sStart, len(h), -2, 0
	for i, c := range h {
		switch st {
		case sStart, sName:
			if st == sStart && c == '[' {
				st = sLiteral
				continue
			}
			st = sName
			switch {
			case isAlpha(c) || isDigit(c) || hostChar(c) || c == '%':
			case c == '.':
				if dotPos == i-1 {
					return 0, false
				}
				dotPos = i
			case c == ':':
				hostLen, st = i, sPort
			default:
				return 0, false
			}
		case sLiteral:
			switch {
			case isAlpha(c) || isDigit(c) || hostChar(c) || c == ':':
			case c == '.':
				if dotPos == i-1 {
					return 0, false
				}
				dotPos = i
			case c == ']':
				hostLen, st = i+1, sLiteralEnd
			default:
				return 0, false
			}
		case sLiteralEnd:
			if c != ':' {
				return 0, false
			}
			st = sPort
		case sPort:
			if !isDigit(c) {
				return 0, false
			}
			if port = port*10 + int(c-'0'); port > 65535 {
				return 0, false
			}
		}
	}
	if st == sLiteral {
		return 0, false
	}
	if dotPos == hostLen-1 {
		hostLen--
	}
	return hostLen, hostLen > 0
}

// hostChar: '-', unreserved '_' '~' and the sub-delims nginx allows.
func hostChar(c byte) bool {
	switch c {
	case '-', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

// lower maps ASCII upper case to lower case and every other byte to itself.
var lower = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
		if c >= 'A' && c <= 'Z' {
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return
}()

// equalFold compares b and s ignoring ASCII case.
func equalFold[T string | []byte](b T, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower[b[i]] != lower[s[i]] {
			return false
		}
	}
	return true
}

// lookupHeader classifies a header name without allocating.
func lookupHeader[T string | []byte](name T) hdr {
	var cands []hdrName
	switch len(name) {
	case 4:
		cands = hdrNames4[:]
	case 6:
		cands = hdrNames6[:]
	case 8:
		cands = hdrNames8[:]
	case 10:
		cands = hdrNames10[:]
	case 12:
		cands = hdrNames12[:]
	case 13:
		cands = hdrNames13[:]
	case 14:
		cands = hdrNames14[:]
	case 17:
		cands = hdrNames17[:]
	case 19:
		cands = hdrNames19[:]
	}
	for _, c := range cands {
		if lower[name[0]] == c.name[0] && equalFold(name, c.name) {
			return c.id
		}
	}
	return hOther
}

type hdrName struct {
	name string // lower case
	id   hdr
}

var (
	hdrNames4  = [...]hdrName{{"host", hHost}}
	hdrNames6  = [...]hdrName{{"cookie", hCookie}, {"expect", hExpect}}
	hdrNames8  = [...]hdrName{{"if-match", hIfMatch}, {"if-range", hIfRange}}
	hdrNames10 = [...]hdrName{{"connection", hConnection}, {"user-agent", hUserAgent}}
	hdrNames12 = [...]hdrName{{"content-type", hContentType}}
	hdrNames13 = [...]hdrName{{"content-range", hContentRange},
		{"if-none-match", hIfNoneMatch}, {"authorization", hAuthorization}}
	hdrNames14 = [...]hdrName{{"content-length", hContentLength}}
	hdrNames17 = [...]hdrName{{"transfer-encoding", hTransferEncoding},
		{"if-modified-since", hIfModifiedSince}}
	hdrNames19 = [...]hdrName{{"if-unmodified-since", hIfUnmodifiedSince},
		{"proxy-authorization", hProxyAuthorization}}
)

// Method identifies the methods nginx knows by name.
type Method uint8

// The methods nginx parses by name; any other token of A-Z, '_' and '-' is
// accepted as MethodOther.
const (
	MethodOther Method = iota
	MethodGET
	MethodHEAD
	MethodPOST
	MethodPUT
	MethodDELETE
	MethodMKCOL
	MethodCOPY
	MethodMOVE
	MethodOPTIONS
	MethodPROPFIND
	MethodPROPPATCH
	MethodLOCK
	MethodUNLOCK
	MethodPATCH
	MethodTRACE
	MethodCONNECT
)

var methodNames = [...]string{"", "GET", "HEAD", "POST", "PUT", "DELETE", "MKCOL",
	"COPY", "MOVE", "OPTIONS", "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "PATCH",
	"TRACE", "CONNECT"}

// String returns the method name, "" for MethodOther.
func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return ""
}

func lookupMethod(tok []byte) Method {
	switch string(tok) { // no allocation: the compiler compares in place
	case "GET":
		return MethodGET
	case "HEAD":
		return MethodHEAD
	case "POST":
		return MethodPOST
	case "PUT":
		return MethodPUT
	case "DELETE":
		return MethodDELETE
	case "MKCOL":
		return MethodMKCOL
	case "COPY":
		return MethodCOPY
	case "MOVE":
		return MethodMOVE
	case "OPTIONS":
		return MethodOPTIONS
	case "PROPFIND":
		return MethodPROPFIND
	case "PROPPATCH":
		return MethodPROPPATCH
	case "LOCK":
		return MethodLOCK
	case "UNLOCK":
		return MethodUNLOCK
	case "PATCH":
		return MethodPATCH
	case "TRACE":
		return MethodTRACE
	case "CONNECT":
		return MethodCONNECT
	}
	return MethodOther
}

var slash = []byte("/")[:1:1]
