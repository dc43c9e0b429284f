package lvm

import (
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// maxStringLen bounds strings built by string.rep, as LuaJIT's 2 GB limit.
const maxStringLen = 1<<31 - 1

// maxTableNew bounds table.new preallocation so a bad argument cannot
// exhaust memory (LuaJIT caps sizes as well).
const maxTableNew = 1 << 26

// installCompat replaces the library functions that differ from LuaJIT and
// adds bit, table.new and table.clear (spec/luajit-compat.md).
func installCompat(L *lua.LState) {
	L.SetGlobal("tostring", L.NewFunction(baseToString))
	L.SetGlobal("tonumber", L.NewFunction(baseToNumber))
	L.SetGlobal("error", L.NewFunction(baseError))

	str := L.GetGlobal("string").(*lua.LTable)
	L.SetFuncs(str, map[string]lua.LGFunction{
		"format": strFormat,
		"rep":    strRep,
		"char":   strChar,
	})

	tbl := L.GetGlobal("table").(*lua.LTable)
	L.SetFuncs(tbl, map[string]lua.LGFunction{
		"concat": tabConcat,
		"new":    tabNew,
		"clear":  tabClear,
	})

	// gopher-lua sets math.huge to the largest finite double.
	L.SetField(L.GetGlobal("math"), "huge", lua.LNumber(math.Inf(1)))

	bit := L.NewTable()
	L.SetFuncs(bit, bitFuncs)
	L.SetGlobal("bit", bit)

	loaded := L.GetField(L.GetGlobal("package"), "loaded").(*lua.LTable)
	loaded.RawSetString("bit", bit)
	loaded.RawSetString("table.new", tbl.RawGetString("new"))
	loaded.RawSetString("table.clear", tbl.RawGetString("clear"))
}

// baseToString is tostring with LuaJIT number rendering.
func baseToString(L *lua.LState) int {
	v := L.CheckAny(1)
	L.Push(lua.LString(ToString(L, v)))
	return 1
}

// baseError is error(v?, level?): as LuaJIT, v may be absent (the error
// object is then nil) and a number gets the position like a string.
func baseError(L *lua.LState) int {
	v := L.Get(1)
	level := L.OptInt(2, 1)
	if n, ok := v.(lua.LNumber); ok {
		v = lua.LString(FormatNumber(float64(n)))
	}
	if vm := vmOf(L); vm != nil {
		if th := vm.threadOf(L); th != nil && th.root != nil {
			_, str := v.(lua.LString)
			th.root.raised = raisedError{set: true, arg: v, positioned: str && level > 0}
		}
	}
	L.Error(v, level)
	return 0
}

// baseToNumber is tonumber with LuaJIT's string conversion rules.
func baseToNumber(L *lua.LState) int {
	v := L.CheckAny(1)
	if base := L.Get(2); base != lua.LNil {
		b := L.CheckInt(2)
		if b < 2 || b > 36 {
			L.ArgError(2, "base out of range")
		}
		var s string
		switch x := v.(type) {
		case lua.LString:
			s = string(x)
		case lua.LNumber:
			s = FormatNumber(float64(x))
		default:
			L.TypeError(1, lua.LTString)
		}
		if f, ok := parseBase(s, b); ok {
			L.Push(lua.LNumber(f))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}
	switch x := v.(type) {
	case lua.LNumber:
		L.Push(x)
		return 1
	case lua.LString:
		if f, ok := parseNumber(string(x)); ok {
			L.Push(lua.LNumber(f))
			return 1
		}
	}
	L.Push(lua.LNil)
	return 1
}

// strRep is string.rep(s, n [, sep]) with Lua 5.2's separator.
func strRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := int(toInt64(checkNumber(L, 2)))
	sep := L.OptString(3, "")
	if n <= 0 {
		L.Push(lua.LString(""))
		return 1
	}
	total := int64(len(s))*int64(n) + int64(len(sep))*int64(n-1)
	if total > maxStringLen {
		L.RaiseError("resulting string too large")
	}
	var b strings.Builder
	b.Grow(int(total))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s)
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// strChar is string.char, rejecting codes outside 0..255 as LuaJIT does.
func strChar(L *lua.LState) int {
	top := L.GetTop()
	b := make([]byte, top)
	for i := 1; i <= top; i++ {
		c := toInt64(checkNumber(L, i))
		if c < 0 || c > 255 {
			L.ArgError(i, "invalid value")
		}
		b[i-1] = byte(c)
	}
	L.Push(lua.LString(b))
	return 1
}

// tabConcat is table.concat with numbers rendered as %.14g.
func tabConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := L.OptString(2, "")
	i := int(toInt64(float64(L.OptNumber(3, 1))))
	j := t.Len()
	if L.Get(4) != lua.LNil {
		j = int(toInt64(checkNumber(L, 4)))
	}
	var buf []byte
	for k := i; k <= j; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			buf = append(buf, v...)
		case lua.LNumber:
			buf = AppendNumber(buf, float64(v))
		default:
			L.RaiseError("invalid value (at index %d) in table for 'concat'", k)
		}
		if k < j {
			buf = append(buf, sep...)
		}
	}
	L.Push(lua.LString(buf))
	return 1
}

// tabNew is LuaJIT's table.new(narray, nhash): a preallocated empty table.
func tabNew(L *lua.LState) int {
	na := min(max(L.CheckInt(1), 0), maxTableNew)
	nh := min(max(L.CheckInt(2), 0), maxTableNew)
	L.Push(L.CreateTable(na, nh))
	return 1
}

// tabClear is LuaJIT's table.clear(t): removes every entry in place, so
// references to t stay valid. The array part shrinks; gopher-lua keeps the
// hash part's key index, so refilling with the same keys does not grow it.
func tabClear(L *lua.LState) int {
	t := L.CheckTable(1)
	for {
		if t.Remove(-1) == lua.LNil && t.MaxN() == 0 {
			break
		}
	}
	var keys []lua.LValue
	t.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	for _, k := range keys {
		t.RawSetH(k, lua.LNil)
	}
	return 0
}
