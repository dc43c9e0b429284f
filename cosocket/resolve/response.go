package resolve

import (
	"encoding/binary"
	"net/netip"
	"strings"
)

// This file is the server's half of the codec, reading queries and writing
// responses, for test peers (package dnstest) and tools. The resolver
// itself only builds queries and parses answers.

// Query is a query as ParseQuery reads it.
type Query struct {
	ID   uint16 // the query's ID, to echo in the response
	Name string // the question name, text form, as sent (case kept)
	Type Type   // the question type
	RD   bool   // recursion desired
}

// ParseQuery reads a standard query with one question of class IN.
// ErrMalformed for anything else. It allocates the name.
func ParseQuery(msg []byte) (Query, error) {
	if len(msg) < headerLen {
		return Query{}, ErrMalformed
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	if flags&(flagQR|flagOpcode) != 0 || binary.BigEndian.Uint16(msg[4:]) != 1 {
		return Query{}, ErrMalformed
	}
	var w wireName
	p, err := readRawName(msg, headerLen, &w)
	if err != nil || p+4 > len(msg) || binary.BigEndian.Uint16(msg[p+2:]) != classIN {
		return Query{}, ErrMalformed
	}
	name, ok := w.appendText(nil)
	if !ok || len(name) == 0 {
		return Query{}, ErrMalformed
	}
	return Query{
		ID:   binary.BigEndian.Uint16(msg),
		Name: string(name),
		Type: Type(binary.BigEndian.Uint16(msg[p:])),
		RD:   flags&flagRD != 0,
	}, nil
}

// readRawName is readName keeping the case of the letters.
func readRawName(msg []byte, off int, w *wireName) (int, error) {
	p, err := readName(msg, off, w)
	if err != nil {
		return 0, err
	}
	// readName lower-cased; copy the labels again as stored (a question
	// has no pointers, so they are contiguous at off).
	copy(w.b[:w.n], msg[off:off+w.n])
	return p, nil
}

// Record is one answer record for AppendResponse.
type Record struct {
	Name   string     // owner, text form
	Type   Type       // record type
	Class  uint16     // 0 means IN
	TTL    uint32     // seconds
	Addr   netip.Addr // the address of an A (IPv4) or AAAA (IPv6) record
	Target string     // the name a CNAME record points to
	// Data, when not nil, is written as the record's data as is, whatever
	// the type: for records the resolver must skip, or malformed ones.
	Data []byte
}

// Response is a message for AppendResponse.
type Response struct {
	ID        uint16   // echoes the query's
	Name      string   // the question name; "" writes no question
	Type      Type     // the question type
	Rcode     uint8    // response code, 0 to 15
	Truncated bool     // set TC
	Answers   []Record // the answer section
	// NoCompress writes every name in full; by default a name, or its
	// tail, already written is replaced by a compression pointer.
	NoCompress bool
}

// AppendResponse appends r, in wire form, to dst; the message starts at
// len(dst) on entry, which is what its compression pointers count from.
// ErrBadName for a name that cannot be written, ErrMalformed for an A or
// AAAA record whose Addr is not of its family.
func AppendResponse(dst []byte, r *Response) ([]byte, error) {
	w := responseWriter{base: len(dst), compress: !r.NoCompress}
	qd := uint16(0)
	if r.Name != "" {
		qd = 1
	}
	flags := uint16(flagQR|flagRD|0x0080) | uint16(r.Rcode&rcodeMask) // RA set
	if r.Truncated {
		flags |= flagTC
	}
	dst = binary.BigEndian.AppendUint16(dst, r.ID)
	dst = binary.BigEndian.AppendUint16(dst, flags)
	dst = binary.BigEndian.AppendUint16(dst, qd)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(r.Answers)))
	dst = append(dst, 0, 0, 0, 0) // NSCOUNT, ARCOUNT
	var err error
	if qd == 1 {
		if dst, err = w.name(dst, r.Name); err != nil {
			return dst, err
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(r.Type))
		dst = binary.BigEndian.AppendUint16(dst, classIN)
	}
	for i := range r.Answers {
		if dst, err = w.record(dst, &r.Answers[i]); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// responseWriter remembers the names written, for compression.
type responseWriter struct {
	base     int            // offset in dst of the message's first byte
	compress bool           // use pointers
	written  map[string]int // lower-cased name (or tail) → its offset
}

// record appends one resource record.
func (w *responseWriter) record(dst []byte, rr *Record) ([]byte, error) {
	dst, err := w.name(dst, rr.Name)
	if err != nil {
		return dst, err
	}
	class := rr.Class
	if class == 0 {
		class = classIN
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(rr.Type))
	dst = binary.BigEndian.AppendUint16(dst, class)
	dst = binary.BigEndian.AppendUint32(dst, rr.TTL)
	lenAt := len(dst)
	dst = append(dst, 0, 0)
	switch {
	case rr.Data != nil:
		dst = append(dst, rr.Data...)
	case rr.Type == TypeA && rr.Addr.Is4():
		a := rr.Addr.As4()
		dst = append(dst, a[:]...)
	case rr.Type == TypeAAAA && rr.Addr.Is6():
		a := rr.Addr.As16()
		dst = append(dst, a[:]...)
	case rr.Type == TypeCNAME:
		if dst, err = w.name(dst, rr.Target); err != nil {
			return dst, err
		}
	default:
		return dst, ErrMalformed
	}
	binary.BigEndian.PutUint16(dst[lenAt:], uint16(len(dst)-lenAt-2))
	return dst, nil
}

// name appends a name (text form, one trailing dot allowed), replacing its
// longest tail already written by a pointer when compressing.
func (w *responseWriter) name(dst []byte, name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".")
	if !validName(name) {
		return dst, ErrBadName
	}
	for i := 0; i < len(name); {
		tail := strings.ToLower(name[i:])
		if off, ok := w.written[tail]; ok && w.compress {
			return binary.BigEndian.AppendUint16(dst, 0xC000|uint16(off)), nil
		}
		if off := len(dst) - w.base; off < 0x4000 && w.compress {
			if w.written == nil {
				w.written = make(map[string]int)
			}
			w.written[tail] = off
		}
		j := strings.IndexByte(name[i:], '.')
		if j < 0 {
			j = len(name) - i
		}
		dst = append(dst, byte(j))
		dst = append(dst, name[i:i+j]...)
		i += j + 1
	}
	return append(dst, 0), nil
}
