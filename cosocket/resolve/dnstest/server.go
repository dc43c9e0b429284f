// Package dnstest is an in-process DNS server for tests: UDP and TCP on
// one 127.0.0.1 port, answering from records configured per name, with
// forced rcodes, forced truncation, silence (for timeouts), delays, raw
// replies (for malformed answers) and a count of the queries it received.
// Answers are written with package resolve's own codec.
//
// It is a test peer, not part of the engine: it runs its own goroutines and
// blocking sockets. Place in the import graph: imports resolve and the
// standard library; imported only by tests.
package dnstest

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luring/luring/cosocket/resolve"
)

// Name is how the server answers queries for one name.
type Name struct {
	A    []netip.Addr // answers to A queries
	AAAA []netip.Addr // answers to AAAA queries
	// CNAME, when set, makes the name an alias: answers carry a CNAME
	// record to it, then, like a recursive resolver, the records of the
	// chain's end when that is configured here too.
	CNAME string
	// CNAMEOnly answers with the CNAME record alone, so the client must
	// ask for the target itself.
	CNAMEOnly bool
	TTL       uint32 // TTL of the records, seconds (0 is 0)
	// Rcode, when not 0, is the answer's rcode, with no records:
	// resolve.CodeServFail, CodeNotFound, CodeRefused...
	Rcode resolve.Code
	// Truncate sets TC on UDP answers, with no records; the same query over
	// TCP gets the whole answer.
	Truncate bool
	// Silent never answers, over UDP or TCP: the client times out.
	Silent bool
	// Delay holds each answer back for this long.
	Delay time.Duration
	// Raw, when set, replaces the answer: its bytes are sent as they are
	// (over TCP, after the length prefix). For mismatched IDs, malformed
	// messages and the like.
	Raw func(q resolve.Query, tcp bool) []byte
}

// Received is one query the server read.
type Received struct {
	resolve.Query      // as read; Name keeps the case sent
	TCP           bool // came over TCP
}

// Server is a running test DNS server. Its methods are safe for use from
// any goroutine.
type Server struct {
	udp *net.UDPConn
	tcp *net.TCPListener

	mu     sync.Mutex
	names  map[string]Name          // lower-cased name → configuration
	counts map[string]int           // lower-cased name → queries received
	log    []Received               // every query, in arrival order
	conns  map[net.Conn]bool        // open TCP connections
	timers map[*time.Timer]struct{} // delayed answers not sent yet
	closed bool

	wg sync.WaitGroup // the server's goroutines
}

// maxChase bounds the CNAME chain the server follows for one answer.
const maxChase = 32

// Start starts a server on 127.0.0.1 (UDP and TCP on one port) with no
// names configured, and closes it when the test ends. Unconfigured names
// are answered NXDOMAIN.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a server as Start does, for callers without a test (examples,
// tools), who Close it themselves. It binds UDP on a free port, then TCP
// on the same port, retrying when that TCP port is taken.
func New() (*Server, error) {
	var err error
	for range 20 {
		var udp *net.UDPConn
		udp, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, err
		}
		var tcp *net.TCPListener
		tcp, err = net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: udp.LocalAddr().(*net.UDPAddr).Port})
		if err != nil {
			udp.Close()
			continue
		}
		s := &Server{udp: udp, tcp: tcp, names: map[string]Name{}, counts: map[string]int{},
			conns: map[net.Conn]bool{}, timers: map[*time.Timer]struct{}{}}
		s.wg.Add(2)
		go s.serveUDP()
		go s.serveTCP()
		return s, nil
	}
	return nil, err
}

// Addr returns "127.0.0.1:PORT", the value for a resolver directive.
func (s *Server) Addr() string { return s.udp.LocalAddr().String() }

// Port returns the port, the same for UDP and TCP.
func (s *Server) Port() int { return s.udp.LocalAddr().(*net.UDPAddr).Port }

// Set configures how name (any case, one trailing dot allowed) is
// answered, replacing what was set before.
func (s *Server) Set(name string, n Name) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[key(name)] = n
}

// SetA is Set with A records only, a shorthand: addresses in text form.
func (s *Server) SetA(name string, ttl uint32, addrs ...string) {
	n := Name{TTL: ttl}
	for _, a := range addrs {
		n.A = append(n.A, netip.MustParseAddr(a))
	}
	s.Set(name, n)
}

// Queries returns how many queries for name (any type, UDP and TCP) the
// server has received.
func (s *Server) Queries(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key(name)]
}

// Log returns every query received so far, in order.
func (s *Server) Log() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.log...)
}

// Close stops the server and waits for its goroutines. Delayed answers
// not yet sent are dropped. Closing twice is harmless.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	for tm := range s.timers {
		if tm.Stop() {
			s.wg.Done()
		}
	}
	s.mu.Unlock()
	s.udp.Close()
	s.tcp.Close()
	s.wg.Wait()
}

// key is the map key of a name: lower-cased, no trailing dot.
func key(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// serveUDP answers datagrams until the socket closes.
func (s *Server) serveUDP() {
	defer s.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, from, err := s.udp.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		q, ok := s.receive(buf[:n], false)
		if !ok {
			continue
		}
		s.reply(q, false, func(msg []byte) { s.udp.WriteToUDP(msg, from) })
	}
}

// serveTCP accepts connections until the listener closes.
func (s *Server) serveTCP() {
	defer s.wg.Done()
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

// serveConn answers the length-prefixed queries of one connection.
func (s *Server) serveConn(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	var wmu sync.Mutex // delayed answers may write concurrently
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		n, err := c.Read(chunk)
		if err != nil {
			return
		}
		buf = append(buf, chunk[:n]...)
		for {
			msg, used, ok := resolve.TCPFrame(buf)
			if !ok {
				break
			}
			if q, ok := s.receive(msg, true); ok {
				s.reply(q, true, func(msg []byte) {
					wmu.Lock()
					defer wmu.Unlock()
					c.Write(append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...))
				})
			}
			buf = buf[used:]
		}
	}
}

// receive parses and counts a query.
func (s *Server) receive(msg []byte, tcp bool) (resolve.Query, bool) {
	q, err := resolve.ParseQuery(msg)
	if err != nil {
		return q, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[key(q.Name)]++
	s.log = append(s.log, Received{Query: q, TCP: tcp})
	return q, true
}

// reply builds the answer to q and sends it with send, now or after the
// name's Delay.
func (s *Server) reply(q resolve.Query, tcp bool, send func([]byte)) {
	s.mu.Lock()
	n, known := s.names[key(q.Name)]
	var msg []byte
	switch {
	case known && n.Silent:
		s.mu.Unlock()
		return
	case known && n.Raw != nil:
		msg = n.Raw(q, tcp)
	default:
		msg = s.answer(q, n, known, tcp)
	}
	if n.Delay <= 0 {
		s.mu.Unlock()
		send(msg)
		return
	}
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	var tm *time.Timer
	tm = time.AfterFunc(n.Delay, func() {
		defer s.wg.Done()
		s.mu.Lock()
		delete(s.timers, tm)
		s.mu.Unlock()
		send(msg)
	})
	s.timers[tm] = struct{}{}
	s.mu.Unlock()
}

// answer writes the response to q from the configuration; s.mu is held.
func (s *Server) answer(q resolve.Query, n Name, known, tcp bool) []byte {
	r := resolve.Response{ID: q.ID, Name: q.Name, Type: q.Type}
	switch {
	case !known:
		r.Rcode = uint8(resolve.CodeNotFound)
	case n.Rcode != 0:
		r.Rcode = uint8(n.Rcode)
	case n.Truncate && !tcp:
		r.Truncated = true
	default:
		r.Answers = s.records(q.Name, q.Type, n)
	}
	msg, err := resolve.AppendResponse(nil, &r)
	if err != nil {
		panic("dnstest: cannot write the answer for " + q.Name + ": " + err.Error())
	}
	return msg
}

// records are the answer records for name and type t, following the
// CNAME chain through the configured names.
func (s *Server) records(name string, t resolve.Type, n Name) []resolve.Record {
	var rrs []resolve.Record
	for range maxChase {
		if n.CNAME != "" {
			rrs = append(rrs, resolve.Record{Name: name, Type: resolve.TypeCNAME, TTL: n.TTL, Target: n.CNAME})
			next, ok := s.names[key(n.CNAME)]
			if n.CNAMEOnly || !ok || next.Silent || next.Rcode != 0 || next.Raw != nil {
				return rrs
			}
			name, n = n.CNAME, next
			continue
		}
		var addrs []netip.Addr
		switch t {
		case resolve.TypeA:
			addrs = n.A
		case resolve.TypeAAAA:
			addrs = n.AAAA
		}
		for _, a := range addrs {
			rrs = append(rrs, resolve.Record{Name: name, Type: t, TTL: n.TTL, Addr: a})
		}
		return rrs
	}
	return rrs
}
