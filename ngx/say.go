package ngx

import (
	"fmt"
	"math"

	"github.com/luring/luring/httpd"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// injectSay adds the output API: ngx.say, ngx.print, ngx.flush, ngx.eof
// and ngx.send_headers.
func (rn *Runner) injectSay(L *lua.LState, ngx *lua.LTable) {
	setFuncs(L, ngx, []binding{
		{"eof", rn.eof},
		{"flush", rn.flush},
		{"print", func(L *lua.LState) int { return rn.echo(L, false) }},
		{"say", func(L *lua.LState) int { return rn.echo(L, true) }},
		{"send_headers", rn.sendHeaders},
	})
}

// takeBuf lends the scratch buffer; the caller stores it back in rn.buf
// when done. A nested call (a __tostring that logs) gets a new one.
func (rn *Runner) takeBuf() []byte {
	b := rn.buf[:0]
	rn.buf = nil
	return b
}

// pushErr returns nil, msg to Lua: an expected failure.
func pushErr(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}

// pushOK returns 1 to Lua.
func pushOK(L *lua.LState) int {
	L.Push(lvm.Int(1))
	return 1
}

// headerOnly reports whether x's response may carry no body (HEAD, 204,
// 304) once its headers went out: nginx's r->header_only.
func headerOnly(x httpd.Exchange) bool {
	if !x.HeadersSent() {
		return false
	}
	st := x.Status()
	return x.Method() == "HEAD" || st == 204 || st == 304
}

// echo is ngx.say (newline) and ngx.print: every argument is rendered
// into one buffer first (so a bad argument writes nothing), then written.
func (rn *Runner) echo(L *lua.LState, newline bool) int {
	c := enter(L, errNoRequestObject, maskOutput)
	x := c.exchange(L)
	if x.Hijacked() {
		return pushErr(L, errRawAcquired)
	}
	if headerOnly(x) {
		return pushErr(L, errHeaderOnly)
	}
	if x.Finished() {
		return pushErr(L, errSeenEOF)
	}
	buf := rn.takeBuf()
	for i := 1; i <= L.GetTop(); i++ {
		buf = rn.appendValue(L, buf, L.Get(i), i, errEchoBadArg)
	}
	if newline {
		buf = append(buf, '\n')
	}
	rn.buf = buf[:0]
	if len(buf) == 0 {
		if x.SendHeaders() != nil {
			return pushErr(L, errOutputFilter)
		}
		return pushOK(L)
	}
	c.rq.seenBody = true
	if x.Write(buf) != nil {
		return pushErr(L, errOutputFilter)
	}
	return pushOK(L)
}

// appendNumber renders a number for ngx.say/ngx.print: as tostring does,
// except that -0 prints as "0" (ngx_lua writes integral values with %d).
func appendNumber(buf []byte, v lua.LNumber) []byte {
	if v == 0 {
		return append(buf, '0')
	}
	return lvm.AppendNumber(buf, float64(v))
}

func appendBool(buf []byte, b bool) []byte {
	if b {
		return append(buf, "true"...)
	}
	return append(buf, "false"...)
}

// appendTable renders an array table as ngx_lua does: elements 1..max of
// its positive integer keys, holes as "nil", nested arrays flattened; any
// other key is an error for argument arg.
func (rn *Runner) appendTable(L *lua.LState, buf []byte, t *lua.LTable, arg int) []byte {
	n := 0
	bad := false
	t.ForEach(func(k, _ lua.LValue) {
		f, ok := k.(lua.LNumber)
		if !ok || float64(f) < 1 || math.Floor(float64(f)) != float64(f) {
			bad = true
			return
		}
		n = max(n, int(f))
	})
	if bad {
		argError(L, arg, errNonArrayTable)
	}
	for i := 1; i <= n; i++ {
		buf = rn.appendValue(L, buf, t.RawGetInt(i), arg, errBadDataType)
	}
	return buf
}

// appendValue renders one value of ngx.say/ngx.print as ngx_lua does:
// strings as they are, numbers as LuaJIT prints them, nil, booleans,
// ngx.null as "null", array tables flattened. Any other value raises
// badFmt (which differs for arguments and table elements) naming arg.
func (rn *Runner) appendValue(L *lua.LState, buf []byte, v lua.LValue, arg int, badFmt string) []byte {
	switch v := v.(type) {
	case lua.LString:
		return append(buf, v...)
	case lua.LNumber:
		return appendNumber(buf, v)
	case *lua.LNilType:
		return append(buf, "nil"...)
	case lua.LBool:
		return appendBool(buf, bool(v))
	case *lua.LTable:
		return rn.appendTable(L, buf, v, arg)
	case *lua.LUserData:
		if v != rn.null {
			argError(L, arg, fmt.Sprintf(badFmt, "userdata"))
		}
		return append(buf, "null"...)
	default:
		argError(L, arg, fmt.Sprintf(badFmt, typeName(v)))
	}
	return buf
}

// http10Buffering reports whether ngx_lua would hold x's whole response
// to send it with a Content-Length (lua_http10_buffering, on by default):
// an HTTP/1.0 client and no Content-Length set. ngx.flush does nothing
// then.
func http10Buffering(x httpd.Exchange) bool {
	return x.HTTPVersion() < 1.1 && len(x.ResponseHeader("Content-Length")) == 0
}

// flush is ngx.flush(wait?): submit the buffered output; with wait=true
// the coroutine waits until the kernel took it.
func (rn *Runner) flush(L *lua.LState) int {
	n := L.GetTop()
	if n > 1 {
		L.RaiseError(errFlushArgs, n)
	}
	wait := false
	if n == 1 {
		b, ok := L.Get(1).(lua.LBool)
		if !ok {
			argError(L, 1, "boolean expected, got "+typeName(L.Get(1)))
		}
		wait = bool(b)
	}
	c := enter(L, errNoRequest, maskOutput)
	x := c.exchange(L)
	if x.Hijacked() {
		return pushErr(L, errRawAcquired)
	}
	if headerOnly(x) {
		return pushErr(L, errHeaderOnly)
	}
	if x.Finished() {
		return pushErr(L, errSeenEOF)
	}
	if !x.HeadersSent() || (!c.rq.seenBody && !wait) {
		return pushErr(L, errNothingToFlush)
	}
	if http10Buffering(x) {
		return pushErr(L, errBuffering)
	}
	if !wait {
		x.Flush(false, nil)
		return pushOK(L)
	}
	ret := c.await(L, nil) // a late flush callback carries a stale ticket
	rq, tk := c.rq, c.tk
	x.Flush(true, func(err error) {
		if err != nil {
			rq.complete(c, tk, lua.LNil, lua.LString(errClientAborted))
			return
		}
		rq.complete(c, tk, lua.LNumber(1))
	})
	return ret
}

// eof is ngx.eof(): end the response body; Lua keeps running.
func (rn *Runner) eof(L *lua.LState) int {
	c := enter(L, errNoRequestObject, 0)
	if L.GetTop() != 0 {
		L.RaiseError("%s", errNoArgumentExpect)
	}
	x := c.exchange(L)
	if x.Hijacked() {
		return pushErr(L, errRawAcquired)
	}
	if x.Finished() {
		return pushErr(L, errSeenEOF)
	}
	if c.rq.ctx&maskOutput == 0 {
		L.RaiseError(errContextFmt, c.rq.ctx)
	}
	if x.EOF() != nil {
		return pushErr(L, errOutputFilter)
	}
	return pushOK(L)
}

// sendHeaders is ngx.send_headers(): send the status line and headers now.
func (rn *Runner) sendHeaders(L *lua.LState) int {
	c := enter(L, errNoRequest, maskOutput)
	if c.exchange(L).Hijacked() {
		return pushErr(L, errRawAcquired)
	}
	if c.exchange(L).SendHeaders() != nil {
		return pushErr(L, errOutputFilter)
	}
	return pushOK(L)
}
