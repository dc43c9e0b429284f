package cosocket

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/loop"
	"golang.org/x/sys/unix"
)

// TCP is one stream cosocket (ngx.socket.tcp): a TCP or unix connection
// owned by one loop, with ngx_lua's semantics: reads answered from a
// receive buffer when they can be, full-duplex waits (one reader and one
// writer at a time), per-operation timeouts, half closes after errors, and
// a worker-wide keep-alive pool.
//
// Every operation either finishes at once, returning its result, or starts
// a wait and returns pending; the result then comes through OnConnect,
// OnRead or OnWrite, from the loop, never inside the call that started the
// wait. Loop thread only.
type TCP struct {
	w *Worker
	c *loop.Conn // the connection; nil when not connected
	// src is what reads come from: c itself, or for an attached socket a
	// view of a connection someone else owns (a request body).
	src Source
	// attached: c belongs to someone else (Attach); closing the socket
	// lets go of it without closing it, and it never goes to a pool.
	attached bool

	// Timeouts of the operations (0: no limit). Set them before starting
	// an operation; a wait uses the value in force when it began.
	ConnectTimeout, SendTimeout, ReadTimeout time.Duration

	// OnConnect, OnRead and OnWrite receive the results of waits that did
	// not finish at once. The owner sets them once. OnRead's slices are
	// valid during the call only.
	OnConnect func(err error)
	OnRead    func(res Result)
	OnWrite   func(err error)

	pool   *Pool  // the pool this socket's connection is counted in (ngx_lua's u->socket_pool)
	key    string // the pool key recorded at connect
	reused int    // times the connection came from the pool

	connecting bool // a connect waits (queued, resolving or dialing)
	reading    bool // a receive waits
	writing    bool // a send waits

	readClosed  bool // a read error closed the read half
	writeClosed bool // a send error closed the write half
	readTimed   bool // the last read timed out (setkeepalive: "invalid connection")
	writeTimed  bool // the last send timed out

	// connect in progress
	target        target
	q             *queued // the queue entry while queued
	dialSeq       uint64  // numbers dials, so a late one of an abandoned connect is recognised
	resolveCancel func()
	resolver      Resolver
	local         netip.AddrPort // Bind's address; invalid: none

	// read in progress
	rd        Read
	consume   int    // bytes of the last result still to discard (settle)
	scratch   []byte // a *l line without its CRs
	rdTimer   *loop.Timer
	readFn    func(*loop.Conn) // onMore, bound once
	timeoutFn func()

	// write in progress
	wrTimer   *loop.Timer
	flushedFn func(*loop.Conn, error)
}

// target is where a connect goes.
type target struct {
	host string // host name, IP literal (IPv6 without brackets) or unix path
	port int
	unix bool
}

// ConnectOptions are connect's options table.
type ConnectOptions struct {
	// Pool names the pool instead of "host:port" or "unix:path".
	Pool string
	// PoolSize, when > 0, creates the pool at connect if it does not exist
	// yet, with that size.
	PoolSize int
	// Backlog >= 0 lets connects wait in the pool's queue once PoolSize
	// connections exist (a pool created here gets it); -1: no backlog.
	Backlog int
	// Resolver resolves host names; nil: no resolver is defined.
	Resolver Resolver
}

// Bind sets the local address the socket's next TCP connects are made
// from (ngx_lua's sock:bind): port 0 lets the kernel choose. It does not
// touch a connection the socket has now, or one reused from a pool, and
// unix sockets ignore it. A bind the kernel refuses fails the connect.
func (s *TCP) Bind(local netip.AddrPort) { s.local = local }

// NewTCP returns an unconnected socket of the worker.
func (w *Worker) NewTCP() *TCP {
	s := &TCP{w: w}
	s.readFn = s.onMore
	s.timeoutFn = s.onReadTimeout
	s.flushedFn = s.onFlushed
	return s
}

// Connected reports whether the socket has a connection.
func (s *TCP) Connected() bool { return s.c != nil }

// Conn returns the socket's connection (nil when not connected), for
// socket options and addresses.
func (s *TCP) Conn() *loop.Conn { return s.c }

// ReusedTimes is how many times the connection was taken from the pool.
func (s *TCP) ReusedTimes() (int, error) {
	if s.c == nil {
		return 0, ErrClosed
	}
	return s.reused, nil
}

// ReadClosed reports whether a read error closed the read half.
func (s *TCP) ReadClosed() bool { return s.readClosed }

// WriteClosed reports whether a send error closed the write half.
func (s *TCP) WriteClosed() bool { return s.writeClosed }

// PoolKey is the pool key the last connect recorded.
func (s *TCP) PoolKey() string { return s.key }

// Busy reports which kind of wait is in progress, as the error a
// conflicting operation gets; nil when none.
func (s *TCP) busy() error {
	switch {
	case s.connecting:
		return ErrBusyConnecting
	case s.reading:
		return ErrBusyReading
	case s.writing:
		return ErrBusyWriting
	}
	return nil
}

// noResolverError is connect's error for a host name when no resolver is
// defined: `no resolver defined to resolve "HOST"`, the host as given.
type noResolverError struct{ host string }

func (e noResolverError) Error() string { return resolve.NoResolver(e.host) }

// parseHostError is connect's failed host parse.
type parseHostError struct{ host, why string }

func (e parseHostError) Error() string {
	if e.why == "" {
		return fmt.Sprintf("failed to parse host name %q", e.host)
	}
	return fmt.Sprintf("failed to parse host name %q: %s", e.host, e.why)
}

// Connect connects to host:port (port >= 0), or to the unix socket path
// when unixPath is true. A live connection of the socket is closed first.
// It returns (nil, false) when a pooled connection was reused, an error
// and false when the connect failed at once, or (nil, true) when it waits:
// the result comes through OnConnect.
func (s *TCP) Connect(host string, port int, unixPath bool, o ConnectOptions) (err error, pending bool) {
	s.settle()
	if err := s.busy(); err != nil {
		return err, false
	}
	if s.c != nil {
		s.finalize()
	}
	s.readClosed, s.writeClosed, s.readTimed, s.writeTimed = false, false, false, false
	s.reused = 0
	t := target{host: host, port: port, unix: unixPath}
	if !unixPath && strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		t.host = host[1 : len(host)-1]
	}
	var p *Pool
	key := o.Pool
	if key == "" {
		// The key is built in the worker's scratch and looked up without
		// a string; an existing pool lends its own key, so connecting
		// through a pool allocates nothing here.
		b := s.w.keyBuf[:0]
		if unixPath {
			b = append(append(b, "unix:"...), host...)
		} else {
			b = strconv.AppendInt(append(append(b, host...), ':'), int64(port), 10)
		}
		s.w.keyBuf = b
		if p = s.w.pools[string(b)]; p != nil {
			key = p.key
		} else {
			key = string(b)
		}
	} else {
		p = s.w.pools[key]
	}
	s.key = key
	s.target = t
	s.resolver = o.Resolver
	if p == nil && (o.PoolSize > 0 || o.Backlog >= 0) {
		size := o.PoolSize
		if size <= 0 {
			size = 30
		}
		p = s.w.newPool(key, size, o.Backlog)
	}
	s.pool = p
	return s.connectHelper(false)
}

// connectHelper is the part of connect a queued connect runs again when it
// is resumed: the pool first, then the count and the queue, then the
// connect itself.
func (s *TCP) connectHelper(resuming bool) (error, bool) {
	if p := s.pool; p != nil {
		if it := p.take(); it != nil {
			s.c, s.src, s.reused = it.c, it.c, it.reused+1
			p.recycle(it)
			return nil, false
		}
		p.conns++
		if p.backlog >= 0 && !resuming {
			if p.conns > p.size+p.backlog {
				p.conns--
				return ErrTooManyWaiting, false
			}
			if p.conns > p.size {
				s.connecting = true
				s.q = p.enqueue(s, s.ConnectTimeout)
				return nil, true
			}
		}
	}
	return s.start()
}

// start resolves the target when needed and dials it.
func (s *TCP) start() (error, bool) {
	t := s.target
	if t.unix {
		s.dial("unix", t.host)
		return nil, true
	}
	if t.host == "" {
		return s.failNow(parseHostError{host: t.host, why: "no host"})
	}
	if a, err := netip.ParseAddr(t.host); err == nil {
		s.dial("tcp", netip.AddrPortFrom(a, uint16(t.port)).String())
		return nil, true
	}
	if s.resolver == nil {
		return s.failNow(noResolverError{t.host})
	}
	s.connecting = true
	seq := s.dialSeq
	s.resolveCancel = s.resolver.Resolve(t.host, func(addrs []netip.Addr, err error) {
		if !s.connecting || s.dialSeq != seq {
			return
		}
		s.resolveCancel = nil
		if err != nil {
			s.connectDone(nil, err)
			return
		}
		s.dial("tcp", netip.AddrPortFrom(addrs[0], uint16(s.target.port)).String())
	})
	return nil, true
}

// failNow ends a connect that failed before waiting: the pool count it
// took is given back.
func (s *TCP) failNow(err error) (error, bool) {
	if s.pool != nil {
		s.pool.release()
	}
	return err, false
}

// dial starts the TCP or unix connect.
func (s *TCP) dial(network, addr string) {
	s.connecting = true
	s.dialSeq++
	seq := s.dialSeq
	s.w.l.DialFrom(network, addr, s.local, s.ConnectTimeout, func(c *loop.Conn, err error) {
		if s.dialSeq != seq || !s.connecting {
			// The connect was abandoned: drop what it brought.
			if c != nil {
				c.CloseNow(nil)
			}
			return
		}
		if errors.Is(err, unix.ETIMEDOUT) {
			err = ErrTimeout
		}
		s.connectDone(c, err)
	})
}

// connectDone ends a connect that waited.
func (s *TCP) connectDone(c *loop.Conn, err error) {
	s.connecting = false
	if err != nil {
		if s.pool != nil {
			s.pool.release()
		}
		s.OnConnect(err)
		return
	}
	s.c, s.src = c, c
	s.OnConnect(nil)
}

// queueTimedOut: a queued connect waited its connect timeout.
func (s *TCP) queueTimedOut(q *queued) {
	if s.q != q {
		return
	}
	p := s.pool
	s.q = nil
	p.dequeue(q)
	p.conns-- // ngx_lua gives the count back without waking the next one
	s.connecting = false
	s.OnConnect(ErrQueueTimeout)
}

// ErrQueueTimeout is connect's error when it timed out waiting in its
// pool's queue; its text is "timeout", as for any timeout.
var ErrQueueTimeout = fmt.Errorf("%w", ErrTimeout)

// queueResumed: the pool freed a connection for this queued connect.
func (s *TCP) queueResumed(q *queued) {
	if s.q != q {
		return
	}
	p := s.pool
	s.q = nil
	p.dequeue(q)
	p.conns--
	s.connecting = false
	err, pending := s.connectHelper(true)
	if pending {
		return
	}
	s.OnConnect(err)
}

// CancelConnect abandons a connect that waits (its coroutine was killed or
// its request aborted): it leaves the queue, the lookup or the dial, and
// gives its pool count back. OnConnect will not run.
func (s *TCP) CancelConnect() {
	if !s.connecting {
		return
	}
	s.connecting = false
	s.dialSeq++
	if q := s.q; q != nil {
		s.q = nil
		s.pool.dequeue(q)
		s.pool.release()
		return
	}
	if fn := s.resolveCancel; fn != nil {
		s.resolveCancel = nil
		fn()
	}
	if s.pool != nil {
		s.pool.release()
	}
}

// Close closes the connection (output still queued is sent first). Not
// connected: ErrClosed.
func (s *TCP) Close() error {
	s.settle()
	if s.c == nil {
		return ErrClosed
	}
	if err := s.busy(); err != nil {
		return err
	}
	s.finalize()
	return nil
}

// Abandon ends whatever the socket does or holds without reporting: the
// request that owns it ended, or Lua let it go. Waits are cancelled and
// the connection closed.
func (s *TCP) Abandon() {
	s.CancelConnect()
	s.CancelRead()
	s.CancelWrite()
	s.settle()
	if s.c != nil {
		s.finalize()
	}
}

// Reset abandons whatever the socket does or holds (Abandon) and makes it
// a new unconnected socket, as NewTCP returns one, for an owner that pools
// its socket objects. What it keeps is what costs allocations to make: the
// handlers (OnConnect, OnRead, OnWrite), its bound callbacks, timers
// (stopped) and line scratch. A late completion of a connect started
// before the Reset is still recognised and dropped.
func (s *TCP) Reset() {
	s.Abandon()
	if s.rdTimer != nil {
		s.rdTimer.Stop()
	}
	if s.wrTimer != nil {
		s.wrTimer.Stop()
	}
	*s = TCP{
		w:         s.w,
		OnConnect: s.OnConnect,
		OnRead:    s.OnRead,
		OnWrite:   s.OnWrite,
		dialSeq:   s.dialSeq + 1, // a dial begun before the Reset never matches
		scratch:   s.scratch[:0],
		rdTimer:   s.rdTimer,
		readFn:    s.readFn,
		timeoutFn: s.timeoutFn,
		wrTimer:   s.wrTimer,
		flushedFn: s.flushedFn,
	}
}

// finalize closes the live connection and gives its pool count back. An
// attached socket only lets go of its connection.
func (s *TCP) finalize() {
	c, src := s.c, s.src
	s.c, s.src = nil, nil
	if s.attached {
		s.attached = false
		src.CancelRead()
		return
	}
	if c.Reading() {
		c.CancelRead()
	}
	c.Close()
	if p := s.pool; p != nil {
		s.pool = nil
		p.release()
	}
}

// BadPoolSizeError is setkeepalive's error when it must create a pool and
// the size is not positive; the binding raises it as an argument error.
type BadPoolSizeError struct{ Size int }

func (e BadPoolSizeError) Error() string {
	return fmt.Sprintf("bad \"pool_size\" option value: %d", e.Size)
}

// SetKeepalive parks the connection in its pool (made with size when it
// does not exist yet) for at most timeout idle (0: no limit) and leaves
// the socket closed. The checks and their errors are ngx_lua's: ErrClosed
// (not connected, a half closed, the peer closed), busy errors,
// ErrUnreadData (the connection stays open), ErrInvalidConn (an earlier
// error or timeout), BadPoolSizeError.
func (s *TCP) SetKeepalive(timeout time.Duration, size int) error {
	s.settle()
	c := s.c
	if c == nil || s.attached || s.readClosed || s.writeClosed || c.Err() != nil {
		return ErrClosed
	}
	if err := s.busy(); err != nil {
		return err
	}
	if c.Buffered() > 0 {
		return ErrUnreadData
	}
	if s.readTimed || s.writeTimed {
		return ErrInvalidConn
	}
	// What came in the same batch as the bytes just read is delivered only
	// after this returns: a peer that closed with its last answer (an
	// upstream at its keepalive_requests limit) must not be pooled, or the
	// next connect in this turn would reuse a dead connection; stray bytes
	// make the connection unsafe to reuse, as in ngx_lua.
	if data, closed := c.PendingInput(); closed {
		return ErrClosed
	} else if data {
		return ErrDubious
	}
	if s.w.exiting {
		s.finalize()
		return nil
	}
	p := s.w.pools[s.key]
	if p == nil {
		if size <= 0 {
			return BadPoolSizeError{size}
		}
		p = s.w.newPool(s.key, size, -1)
	}
	if p.nidle >= p.size {
		p.evict()
		if s.pool != nil {
			p.conns--
		}
	} else if s.pool == nil {
		p.conns++
	}
	s.c, s.src, s.pool = nil, nil, nil
	p.park(c, s.reused, timeout)
	p.wakeOne()
	return nil
}

// Options of setoption/getoption.
var sockOpts = map[string][2]int{
	"keepalive":   {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	"reuseaddr":   {unix.SOL_SOCKET, unix.SO_REUSEADDR},
	"tcp-nodelay": {unix.IPPROTO_TCP, unix.TCP_NODELAY},
	"sndbuf":      {unix.SOL_SOCKET, unix.SO_SNDBUF},
	"rcvbuf":      {unix.SOL_SOCKET, unix.SO_RCVBUF},
	"keepintvl":   {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
	"keepcnt":     {unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
}

// ErrUnsupportedOption is the error of an unknown option name.
type unsupportedOptionError struct{ name string }

func (e unsupportedOptionError) Error() string { return "unsupported option " + e.name }

// SetOption sets a socket option by its ngx_lua name.
func (s *TCP) SetOption(name string, value int) error {
	o, ok := sockOpts[name]
	if !ok {
		return unsupportedOptionError{name}
	}
	if s.c == nil {
		return ErrClosed
	}
	if err := unix.SetsockoptInt(s.c.Fd(), o[0], o[1], value); err != nil {
		return errors.New(err.Error())
	}
	return nil
}

// GetOption reads a socket option by its ngx_lua name.
func (s *TCP) GetOption(name string) (int, error) {
	o, ok := sockOpts[name]
	if !ok {
		return 0, unsupportedOptionError{name}
	}
	if s.c == nil {
		return 0, ErrClosed
	}
	v, err := unix.GetsockoptInt(s.c.Fd(), o[0], o[1])
	if err != nil {
		return 0, errors.New(err.Error())
	}
	return v, nil
}

// Source is what a socket reads from: a loop.Conn in pull mode, or a view
// of one that ends before the connection does (a request body: package
// httpd's BodyReader). The methods mean what loop.Conn's do; Err reports
// io.EOF once the source has no more bytes to give.
type Source interface {
	Peek() []byte
	Discard(n int)
	Err() error
	WaitRead(fn func(c *loop.Conn))
	CancelRead()
}

// Attach makes s a socket over c, a connection it does not own, reading
// from src (c itself for a raw request socket, a body view of c for
// ngx.req.socket()). Sends go to c. Closing or resetting s lets go of c
// without closing it; it is never pooled.
func (s *TCP) Attach(c *loop.Conn, src Source) {
	s.Abandon()
	s.c, s.src, s.attached = c, src, true
	s.readClosed, s.writeClosed, s.readTimed, s.writeTimed = false, false, false, false
}

// Attached reports whether the socket's connection belongs to someone else.
func (s *TCP) Attached() bool { return s.attached }
