package luapat_test

import (
	"testing"

	"github.com/luring/luring/lvm/luapat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFind covers the engine's own API; lvm's differential tests hold its
// semantics to gopher-lua's.
func TestFind(t *testing.T) {
	tests := []struct {
		name, pat, s string
		init         int
		start, end   int
		caps         [][2]int
	}{
		{"literal prefix", "lo w", "hello world", 0, 3, 7, nil},
		{"first byte", "o%s", "foo bar", 0, 2, 4, nil},
		{"first set", "%d+", "ab 123 c", 0, 3, 6, nil},
		{"init", "o", "foo", 2, 2, 3, nil},
		{"anchored at init only", "^o", "foo", 1, 1, 2, nil},
		{"anchored fails", "^f", "foo", 1, -1, -1, nil},
		{"end of subject", "$", "ab", 0, 2, 2, nil},
		{"capture and position", "(o+)()", "foo", 0, 1, 3, [][2]int{{1, 3}, {3, 3}}},
		{"lazy", "<(.-)>", "<a><b>", 0, 0, 3, [][2]int{{1, 2}}},
		{"greedy backtracks", "(.*)b", "abab", 0, 0, 4, [][2]int{{0, 3}}},
		{"balance", "%b()", "x(a(b))y", 0, 1, 7, nil},
		{"back-reference", "(%a)%1", "abccd", 0, 2, 4, [][2]int{{2, 3}}},
		{"no match", "z", "abc", 0, -1, -1, nil},
	}
	var m luapat.Matcher
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := luapat.Compile(tt.pat)
			require.NoError(t, err)
			start, end, err := m.Find(p, tt.s, tt.init)
			require.NoError(t, err)
			assert.Equal(t, [2]int{tt.start, tt.end}, [2]int{start, end})
			require.Equal(t, len(tt.caps), p.NumCaptures())
			for i, c := range tt.caps {
				s, e := m.Capture(i)
				assert.Equal(t, c, [2]int{s, e}, "capture %d", i)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for pat, msg := range map[string]string{
		"[a":    "unexpected EOS at 1",
		"[a%":   "unexpected EOS at EOS",
		"a)":    "invalid ')' at 0",
		"(a":    "unfinished capture at EOS",
		"ab%0":  "invalid capture index at 2",
		"%1":    "", // compiles; fails when reached
		"a%":    "",
		"%b":    "",
		"%f[a]": "",
	} {
		_, err := luapat.Compile(pat)
		if msg == "" {
			assert.NoError(t, err, pat)
		} else {
			assert.EqualError(t, err, msg, pat)
		}
	}
	p, err := luapat.Compile("x%1")
	require.NoError(t, err)
	var m luapat.Matcher
	_, _, err = m.Find(p, "abc", 0)
	assert.NoError(t, err, "not reached")
	_, _, err = m.Find(p, "axc", 0)
	assert.ErrorIs(t, err, luapat.ErrCaptureIndex)
}

// TestTooComplex: the recursion bound is per nested quantifier, not per
// byte: a long subject is fine, a pattern nesting more than the bound is
// refused.
func TestTooComplex(t *testing.T) {
	var m luapat.Matcher
	long := make([]byte, 3_000_000)
	for i := range long {
		long[i] = 'a'
	}
	p, err := luapat.Compile("^(a*)$")
	require.NoError(t, err)
	start, end, err := m.Find(p, string(long), 0)
	require.NoError(t, err)
	assert.Equal(t, [2]int{0, len(long)}, [2]int{start, end})

	deep := make([]byte, 0, 2*200001)
	for range 200001 {
		deep = append(deep, 'a', '?')
	}
	p, err = luapat.Compile(string(deep))
	require.NoError(t, err)
	_, _, err = m.Find(p, string(long[:200001]), 0)
	assert.ErrorIs(t, err, luapat.ErrTooComplex)
}

// TestFindAllocatesNothing: with a warm Matcher a search allocates nothing.
func TestFindAllocatesNothing(t *testing.T) {
	p, err := luapat.Compile("^[Cc]ontent%-[Ll]ength:%s*(%d+)")
	require.NoError(t, err)
	var m luapat.Matcher
	allocs := testing.AllocsPerRun(100, func() {
		m.Find(p, "Content-Length: 1234", 0)
		m.Find(p, "Host: example.com", 0)
	})
	assert.Zero(t, allocs)
}
