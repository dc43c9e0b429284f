package lvm

import (
	"reflect"

	lua "github.com/yuin/gopher-lua"
)

// This file holds the one place lvm reads gopher-lua v1.1.2 internals.
//
// When a Go function yields and its coroutine is later resumed with fewer
// values than the Lua call site expects (`local ok, err = sock:receive()`
// resumed with one value), gopher-lua leaves the missing registers holding
// Go nil instead of Lua nil, and Go nil is truthy to the VM. lvm pads the
// resume values with nil to the count the call site asked for, which only
// the Go function's call frame knows (callFrame.NRet, read with reflect).

// callSiteResults returns how many results the Lua call site of the running
// Go function expects; 0 means it takes all of them (or is unknown).
func callSiteResults(L *lua.LState) int {
	if framesOK {
		if f := topFrame(L); f != nil {
			return max(f.NRet, 0)
		}
		return 0
	}
	dbg, ok := L.GetStack(0)
	if !ok {
		return 0
	}
	f := reflect.ValueOf(dbg).Elem().FieldByName("frame")
	if !f.IsValid() || f.IsNil() {
		return 0
	}
	n := f.Elem().FieldByName("NRet")
	if !n.IsValid() {
		return 0
	}
	return max(int(n.Int()), 0)
}

// padResults extends vals with nils to want values in scratch (grown when
// short, and returned so the caller keeps it), leaving vals alone. The
// result is only valid until the next padResults with the same scratch:
// Resume copies it onto the coroutine's stack at once.
func padResults(vals []lua.LValue, want int, scratch *[]lua.LValue) []lua.LValue {
	if len(vals) >= want {
		return vals
	}
	if cap(*scratch) < want {
		*scratch = make([]lua.LValue, want)
	}
	p := (*scratch)[:want]
	copy(p, vals)
	for i := len(vals); i < want; i++ {
		p[i] = lua.LNil
	}
	return p
}

// LuaJIT has no Lua 5.0 implicit `arg` table in vararg functions, and
// gopher-lua building one costs a table and a map on every call of a chunk
// (every chunk is vararg). The switch is process-wide, so it is set once,
// before any state exists.
func init() { lua.CompatVarArg = false }
