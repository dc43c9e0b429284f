package ngx

import (
	"time"

	lua "github.com/yuin/gopher-lua"
)

// injectSleep adds ngx.sleep.
func (rn *Runner) injectSleep(L *lua.LState, ngx *lua.LTable) {
	setFuncs(L, ngx, []binding{
		{"sleep", rn.sleep},
	})
}

// sleep is ngx.sleep(seconds): the coroutine waits on a loop timer
// (millisecond resolution; 0 still yields once, to a coming loop turn).
func (rn *Runner) sleep(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		L.RaiseError(errSleepArgs, n)
	}
	c := enter(L, errNoRequest, 0)
	sec, ok := L.Get(1).(lua.LNumber)
	if !ok {
		f, isNum := toNumber(L.Get(1))
		if !isNum {
			argError(L, 1, "number expected, got "+typeName(L.Get(1)))
		}
		sec = lua.LNumber(f)
	}
	delay := int64(float64(sec) * 1000)
	if delay < 0 {
		L.RaiseError(errSleepDuration, delay)
	}
	if c.rq.ctx&maskYieldable == 0 {
		L.RaiseError(errContextFmt, c.rq.ctx)
	}
	t := c.rq.sleepTimer(c)
	n := c.await(L, c.stopSleep)
	t.Reset(time.Duration(delay) * time.Millisecond)
	return n
}
