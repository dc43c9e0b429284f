// Package cosocket implements ngx.socket.tcp and ngx.socket.udp semantics
// ("cosockets") in Go on luring's event loop: connect, send, receive,
// receiveany, receiveuntil, timeouts, options and the keep-alive pool. It is
// written for the ngx bindings but usable from Go services that run on a
// loop.Loop.
//
// Place in the import graph: cosocket imports only loop and linux from this
// module; reqsock and ngx build on it. It starts no goroutine and holds no
// net.Conn: every wait is a loop operation.
//
// The receiveuntil engine is the Matcher: a Pattern is compiled once per
// sock:receiveuntil call, and a Matcher per iterator scans the socket's own
// receive buffer in place, with ngx_lua's exact chunk boundaries in size mode.
// It is pure computation (no I/O, no Lua) and allocates nothing per scan.
package cosocket
