package resolve

// Limits of a domain name (RFC 1035 §2.3.4).
const (
	maxLabel = 63  // bytes in one label
	maxText  = 253 // bytes of the text form, without a trailing dot
	maxWire  = 255 // bytes of the wire form, the root's 0 included
	maxHops  = 127 // compression pointers followed in one name
)

// Canonical returns host in the form the resolver asks for and keys by:
// ASCII letters lower-cased and one trailing dot removed, which is what
// nginx's resolver does to the name before it queries (and before ngx_lua
// prints it in an error). ErrBadName when the name cannot be asked: see
// there. It does not recognise IP literals: connect parses those first.
// It allocates only when host has an upper-case letter.
func Canonical(host string) (string, error) {
	if n := len(host); n > 0 && host[n-1] == '.' {
		host = host[:n-1]
	}
	if !validName(host) {
		return "", ErrBadName
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; 'A' <= c && c <= 'Z' {
			return lowerASCII(host), nil
		}
	}
	return host, nil
}

// validName reports whether name (text form, no trailing dot) fits in a
// question: 1 to 253 bytes, labels of 1 to 63 bytes.
func validName(name string) bool {
	if len(name) == 0 || len(name) > maxText {
		return false
	}
	label := 0
	for i := 0; i < len(name); i++ {
		if name[i] != '.' {
			label++
			if label > maxLabel {
				return false
			}
			continue
		}
		if label == 0 {
			return false
		}
		label = 0
	}
	return label > 0
}

// lowerASCII returns s with ASCII upper-case letters lower-cased.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// lower returns c lower-cased if it is an ASCII letter.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// putName writes the valid text name into dst in wire form, lower-cased,
// and returns the bytes written (len(name)+2). dst must be long enough.
func putName(dst []byte, name string) int {
	start := 0 // index in dst of the current label's length byte
	n := 1
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			dst[start] = byte(n - start - 1)
			start = n
		} else {
			dst[n] = lower(name[i])
		}
		n++
	}
	dst[start] = byte(n - start - 1)
	dst[n] = 0
	return n + 1
}

// wireName is a name in wire form (length-prefixed labels ending with the
// root's 0), lower-cased. It lives on the stack of the parse that fills it.
type wireName struct {
	b [maxWire]byte // b[:n] is the name
	n int           // length in bytes, root included; 0 when unset
}

// setText fills w from a text name, reporting false when it is not valid.
func (w *wireName) setText(name string) bool {
	if !validName(name) {
		return false
	}
	w.n = putName(w.b[:], name)
	return true
}

// equal reports whether w and v are the same name (both are lower-cased).
func (w *wireName) equal(v *wireName) bool {
	return string(w.b[:w.n]) == string(v.b[:v.n])
}

// appendText appends w in text form (no trailing dot) to dst. It reports
// false when a label holds a '.', which the text form cannot say.
func (w *wireName) appendText(dst []byte) ([]byte, bool) {
	for i := 0; i < w.n-1; {
		l := int(w.b[i])
		if i > 0 {
			dst = append(dst, '.')
		}
		for _, c := range w.b[i+1 : i+1+l] {
			if c == '.' {
				return dst, false
			}
			dst = append(dst, c)
		}
		i += 1 + l
	}
	return dst, true
}

// readName decodes the name stored at off in msg into w, following
// compression pointers, and returns the offset just past the name where it
// is stored (past its first pointer, if any). A pointer must point into the
// message body before the labels it ends, so decoding always terminates;
// a name longer than 255 bytes, a cut-short label, an extended label type or
// more than maxHops pointers is ErrMalformed.
func readName(msg []byte, off int, w *wireName) (int, error) {
	n := 0
	end := -1 // the offset past the stored name, known at the first pointer
	seg := off
	for hops := 0; ; {
		if off >= len(msg) {
			return 0, ErrMalformed
		}
		c := int(msg[off])
		switch c & 0xC0 {
		case 0x00:
			if c == 0 {
				w.b[n] = 0
				w.n = n + 1
				if end < 0 {
					end = off + 1
				}
				return end, nil
			}
			if off+1+c > len(msg) || n+1+c >= maxWire {
				return 0, ErrMalformed
			}
			w.b[n] = byte(c)
			for i, b := range msg[off+1 : off+1+c] {
				w.b[n+1+i] = lower(b)
			}
			n += 1 + c
			off += 1 + c
		case 0xC0:
			if off+1 >= len(msg) {
				return 0, ErrMalformed
			}
			ptr := (c&0x3F)<<8 | int(msg[off+1])
			if end < 0 {
				end = off + 2
			}
			if ptr < headerLen || ptr >= seg || hops == maxHops {
				return 0, ErrMalformed
			}
			hops++
			off, seg = ptr, ptr
		default: // 0x40 and 0x80: extended and reserved label types
			return 0, ErrMalformed
		}
	}
}
