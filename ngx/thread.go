package ngx

import (
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// injectThread adds ngx.thread: light threads of one request on the same
// loop (ngx_lua's "user threads").
func (rn *Runner) injectThread(L *lua.LState, ngx *lua.LTable) {
	t := L.NewTable()
	setFuncs(L, t, []binding{
		{"kill", rn.threadKill},
		{"spawn", rn.threadSpawn},
		{"wait", rn.threadWait},
	})
	ngx.RawSetString("thread", t)
	setFuncs(L, ngx, []binding{{"on_abort", rn.onAbort}})
	rn.vm.StatusOf = threadStatus
}

// threadStatus is coroutine.status of a light thread whose coroutine lvm
// let go: "zombie" until ngx.thread.wait collects its results, then "dead".
func threadStatus(L *lua.LState, co *lua.LState) (string, bool) {
	c := current(L)
	if c == nil {
		return "", false
	}
	if t := c.rq.handles[co]; t != nil && t.status == coZombie {
		return "zombie", true
	}
	return "", false
}

// threadSpawn is ngx.thread.spawn(f, ...): f runs at once in a new pooled
// coroutine of the request until it first waits or ends, then the caller
// continues with the thread's handle. The request's handler ends only
// when its entry thread and every light thread are done (or on ngx.exit).
func (rn *Runner) threadSpawn(L *lua.LState) int {
	c := enter(L, errNoRequest, maskYieldable)
	fn := L.CheckFunction(1)
	n := L.GetTop()
	args := make([]lua.LValue, 0, n-1)
	for i := 2; i <= n; i++ {
		args = append(args, L.Get(i))
	}
	rq := c.rq
	t := &coro{rq: rq, parent: c, spawner: lvm.Running(L)}
	t.th = rn.vm.Acquire(t)
	t.handle = t.th.Handle()
	if rq.handles == nil {
		rq.handles = make(map[*lua.LState]*coro)
	}
	rq.handles[t.handle] = t
	rq.threads = append(rq.threads, t)

	// As in ngx_lua, the caller is queued before the new thread runs and
	// goes on from the queue once the resume in progress is over: after
	// nested spawns, outer callers go first (t/093 TEST 10).
	slot := rq.reservePost()
	// gopher-lua records the running coroutine in G.CurrentThread; the
	// nested start leaves it at the main state, so put ours back.
	cur := L.G.CurrentThread
	rq.start(t, fn, args...)
	L.G.CurrentThread = cur

	ret := c.await(L, nil)
	if rq.exited {
		// The new thread called ngx.exit: the caller stops too.
		return ret
	}
	rq.posted[slot] = postedResume{c: c, tk: c.tk, val: t.handle}
	return ret
}

// checkThread returns the light thread of request rq whose handle is at
// argument i.
func checkThread(L *lua.LState, rq *request, i int) *coro {
	if co, ok := L.Get(i).(*lua.LState); ok {
		if t := rq.handles[co]; t != nil {
			return t
		}
	}
	argError(L, i, errThreadExpected)
	return nil
}

// threadWait is ngx.thread.wait(t1, t2, ...): the results of the first of
// the threads to end: true plus its return values, or false plus its
// error. Only the spawning coroutine may wait.
func (rn *Runner) threadWait(L *lua.LState) int {
	c := enter(L, errNoRequest, maskYieldable)
	n := L.GetTop()
	if n == 0 {
		L.RaiseError("%s", errThreadNoArgs)
	}
	c.waiting = c.waiting[:0]
	for i := 1; i <= n; i++ {
		t := checkThread(L, c.rq, i)
		if t.parent != c || t.spawner != lvm.Running(L) {
			c.unwait()
			L.RaiseError("%s", errThreadNotParent)
		}
		switch t.status {
		case coZombie:
			c.unwait()
			res := t.results
			t.status, t.results = coDead, nil
			for _, v := range res {
				L.Push(v)
			}
			return len(res)
		case coDead:
			if i < n {
				continue
			}
			c.unwait()
			return pushErr(L, errThreadWaited)
		}
		t.waitedBy = true
		c.waiting = append(c.waiting, t)
	}
	return c.await(L, c.unwait)
}

// unwait clears the marks of an abandoned ngx.thread.wait.
func (c *coro) unwait() {
	for _, w := range c.waiting {
		w.waitedBy = false
	}
	c.waiting = c.waiting[:0]
}

// threadKill is ngx.thread.kill(t): stop a light thread the caller
// spawned. It returns 1, or nil and why not.
func (rn *Runner) threadKill(L *lua.LState) int {
	c := enter(L, errNoRequest, maskYieldable)
	t := checkThread(L, c.rq, 1)
	if t.parent != c || t.spawner != lvm.Running(L) {
		return pushErr(L, errThreadKillerOther)
	}
	switch t.status {
	case coZombie:
		t.status, t.results = coDead, nil
		return pushErr(L, errThreadTerminated)
	case coDead:
		return pushErr(L, errThreadWaited)
	}
	c.rq.release(t)
	return pushOK(L)
}
