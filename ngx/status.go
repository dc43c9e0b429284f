package ngx

import (
	"strconv"
	"strings"

	"github.com/luring/luring/conf"
	lua "github.com/yuin/gopher-lua"
)

// statusMagic is ngx.status, a magic key of the ngx table (spec §8).
func (rn *Runner) statusMagic() []magic {
	return []magic{
		{name: "status", get: rn.getStatus, set: rn.setStatus},
	}
}

// getStatus reads ngx.status: the response status, 0 while none is set
// (9 for an HTTP/0.9 request).
func (rn *Runner) getStatus(L *lua.LState) lua.LValue {
	x := enter(L, errNoRequest, 0).exchange(L)
	st := x.Status()
	if st == 0 && x.HTTPVersion() == 0.9 {
		st = 9
	}
	return lua.LNumber(st)
}

// setStatus assigns ngx.status. Too late (headers sent) or out of
// 100..999 is not a Lua error: it is logged and ignored.
func (rn *Runner) setStatus(L *lua.LState, v lua.LValue) {
	c := enter(L, errNoRequest, 0)
	code, ok := toNumber(v)
	if !ok {
		L.RaiseError(errStatusNotNumber, typeName(v))
	}
	x := c.exchange(L)
	if x.HeadersSent() {
		c.rq.logf(conf.LogError, "%s", logStatusAfterSent)
		return
	}
	st := int(code)
	if st < 100 || st > 999 {
		c.rq.logf(conf.LogError, logStatusInvalid, st)
		return
	}
	x.SetStatus(st)
}

// toNumber is Lua's tonumber for the common cases: numbers, and strings
// holding a decimal or 0x hex number (surrounding spaces allowed).
func toNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		s := strings.TrimSpace(string(x))
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
		if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
			if n, err := strconv.ParseUint(h, 16, 64); err == nil {
				return float64(n), true
			}
		}
	}
	return 0, false
}
