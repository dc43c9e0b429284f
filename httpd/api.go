package httpd

import (
	"github.com/luring/luring/conf"
	"github.com/luring/luring/loop"
)

// This file is the contract between the HTTP engine (this package) and the
// Lua API (package ngx): the phase engine calls a LuaRunner for every Lua
// handler, and the Lua API reaches the request only through Exchange, which
// *Request implements. Both sides are used on the loop's thread only.

// Phase is a request processing phase that can run a Lua handler.
type Phase uint8

// Phases in the order a request goes through them.
const (
	PhaseRewrite Phase = iota // rewrite_by_lua*: after set/return of the location
	PhaseAccess               // access_by_lua*
	PhaseContent              // content_by_lua*: the location's content handler
	PhaseLog                  // log_by_lua*: after the response was sent; cannot yield
)

// String is the phase's name in ngx_lua's words: "rewrite", "access", ...
func (p Phase) String() string {
	switch p {
	case PhaseRewrite:
		return "rewrite"
	case PhaseAccess:
		return "access"
	case PhaseContent:
		return "content"
	case PhaseLog:
		return "log"
	}
	return "unknown"
}

// Outcome says how a phase handler ended.
type Outcome uint8

// Outcomes of a phase handler.
const (
	// Next: the handler returned or called ngx.exit(ngx.OK); go on with
	// the next phase (after content: finish the response).
	Next Outcome = iota
	// Pending: the handler is waiting; the runner calls Request.Resume
	// with the final PhaseResult later, on the loop's thread.
	Pending
	// Exit: ngx.exit(status) with status >= 200 or 444 (Status): stop the
	// phases and finalize with that status (a default page when nothing was
	// sent yet; 444 closes the connection without a response).
	Exit
	// Fail: a Lua error; the runner has logged it; finalize with 500
	// unless headers were sent (then the connection is closed).
	Fail
	// Redirect: ngx.exec(URI, Args): an internal redirect; the request
	// starts over at URI (a path, or "@name") with a fresh Lua context.
	Redirect
)

// PhaseResult is the result of one phase handler.
type PhaseResult struct {
	Outcome Outcome
	Status  int    // with Exit
	URI     string // with Redirect
	Args    string // with Redirect: the new query string ("" for none)
	// Jump: with Redirect, ngx.req.set_uri(uri, true): the location is
	// matched again for URI (taken whole: a '?' is part of the path), the
	// query string kept, as nginx's "rewrite ... last".
	Jump bool
}

// LuaRunner runs Lua handlers for the phase engine. Package ngx implements
// it over lvm; tests use fakes.
type LuaRunner interface {
	// Run starts code for x in phase. It returns the result, or Pending and
	// then later calls x.Resume(result) exactly once, never from inside
	// Run (the loop's rule: no completion runs inside its caller).
	Run(x Exchange, phase Phase, code *conf.LuaCode) PhaseResult
	// Abort is called once when a request with a Pending handler ends
	// early (client gone, timeout, server stopping): the runner cancels
	// the handler's waits and frees its coroutines without resuming it.
	Abort(x Exchange)
	// Done is called once per request whose Ctx was set, after its log
	// phase (or its abandonment): nothing calls into the runner for x
	// again, so the runner may recycle what it keeps in Ctx. httpd then
	// clears Ctx.
	Done(x Exchange)
}

// SetRunner is what a LuaRunner implements to run set_by_lua*: the code
// runs at once (it cannot wait) with args, and returns the variable's
// value; false when it failed (the runner logged why).
type SetRunner interface {
	RunSet(x Exchange, code *conf.LuaCode, args []string) (string, bool)
}

// HeaderFilterRunner is what a LuaRunner implements to run
// header_filter_by_lua*: at once, when the response head is fixed, the
// head still editable (status, headers); it cannot wait or write a body.
type HeaderFilterRunner interface {
	RunHeaderFilter(x Exchange, code *conf.LuaCode)
}

// ClientAborter is what a LuaRunner implements to hear of a client that
// closed its side while a handler waits, in a location with
// lua_check_client_abort on: it reports whether it took the event
// (ngx.on_abort's function runs, the request goes on); otherwise the
// request ends with 499.
type ClientAborter interface {
	ClientAbort(x Exchange) bool
}

// Header is one request or response header field.
type Header struct {
	Name, Value string
}

// Exchange is what the Lua API needs of one request and its response.
// Strings returned by request getters are copies safe to keep for the
// request's lifetime (they are built once, lazily).
type Exchange interface {
	// Loop is the request's loop (timers, Dial, Post).
	Loop() *loop.Loop
	// ConnID is the connection number for logs ("*3").
	ConnID() uint64
	// Phase is the phase running now.
	Phase() Phase
	// Location is the matched location (its Lua handlers, limits).
	Location() *conf.Location
	// Server is the matched server block.
	Server() *conf.Server

	// Method is the request method ("GET").
	Method() string
	// SetURI replaces the request's URI path (ngx.req.set_uri without a
	// jump: $uri changes, the location stays).
	SetURI(uri string)
	// SetMethod changes the request's method (ngx.req.set_method).
	SetMethod(name string)
	// RequestLine is the raw request line without CRLF.
	RequestLine() string
	// URI is the normalized path without args ($uri).
	URI() string
	// RequestURI is the raw target with args ($request_uri).
	RequestURI() string
	// Args is the query string without '?' ($args).
	Args() string
	// HTTPVersion is 1.0, 1.1 (or 0.9).
	HTTPVersion() float64
	// RequestHeader returns the first value of a request header (case-
	// insensitive name) and whether it was present.
	RequestHeader(name string) (string, bool)
	// RequestHeaders returns all request headers in order.
	RequestHeaders() []Header
	// RawHeader is the main request's head as received (ngx.req.raw_header).
	RawHeader(noRequestLine bool) []byte
	// SetRequestHeader replaces a request header's values (none removes
	// it): ngx.req.set_header and clear_header.
	SetRequestHeader(name string, values []string) error
	// RemoteAddr is the client address without port ($remote_addr).
	RemoteAddr() string

	// Var returns a variable's value (name lower-case, without '$') and
	// whether it is found for this request (nginx "not found" → false).
	Var(name string) (string, bool)
	// SetVar assigns a variable; errors carry ngx_lua's exact message.
	SetVar(name, value string, unset bool) error
	// Capture returns regex capture n of the matched location, if any.
	Capture(n int) (string, bool)
	// Eval evaluates a value with variables and captures (conf.SplitVars)
	// for this request, as `set` does.
	Eval(parts []conf.Part) string

	// Status is the response status (0 while none set).
	Status() int
	// SetStatus sets the response status; false after headers were sent.
	SetStatus(code int) bool
	// ResponseHeader returns the values of a response header.
	ResponseHeader(name string) []string
	// SetResponseHeader replaces a response header's values; no values
	// removes it. Content-Type and Content-Length are kept as nginx does.
	SetResponseHeader(name string, values []string)
	// ResponseHeaders lists the response headers in order.
	ResponseHeaders() []Header
	// ResponseFraming is what the response's Connection header says or
	// will say ("keep-alive", "close", or "upgrade" for a 101) and whether
	// its body is chunked (known once the head is fixed).
	ResponseFraming() (connection string, chunked bool)
	// HeadersSent reports whether the status line and headers were sent.
	HeadersSent() bool
	// SendHeaders sends the status line and headers now (ngx.send_headers);
	// idempotent.
	SendHeaders() error
	// Write appends body bytes to the response (copied). It sends the
	// headers first if needed.
	Write(p []byte) error
	// WriteString is Write for a string.
	WriteString(s string) error
	// Flush submits the buffered response; with wait, done runs once the
	// kernel took it (or with the error), never inside Flush. Without
	// wait, done may be nil.
	Flush(wait bool, done func(err error))
	// EOF ends the response body (ngx.eof); later writes fail.
	EOF() error
	// Finished reports whether the response body was ended.
	Finished() bool

	// The request body (body.go, bodystore.go).
	//
	// BodyState says what became of it.
	BodyState() BodyState
	// ReadBody reads the whole body into the request's store (memory or
	// a temp file) and calls cb, never inside ReadBody.
	ReadBody(cb func(body []byte, err error))
	// BodyReader hands the unread body to a streaming reader.
	BodyReader() (*BodyReader, error)
	// Hijack hands the client connection over with its buffered bytes.
	Hijack() (*BodyReader, error)
	// Hijacked reports whether Hijack succeeded.
	Hijacked() bool
	// DiscardBody drops the unread body.
	DiscardBody()
	// RequestBody is the body kept: bytes in memory, or its file's name.
	RequestBody() (data []byte, file string)
	// SetRequestBody, SetRequestBodyFile, InitBody, AppendBody and
	// FinishBody install a new body (ngx.req.set_body_* and friends).
	SetRequestBody(p []byte) error
	SetRequestBodyFile(path string, clean bool) error
	InitBody(size int64) error
	AppendBody(p []byte) error
	FinishBody() error

	// StartMs is when the request began (its first byte), in Unix
	// milliseconds (ngx.req.start_time, $request_time's origin).
	StartMs() int64
	// IsSubrequest reports whether the request is a subrequest.
	IsSubrequest() bool
	// Internal reports whether the request is a subrequest or went through
	// an internal redirect (ngx.req.is_internal).
	Internal() bool
	// Subrequest starts a subrequest (ngx.location.capture); done gets its
	// response once it ended, never inside Subrequest.
	Subrequest(o SubOptions, done func(res *SubResult)) error

	// Ctx is the per-request slot of the Lua API (ngx.ctx, coroutine, ...).
	Ctx() any
	// SetCtx replaces it.
	SetCtx(v any)
	// Resume delivers the final result of a Pending phase handler.
	Resume(res PhaseResult)
	// Logf writes an error-log line for this request at level, with nginx's ", client: ..., server:
	// ..., request: ..." suffix.
	Logf(level conf.LogLevel, format string, args ...any)
}
