// Package loop is luring's per-core event loop, and the API Go services embed.
//
// A Loop owns one ring.Ring and everything driven by it: connections, listeners,
// dials, datagram sockets and timers. It runs on one locked OS thread; everything
// it owns is touched only there. Other goroutines talk to it only through Post,
// which wakes the ring.
//
// Conn is a stream (TCP, unix), read push-style (OnData) or pull-style (Peek,
// Discard, WaitRead). PacketConn (DialPacket) is a connected datagram socket (UDP,
// unixgram), for ngx.socket.udp and the resolver: Send and Recv move one datagram
// each; timeouts are the caller's, a Timer and CancelRecv.
//
// One loop turn (Loop.tick) reads top to bottom: submit queued operations and wait
// (deadline from the timer heap) → run the completions → run the run queue →
// expire timers → run posted functions. Completions are collected first, then
// run, so no callback runs inside the kernel reap.
//
// The rule every layer built on the loop keeps: no completion or callback runs
// inside the call that started it. A result that is ready at once is handed to
// the run queue (Schedule, Soon) and delivered on a later step of the turn, so
// no caller needs to guard against a callback that "came back early". Post is
// for other goroutines only.
//
// Timers: Timer (AfterFunc, NewTimer) is one deadline in the loop's heap.
// TimeoutQueue is for the timeouts a server applies to many connections
// with one duration each (an idle timeout, say): its Timeout is embedded in
// the owner, so an idle connection pays 5 words for it and no object.
//
// Operations live in a slab: a completion's user_data is slot and generation, so a
// late completion never reaches a reused operation, and steady state allocates
// nothing per operation.
//
// Place in the import graph: loop imports ring and linux, and knows nothing of
// HTTP or Lua; httpd, lvm, cosocket and reqsock build on it.
package loop
