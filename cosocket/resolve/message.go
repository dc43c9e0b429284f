package resolve

import "encoding/binary"

// Type is a DNS record type: the QTYPE of a query, the TYPE of a record.
type Type uint16

// The record types the resolver asks for or reads.
const (
	TypeA     Type = 1  // IPv4 address
	TypeCNAME Type = 5  // canonical name
	TypeAAAA  Type = 28 // IPv6 address
)

// Sizes and limits of the codec.
const (
	// MaxQueryLen is the longest query BuildQuery writes: a 12-byte header,
	// a name of at most 255 bytes, type and class.
	MaxQueryLen = headerLen + maxWire + 4
	// MaxQueryLenTCP is MaxQueryLen plus the 2-byte TCP length prefix.
	MaxQueryLenTCP = 2 + MaxQueryLen
	// UDPBufferLen is the buffer a UDP answer is read into, nginx's
	// NGX_RESOLVER_UDP_SIZE. Queries carry no EDNS record, so servers keep
	// UDP answers to 512 bytes and set TC beyond; some send more anyway.
	UDPBufferLen = 4096
	// MaxTCPLen is the longest framed TCP answer: prefix plus 65535 bytes.
	MaxTCPLen = 2 + 65535
	// MaxChain is the number of CNAME links Answer.Parse follows in one
	// answer; one more is ErrCNAMEChain.
	MaxChain = 16
	// MaxRecursion is the number of follow-up queries (StepFollow) one
	// lookup may make; past it the lookup fails with CodeNotFound, as
	// nginx's does past NGX_RESOLVER_MAX_RECURSION.
	MaxRecursion = 50
)

// Header layout (RFC 1035 §4.1.1).
const (
	headerLen  = 12
	flagQR     = 0x8000 // a response
	flagOpcode = 0x7800 // 0: a standard query
	flagTC     = 0x0200 // truncated
	flagRD     = 0x0100 // recursion desired
	rcodeMask  = 0x000F
	classIN    = 1
	rrFixedLen = 10 // type, class, TTL, RDLENGTH after a record's name
	maxTTL     = 1<<31 - 1
)

// BuildQuery writes into buf a recursive query with the given ID for name
// (text form, as Canonical returns it) and type t, class IN, and returns
// its length. It allocates nothing. ErrBadName when name cannot be asked,
// ErrShortBuffer when buf is shorter than the query (MaxQueryLen always
// fits). The ID is the caller's to choose: from its per-worker PRNG, so an
// off-path attacker cannot guess it.
func BuildQuery(buf []byte, id uint16, name string, t Type) (int, error) {
	if !validName(name) {
		return 0, ErrBadName
	}
	n := headerLen + len(name) + 2 + 4
	if len(buf) < n {
		return 0, ErrShortBuffer
	}
	binary.BigEndian.PutUint16(buf[0:], id)
	binary.BigEndian.PutUint16(buf[2:], flagRD)
	binary.BigEndian.PutUint16(buf[4:], 1) // QDCOUNT
	clear(buf[6:headerLen])                // ANCOUNT, NSCOUNT, ARCOUNT
	p := headerLen + putName(buf[headerLen:], name)
	binary.BigEndian.PutUint16(buf[p:], uint16(t))
	binary.BigEndian.PutUint16(buf[p+2:], classIN)
	return n, nil
}

// BuildQueryTCP is BuildQuery for a TCP connection: the same query after
// its 2-byte length prefix (RFC 1035 §4.2.2). The length returned includes
// the prefix.
func BuildQueryTCP(buf []byte, id uint16, name string, t Type) (int, error) {
	if len(buf) < 2 {
		return 0, ErrShortBuffer
	}
	n, err := BuildQuery(buf[2:], id, name, t)
	if err != nil {
		return 0, err
	}
	binary.BigEndian.PutUint16(buf, uint16(n))
	return 2 + n, nil
}

// TCPFrame finds the first length-prefixed message in b, the bytes read so
// far from a TCP connection to the server. When b holds it whole, TCPFrame
// returns it (aliasing b: valid as long as those bytes of b are), n = the
// bytes it takes in b (2 + len(msg)) and ok. Otherwise ok is false and n is
// the number of bytes b must hold before a call can succeed: 2 while the
// prefix is incomplete, then 2 + the length it announces. The caller reads
// until len(b) >= n and calls again.
func TCPFrame(b []byte) (msg []byte, n int, ok bool) {
	if len(b) < 2 {
		return nil, 2, false
	}
	n = 2 + int(binary.BigEndian.Uint16(b))
	if len(b) < n {
		return nil, n, false
	}
	return b[2:n], n, true
}

// record is one resource record's fixed fields, located in a message.
type record struct {
	typ   Type
	class uint16
	ttl   uint32 // seconds, 0 when the sender's had the top bit set
	data  int    // offset of RDATA
	end   int    // offset past RDATA: the next record
}

// readRecord reads the record at off in msg, its owner name into owner.
func readRecord(msg []byte, off int, owner *wireName) (record, error) {
	p, err := readName(msg, off, owner)
	if err != nil {
		return record{}, err
	}
	if p+rrFixedLen > len(msg) {
		return record{}, ErrMalformed
	}
	r := record{
		typ:   Type(binary.BigEndian.Uint16(msg[p:])),
		class: binary.BigEndian.Uint16(msg[p+2:]),
		ttl:   binary.BigEndian.Uint32(msg[p+4:]),
		data:  p + rrFixedLen,
	}
	r.end = r.data + int(binary.BigEndian.Uint16(msg[p+8:]))
	if r.end > len(msg) {
		return record{}, ErrMalformed
	}
	if r.ttl > maxTTL { // RFC 2181 §8; nginx clamps a negative int32 to 0
		r.ttl = 0
	}
	return r, nil
}
