package ngx

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/luring/luring/cosocket"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/loop"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// This file is ngx.socket.tcp (and ngx.socket.stream, ngx.socket.connect):
// the Lua face of cosocket.TCP. A socket object is a table whose slot [1]
// holds the userdata of a tcpSock; its methods come from one metatable per
// Runner. Every method opens as ngx_lua's does: argument count, self, the
// request, "closed", "bad request", the busy checks, then the arguments.

// tcpSock is the Go side of one ngx.socket.tcp object.
type tcpSock struct {
	rn *Runner
	s  *cosocket.TCP
	owned
	// connTO, sendTO, readTO are what settimeout(s) set; 0: the
	// lua_socket_*_timeout directive in force.
	connTO, sendTO, readTO time.Duration
	// The coroutines waiting on the socket, one per kind of operation
	// (full duplex: a reader and a writer may wait at once).
	cw, rw, ww waiter
	// sent is the byte count a waiting send returns.
	sent int
	// cancelConn, cancelRead, cancelWrite are the waits' cancel slots,
	// bound once.
	cancelConn, cancelRead, cancelWrite func()
	// vals carries a completion's values to the coroutine.
	vals [3]lua.LValue
	// host and port name the peer in log lines ("upstream: host:port").
	host string
	port int
	// ended: the request that created the socket is over.
	ended bool
	// self is the socket object while ngx.socket.connect connects it: what
	// a successful connect returns instead of 1.
	self *lua.LTable
	// ud is the socket object's userdata while the socket is in use.
	ud *lua.LUserData
	// raw is the reader of a raw request socket (ngx.req.socket(true)):
	// what it sends counts as the response's bytes.
	raw *httpd.BodyReader
}

// waiter is a coroutine waiting on a socket and the ticket of its wait.
type waiter struct {
	c  *coro
	tk lvm.Ticket
}

// Error strings of the TCP socket API (ngx_lua's).
const (
	errSockTCPArgs       = "expecting zero arguments, but got %d"
	errSockConnectArgs   = "ngx.socket connect: expecting 2, 3, or 4 arguments (including the object), but seen %d"
	errSockSendArgs      = "expecting 2 arguments (including the object), but got %d"
	errSockReceiveArgs   = "expecting 1 or 2 arguments (including the object), but got %d"
	errSockAnyArgs       = "expecting 2 arguments (including the object), but got %d"
	errSockUntilArgs     = "expecting 2 or 3 arguments (including the object), but got %d"
	errSockIterArgs      = "expecting 0 or 1 argument, but seen %d"
	errSockCloseArgs     = "expecting 1 argument (including the object) but seen %d"
	errSockKeepaliveArgs = "expecting 1 to 3 arguments (including the object), but got %d"
	errSockReusedArgs    = "expecting 1 argument (including the object), but got %d"
	errSockTimeoutArgs   = "ngx.socket settimeout: expecting 2 arguments (including the object) but seen %d"
	errSockTimeoutsArgs  = "ngx.socket settimeouts: expecting 4 arguments (including the object) but seen %d"
	errSockSSLArgs       = "ngx.socket sslhandshake: expecting 1 ~ 5 arguments (including the object), but seen %d"
	errSockBindArgs      = "expecting 2 or 3 arguments, but got %d"
	errSockBadRequest    = "bad request"
	errSockNeverCreated  = "socket is never created nor connected"
	errSockBadPort       = "bad port number: %d"
	errSockPatternEmpty  = "pattern is empty"
	errSockSSLSupport    = "not supported yet: luring has no TLS for cosockets"
	errSockOptionArg     = `missing the "option" argument`
	errSockValueArg      = `missing the "value" argument`
	logSockRecvClosed    = "attempt to receive data on a closed socket: u:%p, c:%p, ft:%d eof:%d"
	logSockSendClosed    = "attempt to send data on a closed socket: u:%p, c:%p, ft:%d eof:%d"
	logSockReadTimeout   = "lua tcp socket read timed out"
	logSockWriteTimeout  = "lua tcp socket write timed out"
	logSockConnTimeout   = "lua tcp socket connect timed out"
	logSockQueueTimeout  = "lua tcp socket queued connect timed out, when trying to connect to %s:%d"
	logSockConnectFailed = "connect() failed (%d: %s)"
)

// newTCPMeta builds the metatable of TCP socket objects.
func (rn *Runner) newTCPMeta(L *lua.LState) *lua.LTable {
	return methodsMeta(L, []binding{
		{"bind", rn.tcpBind},
		{"close", rn.tcpClose},
		{"connect", rn.tcpConnect},
		{"getoption", rn.tcpGetOption},
		{"getreusedtimes", rn.tcpGetReusedTimes},
		{"receive", rn.tcpReceive},
		{"receiveany", rn.tcpReceiveAny},
		{"receiveuntil", rn.tcpReceiveUntil},
		{"send", rn.tcpSend},
		{"setkeepalive", rn.tcpSetKeepalive},
		{"setoption", rn.tcpSetOption},
		{"settimeout", rn.tcpSetTimeout},
		{"settimeouts", rn.tcpSetTimeouts},
		{"sslhandshake", rn.tcpSSLHandshake},
	})
}

// socketTCP is ngx.socket.tcp() and ngx.socket.stream().
func (rn *Runner) socketTCP(L *lua.LState) int {
	if n := L.GetTop(); n != 0 {
		L.RaiseError(errSockTCPArgs, n)
	}
	c := enter(L, errNoRequest, maskYieldable)
	L.Push(rn.newTCPObject(L, c.rq))
	return 1
}

// newTCPObject makes a socket object owned by rq. Its Go half comes from
// the Runner's free list when it can (see requestEnded).
func (rn *Runner) newTCPObject(L *lua.LState, rq *request) *lua.LTable {
	var ts *tcpSock
	if n := len(rn.freeTCP); n > 0 {
		ts = rn.freeTCP[n-1]
		rn.freeTCP[n-1] = nil
		rn.freeTCP = rn.freeTCP[:n-1]
	} else {
		ts = rn.makeTCPSock()
	}
	ts.owned = owned{rq: rq, gen: rq.gen}
	rq.track(ts)
	ud := L.NewUserData()
	ud.Value = ts
	ts.ud = ud
	t := L.CreateTable(1, 0)
	t.RawSetInt(1, ud)
	t.Metatable = rn.tcpMeta
	return t
}

// socketConnect is ngx.socket.connect(host, port?, opts?): a new socket,
// connected, or nil and the error.
func (rn *Runner) socketConnect(L *lua.LState) int {
	c := enter(L, errNoRequest, maskYieldable)
	t := rn.newTCPObject(L, c.rq)
	tcpOf(t).self = t
	L.Insert(t, 1)
	return rn.tcpConnect(L)
}

// connected is what a successful connect returns: 1, or the socket for
// ngx.socket.connect.
func (ts *tcpSock) connected() lua.LValue {
	if t := ts.self; t != nil {
		ts.self = nil
		return t
	}
	return lvm.Int(1)
}

// tcpOf returns the tcpSock of the socket table t, nil when it has none.
func tcpOf(t *lua.LTable) *tcpSock {
	ud, _ := t.RawGetInt(1).(*lua.LUserData)
	if ud == nil {
		return nil
	}
	ts, _ := ud.Value.(*tcpSock)
	return ts
}

// makeTCPSock makes the Go half of a socket object, its callbacks bound
// once for every use it will have.
func (rn *Runner) makeTCPSock() *tcpSock {
	ts := &tcpSock{rn: rn, s: rn.sockets.NewTCP()}
	ts.cancelConn, ts.cancelRead, ts.cancelWrite = ts.abandonConnect, ts.abandonRead, ts.abandonWrite
	ts.s.OnConnect, ts.s.OnRead, ts.s.OnWrite = ts.onConnect, ts.onRead, ts.onWrite
	return ts
}

// maxFreeTCP bounds the Runner's free socket list.
const maxFreeTCP = 1024

// requestEnded closes what the request left open (closer) and recycles the
// socket's Go half: the Lua object, which code may still hold, is pointed
// at the Runner's ended socket, so it behaves as a socket of an ended
// request ("closed", "bad request") and never reaches the recycled one.
func (ts *tcpSock) requestEnded() {
	ts.cw, ts.rw, ts.ww = waiter{}, waiter{}, waiter{}
	ts.s.Reset()
	rn := ts.rn
	if ts.ud != nil {
		ts.ud.Value = rn.endedTCP()
	}
	s, cc, cr, cw := ts.s, ts.cancelConn, ts.cancelRead, ts.cancelWrite
	*ts = tcpSock{rn: rn, s: s, cancelConn: cc, cancelRead: cr, cancelWrite: cw}
	if len(rn.freeTCP) < maxFreeTCP {
		rn.freeTCP = append(rn.freeTCP, ts)
	}
}

// endedTCP is the Go half every socket object of an ended request points
// to: never connected, owned by no request.
func (rn *Runner) endedTCP() *tcpSock {
	if rn.staleTCP == nil {
		rn.staleTCP = &tcpSock{rn: rn, s: rn.sockets.NewTCP(), ended: true}
	}
	return rn.staleTCP
}

// mineOrRaise raises "bad request" unless the socket belongs to rq.
func (ts *tcpSock) mineOrRaise(L *lua.LState, rq *request) {
	if ts.ended || !ts.mine(rq) {
		L.RaiseError("%s", errSockBadRequest)
	}
}

// applyTimeouts puts the timeouts in force into the cosocket before an
// operation: settimeout(s)'s, or the directives'.
func (ts *tcpSock) applyTimeouts(rq *request) {
	ss := rq.socketSettings()
	pick := func(own, def time.Duration) time.Duration {
		if own > 0 {
			return own
		}
		return def
	}
	ts.s.ConnectTimeout = pick(ts.connTO, ss.ConnectTimeout)
	ts.s.SendTimeout = pick(ts.sendTO, ss.SendTimeout)
	ts.s.ReadTimeout = pick(ts.readTO, ss.ReadTimeout)
}

// wait suspends c until the socket's operation of kind w completes.
func (ts *tcpSock) wait(L *lua.LState, c *coro, w *waiter, cancel func()) int {
	n := c.await(L, cancel)
	*w = waiter{c: c, tk: c.tk}
	return n
}

// resume completes the wait w with vals.
func (ts *tcpSock) resume(w *waiter, vals ...lua.LValue) {
	c, tk := w.c, w.tk
	*w = waiter{}
	if c != nil {
		c.rq.complete(c, tk, vals...)
	}
}

func (ts *tcpSock) abandonConnect() { ts.cw = waiter{}; ts.s.CancelConnect() }
func (ts *tcpSock) abandonRead()    { ts.rw = waiter{}; ts.s.CancelRead() }
func (ts *tcpSock) abandonWrite()   { ts.ww = waiter{}; ts.s.CancelWrite() }

// tcpConnect is sock:connect(host, port, opts?) and
// sock:connect("unix:/path", opts?).
func (rn *Runner) tcpConnect(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 || n > 4 {
		L.RaiseError(errSockConnectArgs, n)
	}
	c := enter(L, errNoRequest, maskYieldable)
	t := checkSelf(L)
	hv, ok := L.Get(2).(lua.LString)
	if !ok {
		if _, isNum := L.Get(2).(lua.LNumber); !isNum {
			sockArgError(L, 2, "string expected, got "+typeName(L.Get(2)))
		}
		hv = lua.LString(lvm.ToString(L, L.Get(2)))
	}
	host := string(hv)
	var opts cosocket.ConnectOptions
	opts.Backlog = -1
	if n >= 3 {
		if ot, ok := L.Get(n).(*lua.LTable); ok {
			rn.connectOptions(L, c.rq, n, ot, &opts)
			n--
		} else if n == 4 {
			n-- // a 4th argument that is not a table is dropped
		}
	}
	port, unixPath := -1, false
	if n >= 3 {
		if f, isNum := toNumber(L.Get(3)); isNum {
			port = int(f)
			if port < 0 || port > 65535 {
				return pushErr(L, fmt.Sprintf(errSockBadPort, port))
			}
		}
	}
	if port < 0 {
		if len(host) >= 5 && strings.EqualFold(host[:5], "unix:") {
			unixPath = true
			host = host[5:]
			port = 0
		} else {
			return pushErr(L, cosocket.ErrMissingPort.Error())
		}
	}
	ts := tcpOf(t)
	if ts == nil {
		// A table that is no socket object yet gets one, as ngx_lua
		// makes the upstream state at the first connect.
		t.RawSetInt(1, rn.newTCPObject(L, c.rq).RawGetInt(1))
		ts = tcpOf(t)
	}
	if ts.ended || !ts.mine(c.rq) {
		L.RaiseError("%s", errSockBadRequest)
	}
	ts.host, ts.port = host, port
	if unixPath {
		ts.host = "unix:" + host
	}
	ts.applyTimeouts(c.rq)
	if opts.Resolver == nil && !unixPath {
		opts.Resolver = rn.resolverFor(c.rq)
	}
	err, pending := ts.s.Connect(host, port, unixPath, opts)
	if err != nil {
		ts.self = nil
		return pushErr(L, cosocket.Text(err))
	}
	if !pending {
		L.Push(ts.connected())
		return 1
	}
	return ts.wait(L, c, &ts.cw, ts.cancelConn)
}

// connectOptions reads connect's options table at argument i.
func (rn *Runner) connectOptions(L *lua.LState, rq *request, i int, t *lua.LTable, o *cosocket.ConnectOptions) {
	switch v := t.RawGetString("pool").(type) {
	case lua.LString:
		o.Pool = string(v)
	case lua.LNumber:
		o.Pool = lvm.FormatNumber(float64(v))
	case *lua.LNilType:
	default:
		sockArgError(L, i, fmt.Sprintf("bad \"pool\" option type: %s", typeName(v)))
	}
	switch v := t.RawGetString("pool_size").(type) {
	case lua.LNumber:
		if int(v) <= 0 {
			sockArgError(L, i, fmt.Sprintf("bad \"pool_size\" option value: %d", int(v)))
		}
		o.PoolSize = int(v)
	case *lua.LNilType:
	default:
		sockArgError(L, i, fmt.Sprintf("bad \"pool_size\" option type: %s", typeName(v)))
	}
	switch v := t.RawGetString("backlog").(type) {
	case lua.LNumber:
		if int(v) < 0 {
			sockArgError(L, i, fmt.Sprintf("bad \"backlog\" option value: %d", int(v)))
		}
		o.Backlog = int(v)
		if o.PoolSize == 0 {
			o.PoolSize = rq.socketSettings().PoolSize
		}
	case *lua.LNilType:
	default:
		sockArgError(L, i, fmt.Sprintf("bad \"backlog\" option type: %s", typeName(v)))
	}
}

// onConnect completes a connect that waited.
func (ts *tcpSock) onConnect(err error) {
	w := ts.cw
	if w.c == nil {
		return
	}
	if err != nil {
		ts.self = nil
		ts.logConnectError(w.c.rq, err)
		ts.resume(&ts.cw, lua.LNil, lua.LString(cosocket.Text(err)))
		return
	}
	ts.resume(&ts.cw, ts.connected())
}

// logConnectError writes ngx_lua's error-log line for a failed connect.
func (ts *tcpSock) logConnectError(rq *request, err error) {
	var errno syscall.Errno
	switch {
	case errors.Is(err, cosocket.ErrQueueTimeout):
		rq.sockLog(logSockQueueTimeout, ts.host, ts.port)
	case errors.Is(err, cosocket.ErrTimeout):
		rq.sockLog(logSockConnTimeout+", upstream: %s", ts.upstream())
	case errors.As(err, &errno):
		rq.sockLog(logSockConnectFailed+", upstream: %s", int(errno), capitalize(errno.Error()), ts.upstream())
	}
}

// capitalize is strerror as nginx logs it ("Connection refused").
func capitalize(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// upstream names the peer as ngx_lua's log lines do.
func (ts *tcpSock) upstream() string {
	if strings.HasPrefix(ts.host, "unix:") {
		return ts.host
	}
	return ts.host + ":" + strconv.Itoa(ts.port)
}

// tcpSend is sock:send(data).
func (rn *Runner) tcpSend(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError(errSockSendArgs, n)
	}
	t := checkSelf(L)
	c := enter(L, errNoRequest, 0)
	ts := tcpOf(t)
	if ts == nil || !ts.s.Connected() || ts.s.WriteClosed() {
		c.rq.sockLog(logSockSendClosed, ts, ts.conn(), 0, 0)
		return pushErr(L, cosocket.ErrClosed.Error())
	}
	ts.mineOrRaise(L, c.rq)
	data := L.Get(2)
	size := payloadSize(L, data)
	if err := ts.s.BeginSend(); err != nil {
		return pushErr(L, cosocket.Text(err))
	}
	if size == 0 {
		L.Push(lvm.Int(0))
		return 1
	}
	rn.writePayload(ts.s, data)
	if ts.raw != nil {
		ts.raw.CountSent(size)
	}
	ts.applyTimeouts(c.rq)
	err, pending := ts.s.EndSend()
	if err != nil {
		return pushErr(L, cosocket.Text(err))
	}
	if !pending {
		L.Push(lvm.Int(size))
		return 1
	}
	ts.sent = size
	return ts.wait(L, c, &ts.ww, ts.cancelWrite)
}

// onWrite completes a send that waited.
func (ts *tcpSock) onWrite(err error) {
	w := ts.ww
	if w.c == nil {
		return
	}
	if err != nil {
		if errors.Is(err, cosocket.ErrTimeout) {
			w.c.rq.sockLog(logSockWriteTimeout)
		}
		ts.resume(&ts.ww, lua.LNil, lua.LString(cosocket.Text(err)))
		return
	}
	ts.resume(&ts.ww, lvm.Int(ts.sent))
}

// payloadSize checks send's argument and returns its length in bytes:
// strings, numbers, booleans and nil, or an array table of strings and
// numbers (nested to any depth), as ngx_lua accepts them.
func payloadSize(L *lua.LState, v lua.LValue) int {
	switch v := v.(type) {
	case lua.LString:
		return len(v)
	case lua.LNumber:
		return len(lvm.FormatNumber(float64(v)))
	case lua.LBool:
		if v {
			return 4
		}
		return 5
	case *lua.LNilType:
		return 3
	case *lua.LTable:
		return tableSize(L, v)
	}
	sockArgError(L, 2, "string, number, boolean, nil, or array table expected, got "+typeName(v))
	return 0
}

func tableSize(L *lua.LState, t *lua.LTable) int {
	n := 0
	for i, m := 1, t.Len(); i <= m; i++ {
		switch v := t.RawGetInt(i).(type) {
		case lua.LString:
			n += len(v)
		case lua.LNumber:
			n += len(lvm.FormatNumber(float64(v)))
		case *lua.LTable:
			n += tableSize(L, v)
		default:
			sockArgError(L, 2, fmt.Sprintf(errBadDataType, typeName(v)))
		}
	}
	return n
}

// payloadWriter takes a payload's bytes: a TCP socket's send buffer, or
// a datagram being built.
type payloadWriter interface {
	Write(p []byte)
	WriteString(s string)
}

// writePayload writes a checked payload into w.
func (rn *Runner) writePayload(s payloadWriter, v lua.LValue) {
	switch v := v.(type) {
	case lua.LString:
		s.WriteString(string(v))
	case lua.LNumber:
		rn.buf = lvm.AppendNumber(rn.buf[:0], float64(v))
		s.Write(rn.buf)
	case lua.LBool:
		if v {
			s.WriteString("true")
		} else {
			s.WriteString("false")
		}
	case *lua.LNilType:
		s.WriteString("nil")
	case *lua.LTable:
		for i, m := 1, v.Len(); i <= m; i++ {
			rn.writePayload(s, v.RawGetInt(i))
		}
	}
}

// tcpReceive is sock:receive(pattern?).
func (rn *Runner) tcpReceive(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		L.RaiseError(errSockReceiveArgs, n)
	}
	t := checkSelf(L)
	c := enter(L, errNoRequest, 0)
	ts := tcpOf(t)
	if ts == nil || !ts.s.Connected() || ts.s.ReadClosed() {
		c.rq.sockLog(logSockRecvClosed, ts, ts.conn(), 0, 0)
		return pushErr(L, cosocket.ErrClosed.Error())
	}
	ts.mineOrRaise(L, c.rq)
	r := cosocket.Read{Mode: cosocket.ReadLine}
	if n == 2 {
		r = receiveArg(L, L.Get(2))
	}
	return ts.receive(L, c, r)
}

// receiveArg reads receive's pattern argument.
func receiveArg(L *lua.LState, v lua.LValue) cosocket.Read {
	switch v := v.(type) {
	case lua.LNumber:
		if v < 0 {
			sockArgError(L, 2, "bad number argument")
		}
		return cosocket.Read{Mode: cosocket.ReadN, N: int(v)}
	case lua.LString:
		s := string(v)
		if len(s) == 0 || s[0] != '*' { // "*l" and "*a" are the common case and no number
			if f, ok := toNumber(v); ok {
				if f < 0 {
					sockArgError(L, 2, "bad number argument")
				}
				return cosocket.Read{Mode: cosocket.ReadN, N: int(f)}
			}
		}
		if len(s) == 2 && s[0] == '*' {
			switch s[1] {
			case 'l':
				return cosocket.Read{Mode: cosocket.ReadLine}
			case 'a':
				return cosocket.Read{Mode: cosocket.ReadAll}
			}
			sockArgError(L, 2, "bad pattern argument")
		}
		sockArgError(L, 2, "bad pattern argument: "+s)
	case *lua.LNilType:
		return cosocket.Read{Mode: cosocket.ReadLine}
	}
	sockArgError(L, 2, "bad argument")
	return cosocket.Read{}
}

// receive runs one read: answered at once from the buffer, or waited for.
func (ts *tcpSock) receive(L *lua.LState, c *coro, r cosocket.Read) int {
	ts.applyTimeouts(c.rq)
	res, ok := ts.s.Receive(r)
	if ok {
		if res.Err == cosocket.ErrTimeout {
			c.rq.sockLog(logSockReadTimeout)
		}
		return pushRead(L, r, res)
	}
	return ts.wait(L, c, &ts.rw, ts.cancelRead)
}

// pushRead returns a read's result to Lua: data; nil, err, partial; or
// receiveuntil's nil, nil, nil. The bytes are copied once, here.
func pushRead(L *lua.LState, r cosocket.Read, res cosocket.Result) int {
	switch {
	case res.EndOfPart:
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		return 3
	case res.Err == nil:
		L.Push(lua.LString(res.Data))
		return 1
	}
	L.Push(lua.LNil)
	L.Push(lua.LString(cosocket.Text(res.Err)))
	if res.Partial == nil && r.Mode != cosocket.ReadAny {
		return 2
	}
	L.Push(lua.LString(res.Partial))
	return 3
}

// onRead completes a read that waited.
func (ts *tcpSock) onRead(res cosocket.Result) {
	w := ts.rw
	if w.c == nil {
		return
	}
	if res.Err == cosocket.ErrTimeout {
		w.c.rq.sockLog(logSockReadTimeout)
	}
	v := ts.vals[:0]
	switch {
	case res.EndOfPart:
		v = append(v, lua.LNil, lua.LNil, lua.LNil)
	case res.Err == nil:
		v = append(v, lua.LString(res.Data))
	default:
		v = append(v, lua.LNil, lua.LString(cosocket.Text(res.Err)), lua.LString(res.Partial))
	}
	ts.resume(&ts.rw, v...)
}

// tcpReceiveAny is sock:receiveany(max).
func (rn *Runner) tcpReceiveAny(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError(errSockAnyArgs, n)
	}
	t := checkSelf(L)
	c := enter(L, errNoRequest, 0)
	ts := tcpOf(t)
	if ts == nil || !ts.s.Connected() || ts.s.ReadClosed() {
		c.rq.sockLog(logSockRecvClosed, ts, ts.conn(), 0, 0)
		return pushErr(L, cosocket.ErrClosed.Error())
	}
	ts.mineOrRaise(L, c.rq)
	f, ok := toNumber(L.Get(2))
	if !ok || f <= 0 {
		sockArgError(L, 2, "bad max argument")
	}
	return ts.receive(L, c, cosocket.Read{Mode: cosocket.ReadAny, N: int(f)})
}

// tcpClose is sock:close().
func (rn *Runner) tcpClose(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		L.RaiseError(errSockCloseArgs, n)
	}
	t := checkSelf(L)
	c := enter(L, errNoRequest, 0)
	ts := tcpOf(t)
	if ts == nil || !ts.s.Connected() {
		return pushErr(L, cosocket.ErrClosed.Error())
	}
	ts.mineOrRaise(L, c.rq)
	if err := ts.s.Close(); err != nil {
		return pushErr(L, cosocket.Text(err))
	}
	return pushOK(L)
}

// tcpSetKeepalive is sock:setkeepalive(timeout?, size?).
func (rn *Runner) tcpSetKeepalive(L *lua.LState) int {
	n := L.GetTop()
	if n < 1 || n > 3 {
		L.RaiseError(errSockKeepaliveArgs, n)
	}
	t := checkSelf(L)
	c := enter(L, errNoRequest, 0)
	ss := c.rq.socketSettings()
	timeout, size := ss.KeepaliveTimeout, ss.PoolSize
	if n >= 2 && L.Get(2) != lua.LNil {
		timeout = time.Duration(checkInteger(L, 2)) * time.Millisecond
	}
	if n >= 3 && L.Get(3) != lua.LNil {
		size = checkInteger(L, 3)
	}
	ts := tcpOf(t)
	if ts == nil {
		return pushErr(L, cosocket.ErrClosed.Error())
	}
	if !ts.s.Connected() || ts.s.ReadClosed() || ts.s.WriteClosed() {
		return pushErr(L, cosocket.ErrClosed.Error())
	}
	ts.mineOrRaise(L, c.rq)
	err := ts.s.SetKeepalive(timeout, size)
	if err == nil {
		return pushOK(L)
	}
	if bad, ok := err.(cosocket.BadPoolSizeError); ok {
		sockArgError(L, n, bad.Error())
	}
	return pushErr(L, cosocket.Text(err))
}

// checkInteger is luaL_checkinteger for socket method argument i.
func checkInteger(L *lua.LState, i int) int {
	f, ok := toNumber(L.Get(i))
	if !ok {
		sockArgError(L, i, "number expected, got "+typeName(L.Get(i)))
	}
	return int(f)
}

// tcpGetReusedTimes is sock:getreusedtimes().
func (rn *Runner) tcpGetReusedTimes(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		L.RaiseError(errSockReusedArgs, n)
	}
	t := checkSelf(L)
	ts := tcpOf(t)
	if ts == nil {
		return pushErr(L, cosocket.ErrClosed.Error())
	}
	n, err := ts.s.ReusedTimes()
	if err != nil {
		return pushErr(L, cosocket.Text(err))
	}
	L.Push(lvm.Int(n))
	return 1
}

// tcpSetTimeout is sock:settimeout(ms): connect, send and read timeouts.
func (rn *Runner) tcpSetTimeout(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError(errSockTimeoutArgs, n)
	}
	t := checkSelf(L)
	d := timeoutArg(L, L.Get(2))
	tcpOf(t).setTimeouts(d, d, d)
	return 0
}

// tcpSetTimeouts is sock:settimeouts(connect, send, read).
func (rn *Runner) tcpSetTimeouts(L *lua.LState) int {
	if n := L.GetTop(); n != 4 {
		L.RaiseError(errSockTimeoutsArgs, n)
	}
	t := checkSelf(L)
	tcpOf(t).setTimeouts(timeoutArg(L, L.Get(2)), timeoutArg(L, L.Get(3)), timeoutArg(L, L.Get(4)))
	return 0
}

// setTimeouts records settimeout(s)'s values and puts them into force
// (nil-safe: a table that is no socket object yet keeps nothing).
func (ts *tcpSock) setTimeouts(conn, send, read time.Duration) {
	if ts == nil {
		return
	}
	ts.connTO, ts.sendTO, ts.readTO = conn, send, read
	if ts.rq != nil && !ts.ended {
		ts.applyTimeouts(ts.rq)
	}
}

// optionArgs checks setoption's and getoption's socket and option name;
// ok is false when the name is not a string.
func optionArgs(L *lua.LState) (ts *tcpSock, name string, ok bool) {
	if ts = tcpOf(checkSelf(L)); ts == nil {
		L.RaiseError("%s", errSockNeverCreated)
	}
	n, ok := L.Get(2).(lua.LString)
	return ts, string(n), ok
}

// tcpSetOption is sock:setoption(name, value).
func (rn *Runner) tcpSetOption(L *lua.LState) int {
	ts, name, ok := optionArgs(L)
	if !ok {
		return pushErr(L, errSockOptionArg)
	}
	if L.GetTop() < 3 || L.Get(3) == lua.LNil {
		return pushErr(L, errSockValueArg)
	}
	var v int
	switch x := L.Get(3).(type) {
	case lua.LBool:
		if x {
			v = 1
		}
	default:
		f, _ := toNumber(x)
		v = int(f)
	}
	if err := ts.s.SetOption(name, v); err != nil {
		return pushErr(L, cosocket.Text(err))
	}
	L.Push(lua.LTrue)
	return 1
}

// tcpGetOption is sock:getoption(name).
func (rn *Runner) tcpGetOption(L *lua.LState) int {
	ts, name, ok := optionArgs(L)
	if !ok {
		return pushErr(L, errSockOptionArg)
	}
	v, err := ts.s.GetOption(name)
	if err != nil {
		return pushErr(L, cosocket.Text(err))
	}
	L.Push(lua.LNumber(v))
	return 1
}

// tcpSSLHandshake is sock:sslhandshake(...): TLS is a later capability.
func (rn *Runner) tcpSSLHandshake(L *lua.LState) int {
	if n := L.GetTop(); n > 5 {
		L.RaiseError(errSockSSLArgs, n)
	}
	t := checkSelf(L)
	if tcpOf(t) == nil {
		L.RaiseError("%s", errSockNeverCreated)
	}
	return pushErr(L, errSockSSLSupport)
}

// tcpBind is sock:bind(addr, port?): the local address the socket's next
// connect is made from. Not an IP literal: nil, "bad address"; a port out
// of 0-65535: nil, "bad port number: N".
func (rn *Runner) tcpBind(L *lua.LState) int {
	n := L.GetTop()
	if n != 2 && n != 3 {
		L.RaiseError(errSockBindArgs, n)
	}
	enter(L, errNoRequest, maskYieldable)
	t := checkSelf(L)
	ip, err := netip.ParseAddr(L.CheckString(2))
	if err != nil || ip.Zone() != "" {
		return pushErr(L, cosocket.ErrBadAddress.Error())
	}
	var port int
	if n == 3 {
		port = L.CheckInt(3)
		if port < 0 || port > 65535 {
			return pushErr(L, fmt.Sprintf(errSockBadPort, port))
		}
	}
	if ts := tcpOf(t); ts != nil {
		ts.s.Bind(netip.AddrPortFrom(ip, uint16(port)))
	}
	L.Push(lua.LTrue)
	return 1
}

// conn is the socket's connection, for log lines (nil-safe).
func (ts *tcpSock) conn() *loop.Conn {
	if ts == nil {
		return nil
	}
	return ts.s.Conn()
}
