package lvm

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// tidyError fixes what running under the glue does to gopher-lua's error
// messages when a Go function is called straight from pcall, xpcall or a
// coroutine (pcall(string.char, 256)): the position names lvm's trampoline
// ("[lvm]:17: "), which LuaJIT would not show, and the function name is
// unknown ("bad argument #1 to ?"), which LuaJIT would name. The position is
// dropped and the name looked up among the global libraries.
func tidyError(L *lua.LState, v lua.LValue) lua.LValue {
	s, ok := v.(lua.LString)
	if !ok || !strings.HasPrefix(string(s), glueChunk+":") {
		return v
	}
	msg := string(s)
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if strings.Contains(msg, " to ? (") {
		if name := goFuncName(L); name != "" {
			msg = strings.Replace(msg, " to ? (", " to '"+name+"' (", 1)
		}
	}
	return lua.LString(msg)
}

// goFuncName finds the running Go function in _G or one library table
// deep; "" when it is not there.
func goFuncName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return ""
	}
	fn, err := L.GetInfo("f", dbg, lua.LNil)
	if err != nil {
		return ""
	}
	name := ""
	globals := L.G.Global
	globals.ForEach(func(k, v lua.LValue) {
		if name != "" {
			return
		}
		if v == fn {
			name = k.String()
			return
		}
		if lib, ok := v.(*lua.LTable); ok && lib != globals {
			lib.ForEach(func(lk, lv lua.LValue) {
				if name == "" && lv == fn {
					name = lk.String()
				}
			})
		}
	})
	return name
}
