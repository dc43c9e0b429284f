package ngx

import (
	"fmt"
	"strings"

	"github.com/luring/luring/httpd"
	lua "github.com/yuin/gopher-lua"
)

// This file is ngx.redirect(uri, status?): a Location header and the
// handler's end with the status, as ngx.exit ends it. The URI goes out as
// given (a relative one stays relative, as with the reference).

// Error strings of ngx.redirect (ngx_lua's).
const (
	errRedirectArgs   = "expecting one or two arguments"
	errRedirectStatus = "only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed"
	errRedirectUnsafe = "unsafe byte \"0x%02x\" in redirect uri \"%s\""
	errRedirectSent   = "attempt to call ngx.redirect after sending out the headers"
)

// redirect is ngx.redirect(uri, status?).
func (rn *Runner) redirect(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		L.RaiseError("%s", errRedirectArgs)
	}
	uri := L.CheckString(1)
	status := 302
	if n == 2 {
		status = L.CheckInt(2)
		switch status {
		case 301, 302, 303, 307, 308:
		default:
			L.RaiseError("%s", errRedirectStatus)
		}
	}
	for i := 0; i < len(uri); i++ {
		if c := uri[i]; c < 0x20 || c == 0x7f {
			L.RaiseError(errRedirectUnsafe, c, escapeControls(uri))
		}
	}
	c := enter(L, errNoRequest, maskOutput)
	x := c.exchange(L)
	if x.HeadersSent() {
		L.RaiseError("%s", errRedirectSent)
	}
	x.SetResponseHeader("Location", []string{uri})
	rq := c.rq
	rq.exited = true
	rq.exitCode = status
	return c.await(L, nil) // never resumed: the handler ends
}

// escapeControls writes control bytes as \xHH, as ngx_lua quotes the URI
// in its error.
func escapeControls(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "\\x%02X", c)
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Error strings of ngx.exec (ngx_lua's).
const (
	errExecArgs  = "expecting one or two arguments, but got %d"
	errExecEmpty = "The uri argument is empty"
	errExecSent  = "attempt to call ngx.exec after sending out response headers"
	errExecURI   = "unsafe uri"
)

// exec is ngx.exec(uri, args?): an internal redirect. The handler ends
// here (as with ngx.exit); httpd starts the request over at uri, named
// locations ("@name") included, with a fresh ngx.ctx.
func (rn *Runner) exec(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		L.RaiseError(errExecArgs, n)
	}
	uri := L.CheckString(1)
	if uri == "" {
		L.RaiseError("%s", errExecEmpty)
	}
	args := ""
	switch v := L.Get(2).(type) {
	case *lua.LNilType:
	case *lua.LTable:
		args = encodeArgs(L, v)
	default:
		s, ok := luaString(v)
		if !ok {
			argError(L, 2, "string, number, or table expected, but got "+typeName(v))
		}
		args = s
	}
	if !strings.HasPrefix(uri, "@") {
		path, q, ok := strings.Cut(uri, "?")
		if unsafeURI(path) {
			L.RaiseError("%s", errExecURI)
		}
		if ok {
			uri, args = path, joinArgs(q, args)
		}
	} else {
		args = "" // a named location takes no arguments
	}
	c := enter(L, errNoRequest, ctxRewrite|ctxAccess|ctxContent)
	x := c.exchange(L)
	if x.HeadersSent() {
		L.RaiseError("%s", errExecSent)
	}
	rq := c.rq
	rq.exited = true
	rq.exec = &httpd.PhaseResult{Outcome: httpd.Redirect, URI: uri, Args: args}
	return c.await(L, nil) // never resumed: the handler ends
}
