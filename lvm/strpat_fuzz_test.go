package lvm_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	lua "github.com/yuin/gopher-lua"
)

// FuzzPattern holds lvm's pattern functions to the reference on random
// patterns and subjects. Inputs are kept small, and patterns with more
// than three quantifier bytes are skipped: gopher-lua's backtracking is
// exponential in them and would only measure its own time.
func FuzzPattern(f *testing.F) {
	subjects := []string{"", "abc", "Content-Length: 1234", "f(a(b)c)d", "aXa x=1, y=22", "\x00\xff%-"}
	for _, pat := range diffPatterns {
		for i, s := range subjects {
			f.Add(pat, s, int8(i-2))
		}
	}
	p := newPair(f)
	f.Fuzz(func(t *testing.T, pat, s string, init int8) {
		if len(s) > 24 || len(pat) > 24 || strings.Count(pat, "*")+strings.Count(pat, "+")+strings.Count(pat, "-")+strings.Count(pat, "?") > 3 {
			t.Skip()
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range diffCalls {
			a3 := c.a3
			if c.kind == "find" || c.kind == "match" {
				a3 = lua.LNumber(init)
			}
			args := []lua.LValue{lua.LString(c.kind), lua.LString(s), lua.LString(pat), a3, c.a4}
			want := call(p.ref, args...)
			got := call(p.vm.L, args...)
			if goPanic(want) {
				assert.Contains(t, got.Err, "invalid capture index", "%s(%q, %q)", c.kind, s, pat)
				continue
			}
			assert.Equal(t, want, got, "%s(%q, %q, %v, %v)", c.kind, s, pat, a3, c.a4)
		}
	})
}
