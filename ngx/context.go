package ngx

import (
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// context is the kind of code running, one bit per ngx_lua context, so an
// API declares the contexts it is allowed in as a mask.
type context uint16

// Contexts luring runs Lua in.
const (
	ctxRewrite context = 1 << iota
	ctxAccess
	ctxContent
	ctxLog
	ctxInitWorker
	ctxTimer
	ctxSet
	ctxHeaderFilter
)

// Masks APIs declare (ngx_lua's NGX_HTTP_LUA_CONTEXT_* groups).
const (
	// maskOutput: ngx.say, print, flush, eof, send_headers, exit (plus
	// header_filter for exit, which luring does not run yet).
	maskOutput = ctxRewrite | ctxAccess | ctxContent
	// maskYieldable: ngx.sleep, ngx.thread.*, cosockets.
	maskYieldable = ctxRewrite | ctxAccess | ctxContent | ctxTimer
	// maskExit: ngx.exit.
	maskExit = maskOutput | ctxTimer
)

// String is the context as ngx_lua names it in "API disabled in the
// context of ..." errors.
func (c context) String() string {
	switch c {
	case ctxRewrite:
		return "rewrite_by_lua*"
	case ctxAccess:
		return "access_by_lua*"
	case ctxContent:
		return "content_by_lua*"
	case ctxLog:
		return "log_by_lua*"
	case ctxInitWorker:
		return "init_worker_by_lua*"
	case ctxTimer:
		return "ngx.timer"
	case ctxSet:
		return "set_by_lua*"
	case ctxHeaderFilter:
		return "header_filter_by_lua*"
	}
	return "(unknown)"
}

// phaseContext maps an httpd phase to its context bit.
func phaseContext(p httpd.Phase) context {
	switch p {
	case httpd.PhaseRewrite:
		return ctxRewrite
	case httpd.PhaseAccess:
		return ctxAccess
	case httpd.PhaseContent:
		return ctxContent
	case httpd.PhaseLog:
		return ctxLog
	}
	return 0
}

// current returns the coroutine record of the request code running as L
// (any pcall child or user coroutine of it included), or nil when L runs
// outside any request (init_by_lua, the main state).
func current(L *lua.LState) *coro {
	th := lvm.Current(L)
	if th == nil {
		return nil
	}
	c, _ := th.Ctx.(*coro)
	return c
}

// enter is how every request API opens: it takes the calling coroutine's
// record from L (raising noReq when there is none) and checks the running
// context against mask (0: any context). Argument checks come before it
// only where ngx_lua checks them first.
func enter(L *lua.LState, noReq string, mask context) *coro {
	c := current(L)
	if c == nil {
		L.RaiseError("%s", noReq)
	}
	if mask != 0 && c.rq.ctx&mask == 0 {
		L.RaiseError(errContextFmt, c.rq.ctx)
	}
	return c
}

// exchange returns the request's Exchange, raising ngx_lua's fake-request
// error when the code runs without a client connection (init_worker).
func (c *coro) exchange(L *lua.LState) httpd.Exchange {
	if c.rq.x == nil {
		L.RaiseError("%s", errFakeRequest)
	}
	return c.rq.x
}

// argError raises LuaJIT's "bad argument #n to 'name' (msg)", the
// function named as its Lua call site names it ('say' for ngx.say(...),
// '?' when pcall called it directly), as luaL_argerror does.
func argError(L *lua.LState, n int, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, lvm.CallName(L), msg)
}

// typeName is lua_typename for v.
func typeName(v lua.LValue) string { return v.Type().String() }
