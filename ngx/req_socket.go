package ngx

import (
	"github.com/luring/luring/cosocket"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/reqsock"
	lua "github.com/yuin/gopher-lua"
)

// This file is ngx.req.socket(raw?): the downstream request socket. It is a
// socket object like ngx.socket.tcp's (tcpSock over a cosocket.TCP) whose
// connection is the client's, attached by package reqsock rather than
// owned: in body mode it reads through httpd's BodyReader (the bytes that
// came with the head first, then the wire, stopping at the end of the
// body); in raw mode it reads and writes the hijacked connection itself.
// Its metatables offer only the methods ngx_lua gives request sockets.

// Error strings of ngx.req.socket (ngx_lua's).
const (
	errReqSockArgs     = "expecting 0 or 1 argument, but got %d"
	errRawAcquired     = "raw request socket acquired"
	errReqSockSubreq   = "attempt to read the request body in a subrequest"
	errReqSockChunked  = "chunked request bodies not supported yet" // ngx_lua's; luring decodes them
	errReqSockNoBody   = "no body"
	errReqSockExists   = "request body already exists"
	errReqSockDiscard  = "request body discarded"
	errReqSockPending  = "pending data to write"
	errReqSockTwice    = "duplicate call"
	errReqSockBodyBusy = "pending request body reading in some other thread"
)

// maskBody: ngx.req.socket, read_body and the other body readers.
const maskBody = ctxRewrite | ctxAccess | ctxContent

// newReqSockMeta builds the metatable of request sockets: the body
// reader's methods, and with raw the raw socket's (send as well).
func (rn *Runner) newReqSockMeta(L *lua.LState, raw bool) *lua.LTable {
	b := []binding{
		{"getoption", rn.tcpGetOption},
		{"receive", rn.tcpReceive},
		{"receiveany", rn.tcpReceiveAny},
		{"receiveuntil", rn.tcpReceiveUntil},
		{"setoption", rn.tcpSetOption},
		{"settimeout", rn.tcpSetTimeout},
		{"settimeouts", rn.tcpSetTimeouts},
	}
	if raw {
		b = append(b, binding{"send", rn.tcpSend})
	}
	return methodsMeta(L, b)
}

// reqSocket is ngx.req.socket(raw?).
func (rn *Runner) reqSocket(L *lua.LState) int {
	n := L.GetTop()
	if n > 1 {
		L.RaiseError(errReqSockArgs, n)
	}
	raw := n == 1 && lua.LVAsBool(L.Get(1))
	c := enter(L, errNoRequest, maskBody)
	x := c.exchange(L)
	if x.IsSubrequest() {
		L.RaiseError("%s", errReqSockSubreq)
	}
	t := rn.newTCPObject(L, c.rq)
	ts := tcpOf(t)
	br, err := reqsock.Attach(ts.s, x, raw)
	if err != nil {
		return pushErr(L, reqSockError(err))
	}
	t.Metatable = rn.reqSockMeta
	if raw {
		t.Metatable = rn.rawSockMeta
		ts.raw = br
	}
	L.Push(t)
	return 1
}

// reqSockError is the text of a refusal by httpd.
func reqSockError(err error) string {
	switch err {
	case httpd.ErrNoBody:
		return errReqSockNoBody
	case httpd.ErrBodyExists:
		return errReqSockExists
	case httpd.ErrBodyDiscarded:
		return errReqSockDiscard
	case httpd.ErrHijackPending:
		return errReqSockPending
	case httpd.ErrHijackTwice:
		return errReqSockTwice
	case httpd.ErrHijackBodyBusy:
		return errReqSockBodyBusy
	}
	return cosocket.Text(err)
}
