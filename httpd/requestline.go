package httpd

// The request line state machine of Parser: method, target, version.

// methodChar: A-Z, '_', '-'; nginx accepts any such token as a method.
func methodChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c == '_' || c == '-'
}

// uriChar: what may appear in a request target (no CTL, SP or DEL).
var uriChar = func() (t [256]bool) {
	for c := 0x21; c < 256; c++ {
		t[c] = c != 0x7f
	}
	return
}()

func isAlpha(c byte) bool { c |= 0x20; return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// requestLine runs the request line state machine over buf[p.pos:]. It
// returns true when the line ended (p.pos is past its LF). Like nginx, which
// never reads past a full buffer, it looks at no byte beyond the limit: the
// outcome does not depend on how the input was split.
func (p *Parser) requestLine(b []byte) (bool, error) {
	st, i := p.state, p.pos
	size := p.lim.LargeHeaderBufferSize
	limit, end := -1, len(b)
	if st != sStart {
		limit = p.lineStart + size
		end = min(end, limit)
	}
	for ; i < end; i++ {
		c := b[i]
	redo:
		switch st {
		case sStart:
			if c == '\r' || c == '\n' {
				continue
			}
			if !methodChar(c) {
				return false, ErrInvalidMethod
			}
			p.req.start, p.lineStart = int32(i), i
			limit = i + size
			end = min(len(b), limit)
			st = sMethod
		case sMethod:
			if c == ' ' {
				p.methodEnd = i
				st = sSpacesBeforeURI
				p.req.meth = lookupMethod(b[p.req.start:i])
				if p.req.meth == MethodCONNECT {
					p.connect = true
					st = sSpacesBeforeHost
				}
				continue
			}
			if !methodChar(c) {
				return false, ErrInvalidMethod
			}
		case sSpacesBeforeURI:
			switch {
			case c == '/':
				p.uriStart = i
				st = sURI
			case isAlpha(c):
				st = sSchema
			case c != ' ':
				return false, ErrInvalidRequest
			}
		case sSchema:
			if isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.' {
				continue
			}
			if c != ':' {
				return false, ErrInvalidRequest
			}
			st = sSchemaSlash
		case sSchemaSlash, sSchemaSlash2:
			if c != '/' {
				return false, ErrInvalidRequest
			}
			if st == sSchemaSlash {
				st = sSchemaSlash2
			} else {
				st = sHostStart
			}
		case sSpacesBeforeHost:
			if c == ' ' {
				continue
			}
			st = sHostStart
			goto redo
		case sHostStart:
			p.hostStart = i
			p.absolute = true
			if c == '[' {
				st = sHostIPLiteral
				continue
			}
			st = sHost
			goto redo
		case sHost:
			if isAlpha(c) || isDigit(c) || c == '.' || c == '-' {
				continue
			}
			st = sHostEnd
			goto redo
		case sHostIPLiteral:
			if isAlpha(c) || isDigit(c) {
				continue
			}
			switch c {
			case ']':
				st = sHostEnd
			case ':', '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
			default:
				return false, ErrInvalidRequest
			}
		case sHostEnd:
			if c == ':' {
				st = sPortStart
				continue
			}
			p.hostEnd = i
			if p.connect {
				return false, ErrInvalidRequest
			}
			if st = p.afterAuthority(c, i); st == sStart {
				return false, ErrInvalidRequest
			}
		case sPortStart, sPort:
			if isDigit(c) {
				st = sPort
				continue
			}
			if p.connect && st == sPortStart {
				return false, ErrInvalidRequest
			}
			p.hostEnd = i
			if p.connect {
				if c != ' ' {
					return false, ErrInvalidRequest
				}
				p.noPath = true
				st = sHTTP09
				continue
			}
			if st = p.afterAuthority(c, i); st == sStart {
				return false, ErrInvalidRequest
			}
		case sURI:
			for i < end && uriChar[b[i]] {
				i++
			}
			if i == end {
				break
			}
			p.uriEnd = i
			switch b[i] {
			case ' ':
				st = sHTTP09
			case '\r':
				p.lineEnd = i
				st = sAlmostDone
			case '\n':
				p.lineEnd = i
				p.state, p.pos = st, i+1
				return true, nil
			default:
				return false, ErrInvalidRequest
			}
		case sHTTP09:
			switch c {
			case ' ':
			case '\r':
				p.lineEnd = i
				st = sAlmostDone
			case '\n':
				p.lineEnd = i
				p.state, p.pos = st, i+1
				return true, nil
			case 'H':
				st = sH
			default:
				return false, ErrInvalidRequest
			}
		case sH, sHT, sHTT, sHTTP:
			if c != "TTP/"[st-sH] {
				return false, ErrInvalidRequest
			}
			st++
		case sMajor1:
			if c < '1' || c > '9' {
				return false, ErrInvalidRequest
			}
			if p.major = int(c - '0'); p.major > 1 {
				return false, ErrInvalidVersion
			}
			st = sMajor
		case sMajor:
			if c == '.' {
				st = sMinor1
				continue
			}
			if !isDigit(c) {
				return false, ErrInvalidRequest
			}
			return false, ErrInvalidVersion // 10 and above
		case sMinor1:
			if !isDigit(c) {
				return false, ErrInvalidRequest
			}
			p.minor = int(c - '0')
			st = sMinor
		case sMinor, sSpacesAfterDigit:
			switch {
			case c == '\r':
				p.lineEnd = i
				st = sAlmostDone
			case c == '\n':
				p.lineEnd = i
				p.state, p.pos = st, i+1
				return true, nil
			case c == ' ':
				st = sSpacesAfterDigit
			case st == sMinor && isDigit(c) && p.minor <= 99:
				p.minor = p.minor*10 + int(c-'0')
			default:
				return false, ErrInvalidRequest
			}
		case sAlmostDone:
			if c != '\n' {
				return false, ErrInvalidRequest
			}
			p.state, p.pos = st, i+1
			return true, nil
		}
	}
	i = min(i, end)
	p.state, p.pos = st, i
	if i == limit {
		return false, ErrURITooLong
	}
	return false, nil
}

// afterAuthority handles the byte ending the host[:port] of an
// absolute-form target; sStart means the byte is invalid.
func (p *Parser) afterAuthority(c byte, i int) uint8 {
	switch c {
	case '/':
		p.uriStart = i
		return sURI
	case '?':
		p.uriStart = i
		p.emptyPath = true
		return sURI
	case ' ':
		p.noPath = true
		return sHTTP09
	}
	return sStart
}

// finishRequestLine validates the whole request line and splits the URI.
func (p *Parser) finishRequestLine(b []byte) error {
	r := &p.req
	r.line = mkspan(p.lineStart, p.lineEnd)
	r.method = mkspan(int(r.start), p.methodEnd)
	if p.major == 1 {
		r.major, r.minor = 1, uint16(p.minor)
	} else {
		r.major, r.minor = 0, 9
		if r.meth != MethodGET {
			return ErrInvalid09Method
		}
	}
	if p.connect {
		r.host = mkspan(p.hostStart, p.hostEnd)
		r.target = r.host
	} else {
		tstart := p.uriStart
		if p.absolute {
			r.host = mkspan(p.hostStart, p.hostEnd)
			tstart = p.methodEnd + 1
			for b[tstart] == ' ' {
				tstart++
			}
		}
		if p.noPath {
			r.target = mkspan(tstart, p.hostEnd)
		} else {
			r.target = mkspan(tstart, p.uriEnd)
			r.uri = mkspan(p.uriStart, p.uriEnd)
		}
		if err := p.splitURI(b); err != nil {
			return err
		}
	}
	if p.absolute {
		n, ok := validHost(r.host.of(b))
		if !ok {
			return ErrInvalidHostInRequestLine
		}
		r.server = span{r.host.off, int32(n)}
	}
	p.state = hStart
	p.lineStart = p.pos
	return nil
}
