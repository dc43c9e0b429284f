package httpd

import (
	"errors"
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
type session struct {
	srv *Server
	c   *loop.Conn // nil once closed
	lst *listener  // the socket it was accepted on
	id  uint64     // connection number for logs and $connection

	// work is the request state: attached from a request's first byte to
	// its end, nil while the connection waits idle between requests.
	*work

	state    sessState
	gotBytes bool  // the current request has begun to arrive
	paused   bool  // PauseRead was called
	requests int   // requests begun on this connection
	startMs  int64 // unix ms of the first byte of the current request

	timer     *loop.Timer // header, keep-alive, body or lingering timeout
	sendTimer *loop.Timer // send_timeout while output is pending
	flushWait bool        // a Flush callback is registered
	sendTO    time.Duration

	bodyN   int64 // request body bytes consumed from the wire
	preread int64 // body bytes that came with the head, as far as nginx's header buffer would hold them
	left    int64 // Content-Length bytes of the body not consumed yet
	chunked bool  // the body is chunked (kept past Parser.Reset)
	chunk   ChunkedDecoder

	// addresses, formatted once per connection on first use
	addrDone                                       bool
	remoteAddr, remotePort, serverAddr, serverPort string

	// method values made once, so arming callbacks never allocates
	onDataFn  func(*loop.Conn, []byte) int
	onEOFFn   func(*loop.Conn)
	onCloseFn func(*loop.Conn, error)
	flushFn   func(*loop.Conn, error)

	prev, next *session // in srv.sessions
}

// work is what a connection needs while a request is read, handled and
// answered: the parser, the Txn and the buffers they fill. An idle
// keep-alive connection gives it back to its server's pool, so that it
// keeps only its session (nginx likewise frees a keep-alive connection's
// request and buffers). Measured with 10,000 idle connections after one
// request each: about 3,950 bytes per connection with the work kept,
// about 1,000 without.
type work struct {
	p       *Parser
	head    []byte // copy of the current request head; the Txn's buffer
	txn     Txn
	hbuf    []byte // response head being built
	body    []byte // response body buffered until the first flush or EOF
	reqBody []byte // request body read by ReadBody
	ebuf    []byte // the echo handler's output being built

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
		w.ptimer = w.txn.s.srv.l.NewTimer(w.txn.proxyTimeout)
	}
	return w.ptimer
}

// echoTimer returns the work's echo_sleep timer, resuming its Txn.
func (w *work) echoTimer() *loop.Timer {
	if w.etimer == nil {
		w.etimer = w.txn.s.srv.l.NewTimer(w.txn.echoResume)
	}
	return w.etimer
}

// attach gives the session request state from its server's pool (the
// first byte of a request arrived).
func (s *session) attach() {
	if s.work != nil {
		return
	}
	w := s.srv.getWork()
	if w.p == nil || w.p.Limits() != s.lst.lim.withDefaults() {
		w.p = NewParser(s.lst.lim)
	} else {
		w.p.Reset()
	}
	w.hbuf, w.body, w.reqBody = w.hbuf[:0], w.body[:0], w.reqBody[:0]
	w.txn.s = s
	if w.echoBodyFn == nil {
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
	s.srv.putWork(w)
}

func newSession(srv *Server) *session {
	s := &session{srv: srv}
	s.onDataFn, s.onEOFFn, s.onCloseFn, s.flushFn = s.onData, s.onEOF, s.onClose, s.onFlushed
	s.timer = srv.l.NewTimer(s.onTimer)
	s.sendTimer = srv.l.NewTimer(s.onSendTimeout)
	return s
}

// start attaches the session to a new connection.
func (s *session) start(c *loop.Conn, lst *listener) {
	s.c, s.lst, s.id = c, lst, connSeq.Add(1)
	s.state, s.requests, s.gotBytes, s.paused, s.flushWait = stHead, 0, false, false, false
	s.addrDone = false
	// A reused session starts clean; its request state comes with the
	// first byte (attach), cleared of what an earlier connection left.
	s.bodyN, s.left, s.chunked = 0, 0, false
	s.chunk.Reset()
	c.Ctx = s
	c.OnData(s.onDataFn)
	c.OnEOF(s.onEOFFn)
	c.OnClose(s.onCloseFn)
	s.timer.Reset(lst.def.ClientHeaderTimeout)
}

// onData is the Conn's input function. Bytes are consumed only by the
// state that owns them: a request head is taken whole once complete, a
// body only while it is read or discarded; everything else stays in the
// Conn, so pipelined requests are never lost nor mixed into a handler.
func (s *session) onData(c *loop.Conn, data []byte) int {
	if c != s.c {
		return len(data)
	}
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
		case stBody:
			off += s.readBody(data[off:])
			if s.state == stBody {
				break loop
			}
		case stDiscard:
			off += s.discardBody(data[off:])
			if s.state == stDiscard {
				break loop
			}
		default:
			off = len(data)
			if s.state == stLinger {
				s.timer.Reset(lingerTimeout)
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
		s.startMs = s.srv.l.Now().UnixMilli()
		s.timer.Reset(s.lst.def.ClientHeaderTimeout)
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
	s.timer.Stop()
	s.requests++
	s.srv.requests.Add(1)
	s.srv.active.Add(1)
	r := &s.p.req
	s.bodyN, s.left, s.chunked = 0, r.ContentLength(), r.Chunked()
	s.chunk.Reset()
	s.txn.begin()
	s.txn.run()
}

// badRequest answers a head the parser refused and closes, as nginx does.
func (s *session) badRequest(err error) {
	e, ok := err.(*Error)
	if !ok {
		e = ErrInvalidRequest
	}
	s.srv.requests.Add(1)
	s.srv.active.Add(1)
	s.requests++
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
	s.srv.active.Add(-1)
	s.p.Reset()
	s.gotBytes = false
	s.watchSend()
	t := &s.txn
	bodyLeft := t.bodyState == bodyUnread
	if !keepalive || s.srv.stopping {
		if linger || bodyLeft {
			s.state = stLinger
			s.c.CloseWrite()
			s.timer.Reset(lingerTimeout)
			s.resume()
			return
		}
		s.close()
		return
	}
	if bodyLeft {
		s.state = stDiscard
		s.timer.Reset(lingerTimeout)
	} else {
		s.state = stHead
		s.timer.Reset(t.settings().KeepaliveTimeout)
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
			s.timer.Reset(lingerTimeout)
			return n
		}
	} else {
		n = int(min(s.left, int64(len(data))))
		s.left -= int64(n)
		if s.left > 0 {
			s.timer.Reset(lingerTimeout)
			return n
		}
	}
	s.txn.bodyState = bodyDone
	s.state = stHead
	s.timer.Reset(s.txn.settings().KeepaliveTimeout)
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
	if s.c == nil || s.c.Pending() == 0 || s.sendTimer.Active() {
		return
	}
	s.sendTO = s.txn.settings().SendTimeout
	s.sendTimer.Reset(s.sendTO)
}

func (s *session) onFlushed(c *loop.Conn, err error) {
	if c == s.c {
		s.flushWait = false
	}
}

func (s *session) onSendTimeout() {
	if s.c == nil || s.c.Pending() == 0 {
		s.flushWait = false
		return
	}
	if s.flushWait {
		s.srv.logf(conf.LogInfo, s.id, "client timed out (110: Connection timed out) while sending response to client")
		s.abort(StatusRequestTimeout)
		return
	}
	s.flushWait = true
	s.c.Flush(s.flushFn)
	s.sendTimer.Reset(s.sendTO)
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
			s.srv.logf(conf.LogInfo, s.id, "client timed out (110: Connection timed out) while reading client request headers")
			t := &s.txn
			t.beginBad()
			t.status = StatusRequestTimeout
			t.accessLog()
			t.active = false
			s.srv.active.Add(-1)
		}
		s.closeNow()
	case stBody:
		s.srv.logf(conf.LogInfo, s.id, "client timed out (110: Connection timed out) while reading client request body")
		s.txn.bodyFailed(errBodyTimeout)
	case stBusy:
	default:
		s.closeNow()
	}
}

// onEOF: the client closed its side.
func (s *session) onEOF(c *loop.Conn) {
	if c != s.c {
		return
	}
	switch s.state {
	case stBusy:
		// The handler is waiting (it would have finished otherwise): the
		// client is gone, as lua_check_client_abort sees it.
		s.srv.logf(conf.LogInfo, s.id, "client prematurely closed connection")
		s.abort(StatusClientClosedRequest)
	case stBody:
		s.srv.logf(conf.LogInfo, s.id, "client prematurely closed connection while reading client request body")
		s.txn.bodyFailed(errClientClosed)
		if s.state != stClosed && s.c != nil {
			s.abort(StatusClientClosedRequest)
		}
	case stHead:
		if s.gotBytes {
			s.srv.logf(conf.LogInfo, s.id, "client prematurely closed connection while reading client request headers")
		}
		s.close()
	default:
		s.close()
	}
}

func (s *session) onClose(c *loop.Conn, err error) {
	if c != s.c {
		return
	}
	if s.work != nil && s.txn.active {
		s.txn.abandon(StatusClientClosedRequest)
	}
	s.timer.Stop()
	s.sendTimer.Stop()
	s.c = nil
	s.state = stClosed
	c.Ctx = nil
	s.detach()
	s.srv.release(s)
}

// close closes gracefully: queued output is sent first.
func (s *session) close() {
	s.state = stClosed
	s.timer.Stop()
	if s.c != nil {
		s.c.Close()
	}
}

// closeNow drops the connection and any queued output.
func (s *session) closeNow() {
	s.state = stClosed
	s.timer.Stop()
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

// addrs formats the connection's addresses once.
func (s *session) addrs() {
	if s.addrDone || s.c == nil {
		return
	}
	s.addrDone = true
	s.remoteAddr, s.remotePort = splitAddr(s.c.RemoteAddr())
	s.serverAddr, s.serverPort = splitAddr(s.c.LocalAddr())
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
