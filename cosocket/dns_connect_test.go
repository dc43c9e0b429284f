package cosocket

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/luring/luring/cosocket/resolve/dnstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectResult is what OnConnect (or a failure at once) reported.
type connectResult struct {
	err     error
	pending bool   // Connect waited
	remote  string // the connection's peer, when connected
}

// connect runs TCP.Connect on the loop and returns what it reported.
func (e *dnsEnv) connect(host string, port int, r Resolver) connectResult {
	e.t.Helper()
	ch := make(chan connectResult, 1)
	e.on(func() {
		s := e.w.NewTCP()
		s.ConnectTimeout = 5 * time.Second
		var pending bool
		s.OnConnect = func(err error) {
			res := connectResult{err: err, pending: pending}
			if err == nil {
				res.remote = s.Conn().RemoteAddr().String()
				s.Close()
			}
			ch <- res
		}
		var err error
		if err, pending = s.Connect(host, port, false, ConnectOptions{Backlog: -1, Resolver: r}); !pending {
			ch <- connectResult{err: err}
		}
	})
	select {
	case res := <-ch:
		return res
	case <-time.After(10 * time.Second):
		e.t.Fatal("connect never finished")
		return connectResult{}
	}
}

// TCP.Connect to a host name resolves it through a DNS and connects to
// the address; a DNS error reaches OnConnect with ngx_lua's text.
func TestConnectResolvesThroughDNS(t *testing.T) {
	e := newDNSEnv(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Addr, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c.RemoteAddr()
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port

	srv := dnstest.Start(t)
	srv.SetA("peer.test", 60, "127.0.0.1")
	srv.Set("down.test", dnstest.Name{Silent: true})
	d := e.dns(DNSConfig{Timeout: 200 * time.Millisecond}, 0, srv)

	res := e.connect("Peer.Test", port, d)
	require.NoError(t, res.err)
	assert.True(t, res.pending, "the lookup waits")
	assert.Equal(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)).String(), res.remote)
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("the peer accepted nothing")
	}

	res = e.connect("missing.test", port, d)
	assert.True(t, res.pending)
	assert.Equal(t, "missing.test could not be resolved (3: Host not found)", Text(res.err))
	res = e.connect("down.test", port, d)
	assert.Equal(t, "down.test could not be resolved (110: Operation timed out)", Text(res.err))
	res = e.connect("peer.test", port, nil)
	assert.False(t, res.pending)
	assert.Equal(t, `no resolver defined to resolve "peer.test"`, Text(res.err))
	assert.Equal(t, 1, srv.Queries("peer.test"))
}

// Cancelling a connect that waits for its lookup takes the lookup back.
func TestConnectCancelDuringLookup(t *testing.T) {
	e := newDNSEnv(t)
	srv := dnstest.Start(t)
	srv.Set("slow.test", dnstest.Name{Silent: true})
	d := e.dns(DNSConfig{}, 0, srv)
	called := make(chan error, 1)
	e.on(func() {
		s := e.w.NewTCP()
		s.OnConnect = func(err error) { called <- err }
		_, pending := s.Connect("slow.test", 80, false, ConnectOptions{Backlog: -1, Resolver: d})
		assert.True(t, pending)
		s.CancelConnect()
	})
	assert.True(t, e.idle(d), "the flight stopped with the connect")
	select {
	case err := <-called:
		t.Fatalf("OnConnect ran after CancelConnect: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
}
