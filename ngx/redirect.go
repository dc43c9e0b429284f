package ngx

import (
	"fmt"
	"strings"

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
