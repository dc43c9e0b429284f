package cosocket

import (
	"net/netip"
	"testing"
	"time"

	"github.com/luring/luring/cosocket/resolve/dnstest"
	"github.com/luring/luring/loop"
	"github.com/stretchr/testify/require"
)

// BenchmarkDNSCacheHit is Resolve of a cached name with three addresses,
// its result delivered from the run queue: each done starts the next
// lookup, all on the loop thread. The one allocation is the cancel
// function, which must be told apart from every other lookup's.
func BenchmarkDNSCacheHit(b *testing.B) {
	srv, err := dnstest.New()
	require.NoError(b, err)
	defer srv.Close()
	srv.SetA("bench.test", 3600, "192.0.2.1", "192.0.2.2", "192.0.2.3")

	var w *Worker
	l, err := loop.Start(loop.Options{Log: func(string) {}}, func(l *loop.Loop) error {
		w = NewWorker(l)
		w.SetHosts(nil)
		return nil
	})
	require.NoError(b, err)
	defer l.Stop()
	var d *DNS
	warm := make(chan error, 1)
	require.NoError(b, l.Post(func() {
		d = w.NewDNS(DNSConfig{Servers: []netip.AddrPort{netip.MustParseAddrPort(srv.Addr())}})
		d.Resolve("bench.test", func(_ []netip.Addr, err error) { warm <- err })
	}))
	select {
	case err := <-warm:
		require.NoError(b, err)
	case <-time.After(10 * time.Second):
		b.Fatal("no answer")
	}

	finished := make(chan int, 1)
	n, firsts := 0, 0
	var done func([]netip.Addr, error)
	done = func(addrs []netip.Addr, err error) {
		if err == nil && addrs[0] == netip.AddrFrom4([4]byte{192, 0, 2, 1}) {
			firsts++
		}
		if n++; n == b.N {
			finished <- firsts
			return
		}
		d.Resolve("bench.test", done)
	}
	b.ReportAllocs()
	b.ResetTimer()
	require.NoError(b, l.Post(func() { d.Resolve("bench.test", done) }))
	got := <-finished
	b.StopTimer()
	if b.N >= 300 {
		require.InDelta(b, float64(b.N)/3, got, float64(b.N)/6, "picks spread over the addresses")
	}
}
