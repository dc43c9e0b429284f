package ngx

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/loop"
)

// fakeX is an httpd.Exchange that records what the Lua API does to the
// response. Loop thread only, like a real request.
type fakeX struct {
	loop *loop.Loop
	loc  *conf.Location
	// connection and chunked are what ResponseFraming reports.
	connection string
	chunked    bool
	method     string
	uri        string
	args       string
	version    float64
	reqHdrs    []httpd.Header
	vars       map[string]string // variables found for this request
	settable   map[string]bool   // variables "set $x '';" declared
	captures   []string          // regex captures 1..n

	status   int
	hdrs     []httpd.Header // response headers in order
	sent     bool           // headers sent
	finished bool           // EOF called
	body     bytes.Buffer
	flushes  int   // Flush calls
	flushErr error // error Flush reports to its callback
	logs     []string

	ctx     any
	results chan httpd.PhaseResult // Resume calls
}

// newFakeX returns a GET /t HTTP/1.1 request on l.
func newFakeX(l *loop.Loop) *fakeX {
	return &fakeX{
		loop: l, method: "GET", uri: "/t", version: 1.1, connection: "keep-alive",
		reqHdrs:  []httpd.Header{{Name: "Host", Value: "localhost"}},
		vars:     map[string]string{},
		settable: map[string]bool{},
		results:  make(chan httpd.PhaseResult, 4),
	}
}

var levelNames = [...]string{"stderr", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

func (x *fakeX) Loop() *loop.Loop               { return x.loop }
func (x *fakeX) ConnID() uint64                 { return 3 }
func (x *fakeX) Phase() httpd.Phase             { return httpd.PhaseContent }
func (x *fakeX) Location() *conf.Location       { return x.loc }
func (x *fakeX) Server() *conf.Server           { return nil }
func (x *fakeX) Method() string                 { return x.method }
func (x *fakeX) RequestLine() string            { return x.method + " " + x.RequestURI() + " HTTP/1.1" }
func (x *fakeX) URI() string                    { return x.uri }
func (x *fakeX) Args() string                   { return x.args }
func (x *fakeX) HTTPVersion() float64           { return x.version }
func (x *fakeX) RequestHeaders() []httpd.Header { return x.reqHdrs }
func (x *fakeX) RemoteAddr() string             { return "127.0.0.1" }
func (x *fakeX) Status() int                    { return x.status }
func (x *fakeX) HeadersSent() bool              { return x.sent }
func (x *fakeX) Finished() bool                 { return x.finished }
func (x *fakeX) Ctx() any                       { return x.ctx }
func (x *fakeX) SetCtx(v any)                   { x.ctx = v }
func (x *fakeX) Resume(r httpd.PhaseResult)     { x.results <- r }

func (x *fakeX) RequestURI() string {
	if x.args != "" {
		return x.uri + "?" + x.args
	}
	return x.uri
}

func (x *fakeX) RequestHeader(name string) (string, bool) {
	for _, h := range x.reqHdrs {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

func (x *fakeX) Var(name string) (string, bool) {
	v, ok := x.vars[name]
	return v, ok
}

func (x *fakeX) SetVar(name, value string, unset bool) error {
	if name == "query_string" {
		return fmt.Errorf("variable %q not changeable", name)
	}
	if !x.settable[name] {
		return fmt.Errorf("variable \"%s\" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use \"set $%s '';\" in the config file to define it first", name, name)
	}
	if unset {
		delete(x.vars, name)
	} else {
		x.vars[name] = value
	}
	return nil
}

func (x *fakeX) Eval(parts []conf.Part) string {
	var b strings.Builder
	for _, p := range parts {
		switch p.Kind {
		case conf.PartLiteral:
			b.WriteString(p.Text)
		case conf.PartVar:
			v, _ := x.Var(p.Text)
			b.WriteString(v)
		}
	}
	return b.String()
}

func (x *fakeX) Capture(n int) (string, bool) {
	if n < 1 || n > len(x.captures) {
		return "", false
	}
	return x.captures[n-1], true
}

func (x *fakeX) SetStatus(code int) bool {
	if x.sent {
		return false
	}
	x.status = code
	return true
}

func (x *fakeX) ResponseHeader(name string) []string {
	var vals []string
	for _, h := range x.hdrs {
		if strings.EqualFold(h.Name, name) {
			vals = append(vals, h.Value)
		}
	}
	return vals
}

func (x *fakeX) SetResponseHeader(name string, values []string) {
	kept := x.hdrs[:0]
	for _, h := range x.hdrs {
		if !strings.EqualFold(h.Name, name) {
			kept = append(kept, h)
		}
	}
	x.hdrs = kept
	for _, v := range values {
		x.hdrs = append(x.hdrs, httpd.Header{Name: name, Value: v})
	}
}

func (x *fakeX) ResponseHeaders() []httpd.Header { return x.hdrs }

func (x *fakeX) ResponseFraming() (string, bool) { return x.connection, x.chunked }

func (x *fakeX) SendHeaders() error {
	if !x.sent {
		x.sent = true
		if x.status == 0 {
			x.status = 200
		}
	}
	return nil
}

func (x *fakeX) Write(p []byte) error {
	if x.finished {
		return errors.New("fake: write after eof")
	}
	_ = x.SendHeaders()
	x.body.Write(p)
	return nil
}

func (x *fakeX) WriteString(s string) error { return x.Write([]byte(s)) }

// Flush completes on a coming loop turn, like a real send.
func (x *fakeX) Flush(wait bool, done func(err error)) {
	x.flushes++
	if done != nil {
		err := x.flushErr
		x.loop.Soon(func() { done(err) }) // never inside Flush, as httpd
	}
}

func (x *fakeX) EOF() error {
	_ = x.SendHeaders()
	x.finished = true
	return nil
}

func (x *fakeX) Logf(level conf.LogLevel, format string, args ...any) {
	x.logs = append(x.logs, "["+levelNames[level]+"] "+fmt.Sprintf(format, args...))
}

// The fake has no request body: the body API behaves as for a GET.
func (x *fakeX) BodyState() httpd.BodyState { return httpd.BodyAbsent }
func (x *fakeX) ReadBody(cb func(body []byte, err error)) {
	x.loop.Soon(func() { cb(nil, nil) })
}
func (x *fakeX) BodyReader() (*httpd.BodyReader, error)           { return nil, httpd.ErrNoBody }
func (x *fakeX) Hijack() (*httpd.BodyReader, error)               { return nil, httpd.ErrClientAborted }
func (x *fakeX) Hijacked() bool                                   { return false }
func (x *fakeX) DiscardBody()                                     {}
func (x *fakeX) RequestBody() ([]byte, string)                    { return nil, "" }
func (x *fakeX) SetRequestBody(p []byte) error                    { return httpd.ErrBodyNotRead }
func (x *fakeX) SetRequestBodyFile(path string, clean bool) error { return httpd.ErrBodyNotRead }
func (x *fakeX) InitBody(size int64) error                        { return httpd.ErrBodyNotRead }
func (x *fakeX) AppendBody(p []byte) error                        { return httpd.ErrBodyNotInit }
func (x *fakeX) FinishBody() error                                { return httpd.ErrBodyNotInit }
func (x *fakeX) IsSubrequest() bool                               { return false }
func (x *fakeX) Subrequest(o httpd.SubOptions, done func(res *httpd.SubResult)) error {
	return httpd.ErrSubDepth
}
func (x *fakeX) StartMs() int64 { return 1700000000123 }
func (x *fakeX) SetRequestHeader(name string, values []string) error {
	kept := x.reqHdrs[:0]
	for _, h := range x.reqHdrs {
		if !strings.EqualFold(h.Name, name) {
			kept = append(kept, h)
		}
	}
	for _, v := range values {
		kept = append(kept, httpd.Header{Name: name, Value: v})
	}
	x.reqHdrs = kept
	return nil
}
func (x *fakeX) RawHeader(noRequestLine bool) []byte { return nil }
func (x *fakeX) Internal() bool                      { return false }
func (x *fakeX) SetMethod(name string)               { x.method = name }
func (x *fakeX) SetURI(uri string)                   { x.uri = uri }
