package ngx

import (
	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// This file is ngx.get_phase() and ngx.req.start_time().

// phaseNames are ngx.get_phase's answers for luring's contexts.
var phaseNames = map[context]string{
	ctxRewrite:      "rewrite",
	ctxAccess:       "access",
	ctxContent:      "content",
	ctxLog:          "log",
	ctxInitWorker:   "init_worker",
	ctxTimer:        "timer",
	ctxSet:          "set",
	ctxHeaderFilter: "header_filter",
}

// getPhase is ngx.get_phase(): the phase of the running code, "init" for
// init_by_lua (no request).
func (rn *Runner) getPhase(L *lua.LState) int {
	c := current(L)
	if c == nil {
		L.Push(lua.LString("init"))
		return 1
	}
	L.Push(lua.LString(phaseNames[c.rq.ctx]))
	return 1
}

// reqStartTime is ngx.req.start_time(): when the request began (its first
// byte), in seconds with milliseconds.
func (rn *Runner) reqStartTime(L *lua.LState) int {
	x := enter(L, errNoRequest, 0).exchange(L)
	L.Push(lua.LNumber(float64(x.StartMs()) / 1000))
	return 1
}

// logSetYield is logged when set_by_lua code waits (it cannot).
const logSetYield = "set_by_lua handler waited, which it cannot do; aborted"

// RunSet implements httpd.SetRunner: set_by_lua* runs code at once, with
// args as ngx.arg[1..n], and its first return value (tostring'ed; nil is
// "") is the variable's. false: the code failed (logged).
func (rn *Runner) RunSet(x httpd.Exchange, code *conf.LuaCode, args []string) (string, bool) {
	rq, _ := x.Ctx().(*request)
	if rq == nil {
		rq = rn.newRequest(x)
		x.SetCtx(rq)
	}
	if rq.active {
		return "", false
	}
	chunk, _ := rn.chunk(code, rq)
	if chunk == nil {
		return "", false
	}
	L := rn.vm.L
	argt := L.CreateTable(len(args), 0)
	for _, a := range args {
		argt.Append(lua.LString(a))
	}
	if ngx, ok := L.GetGlobal("ngx").(*lua.LTable); ok {
		ngx.RawSetString("arg", argt)
	}
	rq.begin(ctxSet)
	rq.setResult = lua.LNil
	rq.entry.th = rn.vm.Acquire(&rq.entry)
	rq.start(&rq.entry, chunk.Fn)
	if rq.active {
		rq.logf(conf.LogError, "%s", logSetYield)
		rq.killAll()
		rq.active = false
		return "", false
	}
	if rq.result.Outcome == httpd.Fail {
		return "", false
	}
	v := rq.setResult
	rq.setResult = nil
	switch v := v.(type) {
	case *lua.LNilType:
		return "", true
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return string(lvm.AppendNumber(nil, float64(v))), true
	}
	return lvm.ToString(L, v), true
}

// RunHeaderFilter implements httpd.HeaderFilterRunner: header_filter_by_lua
// runs at once on a coroutine of its own, in its own context (the
// request's handler may be running: the filter borrows the request state
// and gives it back). An error is logged; a wait is refused by the APIs'
// context checks, and a coroutine that yields anyway is dropped.
func (rn *Runner) RunHeaderFilter(x httpd.Exchange, code *conf.LuaCode) {
	rq, _ := x.Ctx().(*request)
	if rq == nil {
		rq = rn.newRequest(x)
		x.SetCtx(rq)
	}
	chunk, _ := rn.chunk(code, rq)
	if chunk == nil {
		return
	}
	saved := rq.ctx
	rq.ctx = ctxHeaderFilter
	c := &coro{rq: rq, status: coRunning}
	c.th = rn.vm.Acquire(c)
	res := c.th.Start(chunk.Fn)
	switch res.Status {
	case lvm.StatusFailed:
		rq.logf(conf.LogError, "failed to run header_filter_by_lua*: %s", res.Err.Message)
	case lvm.StatusDone:
	default:
		rq.logf(conf.LogError, "header_filter_by_lua handler waited, which it cannot do; aborted")
	}
	rq.release(c)
	rq.ctx = saved
}
