package cosocket

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/luring/luring/cosocket/resolve/dnstest"
	"github.com/luring/luring/loop"
	"github.com/stretchr/testify/require"
)

// dnsEnv is a loop (on the backend LURING_BACKEND names) with a cosocket
// Worker whose hosts table is empty and whose generator has a fixed seed.
// Everything on the loop reports to the test goroutine through channels.
type dnsEnv struct {
	t *testing.T
	l *loop.Loop
	w *Worker
}

// dnsSeed seeds every test worker, so picks and query IDs repeat.
const dnsSeed = 7

func newDNSEnv(t *testing.T) *dnsEnv {
	t.Helper()
	e := &dnsEnv{t: t}
	l, err := loop.Start(loop.Options{Log: func(msg string) { t.Log(msg) }}, func(l *loop.Loop) error {
		e.w = NewWorker(l)
		e.w.SetHosts(nil)
		e.w.SetSeed(dnsSeed)
		return nil
	})
	require.NoError(t, err)
	e.l = l
	t.Cleanup(func() { require.NoError(t, l.Stop()) })
	return e
}

// on runs fn on the loop's thread and waits for it.
func (e *dnsEnv) on(fn func()) {
	e.t.Helper()
	done := make(chan struct{})
	require.NoError(e.t, e.l.Post(func() { fn(); close(done) }))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		e.t.Fatal("posted function did not run")
	}
}

// dns makes a DNS asking the given test servers, with a short resend
// interval when resend > 0.
func (e *dnsEnv) dns(cfg DNSConfig, resend time.Duration, servers ...*dnstest.Server) *DNS {
	for _, s := range servers {
		cfg.Servers = append(cfg.Servers, netip.MustParseAddrPort(s.Addr()))
	}
	var d *DNS
	e.on(func() {
		d = e.w.NewDNS(cfg)
		if resend > 0 {
			d.resendEvery = resend
		}
	})
	return d
}

// dnsResult is what one done received.
type dnsResult struct {
	addrs  []netip.Addr // copied: done's slice is valid during the call only
	err    error
	inside bool // done ran inside Resolve (must never happen)
}

// text is the error's text, "" for none.
func (r dnsResult) text() string {
	if r.err == nil {
		return ""
	}
	return r.err.Error()
}

// lookup is one Resolve on the loop: its result channel and its cancel.
type lookup struct {
	ch     chan dnsResult
	cancel func()
}

// start calls Resolve on the loop thread.
func (e *dnsEnv) start(r Resolver, name string) *lookup {
	e.t.Helper()
	lk := &lookup{ch: make(chan dnsResult, 2)}
	e.on(func() { lk.cancel = resolveInto(r, name, lk.ch) })
	return lk
}

// resolveInto calls r.Resolve (on the loop thread) reporting to ch.
func resolveInto(r Resolver, name string, ch chan dnsResult) func() {
	inside := true
	cancel := r.Resolve(name, func(addrs []netip.Addr, err error) {
		ch <- dnsResult{addrs: slices.Clone(addrs), err: err, inside: inside}
	})
	inside = false
	return cancel
}

// wait returns the lookup's result, failing the test after 10 s.
func (e *dnsEnv) wait(lk *lookup) dnsResult {
	e.t.Helper()
	select {
	case r := <-lk.ch:
		require.False(e.t, r.inside, "done ran inside Resolve")
		return r
	case <-time.After(10 * time.Second):
		e.t.Fatal("the lookup never finished")
		return dnsResult{}
	}
}

// resolve is start then wait.
func (e *dnsEnv) resolve(r Resolver, name string) dnsResult {
	e.t.Helper()
	return e.wait(e.start(r, name))
}

// quiet fails if the lookup delivers a result within d.
func (e *dnsEnv) quiet(lk *lookup, d time.Duration) {
	e.t.Helper()
	select {
	case r := <-lk.ch:
		e.t.Fatalf("a cancelled lookup was called: %+v", r)
	case <-time.After(d):
	}
}

// idle reports, from the loop, whether d has nothing in flight: no flight,
// no ID, no receive armed.
func (e *dnsEnv) idle(d *DNS) bool {
	var ok bool
	e.on(func() {
		ok = len(d.flights) == 0 && len(d.byID) == 0
		for _, s := range d.servers {
			ok = ok && !s.receiving
		}
	})
	return ok
}

// addrs parses addresses.
func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}
