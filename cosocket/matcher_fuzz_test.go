package cosocket

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzMatcher runs a script decoded from the inputs on the Matcher and on
// the naive model and requires the same result from every read.
//
// pat is iterator 0's pattern; iterator 1's is pat reversed. Each byte of
// ops is one read: 0b11xxxxxx receive((x&7)+1), 0b10xxxxxx iterator 1 with
// size x&7, 0b0111111x drops iterator x&1, anything else iterator 0 with
// size op%8; once ops run out, iterator 0 reads to EOF. The stream arrives
// in pieces whose sizes cycle through cuts (each %8 + 1; no cuts: whole).
func FuzzMatcher(f *testing.F) {
	f.Add("--abc", []byte("hello, world ----abc\n"), []byte{4, 4, 4, 4, 4, 4}, []byte{1}, false)
	f.Add("--abc", []byte("-----abc\n"), []byte{2, 2, 2, 2}, []byte{0}, false)
	f.Add("--abc", []byte("hello, world ----abc\n"), []byte{4, 0xc0, 4, 0xc0, 4, 0xc0, 4, 0xc0}, []byte{0}, true)
	f.Add("--abc", []byte("------abd----abc\n"), []byte{2, 0xc0, 1, 0x82, 0, 0}, []byte{2}, false)
	f.Add("ab1ab2", []byte("ab1ab1\n"), []byte{2, 0x7e, 0xc2}, []byte{2}, false)
	f.Add("abcabd", []byte("abcabcabdabcabd\n"), []byte{0, 0, 0}, []byte{}, true)
	f.Add("aaaaad", []byte("baaaaaaaaeaaaaaaadf\n"), []byte{3, 1, 7}, []byte{1, 5}, false)
	f.Add("abcabdabcabe", []byte("abcabdabcabcabdabcabe\n"), []byte{5, 0x83, 2}, []byte{3}, true)
	f.Add("--abc--ab", []byte("--abc--abc--ab--abc--abx"), []byte{1, 2, 0xc1, 3}, []byte{4, 1}, false)
	f.Add("", []byte("x"), []byte{}, []byte{}, false)
	f.Fuzz(func(t *testing.T, pat string, stream, ops, cuts []byte, inclusive bool) {
		if _, err := Compile(pat); pat == "" {
			require.True(t, errors.Is(err, ErrEmptyPattern))
			return
		}
		if len(stream) > 4096 || len(ops) > 4096 {
			return
		}
		rev := []byte(pat)
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		iters := []iterSpec{{pat: pat, inclusive: inclusive}, {pat: string(rev), inclusive: !inclusive}}
		script := decodeOps(ops, len(stream))

		var ps [][]byte
		for rest, i := stream, 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(cuts) > 0 {
				n = min(n, int(cuts[i%len(cuts)]%8)+1)
			}
			ps = append(ps, rest[:n])
			rest = rest[n:]
		}
		want := runScript(newNaiveSock(iters, stream), script)
		res := runScript(newFastSock(t, iters, ps), script)
		require.Equal(t, want, res)
	})
}

// decodeOps turns FuzzMatcher's ops bytes into a script that then reads the
// stream to its end with iterator 0.
func decodeOps(ops []byte, streamLen int) []op {
	var script []op
	for _, b := range ops {
		switch {
		case b>>6 == 3:
			script = append(script, recv(int(b&7)+1))
		case b>>6 == 2:
			script = append(script, call(1, int(b&7)))
		case b>>1 == 0x3f:
			script = append(script, drop(int(b&1)))
		default:
			script = append(script, call(0, int(b%8)))
		}
	}
	for range 2*streamLen + 2 {
		script = append(script, call(0, 0))
	}
	return script
}
