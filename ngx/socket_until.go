package ngx

import (
	"github.com/luring/luring/cosocket"
	lua "github.com/yuin/gopher-lua"
)

// maxPatterns bounds the Runner's cache of compiled receiveuntil patterns
// (libraries call receiveuntil with the same boundary on every request).
const maxPatterns = 256

// tcpReceiveUntil is sock:receiveuntil(pattern, opts?): an iterator that
// reads up to the pattern, in chunks of at most size bytes when called
// with a size.
func (rn *Runner) tcpReceiveUntil(L *lua.LState) int {
	n := L.GetTop()
	if n != 2 && n != 3 {
		L.RaiseError(errSockUntilArgs, n)
	}
	t := checkSelf(L)
	enter(L, errNoRequest, 0)
	pv, ok := L.Get(2).(lua.LString)
	if !ok {
		if _, isNum := L.Get(2).(lua.LNumber); !isNum {
			sockArgError(L, 2, "string expected, got "+typeName(L.Get(2)))
		}
		pv = lua.LString(L.Get(2).String())
	}
	inclusive := false
	if n == 3 {
		ot, ok := L.Get(3).(*lua.LTable)
		if !ok {
			sockArgError(L, 3, "table expected, got "+typeName(L.Get(3)))
		}
		switch v := ot.RawGetString("inclusive").(type) {
		case lua.LBool:
			inclusive = bool(v)
		case *lua.LNilType:
		default:
			L.RaiseError("bad \"inclusive\" option value type: %s", typeName(v))
		}
	}
	if len(pv) == 0 {
		return pushErr(L, errSockPatternEmpty)
	}
	p := rn.pattern(string(pv))
	m := cosocket.NewMatcher(p, inclusive)
	L.Push(L.NewFunction(func(L *lua.LState) int { return rn.untilIterate(L, t, m) }))
	return 1
}

// pattern returns pat compiled, from the cache when it was seen before.
func (rn *Runner) pattern(pat string) *cosocket.Pattern {
	if p := rn.patterns[pat]; p != nil {
		return p
	}
	p, _ := cosocket.Compile(pat) // not empty: checked by the caller
	if rn.patterns == nil || len(rn.patterns) >= maxPatterns {
		rn.patterns = make(map[string]*cosocket.Pattern)
	}
	rn.patterns[pat] = p
	return p
}

// untilIterate is one call of a receiveuntil iterator over the socket t.
func (rn *Runner) untilIterate(L *lua.LState, t *lua.LTable, m *cosocket.Matcher) int {
	n := L.GetTop()
	if n > 1 {
		L.RaiseError(errSockIterArgs, n)
	}
	size := 0
	if n == 1 {
		f, ok := toNumber(L.Get(1))
		if !ok {
			L.RaiseError("bad argument #1 to '%s' (number expected, got %s)", "?", typeName(L.Get(1)))
		}
		size = max(int(f), 0)
	}
	c := enter(L, errNoRequest, 0)
	ts := tcpOf(t)
	if ts == nil || !ts.s.Connected() || ts.s.ReadClosed() {
		c.rq.sockLog(logSockRecvClosed, ts, ts.conn(), 0, 0)
		return pushErr(L, cosocket.ErrClosed.Error())
	}
	ts.mineOrRaise(L, c.rq)
	return ts.receive(L, c, cosocket.Read{Mode: cosocket.ReadUntil, N: size, Until: m})
}
