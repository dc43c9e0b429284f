package httpd

// Header lines of Parser: names, values, and the well-known headers.

import "bytes"

// nameChar classifies header name bytes like nginx's lowcase table:
// 1 = letter, digit or '-'; 2 = '_'; 3 = ends or breaks the line (CTL, SP,
// DEL, ':'); 0 = any other byte, which makes the header invalid.
var nameChar = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
			t[c] = 1
		case c == '_':
			t[c] = 2
		case c <= 0x20, c == 0x7f, c == ':':
			t[c] = 3
		}
	}
	return
}()

// headerLines runs the header state machine over buf[p.pos:]. It returns
// true at the empty line ending the head (p.pos is past its LF).
func (p *Parser) headerLines(b []byte) (bool, error) {
	st, i := p.state, p.pos
	size := p.lim.LargeHeaderBufferSize
	total := int(p.req.start) + size*p.lim.LargeHeaderBuffers
	end := min(len(b), total)
	if st != hStart {
		end = min(end, p.lineStart+size)
	}
	for ; i < end; i++ {
		c := b[i]
		switch st {
		case hStart:
			p.lineStart = i
			p.invalid = false
			end = min(len(b), total, i+size)
			switch nameChar[c] {
			case 1:
				st = hName
			case 2:
				st = hName
				p.invalid = !p.lim.UnderscoresInHeaders
			case 3:
				switch c {
				case '\r':
					st = hHeaderAlmostDone
				case '\n':
					p.state, p.pos = sDone, i+1
					return true, nil
				default: // SP or HT here is obs-fold; ':' is an empty name
					return false, ErrInvalidHeader
				}
			default:
				st = hName
				p.invalid = true
			}
		case hName:
			for i < end && nameChar[b[i]] == 1 {
				i++
			}
			if i == end {
				break
			}
			c = b[i]
			switch nameChar[c] {
			case 2:
				if !p.lim.UnderscoresInHeaders {
					p.invalid = true
				}
			case 0:
				p.invalid = true
			default:
				switch c {
				case ':':
					p.nameEnd = i
					st = hSpaceBeforeValue
				case '\r', '\n':
					p.nameEnd, p.valStart, p.valEnd = i, i, i
					if c == '\n' {
						if err := p.endLine(b); err != nil {
							return false, err
						}
						st = hStart
						continue
					}
					st = hAlmostDone
				default:
					return false, ErrInvalidHeader
				}
			}
		case hSpaceBeforeValue:
			switch c {
			case ' ':
			case '\r':
				p.valStart, p.valEnd = i, i
				st = hAlmostDone
			case '\n':
				p.valStart, p.valEnd = i, i
				if err := p.endLine(b); err != nil {
					return false, err
				}
				st = hStart
			case 0:
				return false, ErrInvalidHeader
			default:
				p.valStart = i
				lf := bytes.IndexByte(b[i:end], '\n')
				if lf < 0 {
					st = hValue // the state machine resumes when more arrives
					break
				}
				if !p.wholeValue(b[i : i+lf]) {
					return false, ErrInvalidHeader
				}
				if err := p.endLine(b); err != nil {
					return false, err
				}
				i += lf
				st = hStart
			}
		case hValue:
			for i < end && b[i] > ' ' {
				i++
			}
			if i == end {
				break
			}
			switch b[i] {
			case ' ':
				p.valEnd = i
				st = hSpaceAfterValue
			case '\r':
				p.valEnd = i
				st = hAlmostDone
			case '\n':
				p.valEnd = i
				if err := p.endLine(b); err != nil {
					return false, err
				}
				st = hStart
			case 0:
				return false, ErrInvalidHeader
			}
		case hSpaceAfterValue:
			switch c {
			case ' ':
			case '\r':
				st = hAlmostDone
			case '\n':
				if err := p.endLine(b); err != nil {
					return false, err
				}
				st = hStart
			case 0:
				return false, ErrInvalidHeader
			default:
				st = hValue
			}
		case hAlmostDone:
			switch c {
			case '\n':
				if err := p.endLine(b); err != nil {
					return false, err
				}
				st = hStart
			case '\r':
			default:
				return false, ErrInvalidHeader
			}
		case hHeaderAlmostDone:
			if c != '\n' {
				return false, ErrInvalidHeader
			}
			p.state, p.pos = sDone, i+1
			return true, nil
		}
	}
	i = min(i, end)
	p.state, p.pos = st, i
	switch {
	case st != hStart && i == p.lineStart+size:
		return false, ErrHeaderLineTooLong
	case i == total:
		return false, ErrRequestTooLarge
	}
	return false, nil
}

// wholeValue is the fast path for a value whose line end has arrived:
// seg runs from its first byte, neither SP, CR nor NUL, to the LF. It
// applies hValue's rules with bulk searches: after the first CR only CRs
// may follow, no NUL before it, trailing spaces dropped.
func (p *Parser) wholeValue(seg []byte) bool {
	n := len(seg)
	if k := bytes.IndexByte(seg, '\r'); k >= 0 {
		for _, c := range seg[k:] {
			if c != '\r' {
				return false
			}
		}
		n = k
	}
	if bytes.IndexByte(seg[:n], 0) >= 0 {
		return false
	}
	for seg[n-1] == ' ' {
		n--
	}
	p.valEnd = p.valStart + n
	return true
}

// endLine records the header line whose LF is at lf.
func (p *Parser) endLine(b []byte) error {
	r := &p.req
	if p.invalid && !p.lim.KeepInvalidHeaders {
		r.ignored++
		return nil
	}
	if len(r.fields) >= p.lim.MaxHeaders {
		return ErrTooManyHeaders
	}
	f := field{name: mkspan(p.lineStart, p.nameEnd), value: mkspan(p.valStart, p.valEnd)}
	f.id = lookupHeader(b[p.lineStart:p.nameEnd])
	r.fields = append(r.fields, f)
	return r.noteKnown(b, len(r.fields)-1)
}

func mkspan(from, to int) span { return span{int32(from), int32(to - from)} }
