package ngx

import (
	"github.com/luring/luring/conf"
	lua "github.com/yuin/gopher-lua"
)

// injectExit adds ngx.exit.
func (rn *Runner) injectExit(L *lua.LState, ngx *lua.LTable) {
	setFuncs(L, ngx, []binding{
		{"exit", rn.exit},
	})
}

// exit is ngx.exit(status): stop every coroutine of the handler and end
// the phase: ngx.OK goes on with the next phase, >= 200 finalizes with
// that status, ngx.ERROR closes the connection. The calling coroutine
// yields and is never resumed (lua-resty-core's exit.lua: co_yield()).
// After the headers went out, a status >= 300 becomes 200 with an error
// log line when it differs from the one sent.
func (rn *Runner) exit(L *lua.LState) int {
	c := enter(L, errNoRequest, 0)
	num, ok := L.Get(1).(lua.LNumber)
	if !ok {
		L.RaiseError(errExitNotInt, typeName(L.Get(1)))
	}
	code := int(num)
	if code == -2 || code == -4 { // NGX_AGAIN, NGX_DONE
		L.RaiseError("%s", errExitAgainDone)
	}
	rq := c.rq
	if rq.ctx&maskExit == 0 {
		L.RaiseError(errContextFmt, rq.ctx)
	}
	if x := rq.x; x != nil && x.HeadersSent() && code >= 300 && code != 408 && code != 444 && code != 499 {
		if code != x.Status() {
			rq.logf(conf.LogError, logExitAfterSent, code, x.Status())
		}
		code = 200
	}
	rq.exited = true
	rq.exitCode = code
	return c.await(L, nil) // never resumed: the handler ends
}
