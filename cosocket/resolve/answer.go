package resolve

import (
	"encoding/binary"
	"net/netip"
)

// Answer is a parsed response to one query. The caller owns it and reuses
// it from query to query: Parse appends into Addrs and Target from length
// zero, so once their capacity suffices a parse allocates nothing.
type Answer struct {
	// Rcode is the response code, the low 4 bits of the flags: 0 NOERROR,
	// 1 FORMERR, 2 SERVFAIL, 3 NXDOMAIN, 4 NOTIMP, 5 REFUSED, ...
	Rcode uint8
	// Truncated is the TC bit. The answer section of a truncated message
	// is not read.
	Truncated bool
	// Addrs receives the addresses of the queried type for the queried
	// name, or for the end of its CNAME chain, in message order. Values:
	// nothing in them aliases the message.
	Addrs []netip.Addr
	// Target is the end of the CNAME chain, in text form, when the answer
	// has CNAME records for the name but no address for the chain's end
	// (StepFollow: ask for Target next). Empty otherwise.
	Target []byte
	// TTL is the smallest TTL, in seconds, of the records used: the CNAME
	// links followed and the addresses. 0 when no record was used.
	TTL uint32
	// Chain is the number of CNAME links followed, at most MaxChain.
	Chain int
}

// Result is the outcome of one lookup, shared by all who asked.
type Result struct {
	// Addrs are the addresses, at least one when Code is CodeOK. In a
	// Result from the cache they are the cache's own copy, never modified:
	// valid for as long as anyone holds them.
	Addrs []netip.Addr
	// TTL is the answer's smallest TTL in seconds (Answer.TTL), the cache
	// lifetime unless CacheConfig.Valid overrides it.
	TTL uint32
	// Code is CodeOK, or why the lookup failed.
	Code Code
}

// Step is what the I/O side does next with a parsed Answer.
type Step uint8

// The steps Answer.Next returns.
const (
	// StepIgnore: not an answer nginx acts on (FORMERR, an rcode above 5,
	// a TCP answer with TC set). Keep waiting for another answer, the
	// retransmission or the timeout. nginx logs and drops these, so a
	// FORMERR ends, in the end, as CodeTimedOut (seen live, for FORMERR
	// and rcode 9: "(110: Operation timed out)").
	StepIgnore Step = iota
	// StepRetryTCP: the UDP answer was truncated; send the same query over
	// TCP to the same server.
	StepRetryTCP
	// StepFail: the lookup failed with Answer.Code.
	StepFail
	// StepDone: Answer.Addrs holds the addresses, Answer.TTL their TTL.
	StepDone
	// StepFollow: the answer is a CNAME chain only; query Answer.Target
	// (counting toward MaxRecursion) and keep the smaller TTL.
	StepFollow
)

// Parse reads msg as the answer to the query with the given ID, name (text
// form, as given to BuildQuery) and type, into a. Nothing in a aliases msg
// afterwards. The error is:
//   - ErrMismatch when msg is not that answer (ID, QR bit, opcode, question);
//   - ErrMalformed when msg is cut short or inconsistent;
//   - ErrCNAMEChain when the CNAME chain is longer than MaxChain;
//   - ErrBadName when name itself cannot be asked.
//
// On an error a holds no address and no target. With a nil error, a.Rcode
// and a.Truncated are set; the answer section is read only for a NOERROR,
// untruncated message. A message with no question is accepted with a
// non-zero rcode (servers answer FORMERR that way). The
// answer section is walked as the CNAME chain from name: CNAME records
// whose owner is the current name advance it, in any order in the section;
// address records count only for the chain's end. Records of other types,
// other classes or other names are skipped, and the authority and
// additional sections are not read. Parse never panics and always ends, on
// any input; the work is bounded by about MaxChain passes over the answer
// section.
func (a *Answer) Parse(msg []byte, id uint16, name string, t Type) error {
	a.Rcode, a.Truncated, a.TTL, a.Chain = 0, false, 0, 0
	a.Addrs, a.Target = a.Addrs[:0], a.Target[:0]
	var q wireName
	if !q.setText(name) {
		return ErrBadName
	}
	if len(msg) < headerLen {
		return ErrMalformed
	}
	if binary.BigEndian.Uint16(msg) != id {
		return ErrMismatch
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	if flags&flagQR == 0 || flags&flagOpcode != 0 {
		return ErrMismatch
	}
	rcode := uint8(flags & rcodeMask)
	qdcount := binary.BigEndian.Uint16(msg[4:])
	ancount := int(binary.BigEndian.Uint16(msg[6:]))
	off := headerLen
	switch {
	case qdcount == 1:
		var got wireName
		p, err := readName(msg, off, &got)
		if err != nil {
			return err
		}
		if p+4 > len(msg) {
			return ErrMalformed
		}
		if !got.equal(&q) || Type(binary.BigEndian.Uint16(msg[p:])) != t ||
			binary.BigEndian.Uint16(msg[p+2:]) != classIN {
			return ErrMismatch
		}
		off = p + 4
	case qdcount == 0 && rcode != 0:
	default:
		return ErrMalformed
	}
	a.Rcode, a.Truncated = rcode, flags&flagTC != 0
	if a.Truncated || rcode != 0 {
		return nil
	}
	if err := a.chain(msg, off, ancount, &q, t); err != nil {
		a.Addrs, a.Target, a.TTL, a.Chain = a.Addrs[:0], a.Target[:0], 0, 0
		return err
	}
	return nil
}

// chain walks the count answer records at off, following the CNAME chain
// from q and collecting the addresses of type t of its end. Each pass over
// the section follows the links it meets in order, so an ordered chain
// takes one pass, plus one that finds nothing more to follow and whose
// addresses are the result. The first pass also checks every record, so a
// malformed record anywhere in the section is ErrMalformed, before an
// over-long chain is ErrCNAMEChain.
func (a *Answer) chain(msg []byte, off, count int, q *wireName, t Type) error {
	cur := *q
	var owner, scratch wireName
	chainTTL, addrTTL := uint32(maxTTL), uint32(maxTTL)
	tooLong := false
	for pass, moved := 0, true; moved; pass++ {
		moved = false
		a.Addrs, addrTTL = a.Addrs[:0], maxTTL
		p := off
		for i := 0; i < count; i++ {
			r, err := readRecord(msg, p, &owner)
			if err != nil {
				return err
			}
			p = r.end
			if r.class != classIN {
				continue
			}
			switch r.typ {
			case TypeCNAME:
				follow := !tooLong && owner.equal(&cur)
				if follow && a.Chain == MaxChain {
					tooLong, follow = true, false
				}
				dst := &scratch
				if follow {
					dst = &cur
				} else if pass > 0 {
					continue
				}
				if end, err := readName(msg, r.data, dst); err != nil || end != r.end {
					return ErrMalformed
				}
				if follow {
					a.Chain++
					chainTTL = min(chainTTL, r.ttl)
					a.Addrs, addrTTL = a.Addrs[:0], maxTTL
					moved = true
				}
			case TypeA, TypeAAAA:
				addr, ok := rdataAddr(msg[r.data:r.end], r.typ)
				if !ok {
					return ErrMalformed
				}
				if r.typ == t && owner.equal(&cur) {
					a.Addrs = append(a.Addrs, addr)
					addrTTL = min(addrTTL, r.ttl)
				}
			}
		}
		if tooLong {
			a.Addrs = a.Addrs[:0]
			return ErrCNAMEChain
		}
	}
	switch {
	case len(a.Addrs) > 0:
		a.TTL = min(chainTTL, addrTTL)
	case a.Chain > 0:
		a.TTL = chainTTL
		var ok bool
		if a.Target, ok = cur.appendText(a.Target); !ok {
			a.Target = a.Target[:0]
			return ErrMalformed
		}
	}
	return nil
}

// rdataAddr reads an A or AAAA record's data, reporting false when its
// length is wrong for the type.
func rdataAddr(d []byte, t Type) (netip.Addr, bool) {
	if t == TypeA {
		if len(d) != 4 {
			return netip.Addr{}, false
		}
		return netip.AddrFrom4([4]byte(d)), true
	}
	if len(d) != 16 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16([16]byte(d)), true
}

// Next says what the I/O side does with a parsed answer; tcp tells whether
// it came over TCP. The rules are nginx's (ngx_resolver_process_response
// and ngx_resolver_process_a), with one exception: a NOERROR answer with
// records but nothing usable for the name is StepFail with CodeNotFound
// here, where nginx logs "no A or CNAME types in DNS response" and lets the
// query time out.
func (a *Answer) Next(tcp bool) Step {
	switch {
	case a.Rcode == uint8(CodeFormErr) || a.Rcode > uint8(codeMaxAnswered):
		return StepIgnore
	case a.Truncated && tcp:
		return StepIgnore
	case a.Truncated:
		return StepRetryTCP
	case a.Rcode != 0:
		return StepFail
	case len(a.Addrs) > 0:
		return StepDone
	case len(a.Target) > 0:
		return StepFollow
	}
	return StepFail
}

// Code is the outcome of a parsed answer as nginx reports it: the rcode of
// an error answer, CodeNotFound for a NOERROR answer with no address (nginx
// treats "no data" as NXDOMAIN), CodeOK when Addrs is not empty.
func (a *Answer) Code() Code {
	switch {
	case a.Rcode != 0:
		return Code(a.Rcode)
	case len(a.Addrs) == 0:
		return CodeNotFound
	}
	return CodeOK
}

// Result is the answer as the cache takes it: Addrs (aliased, Finish copies
// them), TTL and Code.
func (a *Answer) Result() Result {
	return Result{Addrs: a.Addrs, TTL: a.TTL, Code: a.Code()}
}
