package resolve

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The query most tests answer.
const (
	testID   = 0x1234
	testName = "example.com"
)

// ip parses an address or fails the test binary.
func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// ips parses addresses.
func ips(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = ip(s)
	}
	return out
}

// a, aaaa and cname are answer records.
func a(name, addr string, ttl uint32) Record {
	return Record{Name: name, Type: TypeA, TTL: ttl, Addr: ip(addr)}
}

func aaaa(name, addr string, ttl uint32) Record {
	return Record{Name: name, Type: TypeAAAA, TTL: ttl, Addr: ip(addr)}
}

func cname(name, target string, ttl uint32) Record {
	return Record{Name: name, Type: TypeCNAME, TTL: ttl, Target: target}
}

// answerTo writes a NOERROR response to the test query with records rrs.
func answerTo(t testing.TB, qt Type, rrs ...Record) []byte {
	return respond(t, Response{ID: testID, Name: testName, Type: qt, Answers: rrs})
}

// respond writes r.
func respond(t testing.TB, r Response) []byte {
	b, err := AppendResponse(nil, &r)
	require.NoError(t, err)
	return b
}

// Raw message pieces, for the shapes AppendResponse will not write.

// hdr is a header.
func hdr(id, flags, qd, an uint16) []byte {
	b := make([]byte, headerLen)
	binary.BigEndian.PutUint16(b[0:], id)
	binary.BigEndian.PutUint16(b[2:], flags)
	binary.BigEndian.PutUint16(b[4:], qd)
	binary.BigEndian.PutUint16(b[6:], an)
	return b
}

// wire is a name in wire form, uncompressed.
func wire(name string) []byte {
	b := make([]byte, len(name)+2)
	return b[:putName(b, name)]
}

// question is a question section for name and type t, class IN.
func question(name string, t Type) []byte {
	b := wire(name)
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, uint16(t)), classIN)
}

// rr is a resource record with a raw owner and data.
func rr(owner []byte, t Type, class uint16, ttl uint32, data []byte) []byte {
	b := append([]byte(nil), owner...)
	b = binary.BigEndian.AppendUint16(b, uint16(t))
	b = binary.BigEndian.AppendUint16(b, class)
	b = binary.BigEndian.AppendUint32(b, ttl)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

// ptr is a compression pointer to off.
func ptr(off int) []byte { return []byte{0xC0 | byte(off>>8), byte(off)} }

// cat concatenates.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// respFlags are a NOERROR response's flags, RD and RA set.
const respFlags = flagQR | flagRD | 0x0080

// label returns a label of n 'x' bytes, for long names.
func label(n int) string { return strings.Repeat("x", n) }
