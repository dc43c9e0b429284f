package conf

import "strings"

// readLuaBody reads the raw Lua body of a *_by_lua_block directive; the
// lexer stands just after the opening "{". Braces are counted the way
// lua-nginx-module's block lexer counts them: braces inside Lua strings
// ('...' and "..." with backslash escapes), long strings ([[...]],
// [==[...]==]) and comments (-- to end of line, --[[...]], --[==[...]==])
// do not count. On success the lexer stands after the matching "}".
func (lx *lexer) readLuaBody() (*LuaBody, *Error) {
	src := lx.src
	bodyStart, bodyLine := lx.pos, lx.line
	level := 1
	lastOpenLine := lx.line // nginx reports EOF at the line of the latest "{"
	for lx.pos < len(src) {
		ch := src[lx.pos]
		switch {
		case ch == '\n':
			lx.line++
			lx.pos++
		case ch == '-' && lx.pos+1 < len(src) && src[lx.pos+1] == '-':
			lx.pos += 2
			if eq, ok := longBracketOpen(src, lx.pos); ok {
				if err := lx.skipLongBracket(eq); err != nil {
					return nil, err
				}
				continue
			}
			for lx.pos < len(src) && src[lx.pos] != '\n' {
				lx.pos++
			}
		case ch == '[':
			if eq, ok := longBracketOpen(src, lx.pos); ok {
				if err := lx.skipLongBracket(eq); err != nil {
					return nil, err
				}
				continue
			}
			lx.pos++
		case ch == '"' || ch == '\'':
			if !lx.skipLuaString(ch) {
				lx.line = lastOpenLine
				return nil, lx.errHere(errorf(msgLuaEOF))
			}
		case ch == '{':
			level++
			lastOpenLine = lx.line
			lx.pos++
		case ch == '}':
			level--
			lx.pos++
			if level == 0 {
				return &LuaBody{Source: string(src[bodyStart : lx.pos-1]), Line: bodyLine}, nil
			}
		default:
			lx.pos++
		}
	}
	lx.line = lastOpenLine
	return nil, lx.errHere(errorf(msgLuaEOF))
}

// longBracketOpen reports whether src[i:] starts a Lua long bracket
// "[" "="* "[" and returns the number of "=".
func longBracketOpen(src []byte, i int) (int, bool) {
	if i >= len(src) || src[i] != '[' {
		return 0, false
	}
	j := i + 1
	for j < len(src) && src[j] == '=' {
		j++
	}
	if j < len(src) && src[j] == '[' {
		return j - i - 1, true
	}
	return 0, false
}

// skipLongBracket moves past a long bracket of level eq that starts at the
// lexer position, counting lines.
func (lx *lexer) skipLongBracket(eq int) *Error {
	closing := "]" + strings.Repeat("=", eq) + "]"
	openLine := lx.line
	from := lx.pos + eq + 2
	idx := strings.Index(string(lx.src[from:]), closing)
	if idx < 0 {
		lx.line = openLine
		return lx.errHere(errorf(msgLuaLongBracket, closing))
	}
	end := from + idx + len(closing)
	for _, c := range lx.src[lx.pos:end] {
		if c == '\n' {
			lx.line++
		}
	}
	lx.pos = end
	return nil
}

// skipLuaString moves past a short Lua string opened by quote at the lexer
// position. It reports false when the input ends before the closing quote.
func (lx *lexer) skipLuaString(quote byte) bool {
	src := lx.src
	i := lx.pos + 1
	for i < len(src) {
		c := src[i]
		switch c {
		case '\\':
			if i+1 < len(src) && src[i+1] == '\n' {
				lx.line++
			}
			i += 2
			continue
		case '\n':
			lx.line++
		case quote:
			lx.pos = i + 1
			return true
		}
		i++
	}
	lx.pos = len(src)
	return false
}
