package resolve

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseCase is one message and what parsing it, as the answer to the test
// query of type qt, must give.
type parseCase struct {
	name   string
	qt     Type // TypeA when 0
	msg    []byte
	err    error
	step   Step // Next(false)
	addrs  []netip.Addr
	target string
	ttl    uint32
	chain  int
	code   Code
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			qt := tc.qt
			if qt == 0 {
				qt = TypeA
			}
			var ans Answer
			err := ans.Parse(tc.msg, testID, testName, qt)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.Empty(t, ans.Addrs)
				assert.Empty(t, ans.Target)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.step, ans.Next(false), "step")
			if tc.addrs == nil {
				assert.Empty(t, ans.Addrs)
			} else {
				assert.Equal(t, tc.addrs, ans.Addrs)
			}
			assert.Equal(t, tc.target, string(ans.Target), "target")
			assert.Equal(t, tc.ttl, ans.TTL, "ttl")
			assert.Equal(t, tc.chain, ans.Chain, "chain")
			if tc.step == StepFail || tc.step == StepDone {
				assert.Equal(t, tc.code, ans.Code(), "code")
			}
		})
	}
}

func TestParseAnswers(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "one A", msg: answerTo(t, TypeA, a(testName, "192.0.2.1", 300)),
			step: StepDone, addrs: ips("192.0.2.1"), ttl: 300},
		{name: "several A, smallest TTL", msg: answerTo(t, TypeA,
			a(testName, "192.0.2.1", 300), a(testName, "192.0.2.2", 60), a(testName, "192.0.2.3", 120)),
			step: StepDone, addrs: ips("192.0.2.1", "192.0.2.2", "192.0.2.3"), ttl: 60},
		{name: "AAAA", qt: TypeAAAA, msg: answerTo(t, TypeAAAA, aaaa(testName, "2001:db8::1", 30)),
			step: StepDone, addrs: ips("2001:db8::1"), ttl: 30},
		{name: "AAAA records in an A answer are skipped", msg: answerTo(t, TypeA,
			aaaa(testName, "2001:db8::1", 30), a(testName, "192.0.2.9", 40)),
			step: StepDone, addrs: ips("192.0.2.9"), ttl: 40},
		{name: "no data: NOERROR without records", msg: answerTo(t, TypeA),
			step: StepFail, code: CodeNotFound},
		{name: "no data: only the other family", msg: answerTo(t, TypeA, aaaa(testName, "2001:db8::1", 30)),
			step: StepFail, code: CodeNotFound},
		{name: "records of other names are not ours", msg: answerTo(t, TypeA,
			a("evil.example", "203.0.113.66", 999), a(testName, "192.0.2.1", 5)),
			step: StepDone, addrs: ips("192.0.2.1"), ttl: 5},
		{name: "only other names: no data", msg: answerTo(t, TypeA, a("evil.example", "203.0.113.66", 9)),
			step: StepFail, code: CodeNotFound},
		{name: "class CH records skipped", msg: answerTo(t, TypeA,
			Record{Name: testName, Type: TypeA, Class: 3, TTL: 1, Data: []byte{1, 2}}, a(testName, "192.0.2.1", 7)),
			step: StepDone, addrs: ips("192.0.2.1"), ttl: 7},
		{name: "unknown types skipped", msg: answerTo(t, TypeA,
			Record{Name: testName, Type: 16, TTL: 1, Data: []byte("\x05hello")},
			Record{Name: testName, Type: 39, TTL: 1, Data: wire("elsewhere")}, // DNAME
			a(testName, "192.0.2.1", 7)),
			step: StepDone, addrs: ips("192.0.2.1"), ttl: 7},
		{name: "TTL with the top bit set is 0", msg: answerTo(t, TypeA, a(testName, "192.0.2.1", 0x80000000)),
			step: StepDone, addrs: ips("192.0.2.1"), ttl: 0},
		{name: "largest TTL", msg: answerTo(t, TypeA, a(testName, "192.0.2.1", 0x7FFFFFFF)),
			step: StepDone, addrs: ips("192.0.2.1"), ttl: 0x7FFFFFFF},
		{name: "names compare without case", msg: respond(t, Response{ID: testID, Name: "ExAmPlE.CoM", Type: TypeA,
			Answers: []Record{a("EXAMPLE.com", "192.0.2.1", 3)}, NoCompress: true}),
			step: StepDone, addrs: ips("192.0.2.1"), ttl: 3},
		{name: "uncompressed", msg: respond(t, Response{ID: testID, Name: testName, Type: TypeA,
			Answers: []Record{cname(testName, "b.example.net", 50), a("b.example.net", "192.0.2.1", 60)}, NoCompress: true}),
			step: StepDone, addrs: ips("192.0.2.1"), ttl: 50, chain: 1},
		{name: "trailing bytes after the answers ignored", msg: cat(answerTo(t, TypeA, a(testName, "192.0.2.1", 1)), []byte{0xFF, 0}),
			step: StepDone, addrs: ips("192.0.2.1"), ttl: 1},
	})
}

func TestParseRcodes(t *testing.T) {
	withRcode := func(rc uint8, tc bool) []byte {
		return respond(t, Response{ID: testID, Name: testName, Type: TypeA, Rcode: rc, Truncated: tc})
	}
	runParseCases(t, []parseCase{
		{name: "NXDOMAIN", msg: withRcode(3, false), step: StepFail, code: CodeNotFound},
		{name: "SERVFAIL", msg: withRcode(2, false), step: StepFail, code: CodeServFail},
		{name: "NOTIMP", msg: withRcode(4, false), step: StepFail, code: CodeNotImpl},
		{name: "REFUSED", msg: withRcode(5, false), step: StepFail, code: CodeRefused},
		{name: "FORMERR is dropped as nginx does", msg: withRcode(1, false), step: StepIgnore},
		{name: "rcode 6 is dropped", msg: withRcode(6, false), step: StepIgnore},
		{name: "rcode 15 is dropped", msg: withRcode(15, false), step: StepIgnore},
		{name: "FORMERR without a question", msg: hdr(testID, respFlags|1, 0, 0), step: StepIgnore},
		{name: "SERVFAIL without a question", msg: hdr(testID, respFlags|2, 0, 0), step: StepFail, code: CodeServFail},
		{name: "truncated: retry over TCP", msg: withRcode(0, true), step: StepRetryTCP},
		{name: "truncated NXDOMAIN: retry over TCP", msg: withRcode(3, true), step: StepRetryTCP},
		{name: "truncated with a cut answer section", msg: cat(hdr(testID, respFlags|flagTC, 1, 3), question(testName, TypeA), []byte{0xC0}),
			step: StepRetryTCP},
		{name: "NXDOMAIN with records: records not read", msg: respond(t, Response{ID: testID, Name: testName, Type: TypeA,
			Rcode: 3, Answers: []Record{cname(testName, "gone.example", 5)}}), step: StepFail, code: CodeNotFound},
	})
}

func TestParseTruncatedOverTCP(t *testing.T) {
	var ans Answer
	msg := respond(t, Response{ID: testID, Name: testName, Type: TypeA, Truncated: true})
	require.NoError(t, ans.Parse(msg, testID, testName, TypeA))
	assert.Equal(t, StepRetryTCP, ans.Next(false))
	assert.Equal(t, StepIgnore, ans.Next(true), "nginx drops a TCP answer with TC set")
	msg = answerTo(t, TypeA, a(testName, "192.0.2.1", 1))
	require.NoError(t, ans.Parse(msg, testID, testName, TypeA))
	assert.Equal(t, StepDone, ans.Next(true))
}

func TestParseCNAMEChains(t *testing.T) {
	var long []Record
	for i := 0; i < MaxChain; i++ {
		from := testName
		if i > 0 {
			from = "c" + string(rune('a'+i)) + ".example"
		}
		long = append(long, cname(from, "c"+string(rune('a'+i+1))+".example", uint32(100+i)))
	}
	end := long[len(long)-1].Target
	runParseCases(t, []parseCase{
		{name: "chain in order", msg: answerTo(t, TypeA,
			cname(testName, "a.cdn.example", 300), cname("a.cdn.example", "b.cdn.example", 40),
			a("b.cdn.example", "192.0.2.1", 100), a("b.cdn.example", "192.0.2.2", 90)),
			step: StepDone, addrs: ips("192.0.2.1", "192.0.2.2"), ttl: 40, chain: 2},
		{name: "chain out of order", msg: answerTo(t, TypeA,
			a("b.cdn.example", "192.0.2.1", 100), cname("a.cdn.example", "b.cdn.example", 40),
			cname(testName, "a.cdn.example", 30), a("b.cdn.example", "192.0.2.2", 90)),
			step: StepDone, addrs: ips("192.0.2.1", "192.0.2.2"), ttl: 30, chain: 2},
		{name: "addresses of a name left behind do not count", msg: answerTo(t, TypeA,
			a(testName, "203.0.113.1", 10), cname(testName, "real.example", 20), a("real.example", "192.0.2.1", 30)),
			step: StepDone, addrs: ips("192.0.2.1"), ttl: 20, chain: 1},
		{name: "CNAME only: follow the target", msg: answerTo(t, TypeA, cname(testName, "Target.Example.NET.", 77)),
			step: StepFollow, target: "target.example.net", ttl: 77, chain: 1},
		{name: "chain to a name without address: follow its end", msg: answerTo(t, TypeA,
			cname(testName, "a.example", 9), cname("a.example", "b.example", 8), a("other.example", "192.0.2.1", 1)),
			step: StepFollow, target: "b.example", ttl: 8, chain: 2},
		{name: "chain of MaxChain links", msg: answerTo(t, TypeA, append(long, a(end, "192.0.2.7", 500))...),
			step: StepDone, addrs: ips("192.0.2.7"), ttl: 100, chain: MaxChain},
		{name: "chain of MaxChain+1 links", err: ErrCNAMEChain, msg: answerTo(t, TypeA,
			append(long, cname(end, "one.more", 1), a("one.more", "192.0.2.7", 500))...)},
		{name: "loop of two", err: ErrCNAMEChain, msg: answerTo(t, TypeA,
			cname(testName, "b.example", 1), cname("b.example", testName, 1))},
		{name: "loop on itself", err: ErrCNAMEChain, msg: answerTo(t, TypeA, cname(testName, testName, 1))},
		{name: "loop out of order", err: ErrCNAMEChain, msg: answerTo(t, TypeA,
			cname("c.example", "b.example", 1), cname("b.example", "c.example", 1), cname(testName, "b.example", 1))},
		{name: "malformed record after an over-long chain is ErrMalformed", err: ErrMalformed, msg: func() []byte {
			b := cat(hdr(testID, respFlags, 1, MaxChain+2), question(testName, TypeA))
			for i := 0; i <= MaxChain; i++ {
				b = append(b, rr(ptr(12), TypeCNAME, classIN, 1, ptr(12))...)
			}
			return append(b, rr(ptr(12), TypeA, classIN, 1, []byte{1, 2, 3})...)
		}()},
	})
}

// TestParseCompression reads names written with pointers in every place a
// name may be: owners, CNAME targets, tails of longer names.
func TestParseCompression(t *testing.T) {
	q := question(testName, TypeA) // at 12: "\x07example\x03com\x00" then type, class
	com := 12 + 8                  // "\x03com\x00" inside the question
	cases := []parseCase{
		{name: "owner is a pointer to the question",
			msg:  cat(hdr(testID, respFlags, 1, 1), q, rr(ptr(12), TypeA, classIN, 10, []byte{192, 0, 2, 1})),
			step: StepDone, addrs: ips("192.0.2.1"), ttl: 10},
		{name: "owner is labels then a pointer",
			msg: cat(hdr(testID, respFlags, 1, 2), q,
				rr(ptr(12), TypeCNAME, classIN, 10, cat([]byte("\x03www"), ptr(com))), // → www.com
				rr(cat([]byte("\x03WWW"), ptr(com)), TypeA, classIN, 20, []byte{192, 0, 2, 2})),
			step: StepDone, addrs: ips("192.0.2.2"), ttl: 10, chain: 1},
		{name: "pointer to a pointer",
			msg: cat(hdr(testID, respFlags, 1, 2), q,
				rr(ptr(12), TypeCNAME, classIN, 10, cat([]byte("\x01x"), ptr(12))), // at 29: target x.example.com at 41
				rr(ptr(41), TypeA, classIN, 20, []byte{192, 0, 2, 3})),
			step: StepDone, addrs: ips("192.0.2.3"), ttl: 10, chain: 1},
		{name: "writer's compression", msg: answerTo(t, TypeA,
			cname(testName, "www.example.com", 5), cname("www.example.com", "cdn.www.example.com", 5),
			a("cdn.www.example.com", "192.0.2.4", 5)),
			step: StepDone, addrs: ips("192.0.2.4"), ttl: 5, chain: 2},
	}
	runParseCases(t, cases)
	// AppendResponse compresses: the same answer is shorter than written in full.
	full := respond(t, Response{ID: testID, Name: testName, Type: TypeA, NoCompress: true,
		Answers: []Record{cname(testName, "www.example.com", 5), a("www.example.com", "192.0.2.4", 5)}})
	short := answerTo(t, TypeA, cname(testName, "www.example.com", 5), a("www.example.com", "192.0.2.4", 5))
	assert.Less(t, len(short), len(full))
}

func TestParseMismatch(t *testing.T) {
	good := answerTo(t, TypeA, a(testName, "192.0.2.1", 1))
	flip := func(i int, v byte) []byte {
		b := append([]byte(nil), good...)
		b[i] = v
		return b
	}
	runParseCases(t, []parseCase{
		{name: "other ID", msg: flip(1, 0x35), err: ErrMismatch},
		{name: "a query, not a response", msg: flip(2, good[2]&^0x80), err: ErrMismatch},
		{name: "opcode 1", msg: flip(2, good[2]|0x08), err: ErrMismatch},
		{name: "other name", msg: respond(t, Response{ID: testID, Name: "example.org", Type: TypeA}), err: ErrMismatch},
		{name: "name one label longer", msg: respond(t, Response{ID: testID, Name: "www.example.com", Type: TypeA}), err: ErrMismatch},
		{name: "other type", msg: respond(t, Response{ID: testID, Name: testName, Type: TypeAAAA}), err: ErrMismatch},
		{name: "class CH", msg: cat(hdr(testID, respFlags, 1, 0), wire(testName), []byte{0, 1, 0, 3}), err: ErrMismatch},
	})
	var ans Answer
	require.ErrorIs(t, ans.Parse(good, testID, "bad..name", TypeA), ErrBadName)
}

func TestParseMalformed(t *testing.T) {
	q := question(testName, TypeA)
	okRR := rr(ptr(12), TypeA, classIN, 1, []byte{192, 0, 2, 1})
	head := func(an uint16) []byte { return cat(hdr(testID, respFlags, 1, an), q) }
	// deep hides k pointers, each to the one before and the first to the
	// question, in a TXT record; an A record's owner points at the last.
	// Its owner takes k+1 hops.
	deep := func(k int) []byte {
		chain := ptr(12)
		for i := 1; i < k; i++ {
			chain = append(chain, ptr(29+rrFixedLen+2+2*(i-1))...)
		}
		return cat(hdr(testID, respFlags, 1, 2), q, rr(ptr(12), 16, classIN, 1, chain),
			rr(ptr(29+rrFixedLen+2+2*(k-1)), TypeA, classIN, 1, []byte{192, 0, 2, 1}))
	}
	var longName []byte // 5 labels of 63: 320 bytes
	for i := 0; i < 5; i++ {
		longName = append(append(longName, 63), label(63)...)
	}
	longName = append(longName, 0)
	var cases []parseCase
	for n := 0; n < headerLen; n++ {
		cases = append(cases, parseCase{name: fmt.Sprintf("header cut at %d", n),
			msg: answerTo(t, TypeA)[:n], err: ErrMalformed})
	}
	full := answerTo(t, TypeA, a(testName, "192.0.2.1", 1))
	for n := headerLen; n < len(full); n++ {
		cases = append(cases, parseCase{name: fmt.Sprintf("message cut at %d", n),
			msg: full[:n], err: ErrMalformed})
	}
	cases = append(cases, []parseCase{
		{name: "two questions", msg: cat(hdr(testID, respFlags, 2, 0), q, q), err: ErrMalformed},
		{name: "no question in a NOERROR answer", msg: hdr(testID, respFlags, 0, 0), err: ErrMalformed},
		{name: "more answers announced than present", msg: cat(head(2), okRR), err: ErrMalformed},
		{name: "RDLENGTH past the end", msg: cat(head(1), okRR[:len(okRR)-1]), err: ErrMalformed},
		{name: "A of 3 bytes", msg: cat(head(1), rr(ptr(12), TypeA, classIN, 1, []byte{1, 2, 3})), err: ErrMalformed},
		{name: "A of 5 bytes", msg: cat(head(1), rr(ptr(12), TypeA, classIN, 1, []byte{1, 2, 3, 4, 5})), err: ErrMalformed},
		{name: "AAAA of 4 bytes", msg: cat(head(1), rr(ptr(12), TypeAAAA, classIN, 1, []byte{1, 2, 3, 4})), err: ErrMalformed},
		{name: "bad A of another name", msg: cat(head(2), rr(wire("x.y"), TypeA, classIN, 1, nil), okRR), err: ErrMalformed},
		{name: "pointer forward", msg: cat(head(1), rr(ptr(40), TypeA, classIN, 1, []byte{1, 2, 3, 4})), err: ErrMalformed},
		{name: "pointer to itself", msg: cat(head(1), rr(ptr(29), TypeA, classIN, 1, []byte{1, 2, 3, 4})), err: ErrMalformed},
		{name: "pointer into the header", msg: cat(head(1), rr(ptr(4), TypeA, classIN, 1, []byte{1, 2, 3, 4})), err: ErrMalformed},
		{name: "pointer past the end", msg: cat(head(1), rr(ptr(0x3FFF), TypeA, classIN, 1, []byte{1, 2, 3, 4})), err: ErrMalformed},
		{name: "labels then a pointer back into themselves", msg: cat(head(1),
			rr(cat([]byte("\x01a"), ptr(29)), TypeA, classIN, 1, []byte{1, 2, 3, 4})), err: ErrMalformed},
		{name: "pointer cut short", msg: cat(head(1), []byte{0xC0}), err: ErrMalformed},
		{name: "label type 0x40", msg: cat(head(1), rr([]byte{0x41, 'a', 0}, TypeA, classIN, 1, []byte{1, 2, 3, 4})), err: ErrMalformed},
		{name: "label type 0x80", msg: cat(head(1), rr([]byte{0x81, 'a', 0}, TypeA, classIN, 1, []byte{1, 2, 3, 4})), err: ErrMalformed},
		{name: "label past the end", msg: cat(head(1), []byte{9, 'a', 'b'}), err: ErrMalformed},
		{name: "name over 255 bytes", msg: cat(head(1), rr(longName, TypeA, classIN, 1, []byte{1, 2, 3, 4})), err: ErrMalformed},
		{name: "pointer chain of maxHops hops", msg: deep(maxHops - 1), step: StepDone, addrs: ips("192.0.2.1"), ttl: 1},
		{name: "pointer chain one hop too long", msg: deep(maxHops), err: ErrMalformed},
		{name: "CNAME data longer than its name", msg: cat(head(1), rr(ptr(12), TypeCNAME, classIN, 1, cat(wire("a.b"), []byte{0}))), err: ErrMalformed},
		{name: "CNAME name longer than its data", msg: cat(head(2), rr(ptr(12), TypeCNAME, classIN, 1, []byte("\x01a")), []byte("\x00"), okRR), err: ErrMalformed},
		{name: "CNAME of another name with a bad target", msg: cat(head(2), rr(wire("x.y"), TypeCNAME, classIN, 1, []byte{0xC0, 0xFF}), okRR), err: ErrMalformed},
		{name: "CNAME target with a dot in a label", msg: cat(head(1), rr(ptr(12), TypeCNAME, classIN, 1, []byte("\x03a.b\x00"))), err: ErrMalformed},
		{name: "CNAME to the root", msg: cat(head(1), rr(ptr(12), TypeCNAME, classIN, 1, []byte{0})), step: StepFail, code: CodeNotFound, chain: 1, ttl: 1},
	}...)
	runParseCases(t, cases)
}

// TestParseReuse parses twice into one Answer: nothing of the first stays.
func TestParseReuse(t *testing.T) {
	var ans Answer
	require.NoError(t, ans.Parse(answerTo(t, TypeA, cname(testName, "x.example", 4)), testID, testName, TypeA))
	require.Equal(t, "x.example", string(ans.Target))
	require.NoError(t, ans.Parse(answerTo(t, TypeA, a(testName, "192.0.2.1", 8)), testID, testName, TypeA))
	assert.Empty(t, ans.Target)
	assert.Equal(t, 0, ans.Chain)
	assert.Equal(t, ips("192.0.2.1"), ans.Addrs)
	require.ErrorIs(t, ans.Parse([]byte{1}, testID, testName, TypeA), ErrMalformed)
	assert.Empty(t, ans.Addrs)
	assert.Equal(t, uint32(0), ans.TTL)
}

func TestAnswerResult(t *testing.T) {
	var ans Answer
	require.NoError(t, ans.Parse(answerTo(t, TypeA, a(testName, "192.0.2.1", 8)), testID, testName, TypeA))
	assert.Equal(t, Result{Addrs: ips("192.0.2.1"), TTL: 8, Code: CodeOK}, ans.Result())
	require.NoError(t, ans.Parse(respond(t, Response{ID: testID, Name: testName, Type: TypeA, Rcode: 2}), testID, testName, TypeA))
	assert.Equal(t, Result{Addrs: []netip.Addr{}, Code: CodeServFail}, ans.Result())
}

func TestAppendResponseErrors(t *testing.T) {
	_, err := AppendResponse(nil, &Response{Name: "a..b"})
	require.ErrorIs(t, err, ErrBadName)
	_, err = AppendResponse(nil, &Response{Name: "a", Answers: []Record{{Name: "a", Type: TypeA, Addr: ip("::1")}}})
	require.ErrorIs(t, err, ErrMalformed)
	_, err = AppendResponse(nil, &Response{Name: "a", Answers: []Record{cname("a", strings.Repeat("x", 64), 1)}})
	require.ErrorIs(t, err, ErrBadName)
}
