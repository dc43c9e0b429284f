package ngx

import (
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// This file is ngx.on_abort(fn) and the runner's side of
// lua_check_client_abort: when httpd sees the client close while a
// handler runs, the function registered runs as a light thread of the
// request (which goes on: ending it is the function's business), and
// without one the request ends with 499, as ngx_lua does.

// Error strings of ngx.on_abort (ngx_lua's).
const (
	errOnAbortOff       = "lua_check_client_abort is off"
	errOnAbortDuplicate = "duplicate call"
)

// onAbort is ngx.on_abort(fn).
func (rn *Runner) onAbort(L *lua.LState) int {
	c := enter(L, errNoRequest, maskYieldable)
	fn := L.CheckFunction(1)
	rq := c.rq
	x := c.exchange(L)
	if loc := x.Location(); loc == nil || !loc.CheckClientAbort {
		return pushErr(L, errOnAbortOff)
	}
	if rq.onAbort != nil {
		return pushErr(L, errOnAbortDuplicate)
	}
	rq.onAbort = fn
	L.Push(lvm.Int(1))
	return 1
}

// ClientAbort implements httpd.ClientAborter: the client closed while a
// handler of x runs. With an on_abort function it starts that function as
// a light thread and reports true (the request goes on); false otherwise.
func (rn *Runner) ClientAbort(x httpd.Exchange) bool {
	rq, _ := x.Ctx().(*request)
	if rq == nil || !rq.active || rq.onAbort == nil {
		return false
	}
	fn := rq.onAbort
	rq.onAbort = nil
	t := &coro{rq: rq, parent: &rq.entry}
	t.th = rn.vm.Acquire(t)
	t.handle = t.th.Handle()
	if rq.handles == nil {
		rq.handles = make(map[*lua.LState]*coro)
	}
	rq.handles[t.handle] = t
	rq.threads = append(rq.threads, t)
	rq.start(t, fn)
	rq.settle()
	return true
}
