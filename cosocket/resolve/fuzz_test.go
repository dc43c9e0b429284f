package resolve

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveResult is what naiveParse finds.
type naiveResult struct {
	rcode     uint8
	truncated bool
	addrs     []netip.Addr
	target    string
	ttl       uint32
	chain     int
	ambiguous bool // a name on the chain has two CNAMEs: Parse may follow either
}

// naiveRR is one decoded answer record.
type naiveRR struct {
	owner, target string // wire form, lower-cased
	typ           Type
	class         uint16
	ttl           uint32
	addr          netip.Addr
}

// naiveName decodes a name the obvious way, into wire form as a string.
// The rules are the ones readName documents.
func naiveName(msg []byte, off int) (string, int, error) {
	var name []byte
	next, seg, hops := -1, off, 0
	for {
		if off >= len(msg) {
			return "", 0, ErrMalformed
		}
		c := int(msg[off])
		switch {
		case c == 0:
			if next < 0 {
				next = off + 1
			}
			return string(append(name, 0)), next, nil
		case c < 64:
			if off+1+c > len(msg) || len(name)+1+c+1 > maxWire {
				return "", 0, ErrMalformed
			}
			name = append(name, byte(c))
			for _, b := range msg[off+1 : off+1+c] {
				if 'A' <= b && b <= 'Z' {
					b += 'a' - 'A'
				}
				name = append(name, b)
			}
			off += 1 + c
		case c >= 0xC0:
			if off+1 >= len(msg) {
				return "", 0, ErrMalformed
			}
			if next < 0 {
				next = off + 2
			}
			p := int(binary.BigEndian.Uint16(msg[off:]) & 0x3FFF)
			hops++
			if p < headerLen || p >= seg || hops > maxHops {
				return "", 0, ErrMalformed
			}
			off, seg = p, p
		default:
			return "", 0, ErrMalformed
		}
	}
}

// naiveText turns a wire-form string into text, false if a label has a dot.
func naiveText(w string) (string, bool) {
	var labels []string
	for i := 0; w[i] != 0; i += 1 + int(w[i]) {
		l := w[i+1 : i+1+int(w[i])]
		if strings.Contains(l, ".") {
			return "", false
		}
		labels = append(labels, l)
	}
	return strings.Join(labels, "."), true
}

// naiveParse is the reference FuzzParse holds Answer.Parse to: the same
// rules written the obvious way, every record decoded into a slice first,
// then the chain walked from name one link at a time.
func naiveParse(msg []byte, id uint16, name string, t Type) (naiveResult, error) {
	var r naiveResult
	if len(msg) < headerLen {
		return r, ErrMalformed
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	if binary.BigEndian.Uint16(msg) != id || flags&0x8000 == 0 || (flags>>11)&0xF != 0 {
		return r, ErrMismatch
	}
	r.rcode = uint8(flags & 0xF)
	qd, an := binary.BigEndian.Uint16(msg[4:]), int(binary.BigEndian.Uint16(msg[6:]))
	q := string(wire(name))
	off := headerLen
	switch {
	case qd == 1:
		got, p, err := naiveName(msg, off)
		if err != nil {
			return naiveResult{}, err
		}
		if p+4 > len(msg) {
			return naiveResult{}, ErrMalformed
		}
		if got != q || Type(binary.BigEndian.Uint16(msg[p:])) != t || binary.BigEndian.Uint16(msg[p+2:]) != 1 {
			return naiveResult{}, ErrMismatch
		}
		off = p + 4
	case qd == 0 && r.rcode != 0:
	default:
		return naiveResult{}, ErrMalformed
	}
	r.truncated = flags&0x0200 != 0
	if r.truncated || r.rcode != 0 {
		return r, nil
	}
	var rrs []naiveRR
	for i := 0; i < an; i++ {
		owner, p, err := naiveName(msg, off)
		if err != nil {
			return naiveResult{}, err
		}
		if p+10 > len(msg) {
			return naiveResult{}, ErrMalformed
		}
		x := naiveRR{owner: owner, typ: Type(binary.BigEndian.Uint16(msg[p:])),
			class: binary.BigEndian.Uint16(msg[p+2:]), ttl: binary.BigEndian.Uint32(msg[p+4:])}
		if x.ttl >= 1<<31 {
			x.ttl = 0
		}
		data := msg[p+10:]
		rdlen := int(binary.BigEndian.Uint16(msg[p+8:]))
		if rdlen > len(data) {
			return naiveResult{}, ErrMalformed
		}
		data = data[:rdlen]
		off = p + 10 + rdlen
		if x.class != 1 {
			continue
		}
		switch x.typ {
		case TypeCNAME:
			target, end, err := naiveName(msg, p+10)
			if err != nil || end != off {
				return naiveResult{}, ErrMalformed
			}
			x.target = target
		case TypeA:
			if len(data) != 4 {
				return naiveResult{}, ErrMalformed
			}
			x.addr = netip.AddrFrom4([4]byte(data))
		case TypeAAAA:
			if len(data) != 16 {
				return naiveResult{}, ErrMalformed
			}
			x.addr = netip.AddrFrom16([16]byte(data))
		}
		rrs = append(rrs, x)
	}
	cur, ttl := q, uint32(1<<31-1)
	for {
		var next []naiveRR
		for _, x := range rrs {
			if x.typ == TypeCNAME && x.owner == cur {
				next = append(next, x)
			}
		}
		if len(next) == 0 {
			break
		}
		r.ambiguous = r.ambiguous || len(next) > 1
		if r.chain == MaxChain {
			return r, ErrCNAMEChain
		}
		cur, ttl = next[0].target, min(ttl, next[0].ttl)
		r.chain++
	}
	addrTTL := uint32(1<<31 - 1)
	for _, x := range rrs {
		if x.typ == t && x.owner == cur {
			r.addrs = append(r.addrs, x.addr)
			addrTTL = min(addrTTL, x.ttl)
		}
	}
	switch {
	case len(r.addrs) > 0:
		r.ttl = min(ttl, addrTTL)
	case r.chain > 0:
		r.ttl = ttl
		var ok bool
		if r.target, ok = naiveText(cur); !ok {
			return naiveResult{}, ErrMalformed
		}
	}
	return r, nil
}

// fuzzSeeds are messages from the unit tests' shapes.
func fuzzSeeds(t testing.TB) [][]byte {
	q := question(testName, TypeA)
	return [][]byte{
		answerTo(t, TypeA, a(testName, "192.0.2.1", 300), a(testName, "192.0.2.2", 30)),
		answerTo(t, TypeAAAA, aaaa(testName, "2001:db8::1", 30)),
		answerTo(t, TypeA, cname(testName, "a.cdn.example", 300), cname("a.cdn.example", "b.cdn.example", 40),
			a("b.cdn.example", "192.0.2.1", 100)),
		answerTo(t, TypeA, a("b.cdn.example", "192.0.2.1", 100), cname("a.cdn.example", "b.cdn.example", 40),
			cname(testName, "a.cdn.example", 30)),
		answerTo(t, TypeA, cname(testName, "target.example.net", 77)),
		answerTo(t, TypeA, cname(testName, "b.example", 1), cname("b.example", testName, 1)),
		respond(t, Response{ID: testID, Name: testName, Type: TypeA, Rcode: 3}),
		respond(t, Response{ID: testID, Name: testName, Type: TypeA, Truncated: true}),
		respond(t, Response{ID: testID, Name: "ExAmPlE.CoM", Type: TypeA, NoCompress: true,
			Answers: []Record{a("EXAMPLE.com", "192.0.2.1", 3)}}),
		cat(hdr(testID, respFlags, 1, 2), q,
			rr(ptr(12), TypeCNAME, classIN, 10, cat([]byte("\x01x"), ptr(12))),
			rr(ptr(41), TypeA, classIN, 20, []byte{192, 0, 2, 3})),
		cat(hdr(testID, respFlags, 1, 1), q, rr(ptr(29), TypeA, classIN, 1, []byte{1, 2, 3, 4})),
		cat(hdr(testID, respFlags, 1, 1), q, rr(ptr(12), TypeA, classIN, 1, []byte{1, 2, 3})),
		hdr(testID, respFlags|1, 0, 0),
	}
}

// FuzzParse holds Answer.Parse to naiveParse on any message, and checks
// what the I/O side relies on: no panic, bounded chains, addresses of the
// type asked, a follow-up target that can be asked.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, msg []byte, six bool) {
		qt := TypeA
		if six {
			qt = TypeAAAA
		}
		id := uint16(testID)
		if len(msg) >= 2 { // let the fuzzer past the ID check
			id = binary.BigEndian.Uint16(msg)
		}
		var ans Answer
		err := ans.Parse(msg, id, testName, qt)
		want, wantErr := naiveParse(msg, id, testName, qt)
		if want.ambiguous {
			return // two CNAMEs for one name: the two may follow different ones
		}
		require.ErrorIs(t, err, wantErr)
		if err != nil {
			require.Empty(t, ans.Addrs)
			require.Empty(t, ans.Target)
			return
		}
		require.Equal(t, want.rcode, ans.Rcode)
		require.Equal(t, want.truncated, ans.Truncated)
		require.Equal(t, len(want.addrs), len(ans.Addrs))
		for i, addr := range ans.Addrs {
			require.Equal(t, want.addrs[i], addr)
			require.Equal(t, qt == TypeA, addr.Is4())
		}
		require.Equal(t, want.target, string(ans.Target))
		require.Equal(t, want.ttl, ans.TTL)
		require.Equal(t, want.chain, ans.Chain)
		require.LessOrEqual(t, ans.Chain, MaxChain)
		if ans.Next(false) == StepFollow {
			c, err := Canonical(string(ans.Target))
			require.NoError(t, err, "a target must be askable")
			require.Equal(t, string(ans.Target), c)
		}
	})
}

// FuzzQuery builds a query for any name Canonical accepts and reads it
// back, and answers it through AppendResponse and Parse.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"example.com", "A.B.C.", "localhost", "x" + strings.Repeat(".y", 120), "", "..", "a..b"} {
		f.Add(s, uint16(1))
	}
	f.Fuzz(func(t *testing.T, host string, id uint16) {
		name, err := Canonical(host)
		buf := make([]byte, MaxQueryLen)
		if err != nil {
			_, err := BuildQuery(buf, id, host, TypeA)
			require.ErrorIs(t, err, ErrBadName)
			return
		}
		n, err := BuildQuery(buf, id, name, TypeAAAA)
		require.NoError(t, err)
		q, err := ParseQuery(buf[:n])
		require.NoError(t, err)
		assert.Equal(t, Query{ID: id, Name: name, Type: TypeAAAA, RD: true}, q)
		msg, err := AppendResponse(nil, &Response{ID: id, Name: name, Type: TypeAAAA,
			Answers: []Record{aaaa(name, "2001:db8::5", 9)}})
		require.NoError(t, err)
		var ans Answer
		require.NoError(t, ans.Parse(msg, id, name, TypeAAAA))
		assert.Equal(t, ips("2001:db8::5"), ans.Addrs)
	})
}
