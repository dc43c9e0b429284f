package ngx

import lua "github.com/yuin/gopher-lua"

// This file is ngx.get_phase() and ngx.req.start_time().

// phaseNames are ngx.get_phase's answers for luring's contexts.
var phaseNames = map[context]string{
	ctxRewrite:    "rewrite",
	ctxAccess:     "access",
	ctxContent:    "content",
	ctxLog:        "log",
	ctxInitWorker: "init_worker",
	ctxTimer:      "timer",
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
