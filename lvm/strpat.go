package lvm

import (
	"strconv"
	"strings"

	"github.com/luring/luring/lvm/luapat"
	lua "github.com/yuin/gopher-lua"
)

// string.find, string.match, string.gmatch (and its old name gfind) and
// string.gsub on luring's pattern engine (lvm/luapat), which compiles a
// pattern once per VM instead of once per call as gopher-lua 1.1.2 does.
// Results and error messages are gopher-lua's (see luapat's doc), with
// luring's earlier fixes to find and match kept: a start past the end is
// clamped (LuaJIT's string.find("abc", "", 10) is 4, 3) and match returns
// nil, not nothing, when nothing matches. gmatch returns a closure, as Lua
// 5.1 and LuaJIT do, so its iterator may be called without arguments
// (gopher-lua's wanted its state back as the first).
//
// gopher-lua's gsub departs from Lua 5.1 in ways kept here: n = 0 replaces
// nothing when the subject's start does not match and everything when it
// does, a negative n is no limit; a number is no valid replacement; "%x"
// in a replacement string stays "%x" and a trailing "%" stays; a table or
// function giving neither string, number, false nor nil replaces with "";
// with no match the subject comes back as given (a number stays a number).
// gmatch and gsub find every match before acting on one, so an error in a
// later match comes first: scan.check keeps that order.

// patternSpecials are the bytes that make string.find use patterns.
const patternSpecials = "^$*+?.([%-"

// Pattern cache bounds: two generations of patGeneration patterns each;
// patterns longer than patMaxCached bytes are compiled per call.
const (
	patGeneration = 256
	patMaxCached  = 1024
)

// gsubKeepBuf is the largest gsub output buffer a VM keeps for the next call.
const gsubKeepBuf = 64 << 10

// patterns is one VM's compiled patterns and matching scratch. Loop thread
// only, as the VM.
type patterns struct {
	// cur and old are the cache's generations: a hit in old moves the
	// pattern to cur; when cur is full it becomes old and old is dropped.
	// Keys are copies, so a cached pattern never pins a larger string.
	cur, old map[string]*luapat.Pattern
	// m is the one matcher of every call. No Lua code runs while a match
	// is read: a gsub callback may match in turn, so gsub reads what it
	// needs of a match before calling it.
	m luapat.Matcher
	// buf is gsub's output buffer; nil while a gsub holds it (a gsub inside
	// a gsub callback then makes its own).
	buf []byte
}

// installPatterns puts the pattern functions in the string table, which
// gopher-lua's string metatable also indexes (("x"):match(...)).
func installPatterns(L *lua.LState) {
	c := &patterns{cur: make(map[string]*luapat.Pattern), old: map[string]*luapat.Pattern{}}
	str := L.GetGlobal("string").(*lua.LTable)
	gmatch := L.NewFunction(c.gmatch)
	str.RawSetString("find", L.NewFunction(c.find))
	str.RawSetString("match", L.NewFunction(c.match))
	str.RawSetString("gmatch", gmatch)
	str.RawSetString("gfind", gmatch)
	str.RawSetString("gsub", L.NewFunction(c.gsub))
}

// compile returns the compiled pattern p, raising its error in L.
func (c *patterns) compile(L *lua.LState, p string) *luapat.Pattern {
	if pat, ok := c.cur[p]; ok {
		return pat
	}
	pat, ok := c.old[p]
	if !ok {
		var err error
		if pat, err = luapat.Compile(p); err != nil {
			L.RaiseError("%s", err.Error())
		}
		if len(p) > patMaxCached {
			return pat
		}
		p = strings.Clone(p)
	}
	if len(c.cur) >= patGeneration {
		c.old, c.cur = c.cur, make(map[string]*luapat.Pattern, patGeneration)
	}
	c.cur[p] = pat
	return pat
}

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

// find is string.find(s, pattern, init?, plain?).
func (c *patterns) find(L *lua.LState) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	init := strStart(L, 3, len(s))
	if lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(p, patternSpecials) {
		i := strings.Index(s[init:], p)
		if i < 0 {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(intValue(init + i + 1))
		L.Push(intValue(init + i + len(p)))
		return 2
	}
	pat := c.compile(L, p)
	start, end, err := c.m.Find(pat, s, init)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if start < 0 {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(intValue(start + 1))
	L.Push(intValue(end))
	return 2 + c.pushCaptures(L, pat, s)
}

// match is string.match(s, pattern, init?).
func (c *patterns) match(L *lua.LState) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	init := strStart(L, 3, len(s))
	pat := c.compile(L, p)
	start, end, err := c.m.Find(pat, s, init)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if start < 0 {
		L.Push(lua.LNil)
		return 1
	}
	if pat.NumCaptures() == 0 {
		L.Push(lua.LString(s[start:end]))
		return 1
	}
	return c.pushCaptures(L, pat, s)
}

// pushCaptures pushes the captures of the match c.m just found in s.
func (c *patterns) pushCaptures(L *lua.LState, pat *luapat.Pattern, s string) int {
	n := pat.NumCaptures()
	for i := range n {
		start, end := c.m.Capture(i)
		if pat.IsPosition(i) {
			L.Push(intValue(start + 1))
		} else {
			L.Push(lua.LString(s[start:end]))
		}
	}
	return n
}

// scan walks the matches of a pattern in a subject as gopher-lua's gsub
// and gmatch collect them: after an empty match the next search starts one
// byte on, after any other where it ended; an anchored pattern matches
// once at most.
type scan struct {
	pat *luapat.Pattern
	s   string
	sp  int // offset the next search starts at
	// limit is gsub's n: stop after that many matches; negative means no
	// limit, and 0 means none when the subject's start does not match and
	// no limit when it does (gopher-lua's count check runs after a match).
	limit int
	n     int  // matches found so far
	done  bool // no more matches
}

// next finds the next match; start is -1 when there is none.
func (sc *scan) next(m *luapat.Matcher) (start, end int, err error) {
	if sc.done || sc.sp > len(sc.s) || sc.limit > 0 && sc.n >= sc.limit {
		return -1, -1, nil
	}
	start, end, err = m.Find(sc.pat, sc.s, sc.sp)
	if err != nil || start < 0 || sc.limit == 0 && sc.n == 0 && start != 0 {
		sc.done = true
		return -1, -1, err
	}
	sc.n++
	sc.sp = max(start+1, end)
	sc.done = sc.pat.Anchored()
	return start, end, nil
}

// check runs a copy of sc to its end when its pattern can fail part way,
// so that, as with gopher-lua (which finds every match first), the error
// comes before anything is done with the first match.
func (sc *scan) check(L *lua.LState, m *luapat.Matcher) {
	if !sc.pat.MayFail() {
		return
	}
	probe := *sc
	for {
		start, _, err := probe.next(m)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		if start < 0 {
			return
		}
	}
}

// gmatchIter is the state of one string.gmatch iterator.
type gmatchIter struct {
	c  *patterns
	sc scan
}

// gmatch is string.gmatch(s, pattern): an iterator over the matches.
func (c *patterns) gmatch(L *lua.LState) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	it := &gmatchIter{c: c, sc: scan{pat: c.compile(L, p), s: s, limit: -1}}
	it.sc.check(L, &c.m)
	L.Push(L.NewFunction(it.next))
	return 1
}

// next returns the next match's captures (or the whole match), nothing at
// the end.
func (it *gmatchIter) next(L *lua.LState) int {
	start, end, err := it.sc.next(&it.c.m)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if start < 0 {
		return 0
	}
	if it.sc.pat.NumCaptures() == 0 {
		L.Push(lua.LString(it.sc.s[start:end]))
		return 1
	}
	return it.c.pushCaptures(L, it.sc.pat, it.sc.s)
}

// gsub is string.gsub(s, pattern, repl, n?).
func (c *patterns) gsub(L *lua.LState) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	L.CheckTypes(3, lua.LTString, lua.LTTable, lua.LTFunction)
	repl := L.CheckAny(3)
	limit := L.OptInt(4, -1)
	pat := c.compile(L, p)
	sc := scan{pat: pat, s: s, limit: limit}
	sc.check(L, &c.m)

	buf := c.buf[:0]
	c.buf = nil
	last := 0 // s[:last] is in buf
	for {
		start, end, err := sc.next(&c.m)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		if start < 0 {
			break
		}
		buf = append(buf, s[last:start]...)
		last = end
		switch r := repl.(type) {
		case lua.LString:
			buf = c.expand(L, buf, pat, s, start, end, string(r))
		case *lua.LTable:
			var v lua.LValue
			switch {
			case pat.NumCaptures() == 0:
				v = L.GetField(r, s[start:end])
			case pat.IsPosition(0):
				cs, _ := c.m.Capture(0)
				v = L.GetTable(r, intValue(cs+1))
			default:
				cs, ce := c.m.Capture(0)
				v = L.GetField(r, s[cs:ce])
			}
			buf = appendReplacement(buf, v, s[start:end])
		case *lua.LFunction:
			L.Push(r)
			n := c.pushCaptures(L, pat, s)
			if n == 0 {
				L.Push(lua.LString(s[start:end]))
				n = 1
			}
			L.Call(n, 1)
			v := L.Get(-1)
			L.Pop(1)
			buf = appendReplacement(buf, v, s[start:end])
		}
	}
	if sc.n == 0 {
		c.buf = buf
		L.Push(L.Get(1))
		L.Push(intValue(0))
		return 2
	}
	buf = append(buf, s[last:]...)
	L.Push(lua.LString(buf))
	if cap(buf) <= gsubKeepBuf {
		c.buf = buf
	}
	L.Push(intValue(sc.n))
	return 2
}

// appendReplacement appends what a table or function replacement gave:
// the match itself for false or nil, else v as a string (gopher-lua turns
// a value that is neither string nor number into "").
func appendReplacement(buf []byte, v lua.LValue, match string) []byte {
	if lua.LVIsFalse(v) {
		return append(buf, match...)
	}
	if s, ok := v.(lua.LString); ok {
		return append(buf, s...)
	}
	return append(buf, lua.LVAsString(v)...)
}

// expand appends the replacement string r for the match s[start:end]:
// %0 is the match, %1..%9 the captures (%1 the match when there are none),
// %% a %; any other % stays as it is, with the byte after it.
func (c *patterns) expand(L *lua.LState, buf []byte, pat *luapat.Pattern, s string, start, end int, r string) []byte {
	for {
		i := strings.IndexByte(r, '%')
		if i < 0 || i == len(r)-1 {
			return append(buf, r...)
		}
		buf = append(buf, r[:i]...)
		d := r[i+1]
		r = r[i+2:]
		switch {
		case d == '%':
			buf = append(buf, '%')
		case d < '0' || d > '9':
			buf = append(buf, '%', d)
		case d == '0' || d == '1' && pat.NumCaptures() == 0:
			buf = append(buf, s[start:end]...)
		case int(d-'0') > pat.NumCaptures():
			L.RaiseError("invalid capture index")
		default:
			k := int(d - '1')
			cs, ce := c.m.Capture(k)
			if pat.IsPosition(k) {
				buf = strconv.AppendInt(buf, int64(cs+1), 10)
			} else {
				buf = append(buf, s[cs:ce]...)
			}
		}
	}
}
