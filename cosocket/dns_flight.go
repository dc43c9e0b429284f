package cosocket

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/loop"
)

// flight is the I/O of one name's lookup (a resolve.Flight): its A and
// AAAA queries, the server they go to, the resend timer and, after a
// truncated answer, a TCP connection. Pooled by the DNS; the timer and the
// read function are bound once. Loop thread only.
type flight struct {
	d  *DNS
	rf *resolve.Flight // the cache's flight; nil when not in flight

	name  string       // the name asked now: rf.Name, or the CNAME target followed
	id    uint16       // the queries' ID (A and AAAA share it, as in nginx)
	hasID bool         // id is registered in d.byID
	srv   int          // index of the server asked now (rn->last_connection)
	q     [2]query     // the queries, A first; q[:nq] are in use
	nq    int          // 1, or 2 with IPv4 and IPv6
	hops  int          // CNAME targets followed
	ttl   uint32       // smallest TTL of the CNAME links followed
	code  resolve.Code // the last error answer, while the other query waits (rn->code)
	addrs []netip.Addr // the merged addresses handed to the cache (reused)

	resend *loop.Timer // sends the waiting queries again to the next server

	tcp       *loop.Conn       // the TCP connection for truncated answers, or nil
	tcpSrv    int              // the server tcp goes to (or is being dialed)
	dialing   bool             // a TCP dial is in progress
	tcpSeq    uint64           // numbers dials, so a late one is recognised
	tcpReadFn func(*loop.Conn) // onTCPRead, bound once
}

// query is one of a flight's questions.
type query struct {
	t     resolve.Type
	ans   resolve.Answer // parsed answer (reused)
	state qstate
	tcp   bool // ask over TCP (a truncated UDP answer came)
	sent  bool // written on the flight's current TCP connection
}

// qstate is what a query's answer said.
type qstate uint8

const (
	qPending qstate = iota // no usable answer yet
	qDone                  // addresses
	qNoData                // NOERROR, no address and no CNAME to follow
	qFailed                // an error rcode (flight.code), or a CNAME loop
	qFollow                // a CNAME chain only: ask for its target
)

// maxFreeFlights bounds the pool of flight structs.
const maxFreeFlights = 64

// maxTTL is the TTL of an answer that had no record (RFC 2181 §8 bound).
const maxTTL = 1<<31 - 1

// begin starts the flight of rf: the first queries, to the next server in
// turn.
func (fl *flight) begin(rf *resolve.Flight) {
	d := fl.d
	fl.rf, fl.name, fl.hops, fl.ttl = rf, rf.Name, 0, maxTTL
	fl.nq = 0
	if d.cfg.IPv4 {
		fl.q[fl.nq].t = resolve.TypeA
		fl.nq++
	}
	if d.cfg.IPv6 {
		fl.q[fl.nq].t = resolve.TypeAAAA
		fl.nq++
	}
	d.flights[rf.Name] = fl
	srv := d.nextServer
	d.nextServer = d.next(srv)
	fl.ask(srv)
}

// ask sends fresh queries for fl.name, with a new ID, to server srv, and
// arms the resend timer. When the send fails at once (the socket cannot be
// opened), the next server is tried once more, as nginx does; after that
// the resend timer retries.
func (fl *flight) ask(srv int) {
	d := fl.d
	fl.setID()
	fl.code = 0
	for i := range fl.q[:fl.nq] {
		q := &fl.q[i]
		q.state, q.tcp, q.sent = qPending, false, false
	}
	fl.closeTCP()
	fl.srv = srv
	if !fl.send() && len(d.servers) > 1 {
		fl.srv = d.next(fl.srv)
		fl.send()
	}
	fl.resend.Reset(d.resendEvery)
}

// setID draws a query ID no other flight uses and registers fl under it.
func (fl *flight) setID() {
	d := fl.d
	if fl.hasID {
		delete(d.byID, fl.id)
	}
	id := uint16(d.w.rng.Uint32())
	for d.byID[id] != nil {
		id = uint16(d.w.rng.Uint32())
	}
	fl.id, fl.hasID = id, true
	d.byID[id] = fl
}

// send sends the queries still waiting to the current server: over UDP,
// or over TCP for those that came back truncated. It reports false when
// the UDP socket could not be opened.
func (fl *flight) send() bool {
	d := fl.d
	s := d.servers[fl.srv]
	ok, tcp := true, false
	for i := range fl.q[:fl.nq] {
		q := &fl.q[i]
		if q.state != qPending {
			continue
		}
		if q.tcp {
			q.sent, tcp = false, true
			continue
		}
		// fl.name is Canonical, so the query can always be built.
		n, _ := resolve.BuildQuery(d.qbuf[:], fl.id, fl.name, q.t)
		if !s.send(d.qbuf[:n]) {
			ok = false
		}
	}
	if tcp {
		fl.flushTCP()
	}
	return ok
}

// onResend: no answer came for resendEvery; ask the next server (nginx's
// ngx_resolver_resend).
func (fl *flight) onResend() {
	if fl.rf == nil {
		return
	}
	d := fl.d
	fl.srv = d.next(fl.srv)
	fl.send()
	fl.resend.Reset(d.resendEvery)
}

// parse reads msg as the answer to one of the waiting queries. It returns
// the query's index (-1 when msg answers none of them: a stray, a late or
// a spoofed message, dropped) and the parse error.
func (fl *flight) parse(msg []byte) (int, error) {
	for i := range fl.q[:fl.nq] {
		q := &fl.q[i]
		if q.state != qPending {
			continue
		}
		err := q.ans.Parse(msg, fl.id, fl.name, q.t)
		if errors.Is(err, resolve.ErrMismatch) {
			continue
		}
		return i, err
	}
	return -1, nil
}

// act does what the parsed answer of query qi says (resolve.Answer.Next),
// then settles the flight once no query waits. tcp tells how it came. The
// message itself is no longer needed.
func (fl *flight) act(qi int, err error, tcp bool) {
	if qi < 0 || fl.rf == nil {
		return
	}
	q := &fl.q[qi]
	switch {
	case errors.Is(err, resolve.ErrCNAMEChain):
		// nginx ends a CNAME recursion past its limit with NXDOMAIN.
		q.state, fl.code = qFailed, resolve.CodeNotFound
	case err != nil:
		return // malformed: nginx logs and drops it; keep waiting
	default:
		switch q.ans.Next(tcp) {
		case resolve.StepIgnore:
			return
		case resolve.StepRetryTCP:
			if !q.tcp {
				q.tcp, q.sent = true, false
				fl.flushTCP()
				fl.resend.Reset(fl.d.resendEvery)
			}
			return
		case resolve.StepFail:
			if q.ans.Rcode != 0 {
				q.state, fl.code = qFailed, resolve.Code(q.ans.Rcode)
			} else {
				q.state = qNoData
			}
		case resolve.StepDone:
			q.state = qDone
		case resolve.StepFollow:
			q.state = qFollow
		}
	}
	fl.settle()
}

// settle ends or redirects the flight once every query has its answer,
// merging them as ngx_resolver_process_a does: an error answer to either
// fails the lookup with the last error code seen; else the addresses of
// both (A first); else the CNAME target (A's first) is asked next; else
// the name has no address, "(3: Host not found)".
func (fl *flight) settle() {
	for i := range fl.q[:fl.nq] {
		if fl.q[i].state == qPending {
			return
		}
	}
	if fl.code != resolve.CodeOK {
		fl.end(resolve.Result{Code: fl.code})
		return
	}
	addrs, ttl := fl.addrs[:0], fl.ttl
	var target []byte
	followTTL := uint32(maxTTL)
	for i := range fl.q[:fl.nq] {
		q := &fl.q[i]
		switch q.state {
		case qDone:
			addrs = append(addrs, q.ans.Addrs...)
			ttl = min(ttl, q.ans.TTL)
		case qFollow:
			if target == nil {
				target = q.ans.Target
			}
			followTTL = min(followTTL, q.ans.TTL)
		}
	}
	fl.addrs = addrs
	switch {
	case len(addrs) > 0:
		fl.end(resolve.Result{Addrs: addrs, TTL: ttl, Code: resolve.CodeOK})
	case target != nil:
		fl.follow(target, followTTL)
	default:
		fl.end(resolve.Result{Code: resolve.CodeNotFound})
	}
}

// follow asks for the CNAME target next, counting toward MaxRecursion
// (nginx: NGX_RESOLVER_MAX_RECURSION, then NXDOMAIN). The result is cached
// under the name first asked, with the smallest TTL of the chain.
func (fl *flight) follow(target []byte, ttl uint32) {
	fl.hops++
	name, err := resolve.Canonical(string(target))
	if fl.hops > resolve.MaxRecursion || err != nil {
		fl.end(resolve.Result{Code: resolve.CodeNotFound})
		return
	}
	fl.ttl = min(fl.ttl, ttl)
	fl.name = name
	d := fl.d
	srv := d.nextServer
	d.nextServer = d.next(srv)
	fl.ask(srv) // a new name takes the next server in turn, as in nginx
}

// abandoned stops the flight when nobody waits for it any more: the last
// asker timed out or cancelled.
func (fl *flight) abandoned() {
	if fl.rf != nil && fl.rf.Waiters() == 0 {
		fl.end(resolve.Result{Code: resolve.CodeTimedOut}) // not cached: the name is forgotten
	}
}

// end stops the flight's I/O and finishes the cache's flight with r, which
// calls every waiter's Done; then fl goes back to the pool.
func (fl *flight) end(r resolve.Result) {
	d := fl.d
	fl.resend.Stop()
	fl.closeTCP()
	if fl.hasID {
		delete(d.byID, fl.id)
		fl.hasID = false
	}
	rf := fl.rf
	fl.rf = nil
	delete(d.flights, rf.Name)
	if len(d.flights) == 0 {
		for _, s := range d.servers {
			s.quiet()
		}
	}
	d.cache.Finish(rf, r, d.now())
	if len(d.freeFlights) < maxFreeFlights {
		d.freeFlights = append(d.freeFlights, fl)
	}
}

// flushTCP writes the TCP queries not yet written, on a connection to the
// current server, dialing it first when there is none (or one to another
// server: a resend moved on).
func (fl *flight) flushTCP() {
	if (fl.tcp != nil || fl.dialing) && fl.tcpSrv != fl.srv {
		fl.closeTCP()
	}
	if fl.tcp == nil {
		if !fl.dialing {
			fl.dial()
		}
		return
	}
	d := fl.d
	for i := range fl.q[:fl.nq] {
		q := &fl.q[i]
		if q.state != qPending || !q.tcp || q.sent {
			continue
		}
		n, _ := resolve.BuildQueryTCP(d.qbuf[:], fl.id, fl.name, q.t)
		_, _ = fl.tcp.Write(d.qbuf[:n]) // a closed connection reports through the read
		q.sent = true
	}
}

// dial connects to the current server over TCP; the connect writes the
// waiting TCP queries. A failed dial is left to the resend timer.
func (fl *flight) dial() {
	d := fl.d
	fl.dialing, fl.tcpSrv = true, fl.srv
	fl.tcpSeq++
	seq := fl.tcpSeq
	d.w.l.Dial("tcp", d.servers[fl.srv].addr.String(), d.resendEvery, func(c *loop.Conn, err error) {
		if fl.tcpSeq != seq {
			if c != nil {
				c.CloseNow(nil) // the flight moved on, or ended
			}
			return
		}
		fl.dialing = false
		if err != nil {
			return
		}
		fl.tcp = c
		for i := range fl.q[:fl.nq] {
			fl.q[i].sent = false
		}
		fl.flushTCP()
		c.WaitRead(fl.tcpReadFn)
	})
}

// onTCPRead handles the length-prefixed answers buffered on c.
func (fl *flight) onTCPRead(c *loop.Conn) {
	for fl.tcp == c {
		msg, n, ok := resolve.TCPFrame(c.Peek())
		if !ok {
			if c.Err() != nil {
				fl.closeTCP() // the server closed: the resend timer asks again
				return
			}
			c.WaitRead(fl.tcpReadFn)
			return
		}
		qi, err := fl.parse(msg)
		c.Discard(n)
		fl.act(qi, err, true) // may end the flight, which closes c
	}
}

// closeTCP drops the TCP connection, and any dial in progress.
func (fl *flight) closeTCP() {
	fl.tcpSeq++
	fl.dialing = false
	if c := fl.tcp; c != nil {
		fl.tcp = nil
		c.CancelRead()
		c.CloseNow(nil)
	}
}

// getFlight takes a flight from the pool, or makes one.
func (d *DNS) getFlight() *flight {
	if n := len(d.freeFlights); n > 0 {
		fl := d.freeFlights[n-1]
		d.freeFlights[n-1] = nil
		d.freeFlights = d.freeFlights[:n-1]
		return fl
	}
	fl := &flight{d: d}
	fl.resend = d.w.l.NewTimer(fl.onResend)
	fl.tcpReadFn = fl.onTCPRead
	return fl
}

// next is the server after i, round robin.
func (d *DNS) next(i int) int {
	if i++; i >= len(d.servers) {
		return 0
	}
	return i
}

// nameServer is one server of a DNS: its connected UDP socket, opened when
// first needed and kept, and the buffer its answers are read into. A
// receive stays armed while any flight of the DNS is in flight: answers
// are matched to flights by ID, whichever server they come from.
type nameServer struct {
	d         *DNS
	addr      netip.AddrPort
	pc        *loop.PacketConn
	receiving bool                   // a Recv is pending on pc
	recvFn    func(n int, err error) // onRecv, bound once
	buf       [resolve.UDPBufferLen]byte
}

// send sends one query datagram, opening the socket first when needed. It
// reports false when the socket cannot be opened.
func (s *nameServer) send(p []byte) bool {
	if s.pc == nil || s.pc.Closed() {
		pc, err := s.d.w.l.DialPacket("udp", s.addr.String())
		if err != nil {
			s.pc = nil
			return false
		}
		s.pc, s.receiving = pc, false
	}
	s.pc.Send(p, nil) // a failed send is the resend timer's business
	s.listen()
	return true
}

// listen arms a receive unless one is pending or nothing is in flight.
func (s *nameServer) listen() {
	if s.receiving || s.pc == nil || s.pc.Closed() || len(s.d.flights) == 0 {
		return
	}
	s.receiving = true
	s.pc.Recv(s.buf[:], s.recvFn)
}

// quiet cancels the receive: no flight is left to answer.
func (s *nameServer) quiet() {
	if s.receiving {
		s.receiving = false
		s.pc.CancelRecv()
	}
}

// close closes the socket.
func (s *nameServer) close() {
	if s.pc != nil {
		s.pc.Close()
		s.pc, s.receiving = nil, false
	}
}

// onRecv dispatches one datagram to the flight its ID names, and listens
// again. An error (ECONNREFUSED from the server's host) is dropped: the
// resend goes to the next server.
func (s *nameServer) onRecv(n int, err error) {
	s.receiving = false
	if err != nil {
		if errors.Is(err, loop.ErrClosed) {
			if s.pc != nil && s.pc.Closed() {
				s.pc = nil // closed under us: the loop stops
			}
			return
		}
		s.listen()
		return
	}
	var fl *flight
	qi, perr := -1, error(nil)
	if n >= 2 {
		if fl = s.d.byID[binary.BigEndian.Uint16(s.buf[:])]; fl != nil {
			qi, perr = fl.parse(s.buf[:n])
		}
	}
	s.listen() // the datagram is parsed: the buffer may take the next
	if fl != nil {
		fl.act(qi, perr, false)
	}
}
