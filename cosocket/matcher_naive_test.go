package cosocket

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// This file holds the two simulated sockets the matcher tests run scripts
// on: fastSock drives the real Matcher over a receive buffer fed in pieces;
// naiveSock is an independent, byte-at-a-time model of ngx_lua's reader
// (its held-back bytes are virtual, pushed back when another reader comes,
// as ngx_http_lua_socket_tcp_read_prepare does).

// resultKind is the shape of what one Lua read returns.
type resultKind uint8

const (
	kData   resultKind = iota // data
	kEOP                      // nil, nil, nil: receiveuntil's end of part
	kClosed                   // nil, "closed", partial
)

// result is what one read (iterator call or receive) returned to Lua.
type result struct {
	kind resultKind
	data string // the data, or the partial of kClosed
}

func got(s string) result       { return result{kind: kData, data: s} }
func closed(p string) result    { return result{kind: kClosed, data: p} }
func (r result) String() string { return fmt.Sprint(r.kind, r.data) }

// eop is the end-of-part marker.
var eop = result{kind: kEOP}

func (k resultKind) String() string {
	return [...]string{"data:", "nil,nil,nil", "closed:"}[k]
}

// op is one read in a script: a call of iterator it with size, a plain
// sock:receive(recv) when recv > 0, or dropping iterator it (the Lua
// iterator is garbage-collected; a fresh one over the same pattern takes
// its index).
type op struct {
	it   int  // iterator index
	size int  // iterator call's size argument
	recv int  // > 0: sock:receive(recv) instead
	drop bool // drop iterator it instead
}

func call(it, size int) op { return op{it: it, size: size} }
func recv(n int) op        { return op{recv: n} }
func drop(it int) op       { return op{it: it, drop: true} }

// sim is a simulated socket with some receiveuntil iterators.
type sim interface {
	until(it, size int) result
	receive(n int) result
	drop(it int)
}

// runScript runs ops and returns every read's result, stopping after the
// first "closed" (the read half is closed then).
func runScript(s sim, ops []op) []result {
	var res []result
	for _, o := range ops {
		var r result
		switch {
		case o.drop:
			s.drop(o.it)
			continue
		case o.recv > 0:
			r = s.receive(o.recv)
		default:
			r = s.until(o.it, o.size)
		}
		res = append(res, r)
		if r.kind == kClosed {
			break
		}
	}
	return res
}

// iterSpec is one receiveuntil(pattern, {inclusive = ...}) of a script.
type iterSpec struct {
	pat       string
	inclusive bool
}

// fastSock feeds stream to the real Matchers in pieces, as a socket's recvs
// would, moving the buffer on every append so nothing may keep pointers.
type fastSock struct {
	t      testing.TB
	pieces [][]byte   // deliveries not received yet
	buf    []byte     // unconsumed received bytes
	specs  []iterSpec // the iterators' receiveuntil arguments
	pats   []*Pattern // compiled once, shared by an iterator and its successors
	its    []*Matcher
}

func newFastSock(t testing.TB, specs []iterSpec, pieces [][]byte) *fastSock {
	s := &fastSock{t: t, pieces: pieces, specs: specs}
	for _, sp := range specs {
		p, err := Compile(sp.pat)
		require.NoError(t, err)
		s.pats = append(s.pats, p)
		s.its = append(s.its, NewMatcher(p, sp.inclusive))
	}
	return s
}

// again returns a socket over pieces with fresh iterators sharing s's
// compiled patterns (a second request reusing them).
func (s *fastSock) again(pieces [][]byte) *fastSock {
	s2 := &fastSock{t: s.t, pieces: pieces, specs: s.specs, pats: s.pats}
	for i, p := range s.pats {
		s2.its = append(s2.its, NewMatcher(p, s.specs[i].inclusive))
	}
	return s2
}

// more receives the next piece; false at EOF.
func (s *fastSock) more() bool {
	if len(s.pieces) == 0 {
		return false
	}
	s.buf = append(s.buf[:len(s.buf):len(s.buf)], s.pieces[0]...)
	s.pieces = s.pieces[1:]
	return true
}

func (s *fastSock) until(i, size int) result {
	m := s.its[i]
	if m.Begin(size) {
		return eop
	}
	pat := s.specs[i].pat
	for {
		chunk, consume, st := m.Scan(s.buf)
		if st == ScanMore {
			s.check(chunk == nil && consume == 0, "ScanMore returned a chunk")
			if s.more() {
				continue
			}
			p := string(m.Abort(s.buf))
			s.buf = s.buf[len(p):]
			return closed(p)
		}
		s.checkChunk(st, chunk, consume, pat, s.specs[i].inclusive, size)
		r := got(string(chunk))
		s.buf = s.buf[consume:]
		s.check(m.Held() <= len(s.buf) && string(s.buf[:m.Held()]) == pat[:m.Held()],
			"held bytes are at the front of the buffer")
		return r
	}
}

// checkChunk checks Scan's contract for a chunk that ends a call.
func (s *fastSock) checkChunk(st ScanStatus, chunk []byte, consume int, pat string, inclusive bool, size int) {
	n := len(pat)
	switch st {
	case ScanMatched:
		if inclusive {
			s.check(consume == len(chunk) && string(chunk[len(chunk)-n:]) == pat,
				"an inclusive match ends with the pattern and consumes the chunk")
		} else {
			s.check(consume == len(chunk)+n && string(s.buf[len(chunk):consume]) == pat,
				"a match consumes the chunk and the pattern")
		}
		s.check(size <= 0 || consume-n < size, "a matched chunk is shorter than size")
	case ScanFull:
		s.check(size > 0 && len(chunk) >= size && consume == len(chunk),
			"a full chunk has at least size bytes and is consumed")
	}
}

// check fails the test with msg unless ok (cheaper than testify per scan).
func (s *fastSock) check(ok bool, msg string) {
	if !ok {
		require.Fail(s.t, msg)
	}
}

func (s *fastSock) receive(n int) result {
	for len(s.buf) < n && s.more() {
	}
	if len(s.buf) < n {
		p := string(s.buf)
		s.buf = nil
		return closed(p)
	}
	r := got(string(s.buf[:n]))
	s.buf = s.buf[n:]
	return r
}

func (s *fastSock) drop(i int) {
	s.its[i] = NewMatcher(s.pats[i], s.specs[i].inclusive)
}

// naiveIter is the compiled-pattern state of one ngx_lua iterator.
type naiveIter struct {
	pat       string
	inclusive bool
	state     int // matched pattern bytes, consumed from the stream but not output; -1: end of part next
}

// plainReader stands for sock:receive as the last reader.
var plainReader = new(int)

// naiveSock models ngx_lua's socket byte by byte over the whole stream.
type naiveSock struct {
	stream []byte
	pos    int // bytes consumed (held-back ones included)
	its    []*naiveIter
	last   any // the reader that read last (its input filter context)
}

func newNaiveSock(specs []iterSpec, stream []byte) *naiveSock {
	s := &naiveSock{stream: stream}
	for _, sp := range specs {
		s.its = append(s.its, &naiveIter{pat: sp.pat, inclusive: sp.inclusive})
	}
	return s
}

// prepare switches the reader: a previous iterator's held-back bytes go
// back in front of the stream and that iterator starts afresh.
func (s *naiveSock) prepare(reader any) {
	if s.last == reader {
		return
	}
	if prev, ok := s.last.(*naiveIter); ok && prev.state > 0 {
		s.pos -= prev.state
		prev.state = 0
	}
	s.last = reader
}

// naiveRecover is the recovery target of state s on byte c (c differs from
// pat[s]): one more than the longest proper border b ≥ 1 of pat[:s] that c
// extends, or 0 when there is none (a border of 0 is the plain restart).
func naiveRecover(pat string, s int, c byte) int {
	for b := s - 1; b >= 1; b-- {
		if pat[s-b:s] == pat[:b] && pat[b] == c {
			return b + 1
		}
	}
	return 0
}

func (s *naiveSock) until(i, size int) result {
	it := s.its[i]
	if it.state == -1 {
		it.state = 0
		return eop
	}
	s.prepare(it)
	rest := size
	out := []byte{}
	for {
		if s.pos == len(s.stream) {
			return closed(string(out))
		}
		c := s.stream[s.pos]
		st := it.state
		switch {
		case c == it.pat[st]:
			s.pos++
			it.state++
			if it.state < len(it.pat) {
				continue
			}
			it.state = 0
			if size > 0 {
				it.state = -1
			}
			if it.inclusive {
				out = append(out, it.pat...)
			}
			return got(string(out))
		case st == 0:
			out = append(out, c)
			s.pos++
			if size > 0 {
				rest--
				if rest == 0 {
					return got(string(out))
				}
			}
		default:
			released := st // and c is examined again in state 0
			t := naiveRecover(it.pat, st, c)
			if t > 0 {
				released = st + 1 - t
				s.pos++
			}
			out = append(out, it.pat[:released]...)
			it.state = t
			if size > 0 {
				if rest <= released {
					return got(string(out))
				}
				rest -= released
			}
		}
	}
}

func (s *naiveSock) receive(n int) result {
	s.prepare(plainReader)
	if len(s.stream)-s.pos < n {
		p := string(s.stream[s.pos:])
		s.pos = len(s.stream)
		return closed(p)
	}
	s.pos += n
	return got(string(s.stream[s.pos-n : s.pos]))
}

func (s *naiveSock) drop(i int) {
	it := s.its[i]
	if s.last == it {
		s.prepare(nil)
	}
	s.its[i] = &naiveIter{pat: it.pat, inclusive: it.inclusive}
}

// pieces cuts stream into deliveries of n bytes (n ≤ 0: one delivery).
func pieces(stream []byte, n int) [][]byte {
	if n <= 0 || n >= len(stream) {
		return [][]byte{stream}
	}
	var ps [][]byte
	for len(stream) > n {
		ps = append(ps, stream[:n])
		stream = stream[n:]
	}
	return append(ps, stream)
}

// feeds returns every way a test feeds a stream: whole, split in two at
// every offset, and one byte at a time.
func feeds(stream []byte) map[string][][]byte {
	f := map[string][][]byte{
		"whole":  {stream},
		"bytes1": pieces(stream, 1),
	}
	for i := 1; i < len(stream); i++ {
		f[fmt.Sprintf("split%d", i)] = [][]byte{stream[:i], stream[i:]}
	}
	return f
}
