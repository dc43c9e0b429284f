package ngx

import (
	"net/netip"
	"testing"
	"time"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/cosocket/resolve/dnstest"
	"github.com/stretchr/testify/require"
)

// Host names go through the location's resolver: a DNS server of the
// test's own on 127.0.0.1 answers, fails, or stays silent.
func TestSocketConnectResolvesNames(t *testing.T) {
	dns := dnstest.Start(t)
	dns.SetA("peer.test", 60, "127.0.0.1")
	dns.Set("nx.test", dnstest.Name{Rcode: resolve.CodeNotFound})
	dns.Set("silent.test", dnstest.Name{Silent: true})
	server, err := netip.ParseAddrPort(dns.Addr())
	require.NoError(t, err)

	// One location shared by every request, as a configuration has it: the
	// resolver (and its cache) belongs to the block.
	loc := &conf.Location{Settings: conf.Settings{Resolver: conf.DefaultResolver(), Socket: conf.DefaultSocketSettings()}}
	loc.Resolver.Addrs = []netip.AddrPort{server}
	loc.Resolver.IPv6 = false
	loc.Resolver.Timeout = 150 * time.Millisecond
	bare := &conf.Location{Settings: conf.Settings{Resolver: conf.DefaultResolver(), Socket: conf.DefaultSocketSettings()}}

	peer := startPeer(t, "tcp", httpOnce("hello\n"))
	in := func(l *conf.Location) func(x *fakeX) {
		return func(x *fakeX) { x.loc = l; x.vars["port"] = peer.port() }
	}
	h := newHarness(t, nil)
	runSpecs(t, h, []spec{
		{name: "t/058 TEST 1: a name the resolver knows", setup: in(loc), src: `
			local sock = ngx.socket.tcp()
			local ok, err = sock:connect("peer.test", ngx.var.port)
			ngx.say(ok, " ", err)
			sock:send("GET / HTTP/1.0\r\n\r\n")
			ngx.say(sock:receive())
			sock:close()`, body: "1 nil\nhello\n"},
		{name: "t/058 TEST 8: NXDOMAIN", setup: in(loc), src: `
			ngx.say(ngx.socket.tcp():connect("nx.test", ngx.var.port))`,
			body: "nilnx.test could not be resolved (3: Host not found)\n"},
		{name: "t/068 TEST 46: a silent resolver times out after resolver_timeout", setup: in(loc), src: `
			ngx.say(ngx.socket.tcp():connect("silent.test", ngx.var.port))`,
			body: "nilsilent.test could not be resolved (110: Operation timed out)\n"},
		{name: "t/058 TEST 3: no resolver defined", setup: in(bare), src: `
			ngx.say(ngx.socket.tcp():connect("peer.test", ngx.var.port))`,
			body: "nilno resolver defined to resolve \"peer.test\"\n"},
		{name: "the worker goes on serving", src: `ngx.say("still serving")`, body: "still serving\n"},
	})
	// The name was asked once: the second round came from the cache.
	require.Equal(t, 1, dns.Queries("peer.test"))
}

// Two locations that inherit the same resolver block (each with its own
// copy of the settings) share one resolver and its cache.
func TestSocketResolverSharedByLocations(t *testing.T) {
	dns := dnstest.Start(t)
	dns.SetA("peer.test", 60, "127.0.0.1")
	server, err := netip.ParseAddrPort(dns.Addr())
	require.NoError(t, err)
	mk := func() *conf.Location {
		loc := &conf.Location{Settings: conf.Settings{Resolver: conf.DefaultResolver(), Socket: conf.DefaultSocketSettings()}}
		loc.Resolver.Addrs = []netip.AddrPort{server}
		loc.Resolver.IPv6 = false
		return loc
	}
	a, b := mk(), mk()
	peer := startPeer(t, "tcp", httpOnce("hello\n"))
	in := func(l *conf.Location) func(x *fakeX) {
		return func(x *fakeX) { x.loc = l; x.vars["port"] = peer.port() }
	}
	src := `
		local sock = ngx.socket.tcp()
		ngx.say(sock:connect("peer.test", ngx.var.port))
		sock:close()`
	h := newHarness(t, nil)
	runSpecs(t, h, []spec{
		{name: "location a", setup: in(a), src: src, body: "1\n"},
		{name: "location b", setup: in(b), src: src, body: "1\n"},
	})
	require.Equal(t, 1, dns.Queries("peer.test"), "each location asked on its own")
}
