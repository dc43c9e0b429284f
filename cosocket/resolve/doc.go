// Package resolve is the part of luring's non-blocking resolver that does no
// I/O: the DNS message codec (queries built into caller buffers, answers
// parsed into caller slices), the /etc/hosts table, the per-worker answer
// cache with one query in flight per name, the random choice among several
// addresses, and the error texts ngx_lua returns to Lua.
//
// The cosocket layer owns the sockets and the timers. One lookup, from that
// side, reads:
//
//	name, err := resolve.Canonical(host)     // ErrBadName → CouldNotResolve(host, CodeNotFound)
//	addrs := hosts.Lookup(name)              // /etc/hosts first (luring extension)
//	res, hit, f := cache.Resolve(name, now, &w) // hit: res.Addrs or res.Code; else w is queued
//	if f != nil {                            // first asker: send the query
//		n, _ := resolve.BuildQuery(buf, id, name, resolve.TypeA)
//		// send buf[:n] over UDP, arm the retransmit and timeout timers
//	}
//	// on a datagram:
//	err = ans.Parse(msg, id, name, resolve.TypeA)
//	switch ans.Next(false) { case StepDone: cache.Finish(f, ans.Result(), now) ... }
//	// Finish runs every waiter's Done with the shared Result; Done picks an
//	// address with Pick(res.Addrs, rng) and resumes its coroutine.
//
// Everything here runs on one worker's loop thread: nothing locks, nothing
// starts a goroutine, and the hot paths (building a query, parsing an answer,
// a cache hit) allocate nothing.
//
// Place in the import graph: imported by cosocket; imports only the standard
// library. Its test peer, package dnstest, is a DNS server for other
// packages' tests.
package resolve
