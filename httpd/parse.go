package httpd

import "bytes"

// Limits are the nginx directives that bound a request head. The zero value
// of every field means nginx's default.
type Limits struct {
	// HeaderBufferSize is client_header_buffer_size (default 1024): the size
	// of the first receive buffer. The parser does not enforce it; it is
	// here so the connection layer sizes its buffer like nginx does and
	// grows it to LargeHeaderBufferSize when a head does not fit.
	HeaderBufferSize int
	// LargeHeaderBufferSize is the size of large_client_header_buffers
	// (default 8192). A request line longer than this is answered 414, a
	// header line longer than this 494 (shown as 400 "Request Header Or
	// Cookie Too Large"). Lengths count the line terminator.
	LargeHeaderBufferSize int
	// LargeHeaderBuffers is the number of large_client_header_buffers
	// (default 4). nginx fails when a head needs more buffers than this;
	// the parser approximates that by failing (494) when the head, from the
	// first byte of the request line, exceeds number × size bytes. nginx can
	// fail a little earlier, because a line that does not fit in the rest of
	// one buffer is moved whole to the next one.
	LargeHeaderBuffers int
	// MaxHeaders is max_headers (default 1000): more header lines (ignored
	// invalid ones excepted) are answered 494.
	MaxHeaders int
	// UnderscoresInHeaders is underscores_in_headers on. Off (the default)
	// makes a name with '_' invalid, hence ignored.
	UnderscoresInHeaders bool
	// KeepInvalidHeaders is ignore_invalid_headers off: header lines whose
	// name has characters other than letters, digits and '-' are kept
	// instead of being dropped.
	KeepInvalidHeaders bool
	// NoMergeSlashes is merge_slashes off: "//" stays in the normalised path.
	NoMergeSlashes bool
}

// DefaultLimits returns nginx's defaults.
func DefaultLimits() Limits {
	return Limits{
		HeaderBufferSize:      1024,
		LargeHeaderBufferSize: 8192,
		LargeHeaderBuffers:    4,
		MaxHeaders:            1000,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.HeaderBufferSize <= 0 {
		l.HeaderBufferSize = d.HeaderBufferSize
	}
	if l.LargeHeaderBufferSize <= 0 {
		l.LargeHeaderBufferSize = d.LargeHeaderBufferSize
	}
	if l.LargeHeaderBuffers <= 0 {
		l.LargeHeaderBuffers = d.LargeHeaderBuffers
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = d.MaxHeaders
	}
	return l
}

// Parser states. Request line first, then header lines; sDone last.
const (
	sStart uint8 = iota
	sMethod
	sSpacesBeforeURI
	sSchema
	sSchemaSlash
	sSchemaSlash2
	sSpacesBeforeHost
	sHostStart
	sHost
	sHostIPLiteral
	sHostEnd
	sPortStart
	sPort
	sURI
	sHTTP09
	sH
	sHT
	sHTT
	sHTTP
	sMajor1
	sMajor
	sMinor1
	sMinor
	sSpacesAfterDigit
	sAlmostDone

	hStart
	hName
	hSpaceBeforeValue
	hValue
	hSpaceAfterValue
	hAlmostDone
	hHeaderAlmostDone

	sDone
)

// Parser parses one request head at a time, in place, in the caller's
// receive buffer. A Parser is reused for every request of a connection
// (call Reset between them) and may be pooled between connections; it keeps
// its header array and path scratch, so steady-state parsing allocates
// nothing. It is not safe for concurrent use: one loop thread owns it.
//
// Offsets, not pointers: the parser stores positions relative to buf[0] of
// the slice passed to Parse, where buf[0] is the first byte after the
// previous request (leading empty lines included). Between two calls the
// caller may move or grow the buffer as it likes, as long as the next call
// passes a slice with the same bytes at the same offsets, plus more. To move
// the request to another offset instead, call Rebase.
type Parser struct {
	lim Limits  // normalised, read-only
	req Request // filled progressively; complete once Parse returns nil

	state     uint8 // where the scan stopped
	pos       int   // next byte of buf to scan
	lineStart int   // first byte of the current line
	err       error // sticky error

	// request line marks, offsets in buf
	methodEnd, uriStart, uriEnd, hostStart, hostEnd, lineEnd int
	major, minor                                             int
	connect, absolute, noPath, emptyPath                     bool

	// current header line marks
	nameEnd, valStart, valEnd int
	invalid                   bool

	scratch []byte // normalised path storage, reused
}

// NewParser returns a Parser enforcing lim (zero fields mean nginx's
// defaults).
func NewParser(lim Limits) *Parser {
	p := &Parser{lim: lim.withDefaults()}
	p.req.fields = make([]field, 0, 32)
	p.Reset()
	return p
}

// Limits returns the limits in force, defaults filled in.
func (p *Parser) Limits() Limits { return p.lim }

// Reset prepares the parser for the next request, keeping its storage.
func (p *Parser) Reset() {
	fields := p.req.fields[:0]
	scratch := p.scratch
	lim := p.lim
	*p = Parser{lim: lim, scratch: scratch}
	p.req.fields = fields
	p.req.contentLength = -1
}

// Request returns the request being parsed. Its fields are complete once
// Parse has returned a nil error; it is overwritten by Reset.
func (p *Parser) Request() *Request { return &p.req }

// Parse scans the head of a request at the start of buf. Call it again
// with the same bytes plus more each time more arrive; it resumes where it
// stopped and never rescans a byte.
//
// It returns (0, ErrNeedMore) while the head is incomplete, (n, nil) once it
// is complete, where n is the length of the head, blank lines before the
// request line and the final empty line included: buf[n:] are the pre-read
// body bytes. On a malformed or over-limit head it returns an *Error naming
// the status nginx answers. After either outcome, further calls repeat it
// until Reset. An HTTP/0.9 request ("GET /path\r\n") ends at its request
// line and has no headers.
func (p *Parser) Parse(buf []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.state == sDone {
		return p.req.headLen, nil
	}
	if p.state < hStart {
		done, err := p.requestLine(buf)
		if err == nil && done {
			err = p.finishRequestLine(buf)
		}
		if err != nil {
			p.err = err
			return 0, err
		}
		if !done {
			return 0, ErrNeedMore
		}
		if p.major == 0 { // HTTP/0.9: no headers
			p.state = sDone
			p.req.headLen = p.pos
			return p.pos, nil
		}
	}
	done, err := p.headerLines(buf)
	if err == nil && done {
		err = p.req.finish(buf)
	}
	if err != nil {
		p.err = err
		return 0, err
	}
	if !done {
		return 0, ErrNeedMore
	}
	p.state = sDone
	p.req.headLen = p.pos
	return p.pos, nil
}

// LeadingBlank returns how many bytes of blank lines precede the request
// line (nginx skips them). While Parse still needs more, the caller may
// drop that many bytes from the front of its buffer and call
// Rebase(-LeadingBlank()), so a client sending only line ends cannot fill
// the buffer.
func (p *Parser) LeadingBlank() int {
	if p.state == sStart {
		return p.pos
	}
	return int(p.req.start)
}

// Rebase shifts every stored offset by delta: call it after moving the
// request's bytes delta bytes later (negative: earlier) in the buffer
// passed to later calls and getters. Slices from before stay where they were.
func (p *Parser) Rebase(delta int) {
	if p.state == sStart {
		p.pos += delta // only blank lines seen: nothing else is set
		return
	}
	d := int32(delta)
	r := &p.req
	for _, s := range []*span{&r.line, &r.method, &r.target, &r.uri, &r.path, &r.args, &r.host, &r.server} {
		if s.n > 0 || s.off > 0 {
			s.off += d
		}
	}
	r.start += d
	for i := range r.fields {
		r.fields[i].name.off += d
		r.fields[i].value.off += d
	}
	if p.state != sDone {
		p.pos += delta
		p.lineStart += delta
		p.methodEnd += delta
		p.uriStart += delta
		p.uriEnd += delta
		p.hostStart += delta
		p.hostEnd += delta
		p.lineEnd += delta
		p.nameEnd += delta
		p.valStart += delta
		p.valEnd += delta
	} else {
		r.headLen += delta
	}
}

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

// splitURI finds path and args in the origin-form part of the target and
// normalises the path when it needs it.
func (p *Parser) splitURI(b []byte) error {
	r := &p.req
	if p.noPath {
		r.pathFlags = pathSlash
		return nil
	}
	u := b[p.uriStart:p.uriEnd]
	pathEnd := len(u)
	for i, c := range u {
		if c == '?' || c == '#' {
			pathEnd = i
			if c == '?' {
				argEnd := len(u)
				for j := i + 1; j < len(u); j++ {
					if u[j] == '#' {
						argEnd = j
						break
					}
				}
				r.args = mkspan(p.uriStart+i+1, p.uriStart+argEnd)
			}
			break
		}
	}
	if p.emptyPath {
		r.pathFlags = pathSlash
		return nil
	}
	r.path = mkspan(p.uriStart, p.uriStart+pathEnd)
	raw := u[:pathEnd]
	if !needsNormalize(raw) {
		return nil
	}
	if cap(p.scratch) < len(raw) {
		p.scratch = make([]byte, 0, max(len(raw), 256))
	}
	norm, err := NormalizePath(p.scratch[:0], raw, !p.lim.NoMergeSlashes)
	if err != nil {
		return err
	}
	p.scratch = norm[:0]
	r.norm = norm
	r.pathFlags = pathNormalized
	return nil
}

// needsNormalize reports "%", "/." or "//" in a raw path.
func needsNormalize(raw []byte) bool {
	for i, c := range raw {
		if c == '%' {
			return true
		}
		if c == '/' && i+1 < len(raw) && (raw[i+1] == '.' || raw[i+1] == '/') {
			return true
		}
	}
	return false
}

// NormalizePath decodes %XX escapes in raw, a path starting with '/', and
// resolves "." and ".." segments and (with mergeSlashes) runs of '/', the
// way nginx builds $uri for location matching. It writes into dst[:0] and
// returns it, allocating only when cap(dst) < len(raw); the result never
// exceeds len(raw). Decoded '/' and '.' count as separators and dots, as in
// nginx; decoded '%', '#' and '?' are plain characters. It returns
// ErrInvalidRequest for a bad or NUL escape or a ".." above the root.
func NormalizePath(dst, raw []byte, mergeSlashes bool) ([]byte, error) {
	const (
		usual = iota
		slash
		dot
		dotdot
	)
	out := dst[:0]
	if cap(out) < len(raw) {
		out = make([]byte, 0, len(raw))
	}
	state := usual
	for i := 0; i < len(raw); {
		c := raw[i]
		i++
		if c == '%' {
			if i+2 > len(raw) {
				return dst[:0], ErrInvalidRequest
			}
			h, ok1 := unhex(raw[i])
			l, ok2 := unhex(raw[i+1])
			if !ok1 || !ok2 {
				return dst[:0], ErrInvalidRequest
			}
			i += 2
			if c = h<<4 | l; c == 0 {
				return dst[:0], ErrInvalidRequest
			}
			if c == '%' || c == '#' || c == '?' {
				out = append(out, c)
				state = usual
				continue
			}
		}
		switch {
		case state == slash && c == '/':
			if !mergeSlashes {
				out = append(out, c)
			}
		case state == slash && c == '.':
			out = append(out, c)
			state = dot
		case state == dot && c == '/':
			out = out[:len(out)-1]
			state = slash
		case state == dot && c == '.':
			out = append(out, c)
			state = dotdot
		case state == dotdot && c == '/':
			var ok bool
			if out, ok = upSegment(out); !ok {
				return dst[:0], ErrInvalidRequest
			}
			state = slash
		case c == '/':
			out = append(out, c)
			state = slash
		default:
			out = append(out, c)
			state = usual
		}
	}
	switch state {
	case dot:
		out = out[:len(out)-1]
	case dotdot:
		var ok bool
		if out, ok = upSegment(out); !ok {
			return dst[:0], ErrInvalidRequest
		}
	}
	return out, nil
}

// upSegment drops the trailing "/.." of out and the segment before it,
// keeping that segment's leading '/'. false: there is none (above root).
func upSegment(out []byte) ([]byte, bool) {
	for u := len(out) - 4; u >= 0; u-- {
		if out[u] == '/' {
			return out[:u+1], true
		}
	}
	return out, false
}

func unhex(c byte) (byte, bool) {
	switch {
	case isDigit(c):
		return c - '0', true
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return c | 0x20 - 'a' + 10, true
	}
	return 0, false
}

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
