package httpd

import (
	"errors"
	"golang.org/x/sys/unix"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/loop"
)

// DefaultServerToken is the Server header value and the error-page
// signature when ServerOptions.ServerToken is empty (nginx prints
// "nginx/1.x" here).
const DefaultServerToken = "luring"

// Version is luring's own version (`luring -v`, ngx.config.luring_version).
const Version = "0.1.0"

// NginxVersion is the value of $nginx_version: the nginx release whose
// behaviour luring follows.
const NginxVersion = "1.27.1"

// ErrNoHTTP is returned by NewServer for a configuration without an http
// block.
var ErrNoHTTP = errors.New("httpd: configuration has no http block")

// connSeq numbers connections across all workers, like nginx's shared
// connection counter: the "*N" of log lines and $connection.
var connSeq atomic.Uint64

// ServerOptions configure a Server.
type ServerOptions struct {
	// Config is the loaded configuration; read only, shared by workers.
	Config *conf.Config
	// Runner runs the Lua handlers; nil serves configurations without any.
	Runner LuaRunner
	// ErrorLog receives error-log lines; nil discards them.
	ErrorLog *ErrorLog
	// WorkerID is the worker number, printed after the pid on log lines.
	WorkerID int
	// ServerToken is the Server header and the error-page signature;
	// DefaultServerToken when empty.
	ServerToken string
	// Bind maps a listen socket's key (conf.Listen.Key, "127.0.0.1:8080")
	// to the address actually bound instead, such as "127.0.0.1:0" in
	// tests (nginx's syntax refuses port 0). Requests still select servers
	// by the key.
	Bind map[string]string
	// Inherit maps listen keys to already listening sockets to adopt
	// instead of opening new ones (a reload hands the old generation's
	// sockets over, so connections queued on them are not reset). Listen
	// deletes the keys it adopts; the caller closes what is left.
	Inherit map[string]int
}

// Stats are a server's counters, for the status page.
type Stats struct {
	Connections int64 // connections open now
	Accepted    int64 // connections accepted since the start
	Requests    int64 // requests read since the start
	Active      int64 // requests being processed now
}

// Server serves HTTP/1.1 for one loop. Make one per worker loop with
// NewServer; every method except Stats is for the loop's thread only.
type Server struct {
	l       *loop.Loop
	cfg     *conf.Config
	http    *conf.HTTP
	runner  LuaRunner
	elog    *ErrorLog
	worker  int
	token   string
	pages   *ErrorPages
	bind    map[string]string
	inherit map[string]int // ServerOptions.Inherit; adopted keys are deleted
	closing int            // listeners closed whose accept has not ended yet

	listeners []*listener
	sessions  sessionList                  // open connections
	free      []*session                   // closed sessions kept for reuse
	works     []*work                      // request states of idle or closed connections, for reuse
	shadows   []*session                   // free shadow sessions of subrequests (subrequest.go)
	vars      map[string]int               // declared set variables → index
	rets      map[*conf.Return][]conf.Part // compiled return texts
	realRoots map[string]string            // $realpath_root of each root, resolved once
	logs      *accessLogs
	clk       *clock

	// readQs and sendQs are the sessions' timeout queues, one per
	// duration in use (a configuration has a few), made on first use.
	readQs []*loop.TimeoutQueue[session]
	sendQs []*loop.TimeoutQueue[session]

	stopping bool // Shutdown was called
	graceful bool // ... with graceful: connections still get their request served
	done     chan struct{}
	onDone   []func()

	nconns, accepted, requests, active atomic.Int64
}

// listener is one listening socket of the server.
type listener struct {
	srv    *Server
	key    string         // conf.Listen.Key: selects servers
	ln     *loop.Listener // nil until Listen
	def    *conf.Server   // default server: header limits, fallback
	single bool           // only def listens here: no server selection
	lim    Limits
	// one-entry cache of the last host's server (no regex names involved)
	lastHost []byte
	lastSrv  *conf.Server
}

// NewServer prepares a server for l from o. Call it on the loop's thread.
func NewServer(l *loop.Loop, o ServerOptions) (*Server, error) {
	if o.Config == nil || o.Config.HTTP == nil {
		return nil, ErrNoHTTP
	}
	token := o.ServerToken
	if token == "" {
		token = DefaultServerToken
	}
	s := &Server{
		l: l, cfg: o.Config, http: o.Config.HTTP, runner: o.Runner, elog: o.ErrorLog,
		worker: o.WorkerID, token: token, pages: NewErrorPages(token), bind: o.Bind, inherit: o.Inherit,
		done: make(chan struct{}), clk: newClock(),
	}
	s.vars = declaredVars(s.http)
	s.rets = map[*conf.Return][]conf.Part{}
	s.realRoots = map[string]string{}
	logs, err := newAccessLogs(s.http)
	if err != nil {
		return nil, err
	}
	s.logs = logs
	for _, ls := range s.http.Sockets() {
		lst := &listener{srv: s, key: ls.Key()}
		n, hasDef := 0, false
		for _, srv := range s.http.Servers {
			for _, sl := range srv.Listens {
				if sl.Key() != lst.key {
					continue
				}
				n++
				if lst.def == nil || (sl.DefaultServer && !hasDef) {
					lst.def = srv
					hasDef = hasDef || sl.DefaultServer
				}
			}
		}
		lst.single = n == 1
		lst.lim = Limits{
			HeaderBufferSize:      int(lst.def.ClientHeaderBufferSize),
			LargeHeaderBufferSize: int(lst.def.LargeClientHeaderBuffers.Size),
			LargeHeaderBuffers:    lst.def.LargeClientHeaderBuffers.Num,
		}
		s.listeners = append(s.listeners, lst)
	}
	return s, nil
}

// Listen opens one listening socket per distinct listen address of the
// configuration (SO_REUSEPORT for TCP, so every worker has its own).
func (s *Server) Listen() error {
	for _, lst := range s.listeners {
		if lst.ln != nil {
			continue
		}
		var sock conf.Listen
		for _, ls := range s.http.Sockets() {
			if ls.Key() == lst.key {
				sock = ls
			}
		}
		network, addr := "tcp", lst.key
		switch {
		case sock.Unix:
			network, addr = "unix", sock.Path
		case sock.IPv6:
			network = "tcp6"
		}
		if b, ok := s.bind[lst.key]; ok {
			addr = b
		}
		opts := loop.ListenOptions{Backlog: sock.Backlog, DualStack: sock.IPv6 && !sock.IPv6Only}
		if sock.RcvBuf > 0 {
			opts.RecvBuf = int(sock.RcvBuf)
		}
		if sock.SndBuf > 0 {
			opts.SendBuf = int(sock.SndBuf)
		}
		lst := lst
		onConn := func(c *loop.Conn) { s.accept(lst, c) }
		var ln *loop.Listener
		var err error
		if fd, ok := s.inherit[lst.key]; ok {
			delete(s.inherit, lst.key)
			ln, err = s.l.AdoptListener(fd, onConn)
		} else {
			ln, err = s.l.ListenWith(network, addr, opts, onConn)
		}
		if err != nil {
			s.closeListeners()
			return err
		}
		lst.ln = ln
	}
	return nil
}

// DupListeners returns a duplicate descriptor of every listening socket,
// by listen key, for the next generation's ServerOptions.Inherit. The
// caller owns them. Loop thread only.
func (s *Server) DupListeners() (map[string]int, error) {
	m := make(map[string]int, len(s.listeners))
	for _, lst := range s.listeners {
		if lst.ln == nil {
			continue
		}
		fd, err := lst.ln.Dup()
		if err != nil {
			for _, fd := range m {
				unix.Close(fd)
			}
			return nil, err
		}
		m[lst.key] = fd
	}
	return m, nil
}

// Addrs returns the bound address of every listening socket, by listen key.
func (s *Server) Addrs() map[string]net.Addr {
	m := make(map[string]net.Addr, len(s.listeners))
	for _, lst := range s.listeners {
		if lst.ln != nil {
			m[lst.key] = lst.ln.Addr()
		}
	}
	return m
}

func (s *Server) closeListeners() {
	for _, lst := range s.listeners {
		if lst.ln != nil {
			ln := lst.ln
			lst.ln = nil
			s.closing++
			ln.Close()
			// Done waits for this: an accept that completes while the
			// cancel is in flight still delivers a connection to serve.
			ln.OnClosed(func() { s.closing--; s.maybeDone() })
		}
	}
}

// Shutdown stops accepting. Graceful: idle keep-alive connections close
// now, requests in flight finish and their connections then close.
// Otherwise every connection closes at once (pending Lua handlers are
// aborted). Done is closed once no connection is left.
func (s *Server) Shutdown(graceful bool) {
	s.stopping, s.graceful = true, graceful
	s.closeListeners()
	s.sessions.each(func(ss *session) {
		if !graceful {
			ss.abort(StatusClose)
			return
		}
		if ss.state == stHead && !ss.gotBytes {
			ss.drainIdle()
		}
	})
	s.maybeDone()
}

// Done is closed once Shutdown was called and every connection is gone.
func (s *Server) Done() <-chan struct{} { return s.done }

// OnDone adds a function to run on the loop's thread when Done closes.
func (s *Server) OnDone(fn func()) { s.onDone = append(s.onDone, fn) }

func (s *Server) maybeDone() {
	if !s.stopping || s.sessions.n > 0 || s.closing > 0 {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	s.FlushLogs()
	close(s.done)
	for _, fn := range s.onDone {
		fn()
	}
}

// Stats returns the server's counters. Safe from any goroutine.
func (s *Server) Stats() Stats {
	return Stats{
		Connections: s.nconns.Load(), Accepted: s.accepted.Load(),
		Requests: s.requests.Load(), Active: s.active.Load(),
	}
}

// FlushLogs writes out the buffered access-log lines of every file.
func (s *Server) FlushLogs() { s.logs.flush() }

// logf writes an error-log line for connection conn.
func (s *Server) logf(level conf.LogLevel, conn uint64, format string, args ...any) {
	s.elog.Logf(level, s.worker, conn, format, args...)
}

func (s *Server) accept(lst *listener, c *loop.Conn) {
	if s.stopping && !s.graceful {
		c.CloseNow(nil)
		return
	}
	var ss *session
	if n := len(s.free); n > 0 {
		ss = s.free[n-1]
		s.free[n-1] = nil
		s.free = s.free[:n-1]
	} else {
		ss = newSession(lst)
	}
	s.sessions.add(ss)
	s.nconns.Add(1)
	s.accepted.Add(1)
	ss.start(c, lst)
	if s.stopping {
		// Accepted after a graceful Shutdown began (the accept was in
		// flight): serve its first request too, within the grace.
		ss.drainIdle()
	}
}

// freshGrace is how long a graceful Shutdown waits for the first request
// of a connection that was accepted but has sent nothing yet: its request
// is most likely on the wire, and dropping it would fail a client that did
// nothing wrong (a reload under load). Bounded by client_header_timeout.
const freshGrace = time.Second

// drainIdle handles a connection waiting for a request when a graceful
// Shutdown begins: an idle keep-alive connection closes now, as nginx's
// do; a fresh one gets freshGrace to send its first request, which is then
// served with "Connection: close".
func (ss *session) drainIdle() {
	if ss.requests > 0 {
		ss.close()
		return
	}
	ss.readTimeout(min(freshGrace, ss.lst.def.ClientHeaderTimeout))
}

// release takes back a closed session.
func (s *Server) release(ss *session) {
	s.sessions.remove(ss)
	s.nconns.Add(-1)
	if len(s.free) < maxFreeSessions {
		s.free = append(s.free, ss)
	}
	s.maybeDone()
}

// maxFreeSessions bounds the sessions kept for reuse per server, and
// maxFreeWorks the request states.
const (
	maxFreeSessions = 1024
	maxFreeWorks    = 1024
)

// getWork returns a request state from the pool, or a new one.
func (s *Server) getWork() *work { return takeFree(&s.works) }

// putWork keeps a request state no connection holds for the next request.
func (s *Server) putWork(w *work) { keepFree(&s.works, w, maxFreeWorks) }

// takeFree pops the last object of a free list, or makes a new one.
func takeFree[T any](list *[]*T) *T {
	l := *list
	n := len(l)
	if n == 0 {
		return new(T)
	}
	x := l[n-1]
	l[n-1] = nil
	*list = l[:n-1]
	return x
}

// keepFree pushes x on a free list holding at most max objects.
func keepFree[T any](list *[]*T, x *T, max int) {
	if len(*list) < max {
		*list = append(*list, x)
	}
}

// readQueue returns the queue of read-side timeouts of duration d.
func (s *Server) readQueue(d time.Duration) *loop.TimeoutQueue[session] {
	for _, q := range s.readQs {
		if q.Duration() == d {
			return q
		}
	}
	q := loop.NewTimeoutQueue(s.l, d, (*session).onTimer)
	s.readQs = append(s.readQs, q)
	return q
}

// sendQueue returns the queue of send watchdogs of duration d.
func (s *Server) sendQueue(d time.Duration) *loop.TimeoutQueue[session] {
	for _, q := range s.sendQs {
		if q.Duration() == d {
			return q
		}
	}
	var q *loop.TimeoutQueue[session]
	q = loop.NewTimeoutQueue(s.l, d, func(ss *session) { ss.onSendTimeout(q) })
	s.sendQs = append(s.sendQs, q)
	return q
}

// now refreshes and returns the server's clock.
func (s *Server) now() *clock {
	s.clk.update(s.l.Now())
	return s.clk
}

// selectServer picks the virtual server for a request on lst.
func (s *Server) selectServer(lst *listener, host []byte) (*conf.Server, []string) {
	if lst.single {
		return lst.def, nil
	}
	if lst.lastSrv != nil && string(lst.lastHost) == string(host) {
		return lst.lastSrv, nil
	}
	srv, caps := s.http.SelectServer(lst.key, string(host))
	if srv == nil {
		srv = lst.def
	}
	if caps == nil {
		lst.lastHost = append(lst.lastHost[:0], host...)
		lst.lastSrv = srv
	}
	return srv, caps
}

// sessionList is an intrusive list of open sessions.
type sessionList struct {
	head *session
	n    int
}

func (sl *sessionList) add(s *session) {
	s.next, s.prev = sl.head, nil
	if sl.head != nil {
		sl.head.prev = s
	}
	sl.head = s
	sl.n++
}

func (sl *sessionList) remove(s *session) {
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		sl.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	}
	s.prev, s.next = nil, nil
	sl.n--
}

func (sl *sessionList) each(fn func(s *session)) {
	for s := sl.head; s != nil; {
		next := s.next
		fn(s)
		s = next
	}
}

// secs formats d as whole seconds, for the Keep-Alive header.
func secs(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
