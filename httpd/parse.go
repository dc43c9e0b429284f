package httpd

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
