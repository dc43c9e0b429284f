package ngx

import (
	lua "github.com/yuin/gopher-lua"
)

// injectWorker adds ngx.worker.
func (rn *Runner) injectWorker(L *lua.LState, ngx *lua.LTable) {
	w := L.NewTable()
	setFuncs(L, w, []binding{
		{"count", rn.workerCountFn},
		{"exiting", rn.workerExiting},
		{"id", rn.workerIDFn},
		{"pid", rn.workerPid},
	})
	ngx.RawSetString("worker", w)
}

// workerIDFn is ngx.worker.id(): the 0-based worker number; nil in
// init_by_lua, which runs before workers exist.
func (rn *Runner) workerIDFn(L *lua.LState) int {
	if rn.inInit {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LNumber(rn.workerID))
	return 1
}

// workerCountFn is ngx.worker.count(): worker_processes.
func (rn *Runner) workerCountFn(L *lua.LState) int {
	L.Push(lua.LNumber(rn.workerCount))
	return 1
}

// workerPid is ngx.worker.pid(). luring's workers share one process.
func (rn *Runner) workerPid(L *lua.LState) int {
	L.Push(lua.LNumber(rn.pid))
	return 1
}

// workerExiting is ngx.worker.exiting(): whether a graceful stop began.
func (rn *Runner) workerExiting(L *lua.LState) int {
	L.Push(lua.LBool(rn.exiting))
	return 1
}
