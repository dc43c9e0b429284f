// Package cosocket implements ngx.socket.tcp and ngx.socket.udp semantics
// ("cosockets") in Go on luring's event loop: connect, send, receive,
// receiveany, receiveuntil, timeouts, options, the keep-alive pool and the
// resolver. It is written for the ngx bindings but usable from Go services
// that run on a loop.Loop.
//
// Place in the import graph: cosocket imports loop, linux and its own
// cosocket/resolve from this module; reqsock and ngx build on it. It starts
// no goroutine and holds no net.Conn: every wait is a loop operation.
//
// The receiveuntil engine is the Matcher: a Pattern is compiled once per
// sock:receiveuntil call, and a Matcher per iterator scans the socket's own
// receive buffer in place, with ngx_lua's exact chunk boundaries in size mode.
// It is pure computation (no I/O, no Lua) and allocates nothing per scan.
//
// The resolver is DNS (Worker.NewDNS, one per resolver directive, as nginx
// has one resolver with its own cache per directive), the Resolver that
// TCP.Connect asks for host names. It is the I/O half of package resolve:
// the worker's hosts table first (read once from /etc/hosts when the worker
// starts: a luring extension, nginx's resolver never reads it), then the
// cache with one query in flight per name, then A (and AAAA) queries over
// connected UDP sockets, TCP when an answer is truncated, resent every 5 s
// to the next server until resolver_timeout, as nginx's resolver does. Its
// errors read as ngx_lua's ("example.com could not be resolved (3: Host not
// found)"). A cache hit costs one allocation, the cancel function.
package cosocket
