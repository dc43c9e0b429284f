package lvm_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
)

// BenchmarkPattern runs each pattern call in a Lua loop, on the reference
// (gopher-lua's engine, compiling per call) and on lvm's. Allocations are
// per call: 0 for a match that finds nothing or only offsets, 1 (the
// string's box) per returned string. loop-only is the loop and a method
// call, for scale: gopher-lua's loop counter costs about 15 B/op (boxed
// numbers come from its preallocated blocks, so no allocs/op).
func BenchmarkPattern(b *testing.B) {
	cases := []struct{ name, subject, body string }{
		{"loop-only", "Content-Length: 1234", `local v = s:len()`},
		{"match-capture", "Content-Length: 1234", `local v = s:match("^[Cc]ontent%-[Ll]ength:%s*(%d+)")`},
		{"match-nomatch", "Host: example.com", `local v = s:match("^[Cc]ontent%-[Ll]ength:%s*(%d+)")`},
		{"match-trim", "  some value  ", `local v = s:match("^%s*(.-)%s*$")`},
		{"find-plain", "Content-Length: 1234", `local a, e = s:find("Length", 1, true)`},
		{"find-pattern", "Content-Length: 1234", `local a, e = s:find("%d+")`},
		{"find-unanchored-nomatch", "text/html; charset=utf-8", `local a, e = s:find("boundary=(%S+)")`},
		{"gsub", "a  b   c d", `local r, n = s:gsub("%s+", " ")`},
		{"gsub-nomatch", "abcdef", `local r, n = s:gsub("%%(%x%x)", "")`},
		{"gmatch", "a=1&b=2&c=3", `for k, v in s:gmatch("(%w+)=(%w+)") do end`},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			p := newPair(b)
			src := "function bench(n, s) for i = 1, n do " + tc.body + " end end"
			for _, side := range []struct {
				name string
				L    *lua.LState
			}{{"gopher", p.ref}, {"lvm", p.vm.L}} {
				b.Run(side.name, func(b *testing.B) {
					L := side.L
					require.NoError(b, L.DoString(src))
					fn := L.GetGlobal("bench")
					require.NoError(b, L.CallByParam(lua.P{Fn: fn, Protect: true}, lua.LNumber(1), lua.LString(tc.subject)))
					b.ReportAllocs()
					b.ResetTimer()
					require.NoError(b, L.CallByParam(lua.P{Fn: fn, Protect: true}, lua.LNumber(b.N), lua.LString(tc.subject)))
				})
			}
		})
	}
}
