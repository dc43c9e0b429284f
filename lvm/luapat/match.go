package luapat

import "strings"

// maxDepth bounds the matcher's recursion: one level per quantifier that
// is backtracking over its repetitions, whatever the subject's length.
const maxDepth = 200000

// Results of Matcher.match besides an end offset.
const (
	noMatch  = -1
	errIndex = -2 // ErrCaptureIndex
	errDepth = -3 // ErrTooComplex
)

// Matcher holds the scratch of one match: the capture bounds. Reuse one
// for every match on a goroutine; the zero value is ready. After a
// successful Find, Capture reads the captures until the next Find.
type Matcher struct {
	caps  []int // capture i's start and end offsets at 2i, 2i+1; a position capture has both at its offset
	src   string
	prog  []inst
	depth int
}

// Find returns the bounds [start, end) of the first match of p in s that
// starts at init or later (at init only when p is anchored); start is -1
// when there is none. init must be in 0..len(s).
func (m *Matcher) Find(p *Pattern, s string, init int) (start, end int, err error) {
	if n := 2 * len(p.pos); cap(m.caps) < n {
		m.caps = make([]int, n)
	} else {
		m.caps = m.caps[:n]
	}
	m.src, m.prog, m.depth = s, p.prog, 0
	defer m.release()
	if p.anchored {
		return m.try(init)
	}
	for sp := init; sp <= len(s); sp++ {
		switch p.firstKind {
		case firstByte:
			var i int
			if p.prefix != "" {
				i = strings.Index(s[sp:], p.prefix)
			} else {
				i = strings.IndexByte(s[sp:], p.firstChar)
			}
			if i < 0 {
				return -1, -1, nil
			}
			sp += i
		case firstSet:
			for sp < len(s) && !p.first.has(s[sp]) {
				sp++
			}
			if sp == len(s) {
				return -1, -1, nil
			}
		}
		if start, end, err = m.try(sp); start >= 0 || err != nil {
			return start, end, err
		}
	}
	return -1, -1, nil
}

// release drops the references to the subject and program.
func (m *Matcher) release() { m.src, m.prog = "", nil }

// try matches at sp only.
func (m *Matcher) try(sp int) (start, end int, err error) {
	switch e := m.match(sp, 0); e {
	case noMatch:
		return -1, -1, nil
	case errIndex:
		return -1, -1, ErrCaptureIndex
	case errDepth:
		return -1, -1, ErrTooComplex
	default:
		return sp, e, nil
	}
}

// Capture returns capture i's bounds from the last successful Find; for a
// position capture both are its offset (the Lua value is that plus one).
func (m *Matcher) Capture(i int) (start, end int) { return m.caps[2*i], m.caps[2*i+1] }

// match runs the program from pc with the subject at s; it returns where the
// match ends, noMatch, or an error code. Captures are written as their
// instructions are passed and never restored: every instruction before pc
// in the (linear) program was passed on the way to it, so the bounds it
// reads are always the current path's.
func (m *Matcher) match(s, pc int) int {
	src, prog := m.src, m.prog
	for {
		in := &prog[pc]
		switch in.op {
		case opChar:
			if s >= len(src) || src[s] != in.c {
				return noMatch
			}
			s++
			pc++
		case opSet:
			if s >= len(src) || !in.set.has(src[s]) {
				return noMatch
			}
			s++
			pc++
		case opStar, opPlus:
			i := s
			for i < len(src) && in.set.has(src[i]) {
				i++
			}
			least := s
			if in.op == opPlus {
				least++
			}
			return m.longest(least, i, pc+1)
		case opLazy:
			return m.shortest(s, pc)
		case opOpt:
			if s < len(src) && in.set.has(src[s]) {
				if e := m.rest(s+1, pc+1); e != noMatch {
					return e
				}
			}
			pc++
		case opOpen:
			m.caps[2*in.k] = s
			pc++
		case opClose:
			m.caps[2*in.k+1] = s
			pc++
		case opPos:
			m.caps[2*in.k], m.caps[2*in.k+1] = s, s
			pc++
		case opBalance:
			e := m.balance(s, in.b, in.e)
			if e < 0 {
				return noMatch
			}
			s = e
			pc++
		case opBackref:
			c := src[m.caps[2*in.k]:m.caps[2*in.k+1]]
			if !strings.HasPrefix(src[s:], c) {
				return noMatch
			}
			s += len(c)
			pc++
		case opBackrefPos:
			if m.caps[2*in.k] == len(src) {
				return errIndex
			}
			pc++
		case opBackrefOpen:
			if m.caps[2*in.k] != 0 {
				return errIndex
			}
			pc++
		case opBadRef:
			return errIndex
		case opEnd:
			return s
		case opEndTail:
			if s != len(src) {
				return noMatch
			}
			return s
		}
	}
}

// rest matches from pc at s one recursion level down.
func (m *Matcher) rest(s, pc int) int {
	if m.depth >= maxDepth {
		return errDepth
	}
	m.depth++
	e := m.match(s, pc)
	m.depth--
	return e
}

// longest tries the rest of the program (from pc) after a repetition that
// can end anywhere in [least, most], longest first.
func (m *Matcher) longest(least, most, pc int) int {
	next := &m.prog[pc]
	switch next.op {
	case opEnd:
		if most < least {
			return noMatch
		}
		return most
	case opEndTail:
		if most < least || most != len(m.src) {
			return noMatch
		}
		return most
	}
	for i := most; i >= least; i-- {
		// Skip ends the next literal byte rules out before recursing.
		if next.op == opChar && (i >= len(m.src) || m.src[i] != next.c) {
			continue
		}
		if e := m.rest(i, pc); e != noMatch {
			return e
		}
	}
	return noMatch
}

// shortest runs the lazy repetition at pc: the rest of the program after as
// few repeated bytes as it takes.
func (m *Matcher) shortest(s, pc int) int {
	in := &m.prog[pc]
	next := &m.prog[pc+1]
	for {
		if next.op != opChar || s < len(m.src) && m.src[s] == next.c {
			if e := m.rest(s, pc+1); e != noMatch {
				return e
			}
		}
		if s >= len(m.src) || !in.set.has(m.src[s]) {
			return noMatch
		}
		s++
	}
}

// balance matches %bxy at s: x, then bytes up to the y that balances it.
// It returns the offset after that y, or -1.
func (m *Matcher) balance(s int, x, y int16) int {
	src := m.src
	if s >= len(src) || int16(src[s]) != x {
		return -1
	}
	depth := 1
	for i := s + 1; i < len(src); i++ {
		switch int16(src[i]) {
		case y:
			if depth--; depth == 0 {
				return i + 1
			}
		case x:
			depth++
		}
	}
	return -1
}
