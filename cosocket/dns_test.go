package cosocket

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/cosocket/resolve/dnstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One A record: one UDP query, the address, nothing inside Resolve.
func TestDNSAnswer(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.SetA("www.example.test", 60, "192.0.2.1")
	d := e.dns(DNSConfig{}, 0, srv)

	r := e.resolve(d, "www.example.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("192.0.2.1"), r.addrs)
	log := srv.Log()
	require.Len(t, log, 1)
	assert.Equal(t, resolve.TypeA, log[0].Type, "IPv6 off: A only")
	assert.False(t, log[0].TCP)
	assert.True(t, log[0].RD, "recursion desired")
	assert.True(t, e.idle(d), "nothing left in flight")
}

// Several A records: every answer has them all, the one to connect to
// first, picked at random (ngx_random() % naddrs) with the worker's seeded
// generator, so the same seed picks the same sequence.
func TestDNSSeveralAddressesPicked(t *testing.T) {
	want := addrs("192.0.2.1", "192.0.2.2", "192.0.2.3")
	firsts := func() []netip.Addr {
		e := newDNSEnv(t)
		srv := dnstest.Start(t)
		srv.SetA("pool.test", 60, "192.0.2.1", "192.0.2.2", "192.0.2.3")
		d := e.dns(DNSConfig{}, 0, srv)
		var got []netip.Addr
		for range 30 {
			r := e.resolve(d, "pool.test")
			require.NoError(t, r.err)
			assert.ElementsMatch(t, want, r.addrs)
			got = append(got, r.addrs[0])
		}
		assert.Equal(t, 1, srv.Queries("pool.test"), "the cache answers after the first")
		return got
	}
	a := firsts()
	seen := map[netip.Addr]bool{}
	for _, x := range a {
		seen[x] = true
	}
	assert.Len(t, seen, 3, "30 picks among 3 reach every address (seed %d)", dnsSeed)
	assert.Equal(t, a, firsts(), "the same seed picks the same sequence")
}

// A CNAME chain in the answer (a recursive server's usual answer) gives the
// chain end's addresses from one query.
func TestDNSCNAMEChainInAnswer(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("www.example.test", dnstest.Name{CNAME: "edge.cdn.test", TTL: 60})
	srv.Set("edge.cdn.test", dnstest.Name{CNAME: "pop1.cdn.test", TTL: 30})
	srv.SetA("pop1.cdn.test", 10, "198.51.100.7")
	d := e.dns(DNSConfig{}, 0, srv)

	r := e.resolve(d, "www.example.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("198.51.100.7"), r.addrs)
	assert.Equal(t, 1, srv.Queries("www.example.test"))
	assert.Zero(t, srv.Queries("pop1.cdn.test"), "the chain came in one answer")
}

// An answer that is only a CNAME is followed by a query for its target;
// the result is cached under the name asked.
func TestDNSCNAMEOnlyFollowed(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("alias.test", dnstest.Name{CNAME: "Real.Test", CNAMEOnly: true, TTL: 60})
	srv.SetA("real.test", 60, "203.0.113.5")
	d := e.dns(DNSConfig{}, 0, srv)

	r := e.resolve(d, "alias.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("203.0.113.5"), r.addrs)
	log := srv.Log()
	require.Len(t, log, 2)
	assert.Equal(t, "alias.test", log[0].Name)
	assert.Equal(t, "real.test", log[1].Name, "the target, lower-cased")

	r = e.resolve(d, "alias.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("203.0.113.5"), r.addrs)
	assert.Len(t, srv.Log(), 2, "cached under alias.test")
}

// Error answers give ngx_lua's text with the canonical name; nginx caches
// no error, so the next lookup asks again.
func TestDNSErrorAnswers(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("broken.test", dnstest.Name{Rcode: resolve.CodeServFail})
	srv.Set("refused.test", dnstest.Name{Rcode: resolve.CodeRefused})
	srv.Set("nodata.test", dnstest.Name{TTL: 60}) // NOERROR, no record
	d := e.dns(DNSConfig{}, 0, srv)

	for _, c := range []struct{ host, want string }{
		{"NoWhere.Test.", "nowhere.test could not be resolved (3: Host not found)"},
		{"broken.test", "broken.test could not be resolved (2: Server failure)"},
		{"refused.test", "refused.test could not be resolved (5: Operation refused)"},
		{"nodata.test", "nodata.test could not be resolved (3: Host not found)"},
	} {
		r := e.resolve(d, c.host)
		assert.Equal(t, c.want, r.text(), c.host)
		assert.Nil(t, r.addrs)
		var re *ResolveError
		assert.ErrorAs(t, r.err, &re)
	}
	r := e.resolve(d, "nowhere.test")
	assert.Equal(t, "nowhere.test could not be resolved (3: Host not found)", r.text())
	assert.Equal(t, 2, srv.Queries("nowhere.test"), "NXDOMAIN is not cached")
}

// A name that cannot be asked fails as nginx fails it: NXDOMAIN, the name
// lower-cased without its trailing dot, and no query.
func TestDNSBadName(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	d := e.dns(DNSConfig{}, 0, srv)
	for _, c := range []struct{ host, want string }{
		{"Bad..Name.", "bad..name could not be resolved (3: Host not found)"},
		{strings.Repeat("a", 64) + ".test", strings.Repeat("a", 64) + ".test could not be resolved (3: Host not found)"},
		{strings.Repeat("a.", 127) + "a", strings.Repeat("a.", 127) + "a could not be resolved (3: Host not found)"},
	} {
		assert.Equal(t, c.want, e.resolve(d, c.host).text())
	}
	assert.Empty(t, srv.Log())
}

// A silent server: the query goes out again every resend interval, the
// lookup fails after resolver_timeout with "(110: Operation timed out)",
// and the flight stops: no more queries.
func TestDNSTimeout(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("silent.test", dnstest.Name{Silent: true})
	const resend, timeout = 40 * time.Millisecond, 300 * time.Millisecond
	d := e.dns(DNSConfig{Timeout: timeout}, resend, srv)

	began := time.Now()
	r := e.resolve(d, "silent.test")
	took := time.Since(began)
	assert.Equal(t, "silent.test could not be resolved (110: Operation timed out)", r.text())
	assert.GreaterOrEqual(t, took, timeout-10*time.Millisecond, "not before resolver_timeout")
	n := srv.Queries("silent.test")
	assert.GreaterOrEqual(t, n, 2, "retransmitted")
	assert.LessOrEqual(t, n, int(timeout/resend)+1, "at most one per resend interval")
	for _, q := range srv.Log() {
		assert.False(t, q.TCP)
	}
	assert.True(t, e.idle(d), "the flight stopped with its last asker")
	time.Sleep(4 * resend)
	assert.Equal(t, n, srv.Queries("silent.test"), "no query after the flight stopped")
}

// Two servers, the first silent: the resend goes to the second, which
// answers.
func TestDNSSecondServerAfterResend(t *testing.T) {
	e := newDNSEnv(t)
	mute, good := dnstest.Start(t), dnstest.Start(t)
	mute.Set("svc.test", dnstest.Name{Silent: true})
	good.SetA("svc.test", 60, "192.0.2.80")
	d := e.dns(DNSConfig{Timeout: 5 * time.Second}, 100*time.Millisecond, mute, good)

	r := e.resolve(d, "svc.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("192.0.2.80"), r.addrs)
	assert.GreaterOrEqual(t, mute.Queries("svc.test"), 1, "the first server was asked first")
	assert.GreaterOrEqual(t, good.Queries("svc.test"), 1, "then the next one")
}

// A new lookup starts at the next server in turn (nginx's
// r->last_connection), and the resends go round.
func TestDNSServersInTurn(t *testing.T) {
	e := newDNSEnv(t)
	s1, s2 := dnstest.Start(t), dnstest.Start(t)
	s1.SetA("a.test", 60, "192.0.2.1")
	s2.SetA("b.test", 60, "192.0.2.2")
	s1.Set("b.test", dnstest.Name{Silent: true})
	d := e.dns(DNSConfig{}, 50*time.Millisecond, s1, s2)

	require.NoError(t, e.resolve(d, "a.test").err) // s1
	r := e.resolve(d, "b.test")                    // s2 first
	require.NoError(t, r.err)
	assert.Equal(t, 1, s1.Queries("a.test"))
	assert.Zero(t, s2.Queries("a.test"))
	assert.Zero(t, s1.Queries("b.test"), "b.test started at the second server")
	assert.Equal(t, 1, s2.Queries("b.test"))
}

// A truncated UDP answer is asked again over TCP, same server.
func TestDNSTruncatedRetriedOverTCP(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("big.test", dnstest.Name{Truncate: true, TTL: 60, A: addrs("192.0.2.10", "192.0.2.11")})
	d := e.dns(DNSConfig{}, 0, srv)

	r := e.resolve(d, "big.test")
	require.NoError(t, r.err)
	assert.ElementsMatch(t, addrs("192.0.2.10", "192.0.2.11"), r.addrs)
	log := srv.Log()
	require.Len(t, log, 2)
	assert.False(t, log[0].TCP)
	assert.True(t, log[1].TCP)
	assert.Equal(t, log[0].ID, log[1].ID, "the same query")
	assert.True(t, e.idle(d))
	e.on(func() {
		for _, fl := range d.freeFlights {
			assert.Nil(t, fl.tcp, "the TCP connection closed with the flight")
		}
	})
}

// Answers that do not match the query (another ID, another question) are
// dropped and the flight keeps waiting; the resend then gets the answer.
func TestDNSMismatchedAnswersIgnored(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	calls := 0
	srv.Set("picky.test", dnstest.Name{Raw: func(q resolve.Query, tcp bool) []byte {
		calls++ // the server's goroutine is the only caller
		resp := resolve.Response{ID: q.ID, Name: q.Name, Type: q.Type,
			Answers: []resolve.Record{{Name: q.Name, Type: resolve.TypeA, TTL: 60, Addr: netip.MustParseAddr("192.0.2.99")}}}
		switch calls {
		case 1:
			resp.ID = q.ID + 1
		case 2:
			resp.Name = "other.test"
			resp.Answers[0].Name = "other.test"
		case 3:
			resp.Answers = nil
			msg, _ := resolve.AppendResponse(nil, &resp)
			return msg[:len(msg)-3] // cut short: malformed
		}
		msg, err := resolve.AppendResponse(nil, &resp)
		if err != nil {
			panic(err)
		}
		return msg
	}})
	d := e.dns(DNSConfig{Timeout: 5 * time.Second}, 30*time.Millisecond, srv)

	r := e.resolve(d, "picky.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("192.0.2.99"), r.addrs)
	assert.Equal(t, 4, srv.Queries("picky.test"), "three dropped answers, then the good one")
}

// Two lookups, one query: the second is a cache hit.
func TestDNSCacheHit(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.SetA("cached.test", 300, "192.0.2.5")
	d := e.dns(DNSConfig{}, 0, srv)

	for range 2 {
		r := e.resolve(d, "Cached.Test")
		require.NoError(t, r.err)
		assert.Equal(t, addrs("192.0.2.5"), r.addrs)
	}
	assert.Equal(t, 1, srv.Queries("cached.test"))
}

// valid= overrides the TTL both ways: a long TTL expires at valid, a zero
// TTL (not cached by itself) is kept for valid. Expiry is on the loop's
// clock.
func TestDNSValidOverridesTTL(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.SetA("long.test", 3600, "192.0.2.1")
	srv.SetA("zero.test", 0, "192.0.2.2")
	const valid = 150 * time.Millisecond
	short := e.dns(DNSConfig{Valid: valid}, 0, srv)

	require.NoError(t, e.resolve(short, "long.test").err)
	require.NoError(t, e.resolve(short, "long.test").err)
	assert.Equal(t, 1, srv.Queries("long.test"), "cached within valid")
	time.Sleep(valid + 50*time.Millisecond)
	require.NoError(t, e.resolve(short, "long.test").err)
	assert.Equal(t, 2, srv.Queries("long.test"), "expired at valid, TTL 3600 notwithstanding")

	noValid := e.dns(DNSConfig{}, 0, srv)
	require.NoError(t, e.resolve(noValid, "zero.test").err)
	require.NoError(t, e.resolve(noValid, "zero.test").err)
	assert.Equal(t, 2, srv.Queries("zero.test"), "TTL 0 serves only its askers")
	long := e.dns(DNSConfig{Valid: time.Hour}, 0, srv)
	require.NoError(t, e.resolve(long, "zero.test").err)
	require.NoError(t, e.resolve(long, "zero.test").err)
	assert.Equal(t, 3, srv.Queries("zero.test"), "valid keeps a TTL-0 answer")
}

// Concurrent askers of one name share one query and all get the answer.
func TestDNSConcurrentAskersShareFlight(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("shared.test", dnstest.Name{TTL: 60, A: addrs("192.0.2.7"), Delay: 50 * time.Millisecond})
	d := e.dns(DNSConfig{}, 0, srv)

	lks := make([]*lookup, 5)
	e.on(func() {
		for i := range lks {
			lks[i] = &lookup{ch: make(chan dnsResult, 2)}
			lks[i].cancel = resolveInto(d, "shared.test", lks[i].ch)
		}
		assert.Len(t, d.flights, 1)
	})
	for _, lk := range lks {
		r := e.wait(lk)
		require.NoError(t, r.err)
		assert.Equal(t, addrs("192.0.2.7"), r.addrs)
	}
	assert.Equal(t, 1, srv.Queries("shared.test"))
}

// A cancelled asker is never called while the others get the answer; a
// stale cancel (after delivery) does nothing to the lookup that reuses its
// asker.
func TestDNSCancelledAskerNotCalled(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("slow.test", dnstest.Name{TTL: 60, A: addrs("192.0.2.8"), Delay: 50 * time.Millisecond})
	d := e.dns(DNSConfig{}, 0, srv)

	gone := e.start(d, "slow.test")
	kept := e.start(d, "slow.test")
	e.on(gone.cancel)
	r := e.wait(kept)
	require.NoError(t, r.err)
	e.quiet(gone, 20*time.Millisecond)

	// The cache hit reuses a pooled asker; the old cancels must not touch it.
	hit := &lookup{ch: make(chan dnsResult, 2)}
	e.on(func() {
		hit.cancel = resolveInto(d, "slow.test", hit.ch)
		kept.cancel()
		gone.cancel()
	})
	require.NoError(t, e.wait(hit).err)

	// A hit cancelled before its delivery is not called either.
	var lk *lookup
	e.on(func() {
		lk = &lookup{ch: make(chan dnsResult, 2)}
		resolveInto(d, "slow.test", lk.ch)()
	})
	e.quiet(lk, 20*time.Millisecond)
}

// A flight whose askers all cancelled stops: no resend, no receive, no
// entry; a later lookup asks again.
func TestDNSFlightWithoutAskersStops(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("mute.test", dnstest.Name{Silent: true})
	const resend = 20 * time.Millisecond
	d := e.dns(DNSConfig{}, resend, srv)

	a, b := e.start(d, "mute.test"), e.start(d, "mute.test")
	e.on(a.cancel)
	assert.False(t, e.idle(d), "one asker left")
	e.on(b.cancel)
	assert.True(t, e.idle(d))
	e.on(func() {
		for _, fl := range d.freeFlights {
			assert.False(t, fl.resend.Active(), "resend timer stopped")
		}
	})
	// A query sent just before the cancel may still be on its way to the
	// server: let it land, then count. A resend would need the stopped
	// timer, and the window below is five of its periods.
	time.Sleep(resend)
	n := srv.Queries("mute.test")
	time.Sleep(5 * resend)
	assert.Equal(t, n, srv.Queries("mute.test"), "nothing sent after the flight stopped")
	e.quiet(a, 0)
	e.quiet(b, 0)
}

// The hosts table answers without a query, in file order, filtered to the
// families asked; a name it has only in another family goes to DNS.
func TestDNSHostsTable(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.SetA("v6only.test", 60, "192.0.2.66")
	e.on(func() {
		e.w.SetHosts(resolve.ParseHosts([]byte("10.1.1.1 db.test\n::1 db.test\n::2 v6only.test\n")))
	})
	v4 := e.dns(DNSConfig{IPv4: true}, 0, srv)
	both := e.dns(DNSConfig{IPv4: true, IPv6: true}, 0, srv)

	r := e.resolve(both, "DB.test.")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("10.1.1.1", "::1"), r.addrs)
	r = e.resolve(v4, "db.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("10.1.1.1"), r.addrs, "IPv6 off drops ::1")
	assert.Empty(t, srv.Log(), "no query for a hosts name")

	r = e.resolve(v4, "v6only.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("192.0.2.66"), r.addrs, "no IPv4 in the hosts file: DNS")
	r = e.resolve(both, "v6only.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("::2"), r.addrs)
	assert.Equal(t, 1, srv.Queries("v6only.test"))
}

// IPv6 on asks A and AAAA together and merges them (nginx 1.22); off asks
// A only, and never sees the AAAA records.
func TestDNSIPv6(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("dual.test", dnstest.Name{TTL: 60, A: addrs("192.0.2.1"), AAAA: addrs("2001:db8::1", "2001:db8::2")})
	srv.SetA("v4.test", 60, "192.0.2.4")
	srv.Set("v6.test", dnstest.Name{TTL: 60, AAAA: addrs("2001:db8::6")})
	on := e.dns(DNSConfig{IPv4: true, IPv6: true}, 0, srv)
	off := e.dns(DNSConfig{IPv4: true}, 0, srv)
	only6 := e.dns(DNSConfig{IPv6: true}, 0, srv)

	r := e.resolve(on, "dual.test")
	require.NoError(t, r.err)
	assert.ElementsMatch(t, addrs("192.0.2.1", "2001:db8::1", "2001:db8::2"), r.addrs)
	types := map[resolve.Type]int{}
	for _, q := range srv.Log() {
		types[q.Type]++
	}
	assert.Equal(t, map[resolve.Type]int{resolve.TypeA: 1, resolve.TypeAAAA: 1}, types)

	r = e.resolve(on, "v4.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("192.0.2.4"), r.addrs, "AAAA without data, A's addresses")
	r = e.resolve(on, "v6.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("2001:db8::6"), r.addrs, "A without data, AAAA's addresses")

	before := len(srv.Log())
	r = e.resolve(off, "dual.test")
	require.NoError(t, r.err)
	assert.Equal(t, addrs("192.0.2.1"), r.addrs, "IPv6 off: no AAAA")
	log := srv.Log()[before:]
	require.Len(t, log, 1)
	assert.Equal(t, resolve.TypeA, log[0].Type)
	assert.Equal(t, "v6.test could not be resolved (3: Host not found)", e.resolve(off, "v6.test").text())

	r = e.resolve(only6, "dual.test")
	require.NoError(t, r.err)
	assert.ElementsMatch(t, addrs("2001:db8::1", "2001:db8::2"), r.addrs, "ipv4=off: AAAA only")
}

// With IPv6 on, an error answer to either query fails the lookup, as
// ngx_resolver_process_a does (rn->code), even when the other had
// addresses.
func TestDNSIPv6ErrorWins(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("half.test", dnstest.Name{Raw: func(q resolve.Query, tcp bool) []byte {
		resp := resolve.Response{ID: q.ID, Name: q.Name, Type: q.Type}
		if q.Type == resolve.TypeAAAA {
			resp.Rcode = uint8(resolve.CodeServFail)
		} else {
			resp.Answers = []resolve.Record{{Name: q.Name, Type: resolve.TypeA, TTL: 60, Addr: netip.MustParseAddr("192.0.2.1")}}
		}
		msg, _ := resolve.AppendResponse(nil, &resp)
		return msg
	}})
	d := e.dns(DNSConfig{IPv4: true, IPv6: true}, 0, srv)
	assert.Equal(t, "half.test could not be resolved (2: Server failure)", e.resolve(d, "half.test").text())
}

// Resolve never calls done inside itself, whatever the path: a cache hit,
// a hosts name, a bad name, an IP literal, a closed resolver, no server.
func TestDNSNeverInsideResolve(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.SetA("hit.test", 60, "192.0.2.1")
	e.on(func() { e.w.SetHosts(resolve.ParseHosts([]byte("10.0.0.1 h.test\n"))) })
	d := e.dns(DNSConfig{}, 0, srv)
	none := e.dns(DNSConfig{}, 0)
	require.NoError(t, e.resolve(d, "hit.test").err)

	for _, c := range []struct {
		r    Resolver
		name string
		want string
	}{
		{d, "hit.test", ""},
		{d, "h.test", ""},
		{d, "192.0.2.200", ""},
		{d, "::1", ""},
		{d, "a..b", "a..b could not be resolved (3: Host not found)"},
		{none, "h.test", ""},
		{none, "x.test", `no resolver defined to resolve "x.test"`},
	} {
		r := e.resolve(c.r, c.name) // wait checks the flag
		assert.Equal(t, c.want, r.text(), c.name)
		if c.want == "" {
			assert.Len(t, r.addrs, 1, c.name)
		}
	}
	e.on(d.Close)
	r := e.resolve(d, "hit.test")
	assert.ErrorIs(t, r.err, ErrResolverClosed)
}

// Close fails pending lookups with "resolver not working", closes the
// sockets, and Worker.Exit closes the worker's resolvers.
func TestDNSClose(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("hang.test", dnstest.Name{Silent: true})
	d1 := e.dns(DNSConfig{}, 0, srv)
	d2 := e.dns(DNSConfig{}, 0, srv)

	lk := e.start(d1, "hang.test")
	var inside bool
	e.on(func() {
		inside = true
		d1.Close()
		inside = false
		d1.Close()
	})
	r := e.wait(lk)
	assert.ErrorIs(t, r.err, ErrResolverClosed)
	assert.Equal(t, "resolver not working", r.text())
	assert.False(t, inside)
	e.on(func() {
		assert.Nil(t, d1.servers[0].pc, "socket closed")
		assert.Equal(t, []*DNS{d2}, e.w.resolvers)
	})

	lk = e.start(d2, "hang.test")
	e.on(e.w.Exit)
	assert.ErrorIs(t, e.wait(lk).err, ErrResolverClosed)
	e.on(func() {
		assert.True(t, d2.Closed())
		assert.Empty(t, e.w.resolvers)
	})
}

// A done may resolve again at once: the addresses it was given stay as
// they were for the rest of its call, and the new lookup is delivered
// later, from the run queue.
func TestDNSDoneMayResolveAgain(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.SetA("again.test", 60, "192.0.2.1", "192.0.2.2")
	d := e.dns(DNSConfig{}, 0, srv)
	require.NoError(t, e.resolve(d, "again.test").err)

	type seen struct{ before, after, second netip.Addr }
	for _, name := range []string{"192.0.2.50", "again.test"} {
		ch := make(chan seen, 1)
		e.on(func() {
			d.Resolve(name, func(a []netip.Addr, err error) {
				s := seen{before: a[0]}
				inner := true
				d.Resolve("192.0.2.60", func(b []netip.Addr, err error) {
					assert.False(t, inner, "the inner lookup ran inside the outer done")
					s.second = b[0]
					ch <- s
				})
				d.Resolve("again.test", func([]netip.Addr, error) {})
				s.after = a[0]
				inner = false
			})
		})
		select {
		case s := <-ch:
			assert.Equal(t, s.before, s.after, name)
			assert.Equal(t, netip.MustParseAddr("192.0.2.60"), s.second, name)
		case <-time.After(10 * time.Second):
			t.Fatal("no answer")
		}
	}
}
