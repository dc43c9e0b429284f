package ngx

import (
	"time"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// This file holds what the socket bindings share: ngx.socket itself, the
// tie between a socket and the request that created it, and the argument
// and logging conventions of ngx_lua's socket functions.

// injectSocket adds ngx.socket: tcp, stream (the same function), connect,
// udp.
func (rn *Runner) injectSocket(L *lua.LState, ngx *lua.LTable) {
	t := L.NewTable()
	tcp := L.NewFunction(rn.socketTCP)
	t.RawSetString("tcp", tcp)
	t.RawSetString("stream", tcp)
	t.RawSetString("connect", L.NewFunction(rn.socketConnect))
	t.RawSetString("udp", L.NewFunction(rn.socketUDP))
	ngx.RawSetString("socket", t)
	rn.tcpMeta = rn.newTCPMeta(L)
	rn.reqSockMeta = rn.newReqSockMeta(L, false)
	rn.rawSockMeta = rn.newReqSockMeta(L, true)
	rn.udpMeta = rn.newUDPMeta(L)
}

// owned is a socket's tie to the request (or timer) that created it: only
// that request may use it ("bad request" otherwise), and its end closes
// the socket.
type owned struct {
	rq  *request
	gen uint64 // rq.gen when the socket was made; rq is recycled between requests
}

// mine reports whether the socket belongs to rq's current request.
func (o owned) mine(rq *request) bool { return o.rq == rq && o.gen == rq.gen }

// closer is a socket a request closes when it ends.
type closer interface{ requestEnded() }

// track registers a socket with its request.
func (rq *request) track(s closer) { rq.sockets = append(rq.sockets, s) }

// closeSockets closes every socket the request left open (ngx_lua's
// request cleanup). Called once the request's handlers are over.
func (rq *request) closeSockets() {
	for i, s := range rq.sockets {
		rq.sockets[i] = nil
		s.requestEnded()
	}
	rq.sockets = rq.sockets[:0]
}

// checkSelf returns the socket object's table at argument 1 (ngx_lua's
// luaL_checktype(L, 1, LUA_TTABLE)).
func checkSelf(L *lua.LState) *lua.LTable {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		L.RaiseError("bad argument #1 to '%s' (table expected, got %s)", lvm.CallName(L), typeName(L.Get(1)))
	}
	return t
}

// sockArgError raises luaL_argerror for argument n of a socket method, as
// LuaJIT words it for a method call (self not counted) or, when the call
// site has no name (pcall(sock.m, sock, ...)), for a plain call.
func sockArgError(L *lua.LState, n int, msg string) {
	name := lvm.CallName(L)
	if name != "?" {
		n--
	}
	L.RaiseError("bad argument #%d to '%s' (%s)", n, name, msg)
}

// timeoutArg converts a timeout argument as ngx_lua does (a number, in
// ms; negative or too large raises "bad timeout value").
func timeoutArg(L *lua.LState, v lua.LValue) time.Duration {
	f, ok := toNumber(v)
	if !ok && v != lua.LNil {
		sockArgError(L, 2, "number expected, got "+typeName(v))
	}
	ms := int64(f)
	if ms < 0 || ms >= 1<<31 {
		L.RaiseError("bad timeout value")
	}
	return time.Duration(ms) * time.Millisecond
}

// socketSettings are the lua_socket_* directives in force for rq.
func (rq *request) socketSettings() *conf.SocketSettings {
	if rq.x != nil {
		if loc := rq.x.Location(); loc != nil {
			return &loc.Socket
		}
		if srv := rq.x.Server(); srv != nil {
			return &srv.Socket
		}
	}
	if cfg := rq.rn.cfg; cfg != nil && cfg.HTTP != nil {
		return &cfg.HTTP.Socket
	}
	return &defaultSocketSettings
}

// defaultSocketSettings serve code without a configuration (tests, Go
// embedders that run no nginx.conf).
var defaultSocketSettings = conf.DefaultSocketSettings()

// resolverSettings are the resolver directives in force for rq.
func (rq *request) resolverSettings() *conf.Resolver {
	if rq.x != nil {
		if loc := rq.x.Location(); loc != nil {
			return &loc.Resolver
		}
		if srv := rq.x.Server(); srv != nil {
			return &srv.Resolver
		}
	}
	if cfg := rq.rn.cfg; cfg != nil && cfg.HTTP != nil {
		return &cfg.HTTP.Resolver
	}
	return &defaultResolver
}

var defaultResolver = conf.DefaultResolver()

// sockLog writes a socket error line when lua_socket_log_errors is on.
func (rq *request) sockLog(format string, args ...any) {
	if !rq.socketSettings().LogErrors {
		return
	}
	rq.logf(conf.LogError, format, args...)
}
