package conf

// lexer reads nginx.conf statements the way ngx_conf_read_token does: one
// call returns the words of one statement and what ended it. Line numbers
// count "\n" from 1; errors carry the line the lexer is on when it fails,
// which is the line nginx reports.
type lexer struct {
	file string // name used in errors and Directive.File
	src  []byte // whole file
	pos  int    // next byte to read
	line int    // current 1-based line
}

// stmtEnd tells what ended a statement.
type stmtEnd uint8

const (
	endSemi  stmtEnd = iota // words terminated by ";"
	endOpen                 // words terminated by "{"
	endClose                // a "}" with no words before it
	endEOF                  // end of input with no pending words
)

func newLexer(file string, src []byte) *lexer {
	return &lexer{file: file, src: src, line: 1}
}

func isConfSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// errHere positions a message at the lexer's current line.
func (lx *lexer) errHere(e *Error) *Error {
	return e.at(lx.file, lx.line)
}

// next reads one statement. firstLine is the line of its first word.
func (lx *lexer) next() (args []Arg, end stmtEnd, firstLine int, err *Error) {
	var (
		needSpace, sharpComment, quoted, variable bool
		dQuoted, sQuoted, wordQuoted              bool
		lastSpace                                 = true
		start                                     int
	)
	for {
		if lx.pos >= len(lx.src) {
			if len(args) > 0 || !lastSpace {
				return nil, 0, 0, lx.errHere(errorf(msgUnexpectedEOF))
			}
			return nil, endEOF, 0, nil
		}
		ch := lx.src[lx.pos]
		lx.pos++
		if ch == '\n' {
			lx.line++
			sharpComment = false
		}
		if sharpComment {
			continue
		}
		if quoted {
			quoted = false
			continue
		}
		if needSpace {
			switch {
			case isConfSpace(ch):
				lastSpace, needSpace = true, false
				continue
			case ch == ';':
				return args, endSemi, firstLine, nil
			case ch == '{':
				return args, endOpen, firstLine, nil
			case ch == ')':
				lastSpace, needSpace = true, false
			default:
				return nil, 0, 0, lx.errHere(errorf(msgUnexpected, string(ch)))
			}
		}
		if lastSpace {
			start = lx.pos - 1
			if isConfSpace(ch) {
				continue
			}
			if len(args) == 0 {
				firstLine = lx.line
			}
			wordQuoted = false
			switch ch {
			case ';', '{':
				if len(args) == 0 {
					return nil, 0, 0, lx.errHere(errorf(msgUnexpected, string(ch)))
				}
				if ch == '{' {
					return args, endOpen, firstLine, nil
				}
				return args, endSemi, firstLine, nil
			case '}':
				if len(args) != 0 {
					return nil, 0, 0, lx.errHere(errorf(msgUnexpected, "}"))
				}
				return nil, endClose, 0, nil
			case '#':
				sharpComment = true
				continue
			case '\\':
				quoted, lastSpace = true, false
				continue
			case '"':
				start++
				dQuoted, wordQuoted, lastSpace = true, true, false
				continue
			case '\'':
				start++
				sQuoted, wordQuoted, lastSpace = true, true, false
				continue
			case '$':
				variable, lastSpace = true, false
				continue
			default:
				lastSpace = false
			}
			continue
		}
		if ch == '{' && variable {
			continue
		}
		variable = false
		if ch == '\\' {
			quoted = true
			continue
		}
		if ch == '$' {
			variable = true
			continue
		}
		found := false
		switch {
		case dQuoted:
			if ch == '"' {
				dQuoted, needSpace, found = false, true, true
			}
		case sQuoted:
			if ch == '\'' {
				sQuoted, needSpace, found = false, true, true
			}
		case isConfSpace(ch) || ch == ';' || ch == '{':
			lastSpace, found = true, true
		}
		if !found {
			continue
		}
		text := string(lx.src[start : lx.pos-1])
		raw := text
		if wordQuoted {
			raw = string(lx.src[start-1 : lx.pos])
		}
		args = append(args, Arg{Raw: raw, Value: unescape(text), Quoted: wordQuoted})
		switch ch {
		case ';':
			return args, endSemi, firstLine, nil
		case '{':
			return args, endOpen, firstLine, nil
		}
	}
}
