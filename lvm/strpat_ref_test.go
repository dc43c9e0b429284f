package lvm_test

import (
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/luring/luring/lvm"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/pm"
)

// The reference the pattern functions are held to: what luring ran before
// lvm had its own engine. string.gmatch and string.gsub are gopher-lua's;
// string.find and string.match are lvm's earlier versions on gopher-lua's
// pm package (kept here, as they were): gopher-lua's own return 1, 0 for an
// empty pattern whatever the start, do not clamp a start past the end, and
// have string.match return nothing instead of nil when nothing matches.

const refSpecials = "^$*+?.([%-"

func refStart(L *lua.LState, n, l int) int {
	init := L.OptInt(n, 1)
	if init < 0 {
		init += l + 1
	}
	init--
	return min(max(init, 0), l)
}

func refFind(L *lua.LState) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	init := refStart(L, 3, len(s))
	if lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(p, refSpecials) {
		i := strings.Index(s[init:], p)
		if i < 0 {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LNumber(init + i + 1))
		L.Push(lua.LNumber(init + i + len(p)))
		return 2
	}
	return refPatternMatch(L, s, p, init, true)
}

func refMatch(L *lua.LState) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	return refPatternMatch(L, s, p, refStart(L, 3, len(s)), false)
}

func refPatternMatch(L *lua.LState, s, p string, init int, find bool) int {
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

// probeLua runs one pattern function with the given arguments and returns
// its results as a list (gmatch: every iteration's values, in order, then
// "|" after each), so both states can be compared from Go. gsubf and gsubt
// are gsub with a function and with a table.
const probeLua = `
function probe(kind, s, p, a3, a4)
  if kind == "gmatch" then
    local out, n = {}, 0
    for a, b, c, d in string.gmatch(s, p) do
      out[n+1], out[n+2], out[n+3], out[n+4], out[n+5] = a, b, c, d, "|"
      n = n + 5
      if n > 5000 then break end
    end
    return out, n
  end
  if kind == "gsubf" then
    return string.gsub(s, p, function(a, b) if a == "x" then return false end return tostring(a) .. "/" .. tostring(b) end, a4)
  end
  if kind == "gsubt" then
    return string.gsub(s, p, {a = "A", [1] = "one", [2] = 2, x = false, b = {}}, a4)
  end
  return string[kind](s, p, a3, a4)
end
`

// pair is a reference state and an lvm VM with the same helpers loaded.
type pair struct {
	mu  sync.Mutex // the fuzz target may share one pair
	ref *lua.LState
	vm  *lvm.VM
}

func newPair(t testing.TB) *pair {
	ref := lua.NewState()
	str := ref.GetGlobal("string").(*lua.LTable)
	str.RawSetString("find", ref.NewFunction(refFind))
	str.RawSetString("match", ref.NewFunction(refMatch))
	vm, err := lvm.New(lvm.Options{})
	require.NoError(t, err)
	for _, L := range []*lua.LState{ref, vm.L} {
		require.NoError(t, L.DoString(probeLua))
	}
	t.Cleanup(func() { ref.Close(); vm.Close() })
	return &pair{ref: ref, vm: vm}
}

// outcome is what a call gave: its rendered values or its error.
type outcome struct {
	Vals []string
	Err  string
}

// render shows a value with its type, tables (probe's gmatch lists) by
// their array part.
func renderValue(v lua.LValue, n int) string {
	if t, ok := v.(*lua.LTable); ok {
		var b strings.Builder
		b.WriteString("{")
		for i := 1; i <= n; i++ {
			b.WriteString(renderValue(t.RawGetInt(i), 0))
			b.WriteString(" ")
		}
		b.WriteString("}")
		return b.String()
	}
	return v.Type().String() + ":" + v.String()
}

// errText is an error's message without its traceback.
func errText(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\nstack traceback:"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// call runs probe(args...) in L.
func call(L *lua.LState, args ...lua.LValue) outcome {
	top := L.GetTop()
	defer L.SetTop(top)
	L.Push(L.GetGlobal("probe"))
	for _, a := range args {
		L.Push(a)
	}
	if err := L.PCall(len(args), lua.MultRet, nil); err != nil {
		return outcome{Err: errText(err)}
	}
	var o outcome
	n := 0
	if L.GetTop() == top+2 {
		if c, ok := L.Get(top + 2).(lua.LNumber); ok {
			n = int(c)
		}
	}
	for i := top + 1; i <= L.GetTop(); i++ {
		o.Vals = append(o.Vals, renderValue(L.Get(i), n))
	}
	return o
}

// eval runs a chunk (an expression list after return) in L.
func evalChunk(L *lua.LState, src string) outcome {
	top := L.GetTop()
	defer L.SetTop(top)
	if err := L.DoString("return " + src); err != nil {
		return outcome{Err: errText(err)}
	}
	var o outcome
	for i := top + 1; i <= L.GetTop(); i++ {
		o.Vals = append(o.Vals, renderValue(L.Get(i), 0))
	}
	return o
}

// goPanic says whether the reference failed with a Go runtime panic inside
// gopher-lua's matcher (see luapat's doc); lvm then raises "invalid capture
// index" instead.
func goPanic(o outcome) bool { return strings.Contains(o.Err, "runtime error:") }
