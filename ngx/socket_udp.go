package ngx

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/luring/luring/cosocket"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// This file is ngx.socket.udp: the Lua face of cosocket.UDP, a table with
// the socket's userdata in slot [1], as for TCP.

// udpSock is the Go side of one ngx.socket.udp object.
type udpSock struct {
	rn *Runner
	u  *cosocket.UDP
	owned
	readTO                 time.Duration // settimeout's; 0: lua_socket_read_timeout
	rw, pw                 waiter        // the coroutine waiting for a datagram, for setpeername's lookup
	ended                  bool
	cancelRead, cancelPeer func()
}

// Error strings of the UDP socket API (ngx_lua's).
const (
	errUDPArgs         = "expecting zero arguments, but got %d"
	errUDPPeerArgs     = "ngx.socket.udp setpeername: expecting 2 or 3 arguments (including the object), but seen %d"
	errUDPSendArgs     = "expecting 2 arguments (including the object), but got %d"
	errUDPRecvArgs     = "expecting 1 or 2 arguments (including the object), but got %d"
	errUDPCloseArgs    = "expecting 1 argument (including the object) but seen %d"
	errUDPTimeoutArgs  = "ngx.socket settimeout: expecting at least 2 arguments (including the object) but seen %d"
	errUDPBindArgs     = "expecting 2 arguments, but got %d"
	logUDPSendClosed   = "attempt to send data on a closed socket: u:%p, c:%p"
	logUDPRecvClosed   = "attempt to receive data on a closed socket: u:%p, c:%p"
	logUDPReadTimedOut = "lua udp socket read timed out"
)

// newUDPMeta builds the metatable of UDP socket objects.
func (rn *Runner) newUDPMeta(L *lua.LState) *lua.LTable {
	return methodsMeta(L, []binding{
		{"bind", rn.udpBind},
		{"close", rn.udpClose},
		{"receive", rn.udpReceive},
		{"send", rn.udpSend},
		{"setpeername", rn.udpSetPeerName},
		{"settimeout", rn.udpSetTimeout},
	})
}

// socketUDP is ngx.socket.udp().
func (rn *Runner) socketUDP(L *lua.LState) int {
	if n := L.GetTop(); n != 0 {
		L.RaiseError(errUDPArgs, n)
	}
	c := enter(L, errNoRequest, maskYieldable)
	us := &udpSock{rn: rn, u: rn.sockets.NewUDP(), owned: owned{rq: c.rq, gen: c.rq.gen}}
	us.cancelRead, us.cancelPeer = us.abandonRead, us.abandonPeer
	us.u.OnRead, us.u.OnPeer = us.onRead, us.onPeer
	c.rq.track(us)
	ud := L.NewUserData()
	ud.Value = us
	t := L.CreateTable(1, 0)
	t.RawSetInt(1, ud)
	t.Metatable = rn.udpMeta
	L.Push(t)
	return 1
}

// udpOf returns the udpSock of the socket table t, nil when it has none.
func udpOf(t *lua.LTable) *udpSock {
	ud, _ := t.RawGetInt(1).(*lua.LUserData)
	if ud == nil {
		return nil
	}
	us, _ := ud.Value.(*udpSock)
	return us
}

func (us *udpSock) requestEnded() {
	us.ended = true
	us.rw, us.pw = waiter{}, waiter{}
	us.u.Abandon()
}

func (us *udpSock) abandonRead() { us.rw = waiter{}; us.u.CancelRead() }
func (us *udpSock) abandonPeer() { us.pw = waiter{}; us.u.CancelPeer() }

// mineOrRaise raises "bad request" unless the socket belongs to rq.
func (us *udpSock) mineOrRaise(L *lua.LState, rq *request) {
	if us.ended || !us.mine(rq) {
		L.RaiseError("%s", errSockBadRequest)
	}
}

// udpSetPeerName is sock:setpeername(host, port) or ("unix:/path").
func (rn *Runner) udpSetPeerName(L *lua.LState) int {
	n := L.GetTop()
	if n != 2 && n != 3 {
		L.RaiseError(errUDPPeerArgs, n)
	}
	c := enter(L, errNoRequest, maskYieldable)
	t := checkSelf(L)
	hv, ok := L.Get(2).(lua.LString)
	if !ok {
		sockArgError(L, 2, "string expected, got "+typeName(L.Get(2)))
	}
	host, port, unixPath := string(hv), 0, false
	if n == 3 {
		port = checkInteger(L, 3)
		if port < 0 || port > 65535 {
			return pushErr(L, fmt.Sprintf(errSockBadPort, port))
		}
	} else if len(host) >= 5 && strings.EqualFold(host[:5], "unix:") {
		host, unixPath = host[5:], true
	}
	us := udpOf(t)
	if us == nil {
		L.RaiseError("%s", errSockNeverCreated)
	}
	us.mineOrRaise(L, c.rq)
	var res cosocket.Resolver
	if !unixPath {
		res = rn.resolverFor(c.rq)
	}
	err, pending := us.u.SetPeer(host, port, unixPath, res)
	if err != nil {
		return pushErr(L, udpErrText(err))
	}
	if !pending {
		return pushOK(L)
	}
	n = c.await(L, us.cancelPeer)
	us.pw = waiter{c: c, tk: c.tk}
	return n
}

// onPeer completes a setpeername that resolved a name.
func (us *udpSock) onPeer(err error) {
	w := us.pw
	us.pw = waiter{}
	if w.c == nil {
		return
	}
	if err != nil {
		w.c.rq.complete(w.c, w.tk, lua.LNil, lua.LString(udpErrText(err)))
		return
	}
	w.c.rq.complete(w.c, w.tk, lvm.Int(1))
}

// udpErrText is the error string ngx_lua's UDP functions return.
func udpErrText(err error) string {
	if errors.Is(err, cosocket.ErrBusy) {
		return cosocket.ErrBusy.Error()
	}
	return cosocket.Text(err)
}

// udpSend is sock:send(data).
func (rn *Runner) udpSend(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError(errUDPSendArgs, n)
	}
	c := enter(L, "request object not found", 0)
	t := checkSelf(L)
	us := udpOf(t)
	if us == nil || !us.u.Connected() {
		c.rq.sockLog(logUDPSendClosed, us, us.conn())
		return pushErr(L, cosocket.ErrClosed.Error())
	}
	us.mineOrRaise(L, c.rq)
	if us.u.Busy() {
		return pushErr(L, cosocket.ErrBusy.Error())
	}
	data := L.Get(2)
	payloadSize(L, data)
	rn.dgram = rn.dgram[:0]
	rn.writePayload((*dgramWriter)(&rn.dgram), data)
	if err := us.u.Send(rn.dgram); err != nil {
		return pushErr(L, udpErrText(err))
	}
	return pushOK(L)
}

// dgramWriter collects a datagram's payload (writePayload's writer).
type dgramWriter []byte

func (d *dgramWriter) Write(p []byte)       { *d = append(*d, p...) }
func (d *dgramWriter) WriteString(s string) { *d = append(*d, s...) }

// udpReceive is sock:receive(size?).
func (rn *Runner) udpReceive(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		L.RaiseError(errUDPRecvArgs, n)
	}
	c := enter(L, errNoRequest, 0)
	t := checkSelf(L)
	us := udpOf(t)
	if us == nil || !us.u.Connected() {
		c.rq.sockLog(logUDPRecvClosed, us, us.conn())
		return pushErr(L, cosocket.ErrClosed.Error())
	}
	us.mineOrRaise(L, c.rq)
	size := 0
	if n == 2 {
		f, ok := toNumber(L.Get(2))
		if !ok {
			sockArgError(L, 2, "number expected, got "+typeName(L.Get(2)))
		}
		size = int(f)
	}
	us.u.ReadTimeout = us.readTO
	if us.u.ReadTimeout <= 0 {
		us.u.ReadTimeout = c.rq.socketSettings().ReadTimeout
	}
	err, pending := us.u.Receive(size)
	if !pending {
		return pushErr(L, udpErrText(err))
	}
	n = c.await(L, us.cancelRead)
	us.rw = waiter{c: c, tk: c.tk}
	return n
}

// onRead completes a receive.
func (us *udpSock) onRead(data []byte, err error) {
	w := us.rw
	us.rw = waiter{}
	if w.c == nil {
		return
	}
	if err != nil {
		if errors.Is(err, cosocket.ErrTimeout) {
			w.c.rq.sockLog(logUDPReadTimedOut)
		}
		w.c.rq.complete(w.c, w.tk, lua.LNil, lua.LString(udpErrText(err)))
		return
	}
	w.c.rq.complete(w.c, w.tk, lua.LString(data))
}

// udpSetTimeout is sock:settimeout(ms): the read timeout.
func (rn *Runner) udpSetTimeout(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError(errUDPTimeoutArgs, n)
	}
	t := checkSelf(L)
	f, _ := toNumber(L.Get(2))
	if us := udpOf(t); us != nil {
		us.readTO = time.Duration(int64(f)) * time.Millisecond
	}
	return 0
}

// udpClose is sock:close().
func (rn *Runner) udpClose(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		L.RaiseError(errUDPCloseArgs, n)
	}
	c := enter(L, errNoRequest, 0)
	t := checkSelf(L)
	us := udpOf(t)
	if us == nil || !us.u.Connected() {
		return pushErr(L, cosocket.ErrClosed.Error())
	}
	us.mineOrRaise(L, c.rq)
	if err := us.u.Close(); err != nil {
		return pushErr(L, udpErrText(err))
	}
	return pushOK(L)
}

// udpBind is sock:bind(addr): the local address the next setpeername
// binds to; not an IP literal: nil, "bad address".
func (rn *Runner) udpBind(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError(errUDPBindArgs, n)
	}
	enter(L, errNoRequest, maskYieldable)
	t := checkSelf(L)
	ip, err := netip.ParseAddr(L.CheckString(2))
	if err != nil || ip.Zone() != "" {
		return pushErr(L, cosocket.ErrBadAddress.Error())
	}
	if us := udpOf(t); us != nil {
		us.u.Bind(netip.AddrPortFrom(ip, 0))
	}
	L.Push(lua.LTrue)
	return 1
}

// conn is the socket's packet connection, for log lines (nil-safe).
func (us *udpSock) conn() *cosocket.UDP {
	if us == nil {
		return nil
	}
	return us.u
}
