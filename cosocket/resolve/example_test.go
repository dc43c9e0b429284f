package resolve_test

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/cosocket/resolve/dnstest"
)

// lookup plays the I/O side for one name, with blocking Go sockets where
// the cosocket layer has the loop: it sends the flight's query, follows
// the steps Answer.Next gives (TCP on truncation, the CNAME target, drops
// and timeouts), and finishes the flight.
func lookup(cache *resolve.Cache, f *resolve.Flight, server string, now int64) {
	buf := make([]byte, resolve.MaxQueryLenTCP)
	in := make([]byte, resolve.MaxTCPLen)
	ans := resolve.Answer{Addrs: make([]netip.Addr, 0, 8)}
	name, tcp, ttl := f.Name, false, uint32(1<<31-1)
	for hops := 0; hops <= resolve.MaxRecursion; {
		const id = 0x2a2a // the cosocket layer draws it from the worker's PCG
		msg, err := exchange(server, buf, in, id, name, tcp)
		if err != nil {
			cache.Finish(f, resolve.Result{Code: resolve.CodeTimedOut}, now)
			return
		}
		if ans.Parse(msg, id, name, resolve.TypeA) != nil {
			// Not ours, or broken: the loop keeps waiting for another
			// datagram until the timeout; this sketch gives up at once.
			cache.Finish(f, resolve.Result{Code: resolve.CodeTimedOut}, now)
			return
		}
		switch ans.Next(tcp) {
		case resolve.StepRetryTCP:
			tcp = true
		case resolve.StepFollow:
			name, tcp, ttl = string(ans.Target), false, min(ttl, ans.TTL)
			hops++
		case resolve.StepDone:
			r := ans.Result()
			r.TTL = min(ttl, r.TTL)
			cache.Finish(f, r, now)
			return
		case resolve.StepFail:
			cache.Finish(f, ans.Result(), now)
			return
		case resolve.StepIgnore:
			cache.Finish(f, resolve.Result{Code: resolve.CodeTimedOut}, now) // nginx would wait for the timeout
			return
		}
	}
	cache.Finish(f, resolve.Result{Code: resolve.CodeNotFound}, now)
}

// exchange sends one query and reads one answer.
func exchange(server string, buf, in []byte, id uint16, name string, tcp bool) ([]byte, error) {
	network, build := "udp", resolve.BuildQuery
	if tcp {
		network, build = "tcp", resolve.BuildQueryTCP
	}
	n, err := build(buf, id, name, resolve.TypeA)
	if err != nil {
		return nil, err
	}
	c, err := net.Dial(network, server)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write(buf[:n]); err != nil {
		return nil, err
	}
	got := 0
	for {
		k, err := c.Read(in[got:])
		if err != nil {
			return nil, err
		}
		got += k
		if !tcp {
			return in[:got], nil
		}
		if msg, _, ok := resolve.TCPFrame(in[:got]); ok {
			return msg, nil
		}
	}
}

// One worker resolving names for connect: /etc/hosts first, then the
// cache, then one query per name however many ask.
func Example() {
	server, err := dnstest.New() // in a test: dnstest.Start(t)
	if err != nil {
		panic(err)
	}
	defer server.Close()
	server.Set("www.example.com", dnstest.Name{CNAME: "cdn.example.net", CNAMEOnly: true, TTL: 60})
	server.Set("cdn.example.net", dnstest.Name{Truncate: true, TTL: 300,
		A: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}})

	hosts := resolve.ParseHosts([]byte("127.0.0.1 localhost\n")) // LoadHosts at worker start
	cache := resolve.NewCache(resolve.CacheConfig{})
	rng := resolve.NewRand(1)
	now := int64(1000) // the loop's ms clock

	connect := func(host string) {
		name, err := resolve.Canonical(host)
		if err != nil {
			fmt.Println(resolve.CouldNotResolve(host, resolve.CodeNotFound))
			return
		}
		if addrs := hosts.Lookup(name); len(addrs) > 0 {
			fmt.Println(host, "→", addrs[0], "(hosts)")
			return
		}
		w := &resolve.Waiter{}
		w.Done = func(r resolve.Result) { // resumes the coroutine
			if r.Code != resolve.CodeOK {
				fmt.Println(resolve.CouldNotResolve(name, r.Code))
				return
			}
			fmt.Println(host, "→", resolve.Pick(r.Addrs, rng).Is4(), "after a query")
		}
		r, hit, f := cache.Resolve(name, now, w)
		switch {
		case hit && r.Code == resolve.CodeOK:
			fmt.Println(host, "→", resolve.Pick(r.Addrs, rng).Is4(), "(cached)")
		case f != nil:
			lookup(cache, f, server.Addr(), now) // on the loop: send, then yield
		}
	}

	connect("localhost")
	connect("WWW.Example.COM.")
	connect("www.example.com")
	connect("nowhere.example")
	connect("bad..name")
	fmt.Println("queries for cdn.example.net:", server.Queries("cdn.example.net"), "(UDP truncated, then TCP)")
	// Output:
	// localhost → 127.0.0.1 (hosts)
	// WWW.Example.COM. → true after a query
	// www.example.com → true (cached)
	// nowhere.example could not be resolved (3: Host not found)
	// bad..name could not be resolved (3: Host not found)
	// queries for cdn.example.net: 2 (UDP truncated, then TCP)
}
