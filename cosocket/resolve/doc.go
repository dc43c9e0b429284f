// Package resolve is the part of luring's non-blocking resolver that does no
// I/O: the DNS message codec (queries built into caller buffers, answers
// parsed into caller slices), the /etc/hosts table, the per-worker cache
// with one query in flight per name, the random choice among addresses,
// and the error texts ngx_lua gives Lua.
//
// The cosocket layer owns the sockets and timers. One connect to a host
// name, from that side:
//
//	name, err := resolve.Canonical(host)   // ErrBadName: CouldNotResolve(host, CodeNotFound)
//	if a := hosts.Lookup(name); a != nil { // /etc/hosts first, a luring extension
//		connect to a[0]
//	}
//	r, hit, f := cache.Resolve(name, now, &sock.waiter)
//	// hit: Pick(r.Addrs, rng), or CouldNotResolve(name, r.Code); nothing queued.
//	// f != nil: this asker started the flight: BuildQuery(buf, id, f.Name,
//	// TypeA), send it over UDP, arm the retransmit and timeout timers.
//	// Either way (f nil: someone else's query): yield until waiter.Done.
//
// When a datagram comes, Answer.Parse(msg, id, name, TypeA) then Answer.Next
// say what to do: StepDone and StepFail end the flight with
// cache.Finish(f, ans.Result(), now); StepRetryTCP resends with
// BuildQueryTCP and reads the answer with TCPFrame; StepFollow asks for
// Answer.Target; StepIgnore (and a Parse error) keeps waiting. A timeout
// is cache.Finish(f, Result{Code: CodeTimedOut}, now). Finish stores the
// outcome as CacheConfig says and runs every waiter's Done with the shared
// Result; each Done picks an address with Pick and resumes its coroutine.
// An asker that gives up first (its own timeout, its coroutine killed)
// calls cache.Cancel(&waiter). The package Example runs all of it against
// a dnstest server.
//
// Everything here runs on one worker's loop thread: nothing locks, nothing
// starts a goroutine, and the hot paths (building a query, parsing an
// answer, a cache hit, Pick) allocate nothing. LoadHosts is file I/O, run
// once when a worker starts.
//
// Place in the import graph: imported by cosocket; imports only the
// standard library. Its test peer, package dnstest, is a DNS server for
// other packages' tests.
package resolve
