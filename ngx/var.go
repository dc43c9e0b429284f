package ngx

import (
	"strings"

	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// injectVar adds ngx.var: an empty table whose metatable reads and writes
// nginx variables through the Exchange (spec §5; lua-resty-core var.lua).
func (rn *Runner) injectVar(L *lua.LState, ngx *lua.LTable) {
	mt := L.NewTable()
	setFuncs(L, mt, []binding{
		{"__index", rn.getVar},
		{"__newindex", rn.setVar},
	})
	v := L.NewTable()
	L.SetMetatable(v, mt)
	ngx.RawSetString("var", v)
}

// getVar is ngx.var.NAME (case-insensitive) or ngx.var[N] (regex capture
// N of the matched location): a string, or nil when not found.
func (rn *Runner) getVar(L *lua.LState) int {
	c := enter(L, errNoRequest, 0)
	var val string
	var found bool
	switch k := L.Get(2).(type) {
	case lua.LNumber:
		if n := int(k); n > 0 {
			val, found = c.exchange(L).Capture(n)
		}
	case lua.LString:
		val, found = c.exchange(L).Var(lower(string(k)))
	default:
		L.RaiseError("%s", errBadVariableName)
	}
	if !found {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(val))
	return 1
}

// setVar is ngx.var.NAME = value: value tostring'ed, nil unsets. The
// variable must exist and be changeable; the Exchange's error (ngx_lua's
// wording) is raised otherwise.
func (rn *Runner) setVar(L *lua.LState) int {
	c := enter(L, errNoRequest, 0)
	k, ok := L.Get(2).(lua.LString)
	if !ok {
		L.RaiseError("%s", errBadVariableName)
	}
	v := L.Get(3)
	val, unset := "", v == lua.LNil
	if !unset {
		val = lvm.ToString(L, v)
	}
	if err := c.exchange(L).SetVar(lower(string(k)), val, unset); err != nil {
		L.RaiseError("%s", err.Error())
	}
	return 0
}

// lower lower-cases ASCII, allocating only when s has upper-case letters.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
