package httpd

// Request targets: splitting path and args, and normalising the path for
// location matching.

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
