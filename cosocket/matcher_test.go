package cosocket

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// untilRow is one receiveuntil behaviour: the iterators, the stream (the
// body the test's upstream sends, then EOF), the lua_socket_buffer_size the
// test used (0: whole), the reads made, and what each returned.
type untilRow struct {
	name   string
	iters  []iterSpec
	stream string
	piece  int
	ops    []op
	want   []result
}

// it1 is receiveuntil(pat), it1incl receiveuntil(pat, {inclusive = true}).
func it1(pat string) []iterSpec     { return []iterSpec{{pat: pat}} }
func it1incl(pat string) []iterSpec { return []iterSpec{{pat: pat, inclusive: true}} }

// calls is n calls of iterator 0 with size.
func calls(n, size int) []op {
	ops := make([]op, n)
	for i := range ops {
		ops[i] = call(0, size)
	}
	return ops
}

// withReceive1 is n rounds of it(size) then sock:receive(1) (t/066 TEST 17).
func withReceive1(n, size int) []op {
	var ops []op
	for range n {
		ops = append(ops, call(0, size), recv(1))
	}
	return ops
}

const longPattern = "------------------------------------------- abcdefghijklmnopqrstuvwxyz"

// untilRows mirror t/066-socket-receiveuntil.t and t/084-inclusive-
// receiveuntil.t. The streams are the bodies the tests' /foo locations send
// (echo's leading "--" is its end of options, not output).
var untilRows = []untilRow{
	{name: "t/066 TEST 1 memcached line", iters: it1("\r\n"), stream: "OK\r\n",
		ops: calls(1, 0), want: []result{got("OK")}},
	{name: "t/066 TEST 2 http lines", iters: it1("\r\n"),
		stream: "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nfoo\n",
		ops:    calls(7, 0),
		want: []result{got("HTTP/1.1 200 OK"), got("Server: nginx"), got("Content-Type: text/plain"),
			got("Content-Length: 4"), got("Connection: close"), got(""), closed("foo\n")}},
	{name: "t/066 TEST 3 all headers", iters: it1("\r\n\r\n"),
		stream: "HTTP/1.1 200 OK\r\nServer: nginx\r\nConnection: close\r\n\r\nfoo\n",
		ops:    calls(2, 0),
		want:   []result{got("HTTP/1.1 200 OK\r\nServer: nginx\r\nConnection: close"), closed("foo\n")}},
	{name: "t/066 TEST 4 abcabd", iters: it1("abcabd"), stream: "abcabcabd\n",
		ops: calls(2, 0), want: []result{got("abc"), closed("\n")}},
	{name: "t/066 TEST 5 aa", iters: it1("aa"), stream: "abcabcaad\n",
		ops: calls(2, 0), want: []result{got("abcabc"), closed("d\n")}},
	{name: "t/066 TEST 6 aaa", iters: it1("aaa"), stream: "abaabcaaaef\n",
		ops: calls(2, 0), want: []result{got("abaabc"), closed("ef\n")}},
	{name: "t/066 TEST 7 aaaaad", iters: it1("aaaaad"), stream: "baaaaaaaaeaaaaaaadf\n",
		ops: calls(2, 0), want: []result{got("baaaaaaaaeaa"), closed("f\n")}},
	{name: "t/066 TEST 8 aaaaad buffer 2", iters: it1("aaaaad"), stream: "baaaaaaaaeaaaaaaadf\n", piece: 2,
		ops: calls(2, 0), want: []result{got("baaaaaaaaeaa"), closed("f\n")}},
	{name: "t/066 TEST 9 aaaaad buffer 1", iters: it1("aaaaad"), stream: "baaaaaaaaeaaaaaaadf\n", piece: 1,
		ops: calls(2, 0), want: []result{got("baaaaaaaaeaa"), closed("f\n")}},
	{name: "t/066 TEST 10 abcabdabcabe", iters: it1("abcabdabcabe"), stream: "abcabdabcabdabcabe\n",
		ops: calls(2, 0), want: []result{got("abcabd"), closed("\n")}},
	{name: "t/066 TEST 11 abcabdabcabe 2", iters: it1("abcabdabcabe"), stream: "abcabdabcabcabdabcabe\n",
		ops: calls(2, 0), want: []result{got("abcabdabc"), closed("\n")}},
	{name: "t/066 TEST 12 abcabdabcabe 3", iters: it1("abcabdabcabe"), stream: "abcabcabdabcabe\n",
		ops: calls(2, 0), want: []result{got("abc"), closed("\n")}},
	{name: "t/066 TEST 13 abcabdabcabe 4", iters: it1("abcabdabcabe"), stream: "ababcabdabcabe\n",
		ops: calls(2, 0), want: []result{got("ab"), closed("\n")}},
	{name: "t/066 TEST 14 --abc", iters: it1("--abc"), stream: "----abc\n",
		ops: calls(2, 0), want: []result{got("--"), closed("\n")}},
	{name: "t/066 TEST 15 --abc size 4", iters: it1("--abc"), stream: "hello, world ----abc\n",
		ops:  calls(6, 4),
		want: []result{got("hell"), got("o, w"), got("orld"), got(" --"), eop, closed("\n")}},
	{name: "t/066 TEST 16 --abc size 4 buffer 1", iters: it1("--abc"), stream: "hello, world ----abc\n", piece: 1,
		ops:  calls(6, 4),
		want: []result{got("hell"), got("o, w"), got("orld"), got(" --"), eop, closed("\n")}},
	{name: "t/066 TEST 17 --abc size 4 buffer 1 mixed with receive(1)", iters: it1("--abc"),
		stream: "hello, world ----abc\n", piece: 1,
		ops: withReceive1(5, 4),
		want: []result{got("hell"), got("o"), got(", wo"), got("r"), got("ld -"), got("-"),
			got(""), got("\n"), eop, closed("")}},
	{name: "t/066 TEST 18 abcabd buffer 3", iters: it1("abcabd"), stream: "abcabcabd\n", piece: 3,
		ops: calls(2, 0), want: []result{got("abc"), closed("\n")}},
	{name: "t/066 TEST 19 long pattern (stream ours)", iters: it1(longPattern),
		stream: "x-- " + longPattern[:50] + longPattern + "tail",
		ops:    calls(2, 0), want: []result{got("x-- " + longPattern[:50]), closed("tail")}},
	{name: "t/066 TEST 20 pending bytes --abc size 2 buffer 1", iters: it1("--abc"), stream: "-----abc\n", piece: 1,
		ops: calls(4, 2), want: []result{got("--"), got("-"), eop, closed("\n")}},
	{name: "t/066 TEST 21 --abc size 2 receive(1) consumes boundary", iters: it1("--abc"),
		stream: "----abc----abc-\n",
		ops:    append(withReceive1(4, 2), call(0, 2), call(0, 2)),
		want: []result{got("--"), got("-"), got("-a"), got("b"), got("c-"), got("-"),
			got(""), got("-"), eop, closed("\n")}},
	{name: "t/066 TEST 22 two iterators and receive consume boundary",
		iters: []iterSpec{{pat: "--abc"}, {pat: "-ab"}}, stream: "------abd----abc\n",
		ops:  []op{call(0, 2), recv(1), call(0, 1), call(1, 2), call(0, 0), call(0, 0)},
		want: []result{got("--"), got("-"), got("-"), got("-"), got("d--"), closed("\n")}},
	{name: "t/066 TEST 23 --abc size 2 receive(1) buffer 3", iters: it1("--abc"),
		stream: "----abc----abc-\n", piece: 3,
		ops: append(withReceive1(4, 2), call(0, 2), call(0, 2)),
		want: []result{got("--"), got("-"), got("-a"), got("b"), got("c-"), got("-"),
			got(""), got("-"), eop, closed("\n")}},
	{name: "t/066 TEST 24 two iterators buffer 3",
		iters: []iterSpec{{pat: "--abc"}, {pat: "-ab"}}, stream: "------abd----abc\n", piece: 3,
		ops:  []op{call(0, 2), recv(1), call(0, 1), call(1, 2), call(0, 0), call(0, 0)},
		want: []result{got("--"), got("-"), got("-"), got("-"), got("d--"), closed("\n")}},
	{name: "t/066 TEST 25 ab1ab2 ends half way, iterator collected", iters: it1("ab1ab2"), stream: "ab1ab1\n",
		ops: []op{call(0, 2), drop(0), recv(3)}, want: []result{got("ab1"), got("ab1")}},
	{name: "t/066 TEST 26 ab1ab2 ends half way buffer 3", iters: it1("ab1ab2"), stream: "ab1ab1\n", piece: 3,
		ops: []op{call(0, 2), drop(0), recv(3)}, want: []result{got("ab1"), got("ab1")}},
	{name: "spec 7 partial without held bytes (no upstream test)", iters: it1("--abc"), stream: "hello --ab",
		ops: calls(1, 0), want: []result{closed("hello ")}},
	{name: "t/084 TEST 1 abcabd inclusive", iters: it1incl("abcabd"), stream: "abcabcabdabcabd\n",
		ops: calls(3, 0), want: []result{got("abcabcabd"), got("abcabd"), closed("\n")}},
	{name: "t/084 TEST 2 abcabdabcabe inclusive", iters: it1incl("abcabdabcabe"), stream: "ababcabdabcabe\n",
		ops: calls(2, 0), want: []result{got("ababcabdabcabe"), closed("\n")}},
	{name: "t/084 TEST 3 abcabd inclusive buffer 1", iters: it1incl("abcabd"), stream: "abcabcabdabcabd\n", piece: 1,
		ops: calls(3, 0), want: []result{got("abcabcabd"), got("abcabd"), closed("\n")}},
	{name: "t/084 TEST 4 and 5 aa inclusive nil or false", iters: it1("aa"), stream: "abcabcaad\n",
		ops: calls(2, 0), want: []result{got("abcabc"), closed("d\n")}},
	{name: "t/084 TEST 6 aa inclusive", iters: it1incl("aa"), stream: "abcabcaad\n",
		ops: calls(2, 0), want: []result{got("abcabcaa"), closed("d\n")}},
	{name: "t/084 TEST 9 --abc inclusive size 4 buffer 1", iters: it1incl("--abc"),
		stream: "hello, world ----abc\n", piece: 1,
		ops:  calls(6, 4),
		want: []result{got("hell"), got("o, w"), got("orld"), got(" ----abc"), eop, closed("\n")}},
	{name: "t/084 TEST 10 --abc inclusive size 4 mixed with receive(1)", iters: it1incl("--abc"),
		stream: "hello, world ----abc\n", piece: 1,
		ops: withReceive1(5, 4),
		want: []result{got("hell"), got("o"), got(", wo"), got("r"), got("ld -"), got("-"),
			got("--abc"), got("\n"), eop, closed("")}},
}

// TestUntilRows runs every row with the test's buffer size, then fed whole,
// split in two at every offset and one byte at a time; each twice over the
// same compiled patterns; and checks the naive model agrees.
func TestUntilRows(t *testing.T) {
	for _, row := range untilRows {
		t.Run(row.name, func(t *testing.T) {
			stream := []byte(row.stream)
			naive := runScript(newNaiveSock(row.iters, stream), row.ops)
			require.Equal(t, row.want, naive, "naive model")

			fs := feeds(stream)
			fs["test buffer"] = pieces(stream, row.piece)
			for name, ps := range fs {
				s := newFastSock(t, row.iters, ps)
				require.Equal(t, row.want, runScript(s, row.ops), "fed %s", name)
				require.Equal(t, row.want, runScript(s.again(ps), row.ops), "fed %s, second run", name)
			}
		})
	}
}

// TestCompileEdges pins the recovery edges ngx_lua's compiler builds for the
// patterns the spec discusses.
func TestCompileEdges(t *testing.T) {
	type edge struct {
		state int
		c     byte
		to    int
	}
	for _, tc := range []struct {
		pat   string
		edges []edge
	}{
		{"a", nil},
		{"ab", nil},
		{"aa", nil},
		{"--abc", []edge{{2, '-', 2}}},
		{"ab1ab2", []edge{{5, '1', 3}}},
		{"abcabd", []edge{{5, 'c', 3}}},
		{"aaaaad", []edge{{5, 'a', 5}}},
		{"abcabdabcabe", []edge{{5, 'c', 3}, {11, 'c', 3}, {11, 'd', 6}}},
		{"--abc--ab", []edge{{2, '-', 2}, {7, '-', 2}}},
	} {
		p, err := Compile(tc.pat)
		require.NoError(t, err)
		var edges []edge
		for s := range len(tc.pat) {
			for c := range 256 {
				if to := p.recover(s, byte(c)); to > 0 {
					edges = append(edges, edge{s, byte(c), to})
				}
			}
		}
		assert.Equal(t, tc.edges, edges, "pattern %q", tc.pat)
		assert.Equal(t, tc.pat, p.String())
	}
}

func TestCompileEmptyPattern(t *testing.T) {
	p, err := Compile("")
	assert.Nil(t, p)
	assert.True(t, errors.Is(err, ErrEmptyPattern))
}

// randPattern returns a pattern of 1..12 bytes over alphabet.
func randPattern(rng *rand.Rand, alphabet string) string {
	b := make([]byte, 1+rng.IntN(12))
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// randStream returns up to 40 bytes over alphabet, often with the pattern
// (or a prefix of it) planted.
func randStream(rng *rand.Rand, alphabet, pat string) []byte {
	var b []byte
	for len(b) < 40 && rng.IntN(8) != 0 {
		switch rng.IntN(4) {
		case 0:
			b = append(b, pat...)
		case 1:
			b = append(b, pat[:rng.IntN(len(pat))]...)
		default:
			b = append(b, alphabet[rng.IntN(len(alphabet))])
		}
	}
	return b
}

var propAlphabets = []string{"ab", "abc", "a-b\n"}

// TestMatcherAgreesWithNaive: random overlapping patterns and streams, every
// feed, sizes 0, 1, 2, 3, 7, inclusive or not; every call's result equals
// the naive model's.
func TestMatcherAgreesWithNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(66, 84))
	rounds := 400
	if testing.Short() {
		rounds = 60
	}
	for range rounds {
		alphabet := propAlphabets[rng.IntN(len(propAlphabets))]
		pat := randPattern(rng, alphabet)
		stream := randStream(rng, alphabet, pat)
		for _, size := range []int{0, 1, 2, 3, 7} {
			for _, inclusive := range []bool{false, true} {
				iters := []iterSpec{{pat: pat, inclusive: inclusive}}
				ops := calls(2*len(stream)+4, size)
				want := runScript(newNaiveSock(iters, stream), ops)
				require.Equal(t, kClosed, want[len(want)-1].kind, "the script reads to EOF")
				for name, ps := range feeds(stream) {
					res := runScript(newFastSock(t, iters, ps), ops)
					if !slices.Equal(want, res) { // testify only to report
						require.Equal(t, want, res, "pattern %q stream %q size %d inclusive %v fed %s",
							pat, stream, size, inclusive, name)
					}
				}
			}
		}
	}
}

// TestMatcherMixedReadersAgreesWithNaive interleaves two iterators, plain
// receives and dropped iterators at random, fed at random piece sizes.
func TestMatcherMixedReadersAgreesWithNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 25))
	for range 3000 {
		alphabet := propAlphabets[rng.IntN(len(propAlphabets))]
		iters := []iterSpec{
			{pat: randPattern(rng, alphabet), inclusive: rng.IntN(2) == 0},
			{pat: randPattern(rng, alphabet), inclusive: rng.IntN(2) == 0},
		}
		stream := randStream(rng, alphabet, iters[0].pat)
		var ops []op
		for range 2*len(stream) + 4 {
			switch r := rng.IntN(10); {
			case r < 5:
				ops = append(ops, call(0, []int{0, 1, 2, 3, 7}[rng.IntN(5)]))
			case r < 7:
				ops = append(ops, call(1, rng.IntN(4)))
			case r < 9:
				ops = append(ops, recv(1+rng.IntN(3)))
			default:
				ops = append(ops, drop(rng.IntN(2)))
			}
		}
		want := runScript(newNaiveSock(iters, stream), ops)
		res := runScript(newFastSock(t, iters, pieces(stream, 1+rng.IntN(5))), ops)
		require.Equal(t, want, res, "iterators %+v stream %q ops %+v", iters, stream, ops)
	}
}

// TestNaiveFindsFirstOccurrence checks the naive model itself without a
// size: each call returns the bytes before the next occurrence, as
// strings.Index finds it, and the partial at EOF stops before the longest
// tail that is a start of the pattern.
func TestNaiveFindsFirstOccurrence(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 7))
	for range 2000 {
		alphabet := propAlphabets[rng.IntN(len(propAlphabets))]
		pat := randPattern(rng, alphabet)
		stream := randStream(rng, alphabet, pat)
		var want []result
		for rest := string(stream); ; {
			i := strings.Index(rest, pat)
			if i < 0 {
				// The partial leaves out the longest tail that may start
				// the pattern: those bytes are held back.
				k := len(pat) - 1
				for !strings.HasSuffix(rest, pat[:k]) {
					k--
				}
				want = append(want, closed(rest[:len(rest)-k]))
				break
			}
			want = append(want, got(rest[:i]))
			rest = rest[i+len(pat):]
		}
		res := runScript(newNaiveSock(it1(pat), stream), calls(len(stream)+2, 0))
		require.Equal(t, want, res, "pattern %q stream %q", pat, stream)
	}
}

// TestHeldBytesAfterOtherReaders: bytes an iterator holds back stay at the
// front of the buffer for whoever reads next, and the iterator copes with
// what that reader left.
func TestHeldBytesAfterOtherReaders(t *testing.T) {
	p, err := Compile("ab1ab2")
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		stream string
		other  func(buf []byte) []byte // another reader consumes from buf
		want   result                  // the iterator's next call, it()
	}{
		{"receive took the held bytes and more", "ab1ab1Zxab1ab2!",
			func(b []byte) []byte { return b[4:] }, got("x")},
		{"receive took part of the held bytes", "ab1ab1ab1ab2",
			func(b []byte) []byte { return b[1:] }, got("b1")},
		{"receive took exactly the held bytes, the front matches again", "ab1ab1ab1ab2",
			func(b []byte) []byte { return b[3:] }, got("")},
		{"nobody read: the iterator goes on from its held bytes", "ab1ab1xab1ab2",
			func(b []byte) []byte { return b }, got("ab1x")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := []byte(tc.stream)
			m := NewMatcher(p, false)
			require.False(t, m.Begin(2))
			chunk, n, st := m.Scan(buf)
			require.Equal(t, ScanFull, st)
			require.Equal(t, "ab1", string(chunk))
			buf = buf[n:]
			require.Equal(t, 3, m.Held())
			require.Equal(t, "ab1", string(buf[:m.Held()]), "held bytes are at the front")

			buf = tc.other(buf)
			require.False(t, m.Begin(0))
			chunk, _, st = m.Scan(buf)
			require.Equal(t, ScanMatched, st)
			assert.Equal(t, tc.want, got(string(chunk)))
		})
	}
}

// TestDroppedIteratorLeavesHeldBytes: t/066 TEST 25 at the API: nothing is
// to be done when an iterator is dropped; the next reader gets its held
// bytes.
func TestDroppedIteratorLeavesHeldBytes(t *testing.T) {
	p, err := Compile("ab1ab2")
	require.NoError(t, err)
	buf := []byte("ab1ab1\n")
	m := NewMatcher(p, false)
	m.Begin(2)
	chunk, n, st := m.Scan(buf)
	require.Equal(t, ScanFull, st)
	require.Equal(t, "ab1", string(chunk))
	buf = buf[n:]
	m = nil // dropped
	assert.Equal(t, "ab1\n", string(buf), "receive(3) reads ab1")

	m2 := NewMatcher(p, false) // a new iterator scans them afresh
	m2.Begin(0)
	_, _, st = m2.Scan(buf)
	require.Equal(t, ScanMore, st)
	assert.Equal(t, "ab1\n", string(m2.Abort(buf)))
}

// TestAbortKeepsHeldBytesForTimeout: after a read timeout the same iterator
// goes on from its held-back bytes when data comes (t/058 TEST 38-40 shape).
func TestAbortKeepsHeldBytesForTimeout(t *testing.T) {
	p, err := Compile("--abc")
	require.NoError(t, err)
	m := NewMatcher(p, false)
	buf := []byte("hello --ab")
	require.False(t, m.Begin(0))
	_, _, st := m.Scan(buf)
	require.Equal(t, ScanMore, st)
	partial := m.Abort(buf)
	require.Equal(t, "hello ", string(partial))
	buf = buf[len(partial):]
	require.Equal(t, 4, m.Held())

	buf = append(buf, "c, more"...)
	require.False(t, m.Begin(0))
	chunk, n, st := m.Scan(buf)
	require.Equal(t, ScanMatched, st)
	assert.Equal(t, "", string(chunk))
	assert.Equal(t, ", more", string(buf[n:]))
	assert.Nil(t, m.Abort(buf), "no call in progress")
}

// TestBeginAbandonsCall: a call that never finished (its coroutine was
// killed) leaves its output in the buffer; the next call scans it again.
func TestBeginAbandonsCall(t *testing.T) {
	p, err := Compile("--abc")
	require.NoError(t, err)
	m := NewMatcher(p, false)
	buf := []byte("xy--a")
	m.Begin(0)
	_, _, st := m.Scan(buf)
	require.Equal(t, ScanMore, st)
	m.Begin(0)
	buf = append(buf, "bc!"...)
	chunk, n, st := m.Scan(buf)
	require.Equal(t, ScanMatched, st)
	assert.Equal(t, "xy", string(chunk))
	assert.Equal(t, 7, n)
}

func TestScanOutsideCallPanics(t *testing.T) {
	p, err := Compile("x")
	require.NoError(t, err)
	m := NewMatcher(p, false)
	assert.Panics(t, func() { m.Scan([]byte("abc")) })
	m.Begin(0)
	m.Scan([]byte("abc"))
	assert.Panics(t, func() { m.Scan([]byte("ab")) }, "data shrank")
}

func TestScanDoesNotAllocate(t *testing.T) {
	p, err := Compile("--abc")
	require.NoError(t, err)
	m := NewMatcher(p, true)
	buf := []byte(strings.Repeat("hello -- world --ab ", 50) + "--abc")
	allocs := testing.AllocsPerRun(100, func() {
		for data := buf; ; {
			if m.Begin(7) {
				continue // the end-of-part call after the last round's match
			}
			_, n, st := m.Scan(data)
			data = data[n:]
			if st == ScanMatched {
				return
			}
		}
	})
	assert.Zero(t, allocs)
}

func TestScanStatusString(t *testing.T) {
	assert.Equal(t, "ScanMore ScanMatched ScanFull ScanStatus(9)",
		fmt.Sprint(ScanMore, ScanMatched, ScanFull, ScanStatus(9)))
}
