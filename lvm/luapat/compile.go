package luapat

import "strconv"

// opcode is one step of a compiled pattern.
type opcode uint8

const (
	opChar        opcode = iota // one byte equal to c
	opSet                       // one byte in set
	opStar                      // set*: as many bytes as possible, then fewer
	opPlus                      // set+: as set* with at least one
	opLazy                      // set-: as few bytes as possible, then more
	opOpt                       // set?: one byte if it can, else none
	opOpen                      // capture k starts here
	opClose                     // capture k ends here
	opPos                       // position capture k is here
	opBalance                   // %bxy with x = b, y = e
	opBackref                   // %k of a closed capture: its text again
	opBackrefPos                // %k of a position capture: empty (gopher-lua's reading, see doc.go)
	opBackrefOpen               // %k of a capture still open (gopher-lua's reading, see doc.go)
	opBadRef                    // %k gopher-lua rejects when it reaches it
	opEnd                       // the match ends here
	opEndTail                   // the match ends here if the subject does ($)
)

// byteSet is a set of bytes, bit c of word c/64.
type byteSet [4]uint64

func (s *byteSet) has(c byte) bool { return s[c>>6]&(1<<(c&63)) != 0 }
func (s *byteSet) add(c byte)      { s[c>>6] |= 1 << (c & 63) }

// inst is one instruction; which fields count depends on op.
type inst struct {
	op opcode
	c  byte // opChar
	// b, e are %b's delimiters; -1 when the pattern ended before them
	// (the item then matches nothing).
	b, e int16
	k    int32 // capture index, 0-based (captures and back-references)
	set  byteSet
}

// Pattern is a compiled Lua pattern. It is immutable: one Pattern may be
// matched by many Matchers, on any goroutine.
type Pattern struct {
	src      string
	prog     []inst
	pos      []bool // per capture: a position capture, ()
	anchored bool   // the pattern starts with ^: it matches at the start only
	// mayFail: the program has an instruction that raises an error when
	// reached, so finding every match of a subject can fail part way.
	mayFail bool
	// first is what the first byte of any match must be, when known.
	first     byteSet
	firstKind uint8  // firstNone, firstByte (a literal, first char), firstSet
	firstChar byte   // firstByte's byte
	prefix    string // the literal bytes every match starts with, when 2 or more
}

const (
	firstNone = iota
	firstByte
	firstSet
)

// Error is a malformed pattern or a back-reference that cannot be resolved;
// Error() is the message Lua code sees (after its position prefix).
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Errors raised while matching.
var (
	// ErrCaptureIndex: a back-reference names a capture that does not exist
	// or is still open where it stands.
	ErrCaptureIndex = &Error{"invalid capture index"}
	// ErrTooComplex: the pattern nests more than maxDepth quantifiers.
	ErrTooComplex = &Error{"pattern/input too complex"}
)

// Compile compiles a Lua pattern. Its error is an *Error.
func Compile(pattern string) (*Pattern, error) {
	c := compiler{p: pattern}
	if len(pattern) > 0 && pattern[0] == '^' {
		c.anchored = true
		c.i = 1
	}
	if err := c.seq(true); err != nil {
		return nil, err
	}
	if c.tail {
		c.emit(inst{op: opEndTail})
	} else {
		c.emit(inst{op: opEnd})
	}
	p := &Pattern{src: pattern, prog: c.prog, pos: c.pos, anchored: c.anchored, mayFail: c.mayFail}
	p.analyse()
	return p, nil
}

// compiler turns a pattern into a program in one pass, reading it with
// gopher-lua's grammar.
type compiler struct {
	p        string
	i        int // next byte of p to read
	prog     []inst
	pos      []bool // per capture opened so far: a position capture
	closed   []bool // per capture opened so far: closed (or a position)
	anchored bool
	tail     bool // the pattern ends with an anchoring $
	mayFail  bool
	// maxSlot is the highest capture slot gopher-lua's matcher has written
	// on any path to the current instruction (slot 0 is the match start,
	// 2j and 2j+1 capture j's bounds). Its back-reference check reads it.
	maxSlot int
}

func (c *compiler) emit(in inst) int {
	c.prog = append(c.prog, in)
	return len(c.prog) - 1
}

// errAt words a parse error as gopher-lua does: at the offset of the last
// pattern byte read, or "at EOS" when the last read ran off the end.
func errAt(msg string, at int) error {
	if at < 0 {
		return &Error{msg + " at EOS"}
	}
	return &Error{msg + " at " + strconv.Itoa(at)}
}

// seq compiles items until the end of the pattern or, inside a capture,
// a ')' (left unread).
func (c *compiler) seq(top bool) error {
	single := -1 // index of the last instruction if it is a single item of this sequence
	for c.i < len(c.p) {
		ch := c.p[c.i]
		switch ch {
		case '(':
			c.i++
			if err := c.capture(); err != nil {
				return err
			}
			single = -1
		case ')':
			if top {
				return errAt("invalid ')'", max(c.i-1, 0))
			}
			return nil
		case '%':
			if c.i+1 >= len(c.p) {
				// A lone % at the end: a class that matches nothing.
				c.i++
				single = c.emit(inst{op: opSet})
				continue
			}
			switch d := c.p[c.i+1]; {
			case d == '0':
				return errAt("invalid capture index", c.i)
			case d >= '1' && d <= '9':
				c.i += 2
				c.backref(int(d - '0'))
				single = -1
			case d == 'b':
				c.i += 2
				b, e := c.balanceArg(), c.balanceArg()
				c.emit(inst{op: opBalance, b: b, e: e})
				single = -1
			default:
				c.i += 2
				in := inst{op: opSet}
				classSet(&in.set, int(d))
				single = c.emit(in)
			}
		case '[':
			c.i++
			in := inst{op: opSet}
			if err := c.set(&in.set); err != nil {
				return err
			}
			single = c.emit(in)
		case '.':
			c.i++
			in := inst{op: opSet}
			in.set = byteSet{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
			single = c.emit(in)
		case '*', '+', '-', '?':
			c.i++
			if single < 0 {
				single = c.emit(inst{op: opChar, c: ch})
				continue
			}
			c.quantify(single, ch)
			single = -1
		case '$':
			c.i++
			if top && c.i == len(c.p) {
				c.tail = true
				continue
			}
			single = c.emit(inst{op: opChar, c: ch})
		default:
			c.i++
			single = c.emit(inst{op: opChar, c: ch})
		}
	}
	return nil
}

// capture compiles what follows a '(': a position capture or a capture
// with its items and ')'.
func (c *compiler) capture() error {
	k := len(c.pos)
	slot := 2 * (k + 1)
	if c.i < len(c.p) && c.p[c.i] == ')' {
		c.i++
		c.pos = append(c.pos, true)
		c.closed = append(c.closed, true)
		c.emit(inst{op: opPos, k: int32(k)})
		c.maxSlot = max(c.maxSlot, slot+1)
		return nil
	}
	c.pos = append(c.pos, false)
	c.closed = append(c.closed, false)
	c.emit(inst{op: opOpen, k: int32(k)})
	c.maxSlot = max(c.maxSlot, slot)
	if err := c.seq(false); err != nil {
		return err
	}
	if c.i >= len(c.p) {
		return errAt("unfinished capture", -1)
	}
	c.i++ // ')'
	c.closed[k] = true
	c.emit(inst{op: opClose, k: int32(k)})
	c.maxSlot = max(c.maxSlot, slot+1)
	return nil
}

// backref compiles %n (n in 1..9) the way gopher-lua's matcher will treat
// it when it gets there.
func (c *compiler) backref(n int) {
	k := n - 1
	switch {
	case 2*n >= c.maxSlot:
		c.emit(inst{op: opBadRef})
		c.mayFail = true
	case c.pos[k]:
		c.emit(inst{op: opBackrefPos, k: int32(k)})
		c.mayFail = true
	case c.closed[k]:
		c.emit(inst{op: opBackref, k: int32(k)})
	default:
		c.emit(inst{op: opBackrefOpen, k: int32(k)})
		c.mayFail = true
	}
}

// balanceArg reads one delimiter of %b; -1 past the end of the pattern.
func (c *compiler) balanceArg() int16 {
	if c.i >= len(c.p) {
		return -1
	}
	c.i++
	return int16(c.p[c.i-1])
}

// quantify turns the single item at prog[at] into a repetition.
func (c *compiler) quantify(at int, q byte) {
	in := &c.prog[at]
	if in.op == opChar {
		in.set = byteSet{}
		in.set.add(in.c)
	}
	switch q {
	case '*':
		in.op = opStar
	case '+':
		in.op = opPlus
	case '-':
		in.op = opLazy
	case '?':
		in.op = opOpt
	}
}

// setItem is one member of a [set] before the set is built: a plain byte,
// a %-class, or a range (which matches only between two plain bytes).
type setItem struct {
	kind  uint8 // itemChar, itemClass, itemRange, itemNone
	c, hi int   // itemChar: c; itemClass: class letter c (-1: pattern ended); itemRange: c..hi
}

const (
	itemChar = iota
	itemClass
	itemRange
	itemNone // a range with an end that is not a plain byte: matches nothing
)

// set compiles a [set] after its '[' into s.
func (c *compiler) set(s *byteSet) error {
	neg := false
	if c.i < len(c.p) && c.p[c.i] == '^' {
		neg = true
		c.i++
	}
	var items []setItem
	ranging := false // a '-' after an item was read: the next item closes a range
	eos := false     // the last read ran past the end
	for {
		if c.i >= len(c.p) {
			if eos {
				return errAt("unexpected EOS", -1)
			}
			return errAt("unexpected EOS", len(c.p)-1)
		}
		ch := c.p[c.i]
		if ch == ']' && len(items) > 0 {
			c.i++
			break
		}
		if ch == '-' && len(items) > 0 {
			c.i++
			ranging = true
			continue
		}
		it := setItem{kind: itemChar, c: int(ch)}
		c.i++
		if ch == '%' {
			it = setItem{kind: itemClass, c: -1}
			if c.i < len(c.p) {
				it.c = int(c.p[c.i])
				c.i++
			} else {
				eos = true
			}
		}
		items = append(items, it)
		if ranging {
			lo, hi := items[len(items)-2], items[len(items)-1]
			r := setItem{kind: itemNone}
			if lo.kind == itemChar && hi.kind == itemChar {
				r = setItem{kind: itemRange, c: lo.c, hi: hi.c}
			}
			items = append(items[:len(items)-2], r)
			ranging = false
		}
	}
	if ranging {
		items = append(items, setItem{kind: itemChar, c: '-'})
	}
	for b := range 256 {
		in := false
		for _, it := range items {
			switch it.kind {
			case itemChar:
				in = b == it.c
			case itemClass:
				in = classHas(it.c, byte(b))
			case itemRange:
				in = it.c <= b && b <= it.hi
			}
			if in {
				break
			}
		}
		if in != neg {
			s.add(byte(b))
		}
	}
	return nil
}

// classSet adds to s the bytes %cl matches.
func classSet(s *byteSet, cl int) {
	for b := range 256 {
		if classHas(cl, byte(b)) {
			s.add(byte(b))
		}
	}
}

// classHas says whether %cl matches b: the C locale's classes, the upper
// case letter for the complement, any other byte (or none, -1) itself.
func classHas(cl int, b byte) bool {
	var in bool
	switch cl | 0x20 {
	case 'a':
		in = 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z'
	case 'c':
		in = b < 0x20 || b == 0x7f
	case 'd':
		in = '0' <= b && b <= '9'
	case 'l':
		in = 'a' <= b && b <= 'z'
	case 'p':
		in = 0x21 <= b && b <= 0x2f || 0x3a <= b && b <= 0x40 || 0x5b <= b && b <= 0x60 || 0x7b <= b && b <= 0x7e
	case 's':
		in = b == ' ' || '\t' <= b && b <= '\r'
	case 'u':
		in = 'A' <= b && b <= 'Z'
	case 'w':
		in = '0' <= b && b <= '9' || 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z'
	case 'x':
		in = '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
	case 'z':
		in = b == 0
	default:
		return cl == int(b)
	}
	if 'A' <= cl && cl <= 'Z' {
		return !in
	}
	return in
}

// analyse finds what every match starts with, so that a search can skip
// start offsets that cannot match. Only capture starts may come before the
// first byte-consuming item: they have no effect an attempt that fails at
// once could show.
func (p *Pattern) analyse() {
	pc := 0
	for p.prog[pc].op == opOpen || p.prog[pc].op == opPos {
		pc++
	}
	switch in := &p.prog[pc]; in.op {
	case opChar:
		p.firstKind, p.firstChar = firstByte, in.c
		end := pc
		for end < len(p.prog) && p.prog[end].op == opChar {
			end++
		}
		if end-pc >= 2 {
			b := make([]byte, 0, end-pc)
			for _, in := range p.prog[pc:end] {
				b = append(b, in.c)
			}
			p.prefix = string(b)
		}
	case opSet, opPlus:
		p.firstKind, p.first = firstSet, in.set
	}
}

// NumCaptures is the number of captures, position captures included.
func (p *Pattern) NumCaptures() int { return len(p.pos) }

// IsPosition says whether capture i (0-based) is a position capture, ().
func (p *Pattern) IsPosition(i int) bool { return p.pos[i] }

// Anchored says whether the pattern starts with ^: it then matches only at
// the offset a search starts from.
func (p *Pattern) Anchored() bool { return p.anchored }

// MayFail says whether matching can return an error (a back-reference
// gopher-lua rejects when it reaches it). Callers that find every match of
// a subject before acting on any, as gopher-lua's gsub and gmatch do, can
// then look for the error first.
func (p *Pattern) MayFail() bool { return p.mayFail }

// String returns the pattern's source.
func (p *Pattern) String() string { return p.src }
