package httpd

import (
	"strconv"
	"sync"
)

// Status codes nginx uses internally that never appear on a status line
// as such; see ResponseStatus.
const (
	// StatusRequestHeaderTooLarge is nginx's 494: a header line or the whole
	// header block did not fit large_client_header_buffers, or there were
	// more than max_headers lines. The client sees "400 Bad Request" with the
	// "Request Header Or Cookie Too Large" page.
	StatusRequestHeaderTooLarge = 494
	// StatusClose is nginx's 444: close the connection without a response.
	StatusClose = 444
	// StatusClientClosedRequest is nginx's 499, logged when the client went away.
	StatusClientClosedRequest = 499
)

// statusText is nginx's ngx_http_status_lines: the reason phrases nginx
// prints on its status lines. Codes nginx lists with a null string
// (203, 205, 417, 422, ...) are absent: nginx prints them as "203 " with an
// empty reason.
var statusText = map[int]string{
	200: "OK",
	201: "Created",
	202: "Accepted",
	204: "No Content",
	206: "Partial Content",
	301: "Moved Permanently",
	302: "Moved Temporarily",
	303: "See Other",
	304: "Not Modified",
	307: "Temporary Redirect",
	308: "Permanent Redirect",
	400: "Bad Request",
	401: "Unauthorized",
	402: "Payment Required",
	403: "Forbidden",
	404: "Not Found",
	405: "Not Allowed",
	406: "Not Acceptable",
	407: "Proxy Authentication Required",
	408: "Request Time-out",
	409: "Conflict",
	410: "Gone",
	411: "Length Required",
	412: "Precondition Failed",
	413: "Request Entity Too Large",
	414: "Request-URI Too Large",
	415: "Unsupported Media Type",
	416: "Requested Range Not Satisfiable",
	421: "Misdirected Request",
	429: "Too Many Requests",
	500: "Internal Server Error",
	501: "Not Implemented",
	502: "Bad Gateway",
	503: "Service Temporarily Unavailable",
	504: "Gateway Time-out",
	505: "HTTP Version Not Supported",
	507: "Insufficient Storage",
}

// statusLines holds "HTTP/1.1 <code> <reason>\r\n" for every code of
// statusText, built once so AppendStatusLine does not format.
var statusLines = func() map[int]string {
	m := make(map[int]string, len(statusText))
	for code, text := range statusText {
		m[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n"
	}
	return m
}()

// StatusText returns the reason phrase nginx prints after code on a status
// line ("Not Found", "Request-URI Too Large", "Moved Temporarily"), or ""
// when nginx prints the code alone.
func StatusText(code int) string {
	return statusText[code]
}

// ResponseStatus returns the code to put on the status line for an nginx
// status code: nginx answers its internal 494 to 497 with 400 (keeping the
// specific error page); every other code is returned unchanged.
func ResponseStatus(code int) int {
	switch code {
	case 494, 495, 496, 497:
		return 400
	}
	return code
}

// AppendStatusLine appends the HTTP/1.1 status line nginx sends for code,
// CRLF included, to dst and returns the extended slice. A code without a
// reason phrase is printed like nginx does, "HTTP/1.1 203 \r\n" (three
// digits, one space, nothing else). Codes 494 to 497 are not mapped here:
// pass ResponseStatus(code). It allocates only when dst lacks capacity.
func AppendStatusLine(dst []byte, code int) []byte {
	if line, ok := statusLines[code]; ok {
		return append(dst, line...)
	}
	dst = append(dst, "HTTP/1.1 "...)
	if code >= 0 && code < 100 {
		dst = append(dst, '0')
		if code < 10 {
			dst = append(dst, '0')
		}
	}
	dst = strconv.AppendInt(dst, int64(code), 10)
	return append(dst, " \r\n"...)
}

// errorPageHeads are the bodies of nginx's ngx_http_error_pages without the
// tail; the titles are nginx's own, which differ from the status line in
// places (302 "Found", 401 "Authorization Required", 494 to 497).
var errorPageHeads = map[int]string{
	301: simplePage("301 Moved Permanently"),
	302: simplePage("302 Found"),
	303: simplePage("303 See Other"),
	307: simplePage("307 Temporary Redirect"),
	308: simplePage("308 Permanent Redirect"),
	400: simplePage("400 Bad Request"),
	401: simplePage("401 Authorization Required"),
	402: simplePage("402 Payment Required"),
	403: simplePage("403 Forbidden"),
	404: simplePage("404 Not Found"),
	405: simplePage("405 Not Allowed"),
	406: simplePage("406 Not Acceptable"),
	407: simplePage("407 Proxy Authentication Required"),
	408: simplePage("408 Request Time-out"),
	409: simplePage("409 Conflict"),
	410: simplePage("410 Gone"),
	411: simplePage("411 Length Required"),
	412: simplePage("412 Precondition Failed"),
	413: simplePage("413 Request Entity Too Large"),
	414: simplePage("414 Request-URI Too Large"),
	415: simplePage("415 Unsupported Media Type"),
	416: simplePage("416 Requested Range Not Satisfiable"),
	421: simplePage("421 Misdirected Request"),
	429: simplePage("429 Too Many Requests"),
	494: badRequestPage("Request Header Or Cookie Too Large"),
	495: badRequestPage("The SSL certificate error"),
	496: badRequestPage("No required SSL certificate was sent"),
	497: badRequestPage("The plain HTTP request was sent to HTTPS port"),
	498: simplePage("404 Not Found"),
	500: simplePage("500 Internal Server Error"),
	501: simplePage("501 Not Implemented"),
	502: simplePage("502 Bad Gateway"),
	503: simplePage("503 Service Temporarily Unavailable"),
	504: simplePage("504 Gateway Time-out"),
	505: simplePage("505 HTTP Version Not Supported"),
	507: simplePage("507 Insufficient Storage"),
}

func simplePage(title string) string {
	return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n" +
		"<center><h1>" + title + "</h1></center>\r\n"
}

func badRequestPage(text string) string {
	return "<html>\r\n<head><title>400 " + text + "</title></head>\r\n<body>\r\n" +
		"<center><h1>400 Bad Request</h1></center>\r\n<center>" + text + "</center>\r\n"
}

// ErrorPages is the set of default error bodies for one server token,
// built once; share it between goroutines freely.
type ErrorPages struct {
	pages map[int][]byte // code → head + tail; read-only after NewErrorPages
}

// NewErrorPages builds every default error body with serverToken in the
// signature line: "nginx" for server_tokens off, "nginx/1.27.0" for on.
func NewErrorPages(serverToken string) *ErrorPages {
	tail := "<hr><center>" + serverToken + "</center>\r\n</body>\r\n</html>\r\n"
	ep := &ErrorPages{pages: make(map[int][]byte, len(errorPageHeads))}
	for code, head := range errorPageHeads {
		ep.pages[code] = []byte(head + tail)
	}
	return ep
}

// Page returns the body nginx sends for code, or nil when nginx sends an
// empty body (201, 204, 304, 499, unknown codes). The slice is shared by
// every caller and lives as long as ep: never modify it.
func (ep *ErrorPages) Page(code int) []byte {
	return ep.pages[code]
}

var pageSets sync.Map // server token → *ErrorPages

// ErrorPage returns nginx's default error body for code, byte-identical to
// nginx's except that serverToken replaces "nginx" in the signature line.
// Bodies are built once per token and shared: the result must not be
// modified; it stays valid for the life of the process. It returns nil when
// nginx sends no body for code. A content type of text/html goes with it.
func ErrorPage(code int, serverToken string) []byte {
	if v, ok := pageSets.Load(serverToken); ok {
		return v.(*ErrorPages).Page(code)
	}
	v, _ := pageSets.LoadOrStore(serverToken, NewErrorPages(serverToken))
	return v.(*ErrorPages).Page(code)
}

// MSIEPadding is what nginx appends to error pages of 400 and above, when
// msie_padding is on (the default), for HTTP/1.0+ requests from browsers
// NeedsPadding recognises, so that they show the page instead of their own.
const MSIEPadding = "" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n"

// NeedsPadding reports whether nginx would classify userAgent as MSIE or
// Chrome (its headers_in.msie / headers_in.chrome flags), the browsers that
// get MSIEPadding. Note Chrome's "like Gecko)" is not nginx's "Gecko/".
func NeedsPadding(userAgent []byte) bool {
	if i := indexString(userAgent, "MSIE "); i >= 0 && i+7 < len(userAgent) {
		return indexString(userAgent, "Opera") < 0
	}
	if indexString(userAgent, "Opera") >= 0 || indexString(userAgent, "Gecko/") >= 0 {
		return false
	}
	return indexString(userAgent, "Chrome/") >= 0
}

// indexString is bytes.Index for a string needle without converting it.
func indexString(b []byte, s string) int {
	n := len(s)
	for i := 0; i+n <= len(b); i++ {
		if b[i] == s[0] && string(b[i:i+n]) == s {
			return i
		}
	}
	return -1
}

// Error is a request the parser refuses, with the status nginx answers to
// the same bytes. All parse errors close the connection after the answer,
// as nginx does (keep-alive is not yet decided when they happen).
type Error struct {
	// Status is nginx's code: 400, 405, 414, 494, 501 or 505. Put
	// ResponseStatus(Status) on the status line and ErrorPage(Status, …)
	// in the body.
	Status int
	// Reason is the message nginx writes to the error log at info level.
	Reason string
}

// Error returns the log message and the status.
func (e *Error) Error() string {
	return "httpd: " + e.Reason + " (" + strconv.Itoa(e.Status) + ")"
}

// The errors Parse returns. Compare with errors.Is or ==; they are
// pointers, so returning them never allocates.
var (
	// ErrNeedMore is returned by Parse while the header block is incomplete.
	// It is not an *Error.
	ErrNeedMore = &needMore{}

	// ErrInvalidMethod is returned for a method token with characters other
	// than A-Z, '_' and '-' (lower case included).
	ErrInvalidMethod = &Error{400, "client sent invalid method"}
	// ErrInvalidRequest is returned for a malformed request line or URI.
	ErrInvalidRequest = &Error{400, "client sent invalid request"}
	// ErrInvalidVersion is returned for HTTP major versions above 1.
	ErrInvalidVersion = &Error{505, "client sent invalid version"}
	// ErrInvalid09Method is returned for an HTTP/0.9 request other than GET.
	ErrInvalid09Method = &Error{400, "client sent invalid method in HTTP/0.9 request"}
	// ErrURITooLong is returned when the request line exceeds a large
	// header buffer.
	ErrURITooLong = &Error{414, "client sent too long URI"}
	// ErrHeaderLineTooLong is returned when one header line exceeds a large
	// header buffer.
	ErrHeaderLineTooLong = &Error{494, "client sent too long header line"}
	// ErrRequestTooLarge is returned when the header block exceeds the
	// large header buffers in total.
	ErrRequestTooLarge = &Error{494, "client sent too large request"}
	// ErrTooManyHeaders is returned for more than Limits.MaxHeaders lines.
	ErrTooManyHeaders = &Error{494, "client sent too many header lines"}
	// ErrInvalidHeader is returned for a header line nginx cannot parse:
	// NUL, bare CR, a control character or space in the name, obs-fold.
	ErrInvalidHeader = &Error{400, "client sent invalid header line"}
	// ErrDuplicateHeader is returned for a second Content-Length,
	// Transfer-Encoding, Expect, If-* or Authorization line.
	ErrDuplicateHeader = &Error{400, "client sent duplicate header line"}
	// ErrDuplicateHost is returned for a second Host line.
	ErrDuplicateHost = &Error{400, "client sent duplicate host header"}
	// ErrInvalidHost is returned for a Host header nginx does not accept.
	ErrInvalidHost = &Error{400, "client sent invalid host header"}
	// ErrInvalidHostInRequestLine is the same for an absolute-form URI.
	ErrInvalidHostInRequestLine = &Error{400, "client sent invalid host in request line"}
	// ErrMissingHost is returned for HTTP/1.1 without a Host header.
	ErrMissingHost = &Error{400, `client sent HTTP/1.1 request without "Host" header`}
	// ErrInvalidContentLength is returned for a Content-Length that is not
	// a non-negative decimal fitting in int64.
	ErrInvalidContentLength = &Error{400, `client sent invalid "Content-Length" header`}
	// ErrTransferEncoding10 is returned for Transfer-Encoding in HTTP/1.0.
	ErrTransferEncoding10 = &Error{400, `client sent HTTP/1.0 request with "Transfer-Encoding" header`}
	// ErrContentLengthAndChunked is returned for Content-Length together
	// with Transfer-Encoding: chunked (request smuggling).
	ErrContentLengthAndChunked = &Error{400, `client sent "Content-Length" and "Transfer-Encoding" headers at the same time`}
	// ErrUnknownTransferEncoding is returned for any Transfer-Encoding other
	// than exactly "chunked" (any case).
	ErrUnknownTransferEncoding = &Error{501, `client sent unknown "Transfer-Encoding"`}
	// ErrConnect is returned for CONNECT, which nginx's core answers with
	// 405 unless a tunnelling module allows it.
	ErrConnect = &Error{405, "client sent CONNECT method"}
	// ErrTrace is returned for TRACE, which nginx never serves.
	ErrTrace = &Error{405, "client sent TRACE method"}
	// ErrInvalidChunked is returned by ChunkedDecoder for malformed framing
	// or a chunk size that overflows int64.
	ErrInvalidChunked = &Error{400, "client sent invalid chunked body"}
)

type needMore struct{}

// Error implements error.
func (*needMore) Error() string { return "httpd: need more data" }
