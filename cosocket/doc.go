// Package cosocket implements ngx.socket.tcp and ngx.socket.udp semantics
// ("cosockets") in Go on luring's event loop: connect, send, receive,
// receiveany, receiveuntil, timeouts, options, the keep-alive pool and the
// resolver. It is written for the ngx bindings but usable from Go services
// that run on a loop.Loop (see ExampleTCP).
//
// Place in the import graph: cosocket imports loop, linux and its own
// resolve package from this module; ngx builds on it. It knows no Lua, starts
// no goroutine and holds no net.Conn: every wait is a loop operation.
//
// The shape of every operation: it either finishes at once and returns its
// result (a receive whose bytes are buffered, a connect that reuses a pooled
// connection, a send the socket buffer takes), or starts a wait and returns
// pending; the result then comes through the socket's OnConnect, OnRead or
// OnWrite, from the loop, never inside the call that started the wait. Each
// wait has a Cancel method the owner calls when it abandons the wait (its
// request ended, its coroutine was killed). The ngx package adapts these to
// lvm's await/resume tickets.
//
// A TCP socket reads in pull mode from its loop.Conn: receive answers from the
// connection's own buffer and copies once, into the caller's result; the
// receiveuntil Matcher scans that buffer in place (a Pattern is compiled once,
// a Matcher per iterator keeps ngx_lua's exact chunk boundaries in size mode
// and allocates nothing per scan).
//
// The Worker is what an nginx worker holds for cosockets: the keep-alive pools
// by name, with ngx_lua's counting (pool_size, backlog, the queue of waiting
// connects), and idle pooled connections watched so a peer's close or stray
// bytes drop them before anyone reuses them.
//
// The resolver is DNS (Worker.NewDNS, one per resolver directive, as nginx
// has one resolver with its own cache per directive), the Resolver that
// TCP.Connect asks for host names. It is the I/O half of package resolve:
// the worker's hosts table first (Worker.SetHosts; the server loads
// /etc/hosts once per configuration: a luring extension, nginx's resolver
// never reads it), then the
// cache with one query in flight per name, then A (and AAAA) queries over
// connected UDP sockets, TCP when an answer is truncated, resent every 5 s
// to the next server until resolver_timeout, as nginx's resolver does. Its
// errors read as ngx_lua's ("example.com could not be resolved (3: Host not
// found)"). A cache hit costs one allocation, the cancel function.
package cosocket
