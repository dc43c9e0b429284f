package lvm

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// tidyError makes gopher-lua's error messages read as LuaJIT's. It drops
// the position of lvm's trampoline ("[lvm]:17: ") that a Go function called
// straight from pcall, xpcall or a coroutine gets (LuaJIT shows none), and
// quotes the function name of "bad argument #n to NAME (...)": gopher-lua
// writes it bare, LuaJIT as 'NAME', and as '?' when nothing names it (a
// function pcall called directly: pcall(string.char, 256)).
func tidyError(_ *lua.LState, v lua.LValue) lua.LValue {
	s, ok := v.(lua.LString)
	if !ok {
		return v
	}
	msg := string(s)
	changed := false
	if strings.HasPrefix(msg, glueChunk+":") {
		if i := strings.Index(msg, ": "); i >= 0 {
			msg, changed = msg[i+2:], true
		}
	}
	if m, ok := quoteArgName(msg); ok {
		msg, changed = m, true
	}
	if !changed {
		return v
	}
	return lua.LString(msg)
}

// quoteArgName rewrites "bad argument #n to NAME (" (NAME unquoted) as
// LuaJIT words it; ok is false when msg has no such part.
func quoteArgName(msg string) (string, bool) {
	const lead = "bad argument #"
	i := strings.Index(msg, lead)
	if i < 0 {
		return msg, false
	}
	rest := msg[i+len(lead):]
	j := strings.Index(rest, " to ")
	if j < 0 || strings.Trim(rest[:j], "0123456789") != "" {
		return msg, false
	}
	nameAt := i + len(lead) + j + len(" to ")
	end := strings.Index(msg[nameAt:], " (")
	if end <= 0 {
		return msg, false
	}
	name := msg[nameAt : nameAt+end]
	if strings.HasPrefix(name, "'") {
		return msg, false
	}
	return msg[:nameAt] + "'" + luaJITName(name) + "'" + msg[nameAt+end:], true
}

// luaJITName maps a function name gopher-lua derives to the one LuaJIT
// would print: its placeholders for "not called from a named Lua call
// site" become "?".
func luaJITName(name string) string {
	switch {
	case name == "", name == "?", name == "(anonymous)", name == "main chunk",
		name == "corountine", strings.HasPrefix(name, "<"):
		return "?"
	}
	return name
}

// CallName returns the name LuaJIT's messages give the running Go function,
// taken from its Lua call site: "say" for ngx.say(...), "p" for a local p,
// "?" when it was not called from a named Lua call site (pcall(f, ...),
// lvm's trampoline). Bindings use it for luaL_argerror-style messages.
func CallName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return "?"
	}
	if _, err := L.GetInfo("n", dbg, lua.LNil); err != nil {
		return "?"
	}
	return luaJITName(dbg.Name)
}

// Where is the position ("chunk:line:") LuaJIT's error(msg, 2) gives an
// error raised in the running Go function, as lua-resty-core raises its
// argument errors: the innermost Lua frame of the code that made the call,
// looking through lvm's pcall, xpcall and coroutine trampolines (which run
// the protected function on a child coroutine) into the coroutine that
// started them. "" when no Lua code is found.
func Where(L *lua.LState) string {
	vm := vmOf(L)
	co := L
	for hops := 0; co != nil && hops < 16; hops++ {
		for lv := 1; lv <= 3; lv++ {
			if w := co.Where(lv); w != "" && !strings.HasPrefix(w, glueChunk) {
				return w
			}
		}
		if vm == nil {
			return ""
		}
		th := vm.threadOf(co)
		if th == nil || th.parent == nil {
			return ""
		}
		co = th.parent.co
	}
	return ""
}
