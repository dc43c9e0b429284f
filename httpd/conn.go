package httpd

import (
	"errors"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/loop"
)

// sessState is where a connection is between requests.
type sessState uint8

const (
	stHead    sessState = iota // waiting for or reading a request head
	stBusy                     // a request is being processed; input waits in the Conn
	stBody                     // reading the request body for Txn.ReadBody
	stStream                   // the request socket reads the body, or owns the connection (hijacked)
	stDiscard                  // discarding an unread body after the response
	stLinger                   // closing: output flushed, input dropped until the peer closes
	stClosed                   // closed or closing at once
)

// lingerTimeout is nginx's lingering_timeout: how long a closing or
// discarding connection waits for more client bytes.
const lingerTimeout = 5 * time.Second

// maxBusyInput is how many bytes may wait in the Conn while a request is
// processed (pipelined requests, an unread body) before reading pauses.
// Below it reading stays armed, so a client that goes away is noticed and
// its pending handler aborted.
const maxBusyInput = 256 << 10

// errClientClosed is passed to a body callback when the client closed the
// connection before the body was complete.
var errClientClosed = errors.New("httpd: client prematurely closed connection")

// session is the HTTP state of one connection: it reads request heads,
// runs one Txn at a time, keeps pipelined bytes in the Conn until their
// turn, and applies the timeouts. Sessions are reused for later
// connections of their server. Loop thread only.
//
// An idle keep-alive connection holds its session and its loop.Conn and
// nothing else, so the session keeps only what outlives a request, in 144
// bytes (a size class): no timer objects (its timeouts are nodes in the
// server's queues), no bound callbacks (the Conn's are plain functions),
// no per-request fields (they are in work). At 272 bytes with two Timers
// and six bound method values it took about 450 bytes a connection.
type session struct {
	c   *loop.Conn // nil once closed
	lst *listener  // the socket it was accepted on (its srv is the session's server)
	id  uint64     // connection number for logs and $connection

	// work is the request state: attached from a request's first byte to
	// its end, nil while the connection waits idle between requests.
	*work

	// addr holds the connection's addresses once formatted (first use),
	// kept with the session for its later connections.
	addr *connAddrs

	// rto is the read-side timeout of the state: client_header_timeout,
	// keepalive_timeout, client_body_timeout or the lingering timeout, in
	// the server's queue of that duration (Server.readQueue).
	rto loop.Timeout[session]
	// sto is the send_timeout watchdog while output is pending (watchSend).
	sto loop.Timeout[session]

	requests  uint32 // requests begun on this connection
	state     sessState
	gotBytes  bool // the current request has begun to arrive
	paused    bool // PauseRead was called
	flushWait bool // a Flush callback is registered

	prev, next *session // in srv.sessions
}

// connAddrs are a connection's addresses as nginx's variables print them.
type connAddrs struct {
	done                                           bool
	remoteAddr, remotePort, serverAddr, serverPort string
}

// noAddrs is what a closed connection that never formatted its addresses
// reports.
var noAddrs connAddrs

// work is what a connection needs while a request is read, handled and
// answered: the parser, the Txn and the buffers they fill. An idle
// keep-alive connection gives it back to its server's pool, so that it
// keeps only its session (nginx likewise frees a keep-alive connection's
// request and buffers). Measured with 10,000 idle connections after one
// request each: about 3,950 bytes per connection with the work kept,
// about 1,300 without (and about 430 since the session and loop.Conn
// shrank: docs/performance.md).
type work struct {
	startMs int64 // unix ms of the first byte of the request
	bodyN   int64 // request body bytes consumed from the wire
	preread int64 // body bytes that came with the head, as far as nginx's header buffer would hold them
	left    int64 // Content-Length bytes of the body not consumed yet
	chunked bool  // the body is chunked (kept past Parser.Reset)
	chunk   ChunkedDecoder

	p     *Parser
	head  []byte // copy of the current request head; the Txn's buffer
	txn   Txn
	hbuf  []byte // response head being built
	body  []byte // response body buffered until the first flush or EOF
	store bodyStore
	ebuf  []byte // the echo handler's output being built

	br      BodyReader // the body on the wire
	pulling bool       // the Conn is in pull mode (a body reader or a hijacker owns its input)
	// inData: the request began inside the session's OnData, which has not
	// returned yet, so the Conn's input is not settled (BodyReader waits it
	// out). In work rather than session: a session stays at 144 bytes.
	inData   bool
	pumpTask loop.Task // ReadBody's pump, scheduled to start it
	subSt    subState  // a subrequest's link to its parent (Txn.sub points here)
	pumpFn   func(c *loop.Conn)

	// bodyNow holds a ReadBody outcome known at once until the run queue
	// delivers it (Txn.bodyLater).
	bodyNow struct {
		task loop.Task
		cb   func(body []byte, err error)
		body []byte
		err  error
	}

	etimer     *loop.Timer                  // echo_sleep's timer, made on first use
	echoBodyFn func(body []byte, err error) // txn.echoBodyRead, bound once

	pbuf    []byte      // the request sent upstream
	phead   []byte      // the upstream's response head being read
	ptimer  *loop.Timer // the proxy's connect and read timeout, made on first use
	pseq    uint64      // numbers the proxy's connects, so a late one is recognised
	proxyFn struct {    // the proxy's callbacks, bound once
		body  func(body []byte, err error)
		data  func(c *loop.Conn, data []byte) int
		eof   func(c *loop.Conn)
		close func(c *loop.Conn, err error)
		drain func(err error)
	}
}

// proxyTimer returns the work's proxy timer, calling its Txn back.
func (w *work) proxyTimer() *loop.Timer {
	if w.ptimer == nil {
		w.ptimer = w.txn.s.lst.srv.l.NewTimer(w.txn.proxyTimeout)
	}
	return w.ptimer
}

// echoTimer returns the work's echo_sleep timer, resuming its Txn.
func (w *work) echoTimer() *loop.Timer {
	if w.etimer == nil {
		w.etimer = w.txn.s.lst.srv.l.NewTimer(w.txn.echoResume)
	}
	return w.etimer
}

// attach gives the session request state from its server's pool (the
// first byte of a request arrived).
func (s *session) attach() {
	if s.work != nil {
		return
	}
	w := s.lst.srv.getWork()
	if w.p == nil || w.p.Limits() != s.lst.lim.withDefaults() {
		w.p = NewParser(s.lst.lim)
	} else {
		w.p.Reset()
	}
	w.hbuf, w.body = w.hbuf[:0], w.body[:0]
	w.store.release()
	w.pulling, w.inData = false, false
	w.bodyN, w.left, w.chunked = 0, 0, false
	w.chunk.Reset()
	w.txn.s = s
	w.br.s = s
	if w.echoBodyFn == nil {
		w.br.init()
		w.pumpTask.Init(w.pumpRun)
		w.pumpFn = func(*loop.Conn) { w.pumpRun() }
		w.bodyNow.task.Init(w.bodyNowRun)
		t := &w.txn
		w.echoBodyFn = t.echoBodyRead
		w.proxyFn.body, w.proxyFn.data, w.proxyFn.eof = t.proxyBodyRead, t.proxyData, t.proxyEOF
		w.proxyFn.close, w.proxyFn.drain = t.proxyClosed, t.proxyDrained
	}
	s.work = w
}

// detach returns the request state to the pool; the session keeps what
// outlives requests (the connection, its counters and timers).
func (s *session) detach() {
	w := s.work
	if w == nil {
		return
	}
	s.work = nil
	w.bodyNow.cb, w.bodyNow.body, w.bodyNow.err = nil, nil, nil // a queued outcome is for this request only
	w.txn.clear()
	w.txn.s = nil
	s.lst.srv.putWork(w)
}

// pumpRun goes on with a ReadBody of the work's request.
func (w *work) pumpRun() {
	if s := w.txn.s; s != nil && s.work == w {
		s.pump()
	}
}

func newSession(lst *listener) *session { return &session{lst: lst} }

// start attaches the session to a new connection.
func (s *session) start(c *loop.Conn, lst *listener) {
	s.c, s.lst, s.id = c, lst, connSeq.Add(1)
	s.state, s.requests, s.gotBytes, s.paused, s.flushWait = stHead, 0, false, false, false
	if s.addr != nil {
		*s.addr = connAddrs{}
	}
	// A reused session starts clean; its request state comes with the
	// first byte (attach), cleared of what an earlier connection left.
	c.Ctx = s
	c.OnData(sessionData)
	c.OnEOF(sessionEOF)
	c.OnClose(sessionClosed)
	s.readTimeout(lst.def.ClientHeaderTimeout)
}

// The Conn's callbacks, one function each for all sessions: the session is
// the Conn's Ctx (nil once the session let go of it). A bound method value
// per session would cost an object each.
func sessionData(c *loop.Conn, data []byte) int {
	s, _ := c.Ctx.(*session)
	if s == nil || c != s.c {
		return len(data)
	}
	n := s.onData(c, data)
	if w := s.work; w != nil {
		w.inData = false
	}
	return n
}

func sessionEOF(c *loop.Conn) {
	if s, _ := c.Ctx.(*session); s != nil && c == s.c {
		s.onEOF()
	}
}

func sessionClosed(c *loop.Conn, err error) {
	if s, _ := c.Ctx.(*session); s != nil && c == s.c {
		s.onClose(c)
	}
}

func sessionFlushed(c *loop.Conn, err error) {
	if s, _ := c.Ctx.(*session); s != nil && c == s.c {
		s.flushWait = false
	}
}

// countRequest counts a request begun on the connection (saturating:
// $connection_requests stops at 4,294,967,295).
func (s *session) countRequest() {
	if s.requests < math.MaxUint32 {
		s.requests++
	}
}

// readTimeout (re)starts the read-side timeout with d.
func (s *session) readTimeout(d time.Duration) {
	s.lst.srv.readQueue(d).Start(&s.rto, s)
}

// onData is the Conn's input function. Bytes are consumed only by the
// state that owns them: a request head is taken whole once complete, a
// body only while it is read or discarded; everything else stays in the
// Conn, so pipelined requests are never lost nor mixed into a handler.
func (s *session) onData(c *loop.Conn, data []byte) int {
	off := 0
loop:
	for {
		switch s.state {
		case stHead:
			if off == len(data) {
				break loop
			}
			n, done := s.readHead(data[off:])
			off += n
			if !done {
				break loop
			}
		case stBusy:
			if len(data)-off > maxBusyInput && !s.paused {
				s.paused = true
				c.PauseRead()
			}
			break loop
		case stBody, stStream:
			// A body reader or a hijacker took the input over (pull mode)
			// while this call ran: the rest is theirs.
			break loop
		case stDiscard:
			off += s.discardBody(data[off:])
			if s.state == stDiscard {
				break loop
			}
		default:
			off = len(data)
			if s.state == stLinger {
				s.readTimeout(lingerTimeout)
			}
			break loop
		}
	}
	return off
}

// readHead parses the head at the start of data. It returns the bytes
// consumed and whether a request was taken (the state then moved on).
func (s *session) readHead(data []byte) (int, bool) {
	if !s.gotBytes {
		s.gotBytes = true
		s.attach()
		s.startMs = s.lst.srv.l.Now().UnixMilli()
		s.readTimeout(s.lst.def.ClientHeaderTimeout)
	}
	n, err := s.p.Parse(data)
	if err == ErrNeedMore {
		if lb := s.p.LeadingBlank(); lb > 0 {
			s.p.Rebase(-lb)
			return lb, false
		}
		return 0, false
	}
	if err != nil {
		// Keep what arrived for $request and the log line.
		s.head = append(s.head[:0], data...)
		s.badRequest(err)
		return len(data), true
	}
	s.head = append(s.head[:0], data[:n]...)
	s.preread = prereadLen(s.lst.lim, n, len(data)-n)
	s.beginRequest()
	return n, true
}

func (s *session) beginRequest() {
	s.state = stBusy
	s.rto.Stop()
	s.countRequest()
	s.lst.srv.requests.Add(1)
	s.lst.srv.active.Add(1)
	r := &s.p.req
	s.bodyN, s.left, s.chunked = 0, r.ContentLength(), r.Chunked()
	s.chunk.Reset()
	s.txn.begin()
	s.inData = true // cleared when OnData returns (sessionData)
	s.txn.run()
}

// badRequest answers a head the parser refused and closes, as nginx does.
func (s *session) badRequest(err error) {
	e, ok := err.(*Error)
	if !ok {
		e = ErrInvalidRequest
	}
	s.lst.srv.requests.Add(1)
	s.lst.srv.active.Add(1)
	s.countRequest()
	t := &s.txn
	t.beginBad()
	t.logf(conf.LogInfo, "%s while reading client request headers", e.Reason)
	t.linger = true
	t.special(e.Status)
}

// endRequest runs after the response of the current request was queued
// and logged: the connection goes on with the next request, discards the
// body first, or closes.
func (s *session) endRequest(keepalive, linger bool) {
	s.lst.srv.active.Add(-1)
	s.p.Reset()
	s.gotBytes = false
	s.watchSend()
	t := &s.txn
	s.push()
	bodyLeft := t.bodyState == bodyUnread || t.bodyState == bodyDiscard || t.bodyState == bodyStream
	if !keepalive || s.lst.srv.stopping {
		if linger || bodyLeft {
			s.state = stLinger
			s.c.CloseWrite()
			s.readTimeout(lingerTimeout)
			s.resume()
			return
		}
		s.close()
		return
	}
	if bodyLeft {
		s.state = stDiscard
		s.readTimeout(lingerTimeout)
	} else {
		s.state = stHead
		s.readTimeout(t.settings().KeepaliveTimeout)
		s.detach()
	}
	s.resume()
}

// resume has the Conn offer its buffered input again on a later step of
// the turn. When onData is running it goes on with its input by itself,
// and the redelivery finds nothing left (or the rest of a head).
func (s *session) resume() {
	if s.c == nil {
		return
	}
	s.paused = false
	s.c.ResumeRead()
}

// discardBody drops body bytes of a request whose handler did not read
// them, so the next request is found where it starts.
func (s *session) discardBody(data []byte) int {
	n := 0
	if s.chunked {
		m, err := s.chunk.Discard(data)
		n = m
		if err != nil {
			s.close()
			return len(data)
		}
		if !s.chunk.Done() {
			s.readTimeout(lingerTimeout)
			return n
		}
	} else {
		n = int(min(s.left, int64(len(data))))
		s.left -= int64(n)
		if s.left > 0 {
			s.readTimeout(lingerTimeout)
			return n
		}
	}
	s.txn.bodyState = bodyDone
	s.state = stHead
	s.readTimeout(s.txn.settings().KeepaliveTimeout)
	s.detach()
	return n
}

// watchSend bounds the time queued output takes to reach the kernel by
// send_timeout. nginx re-arms it on every write; here, to keep the
// per-request path free of timer and flush work, a lazy watchdog runs:
// when it fires with output still queued it registers a Flush, and if that
// Flush has not completed when it fires again, the connection is closed.
// A stuck client is therefore dropped after one to two send_timeouts.
func (s *session) watchSend() {
	if s.c == nil || s.c.Pending() == 0 || s.sto.Active() {
		return
	}
	s.lst.srv.sendQueue(s.txn.settings().SendTimeout).Start(&s.sto, s)
}

// onSendTimeout is the send watchdog of q's duration firing.
func (s *session) onSendTimeout(q *loop.TimeoutQueue[session]) {
	if s.c == nil || s.c.Pending() == 0 {
		s.flushWait = false
		return
	}
	if s.flushWait {
		s.lst.srv.logf(conf.LogInfo, s.id, "client timed out (110: Connection timed out) while sending response to client")
		s.abort(StatusRequestTimeout)
		return
	}
	s.flushWait = true
	s.c.Flush(sessionFlushed)
	q.Start(&s.sto, s)
}

// onTimer is the read-side timeout of the current state.
func (s *session) onTimer() {
	if s.c == nil {
		return
	}
	switch s.state {
	case stHead:
		if s.gotBytes {
			// client_header_timeout: nginx closes without a response.
			s.lst.srv.logf(conf.LogInfo, s.id, "client timed out (110: Connection timed out) while reading client request headers")
			t := &s.txn
			t.beginBad()
			t.status = StatusRequestTimeout
			t.accessLog()
			t.active = false
			s.lst.srv.active.Add(-1)
		}
		s.closeNow()
	case stBody:
		s.lst.srv.logf(conf.LogInfo, s.id, "client timed out (110: Connection timed out) while reading client request body")
		s.txn.bodyFailed(errBodyTimeout)
	case stBusy, stStream:
	default:
		s.closeNow()
	}
}

// onEOF: the client closed its side.
func (s *session) onEOF() {
	switch s.state {
	case stBusy:
		// The handler is waiting (it would have finished otherwise): the
		// client is gone, as lua_check_client_abort sees it.
		s.lst.srv.logf(conf.LogInfo, s.id, "client prematurely closed connection")
		t := &s.txn
		if ca, ok := s.lst.srv.runner.(ClientAborter); ok && t.active && t.pending && t.loc != nil && t.loc.CheckClientAbort {
			t.clientClose = true // no next request on this connection
			if ca.ClientAbort(t) {
				return
			}
		}
		s.abort(StatusClientClosedRequest)
	case stHead:
		if s.gotBytes {
			s.lst.srv.logf(conf.LogInfo, s.id, "client prematurely closed connection while reading client request headers")
		}
		s.close()
	default:
		s.close()
	}
}

func (s *session) onClose(c *loop.Conn) {
	if s.work != nil && s.txn.active {
		s.txn.abandon(StatusClientClosedRequest)
	}
	s.rto.Stop()
	s.sto.Stop()
	s.c = nil
	s.state = stClosed
	c.Ctx = nil
	s.detach()
	s.lst.srv.release(s)
}

// close closes gracefully: queued output is sent first.
func (s *session) close() {
	s.state = stClosed
	s.rto.Stop()
	if s.c != nil {
		s.c.Close()
	}
}

// closeNow drops the connection and any queued output.
func (s *session) closeNow() {
	s.state = stClosed
	s.rto.Stop()
	if s.c != nil {
		s.c.CloseNow(nil)
	}
}

// abort ends the current request early with status (for the log) and
// closes the connection at once.
func (s *session) abort(status int) {
	if s.work != nil && s.txn.active {
		s.txn.abandon(status)
	}
	s.closeNow()
}

// addrs returns the connection's addresses, formatted on first use.
func (s *session) addrs() *connAddrs {
	if s.addr != nil && s.addr.done {
		return s.addr
	}
	if s.c == nil {
		if s.addr != nil {
			return s.addr
		}
		return &noAddrs
	}
	if s.addr == nil {
		s.addr = &connAddrs{}
	}
	a := s.addr
	a.done = true
	a.remoteAddr, a.remotePort = splitAddr(s.c.RemoteAddr())
	a.serverAddr, a.serverPort = splitAddr(s.c.LocalAddr())
	return a
}

// splitAddr returns the address without port, and the port, as nginx's
// $remote_addr/$remote_port ("unix:" and "" for unix sockets).
func splitAddr(a net.Addr) (string, string) {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.String(), strconv.Itoa(a.Port)
	case *net.UnixAddr:
		return "unix:", ""
	case nil:
		return "", ""
	}
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), ""
	}
	return host, port
}

// prereadLen is how many of the avail body bytes that arrived with a head
// of headLen bytes nginx would have read into its header buffer (the first
// one of client_header_buffer_size, or a large one when the head needed
// it): those count as pre-read, which decides whether nginx keeps a body in
// memory.
func prereadLen(lim Limits, headLen, avail int) int64 {
	lim = lim.withDefaults()
	size := lim.HeaderBufferSize
	if headLen > size {
		size = lim.LargeHeaderBufferSize
	}
	return int64(max(min(avail, size-headLen), 0))
}
