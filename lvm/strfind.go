package lvm

import (
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/pm"
)

// Lua 5.1's string.find and string.match on gopher-lua's pattern engine.
// gopher-lua 1.1.2's own versions return 1, 0 for an empty pattern
// whatever the start, do not clamp a start past the end (LuaJIT's
// string.find("abc", "", 10) is 4, 3), and have string.match return no
// value instead of nil when nothing matches.

// patternSpecials are the bytes that make string.find use patterns.
const patternSpecials = "^$*+?.([%-"

// strStart is lstrlib's start rule for argument n of a subject of length
// l: 1-based, negative counts from the end, clamped to the subject; the
// result is a 0-based offset in 0..l.
func strStart(L *lua.LState, n, l int) int {
	init := L.OptInt(n, 1)
	if init < 0 {
		init += l + 1
	}
	init--
	return min(max(init, 0), l)
}

// strFind is string.find(s, pattern, init?, plain?).
func strFind(L *lua.LState) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	init := strStart(L, 3, len(s))
	if lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(p, patternSpecials) {
		i := strings.Index(s[init:], p)
		if i < 0 {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LNumber(init + i + 1))
		L.Push(lua.LNumber(init + i + len(p)))
		return 2
	}
	return patternMatch(L, s, p, init, true)
}

// strMatch is string.match(s, pattern, init?).
func strMatch(L *lua.LState) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	return patternMatch(L, s, p, strStart(L, 3, len(s)), false)
}

// patternMatch pushes the first match of p in s from offset init: with
// find its bounds then the captures, else the captures or the whole match.
func patternMatch(L *lua.LState, s, p string, init int, find bool) int {
	// pm only reads the subject: view the string's bytes without a copy.
	src := unsafe.Slice(unsafe.StringData(s), len(s))
	mds, err := pm.Find(p, src, init, 1)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if len(mds) == 0 {
		L.Push(lua.LNil)
		return 1
	}
	md := mds[0]
	n := 0
	if find {
		L.Push(lua.LNumber(md.Capture(0) + 1))
		L.Push(lua.LNumber(md.Capture(1)))
		n = 2
	} else if md.CaptureLength() == 2 {
		L.Push(lua.LString(s[md.Capture(0):md.Capture(1)]))
		return 1
	}
	for i := 2; i < md.CaptureLength(); i += 2 {
		if md.IsPosCapture(i) {
			L.Push(lua.LNumber(md.Capture(i)))
		} else {
			L.Push(lua.LString(s[md.Capture(i):md.Capture(i+1)]))
		}
		n++
	}
	return n
}
