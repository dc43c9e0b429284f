package cosocket

import (
	"bytes"
	"fmt"
	"math"
)

// Pattern is a receiveuntil delimiter compiled once: the pattern bytes and
// the recovery edges of ngx_lua's matching automaton. A Pattern is immutable
// and may be shared by any number of Matchers, on any goroutine.
//
// The automaton's state is the number of pattern bytes matched so far. On a
// byte that does not continue the match, a recovery edge (state, byte) →
// target says the longest shorter prefix that the byte does continue; without
// an edge the matched bytes are released as output and the byte is examined
// again from state 0. This is ngx_lua's algorithm, kept edge for edge because
// the edges decide where size-mode chunks end.
type Pattern struct {
	pat string // the delimiter, len ≥ 1

	// Recovery edges of state s are edgeByte[edgeOff[s]:edgeOff[s+1]] with
	// targets edgeTo at the same indexes. edgeOff is nil when the pattern has
	// no edges; only states 2..len(pat)-1 can have any.
	edgeOff  []int32
	edgeByte []byte
	edgeTo   []int32
}

// Compile compiles a receiveuntil pattern. Any length works; the only error
// is ErrEmptyPattern for "".
func Compile(pattern string) (*Pattern, error) {
	n := len(pattern)
	if n == 0 {
		return nil, ErrEmptyPattern
	}
	p := &Pattern{pat: pattern}
	// For each shift i, k is the length of the common prefix of the pattern
	// and the pattern shifted by i. When the shifted copy then disagrees
	// inside the pattern (at state i+k), seeing pattern[k] there means the
	// shifted copy matched k+1 bytes: that is the edge. Shifts whose copy
	// runs off the end give no edge. Several edges of one state on one byte
	// keep the largest target.
	targets := map[[2]int]int{} // {state, byte} → target
	for i := 1; i+1 < n; i++ {
		k := 0
		for i+k < n && pattern[k] == pattern[i+k] {
			k++
		}
		if k == 0 || i+k == n {
			continue
		}
		key := [2]int{i + k, int(pattern[k])}
		targets[key] = max(targets[key], k+1)
	}
	if len(targets) == 0 {
		return p, nil
	}
	p.edgeOff = make([]int32, n+1)
	for s := range n {
		p.edgeOff[s] = int32(len(p.edgeByte))
		for c := range 256 {
			if t, ok := targets[[2]int{s, c}]; ok {
				p.edgeByte = append(p.edgeByte, byte(c))
				p.edgeTo = append(p.edgeTo, int32(t))
			}
		}
	}
	p.edgeOff[n] = int32(len(p.edgeByte))
	return p, nil
}

// String returns the pattern as given to Compile.
func (p *Pattern) String() string { return p.pat }

// recover returns the target of the recovery edge of state s on byte c, or 0
// when there is none.
func (p *Pattern) recover(s int, c byte) int {
	if p.edgeOff == nil {
		return 0
	}
	for j := p.edgeOff[s]; j < p.edgeOff[s+1]; j++ {
		if p.edgeByte[j] == c {
			return int(p.edgeTo[j])
		}
	}
	return 0
}

// indexByte is bytes.IndexByte that looks at the first few bytes itself,
// which is cheaper than the call when candidates are close together.
func indexByte(b []byte, c byte) int {
	const near = 8
	for i := 0; i < len(b) && i < near; i++ {
		if b[i] == c {
			return i
		}
	}
	if len(b) <= near {
		return -1
	}
	if i := bytes.IndexByte(b[near:], c); i >= 0 {
		return near + i
	}
	return -1
}

// ScanStatus says how a Matcher.Scan call ended.
type ScanStatus uint8

const (
	// ScanMore means every byte of data was examined and the call goes on:
	// append more bytes to the buffer and Scan again, or end the call with
	// Abort on EOF, timeout or error.
	ScanMore ScanStatus = iota
	// ScanMatched means the pattern was found; the chunk is the call's
	// result and the call is over.
	ScanMatched
	// ScanFull means the call's size budget was used up before the pattern;
	// the chunk is the call's result and the call is over.
	ScanFull
)

// String names the status, for logs and test failures.
func (s ScanStatus) String() string {
	switch s {
	case ScanMore:
		return "ScanMore"
	case ScanMatched:
		return "ScanMatched"
	case ScanFull:
		return "ScanFull"
	}
	return fmt.Sprintf("ScanStatus(%d)", uint8(s))
}

// Matcher is the search state of one receiveuntil iterator. It scans the
// socket's buffer of unconsumed received bytes in place and never copies or
// consumes them; the socket consumes what a call returns.
//
// One iterator call is Begin, then Scan until it reports ScanMatched or
// ScanFull (more bytes appended between Scans), or Abort. During a call the
// buffer must only grow at its end: its bytes already passed to Scan stay as
// they were, though the slice itself may move (a reallocated buffer).
//
// Between calls the Matcher may hold back bytes at the front of the buffer
// that match a prefix of the pattern (Held). They stay in the buffer, so a
// plain receive or another iterator reading next gets them, as in ngx_lua;
// the next call of this Matcher checks they are still there and otherwise
// starts afresh, so no other reader needs to tell it anything, and a
// Matcher that is dropped leaves nothing behind.
//
// A Matcher is used by one goroutine (the socket's loop thread) at a time.
type Matcher struct {
	p         *Pattern // compiled pattern, shared, read-only
	inclusive bool     // a match's chunk ends with the pattern

	held    int  // data[out:out+held] == p.pat[:held]; between calls out is 0
	out     int  // in a call: data[:out] is the output so far
	rest    int  // in a call: budget left, > 0; math.MaxInt without size
	sized   bool // in a call: it has a size budget
	active  bool // a call is in progress (Begin to ScanMatched, ScanFull or Abort)
	checked bool // in a call: held was checked against the buffer
	ended   bool // a sized call matched: the next call is the end-of-part marker
}

// NewMatcher returns the state of a new iterator over p, before its first
// call. With inclusive, a match's chunk includes the pattern bytes
// (receiveuntil's inclusive option).
func NewMatcher(p *Pattern, inclusive bool) *Matcher {
	return &Matcher{p: p, inclusive: inclusive}
}

// Begin starts one iterator call with a size budget: size > 0 is the Lua
// iterator's size argument (each call returns about that many bytes, see
// Scan); size ≤ 0 means no size (read to the pattern).
//
// Begin reports endOfPart true on the call after a sized call that matched:
// that call is over at once and returns ngx_lua's end-of-part marker
// (nil, nil, nil in Lua); the call after it searches for the next
// occurrence. The socket checks that it is open before Begin, as ngx_lua
// does, so a closed socket does not use up the marker.
//
// Begin during a call abandons that call (its output was not consumed and
// stays in the buffer, to be scanned again).
func (m *Matcher) Begin(size int) (endOfPart bool) {
	if m.active && m.out > 0 {
		m.held = 0 // the held bytes are not at the front: scan afresh
	}
	m.out, m.active, m.checked = 0, false, false
	if m.ended {
		m.ended = false
		return true
	}
	m.active = true
	m.sized = size > 0
	m.rest = size
	if !m.sized {
		m.rest = math.MaxInt // never used up: an input is shorter
	}
	return false
}

// Held returns the number of bytes at the front of the unconsumed buffer
// that this Matcher examined in an earlier call and holds back as a possible
// start of the pattern (0 when it holds none). ngx_lua counts such bytes as
// consumed until another reader reads; here they stay in the buffer.
func (m *Matcher) Held() int {
	if m.active {
		return 0
	}
	return m.held
}

// Scan goes on with the current call over data, the socket's unconsumed
// received bytes from their front. It examines only bytes it has not
// examined in this call.
//
// When the call ends, Scan returns the call's chunk and the number of bytes
// the caller must consume from the front of its buffer:
//   - ScanMatched: chunk is the data before the pattern (inclusive: and the
//     pattern); consume covers the chunk and the pattern. Without size the
//     iterator's next call searches for the next occurrence; with size it
//     returns the end-of-part marker first (see Begin).
//   - ScanFull: the size budget is used up; chunk holds the output bytes,
//     consume is len(chunk). Every output byte counts against the budget,
//     so the chunk has size bytes, or more when held-back bytes released at
//     once overshoot it (ngx_lua's rule: pattern "ab1ab2" over "ab1ab1"
//     with size 2 gives "ab1"). Bytes still held back stay in the buffer
//     after the consumed ones, for the next call. A matched chunk in a
//     sized call is shorter than size (before any inclusive pattern), and
//     may be empty.
//   - ScanMore: no result yet, chunk is nil and consume 0; nothing is to
//     be consumed.
//
// The status is ScanMatched if and only if the pattern was found. chunk is a
// sub-slice of data: it is valid until the caller next changes its buffer
// (consumes, compacts or reads into it), so the socket copies it (into the
// Lua string) before consuming. Scan allocates nothing.
//
// Scan panics when no call is in progress or data is shorter than what it
// already examined in this call.
func (m *Matcher) Scan(data []byte) (chunk []byte, consume int, status ScanStatus) {
	if !m.active {
		panic("cosocket: Matcher.Scan outside a call (Begin first)")
	}
	if !m.checked {
		m.checked = true
		m.held = m.checkHeld(data)
	}
	p := m.p
	pat := p.pat
	n := len(pat)
	out, held, rest := m.out, m.held, m.rest
	pos := out + held // next byte to examine
	if pos > len(data) {
		panic("cosocket: Matcher.Scan: data shrank during a call")
	}
	for {
		if held == 0 {
			// Ordinary bytes are output up to the pattern's first byte,
			// and no more than the budget has left.
			win := data[pos:]
			capped := len(win) >= rest
			if capped {
				win = win[:rest]
			}
			i := indexByte(win, pat[0])
			if i < 0 {
				out += len(win)
				if capped {
					return m.full(data, out, 0)
				}
				m.out, m.held, m.rest = out, 0, rest-len(win)
				return nil, 0, ScanMore
			}
			out += i
			rest -= i
			held, pos = 1, out+1
		}
		for pos < len(data) && held < n && data[pos] == pat[held] {
			pos++
			held++
		}
		if held == n {
			return m.matched(data, out)
		}
		if pos == len(data) {
			m.out, m.held, m.rest = out, held, rest
			return nil, 0, ScanMore
		}
		// data[pos] breaks the match of held bytes.
		c := data[pos]
		t := p.recover(held, c)
		if t == held {
			// A self-edge: this byte and each equal one after it
			// release one byte and leave the state as it is (dashes
			// against "--abc").
			run := 1
			for pos+run < len(data) && data[pos+run] == c {
				run++
			}
			if rest <= run {
				return m.full(data, out+rest, held)
			}
			out, pos, rest = out+run, pos+run, rest-run
			continue
		}
		var released int
		if t > 0 {
			// The byte continues a shorter prefix: keep its t bytes
			// (the byte included), release the rest before them.
			released = held + 1 - t
			held = t
			pos++
		} else {
			// Release all held bytes; the byte is examined again in
			// state 0 (pos stays).
			released = held
			held = 0
		}
		out += released
		if rest <= released {
			return m.full(data, out, held)
		}
		rest -= released
	}
}

// Abort ends the current call without a result, on EOF, a timeout or a read
// error, and returns the call's partial output: the bytes before any bytes
// held back as a possible start of the pattern (pattern "--abc" over
// "hello --ab" gives "hello "). That is the partial value of
// nil, err, partial in Lua.
//
// The caller consumes len(partial) bytes; the held-back ones stay in the
// buffer after them, and this Matcher's next call goes on from them (a read
// timeout is not fatal). partial is a sub-slice of data, valid as Scan's
// chunk is. Abort with no call in progress does nothing and returns nil.
func (m *Matcher) Abort(data []byte) (partial []byte) {
	if !m.active {
		return nil
	}
	out := m.out
	m.out, m.active = 0, false
	if !m.checked {
		return data[:0] // never scanned: held was not checked, keep it
	}
	if out+m.held > len(data) {
		panic("cosocket: Matcher.Abort: data shrank during a call")
	}
	return data[:out]
}

// checkHeld returns how many of the bytes held back from the previous call
// are still at the front of data. When another reader consumed them, or
// some of them, scanning resumes from state 0; scanning pattern bytes from
// state 0 only climbs back to where it was, with nothing output or charged,
// so this is exactly a rescan.
func (m *Matcher) checkHeld(data []byte) int {
	h := min(m.held, len(data))
	if string(data[:h]) != m.p.pat[:h] {
		return 0
	}
	return h
}

// matched ends the call on a match whose output is data[:out].
func (m *Matcher) matched(data []byte, out int) ([]byte, int, ScanStatus) {
	n := len(m.p.pat)
	m.out, m.held, m.active = 0, 0, false
	m.ended = m.sized
	if m.inclusive {
		return data[:out+n], out + n, ScanMatched
	}
	return data[:out], out + n, ScanMatched
}

// full ends the call when the budget is used up, holding held bytes.
func (m *Matcher) full(data []byte, out, held int) ([]byte, int, ScanStatus) {
	m.out, m.held, m.active = 0, held, false
	return data[:out], out, ScanFull
}
