package resolve

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a Waiter that keeps what it was given.
type recorder struct {
	Waiter
	got []Result
}

func newRecorder() *recorder {
	r := &recorder{}
	r.Done = func(res Result) { r.got = append(r.got, res) }
	return r
}

// ok is a successful result.
func ok(ttl uint32, addrs ...string) Result { return Result{Addrs: ips(addrs...), TTL: ttl} }

// fill runs one whole lookup of name at now, finishing it with r, and
// returns the result its waiter got.
func fill(t *testing.T, c *Cache, name string, now int64, r Result) Result {
	t.Helper()
	w := newRecorder()
	_, hit, f := c.Resolve(name, now, &w.Waiter)
	require.False(t, hit, "%s is cached", name)
	require.NotNil(t, f, "%s is in flight", name)
	c.Finish(f, r, now)
	require.Len(t, w.got, 1)
	return w.got[0]
}

// lookup looks name up at now and reports whether it was cached.
func lookup(c *Cache, name string, now int64) (Result, bool) {
	r, ok, f := c.Resolve(name, now, nil)
	if f != nil {
		c.Finish(f, Result{Code: CodeTimedOut}, now) // not cached: leaves no trace
	}
	return r, ok
}

func TestCacheExpiry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     CacheConfig
		res     Result
		at      int64 // ms after the fill
		cached  bool
		comment string
	}{
		{name: "answer within its TTL", res: ok(10, "192.0.2.1"), at: 9999, cached: true},
		{name: "answer at its TTL", res: ok(10, "192.0.2.1"), at: 10000, cached: false},
		{name: "TTL 0 serves only the waiters", res: ok(0, "192.0.2.1"), at: 0, cached: false},
		{name: "valid= overrides a long TTL", cfg: CacheConfig{Valid: 2000}, res: ok(3600, "192.0.2.1"), at: 2000, cached: false},
		{name: "valid= overrides a short TTL", cfg: CacheConfig{Valid: 60000}, res: ok(1, "192.0.2.1"), at: 59999, cached: true},
		{name: "valid= overrides TTL 0", cfg: CacheConfig{Valid: 5000}, res: ok(0, "192.0.2.1"), at: 4999, cached: true},
		{name: "largest TTL", res: ok(1<<31-1, "192.0.2.1"), at: 1 << 40, cached: true},
		{name: "NXDOMAIN not cached by default (nginx)", res: Result{Code: CodeNotFound}, at: 0, cached: false},
		{name: "NXDOMAIN cached for NegativeTTL", cfg: CacheConfig{NegativeTTL: 5000}, res: Result{Code: CodeNotFound}, at: 4999, cached: true},
		{name: "NXDOMAIN gone after NegativeTTL", cfg: CacheConfig{NegativeTTL: 5000}, res: Result{Code: CodeNotFound}, at: 5000, cached: false},
		{name: "NegativeTTL ignores valid=", cfg: CacheConfig{NegativeTTL: 1000, Valid: 60000}, res: Result{Code: CodeNotFound}, at: 1000, cached: false},
		{name: "OK with no address is NXDOMAIN", cfg: CacheConfig{NegativeTTL: 5000}, res: Result{TTL: 60}, at: 4999, cached: true},
		{name: "SERVFAIL never cached", cfg: CacheConfig{NegativeTTL: 5000}, res: Result{Code: CodeServFail}, at: 0, cached: false},
		{name: "REFUSED never cached", cfg: CacheConfig{NegativeTTL: 5000}, res: Result{Code: CodeRefused}, at: 0, cached: false},
		{name: "timeout never cached", cfg: CacheConfig{NegativeTTL: 5000}, res: Result{Code: CodeTimedOut}, at: 0, cached: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const start = 1_000_000
			c := NewCache(tc.cfg)
			got := fill(t, c, "example.com", start, tc.res)
			r, cached := lookup(c, "example.com", start+tc.at)
			require.Equal(t, tc.cached, cached)
			if cached {
				assert.Equal(t, got, r, "a hit gives what the waiters got")
			}
		})
	}
}

func TestCacheResultsShared(t *testing.T) {
	c := NewCache(CacheConfig{})
	scratch := ips("192.0.2.1", "192.0.2.2")
	got := fill(t, c, "example.com", 0, Result{Addrs: scratch, TTL: 60})
	scratch[0] = ip("203.0.113.9") // the I/O side reuses its parse slice
	r, cached := lookup(c, "example.com", 1)
	require.True(t, cached)
	assert.Equal(t, ips("192.0.2.1", "192.0.2.2"), r.Addrs, "Finish copied the addresses")
	assert.Equal(t, ips("192.0.2.1", "192.0.2.2"), got.Addrs)
	assert.Equal(t, uint32(60), r.TTL)
	assert.Equal(t, CodeOK, r.Code)

	fill(t, c, "gone.example", 0, Result{Addrs: scratch, Code: CodeServFail})
	_, cached = lookup(c, "gone.example", 0)
	assert.False(t, cached)
}

// TestCacheInFlight: later askers of a name in flight share its query and
// get the one result, first come first; Done never runs inside Resolve.
func TestCacheInFlight(t *testing.T) {
	c := NewCache(CacheConfig{})
	var order []int
	ws := make([]*Waiter, 4)
	for i := range ws {
		ws[i] = &Waiter{Done: func(r Result) {
			order = append(order, i)
			assert.Equal(t, ips("192.0.2.1"), r.Addrs)
		}}
	}
	_, hit, f := c.Resolve("example.com", 0, ws[0])
	require.False(t, hit)
	require.NotNil(t, f)
	assert.Equal(t, "example.com", f.Name)
	for _, w := range ws[1:] {
		_, hit, again := c.Resolve("example.com", 10, w)
		require.False(t, hit)
		require.Nil(t, again, "one query per name")
		require.True(t, w.Waiting())
	}
	_, _, other := c.Resolve("other.example", 10, nil)
	require.NotNil(t, other, "another name has its own flight")
	assert.Equal(t, 4, f.Waiters())
	assert.Empty(t, order, "nobody is called before Finish")

	c.Finish(f, ok(30, "192.0.2.1"), 20)
	assert.Equal(t, []int{0, 1, 2, 3}, order)
	assert.Equal(t, 0, f.Waiters())
	for _, w := range ws {
		assert.False(t, w.Waiting())
	}
	c.Finish(f, Result{Code: CodeServFail}, 30) // a second Finish does nothing
	assert.Len(t, order, 4)
	r, cached := lookup(c, "example.com", 30)
	require.True(t, cached)
	assert.Equal(t, ips("192.0.2.1"), r.Addrs)
}

func TestCacheInFlightError(t *testing.T) {
	c := NewCache(CacheConfig{})
	w1, w2 := newRecorder(), newRecorder()
	_, _, f := c.Resolve("example.com", 0, &w1.Waiter)
	c.Resolve("example.com", 0, &w2.Waiter)
	c.Finish(f, Result{Code: CodeTimedOut}, 30000)
	assert.Equal(t, []Result{{Code: CodeTimedOut}}, w1.got)
	assert.Equal(t, []Result{{Code: CodeTimedOut}}, w2.got)
	_, _, again := c.Resolve("example.com", 30001, nil)
	assert.NotNil(t, again, "an error leaves the name to ask again")
}

func TestCacheCancel(t *testing.T) {
	c := NewCache(CacheConfig{})
	ws := []*recorder{newRecorder(), newRecorder(), newRecorder()}
	_, _, f := c.Resolve("example.com", 0, &ws[0].Waiter)
	for _, w := range ws[1:] {
		c.Resolve("example.com", 0, &w.Waiter)
	}
	assert.True(t, c.Cancel(&ws[1].Waiter), "middle")
	assert.False(t, c.Cancel(&ws[1].Waiter), "twice")
	assert.True(t, c.Cancel(&ws[0].Waiter), "head")
	assert.Equal(t, 1, f.Waiters())
	assert.True(t, c.Cancel(&ws[2].Waiter), "last")
	assert.Equal(t, 0, f.Waiters(), "the I/O side may stop retransmitting")

	// Waiters can come back, and the abandoned flight still fills the cache.
	c.Resolve("example.com", 5, &ws[1].Waiter)
	c.Finish(f, ok(60, "192.0.2.1"), 10)
	assert.Empty(t, ws[0].got)
	assert.Empty(t, ws[2].got)
	assert.Len(t, ws[1].got, 1)
	_, cached := lookup(c, "example.com", 11)
	assert.True(t, cached)
	assert.False(t, c.Cancel(&ws[1].Waiter), "finished waiters are not waiting")
}

// TestCacheDoneReenters: a Done may cancel a waiter after it, or ask again.
func TestCacheDoneReenters(t *testing.T) {
	c := NewCache(CacheConfig{})
	later := newRecorder()
	var again Result
	var againHit bool
	first := &Waiter{}
	first.Done = func(Result) {
		c.Cancel(&later.Waiter)
		again, againHit, _ = c.Resolve("example.com", 1, first)
	}
	_, _, f := c.Resolve("example.com", 0, first)
	c.Resolve("example.com", 0, &later.Waiter)
	c.Finish(f, ok(60, "192.0.2.1"), 1)
	assert.Empty(t, later.got, "cancelled from inside a Done")
	assert.True(t, againHit, "the name is cached before the waiters run")
	assert.Equal(t, ips("192.0.2.1"), again.Addrs)
	assert.False(t, first.Waiting())
}

func TestCacheWaiterTwicePanics(t *testing.T) {
	c := NewCache(CacheConfig{})
	w := newRecorder()
	c.Resolve("a.example", 0, &w.Waiter)
	assert.Panics(t, func() { c.Resolve("b.example", 0, &w.Waiter) })
}

func TestCacheExpiredAsksAgain(t *testing.T) {
	c := NewCache(CacheConfig{})
	fill(t, c, "example.com", 0, ok(1, "192.0.2.1"))
	w := newRecorder()
	r, cached, f := c.Resolve("example.com", 1000, &w.Waiter)
	require.False(t, cached)
	require.NotNil(t, f)
	assert.Equal(t, Result{}, r)
	assert.Equal(t, 0, c.Len(), "the entry is in flight again, not finished")
	c.Finish(f, ok(1, "192.0.2.2"), 1000)
	r, cached = lookup(c, "example.com", 1500)
	require.True(t, cached)
	assert.Equal(t, ips("192.0.2.2"), r.Addrs)
}

// TestCacheExpiredInPlace: an expired entry the sweep has not reached (it
// is not at the cold end) is asked again in place.
func TestCacheExpiredInPlace(t *testing.T) {
	c := NewCache(CacheConfig{})
	fill(t, c, "long.example", 0, ok(3600, "192.0.2.1"))
	fill(t, c, "short.example", 0, ok(1, "192.0.2.2"))
	w := newRecorder()
	_, cached, f := c.Resolve("short.example", 1000, &w.Waiter)
	require.False(t, cached)
	require.NotNil(t, f)
	assert.Equal(t, 1, c.Len(), "long.example stays, short.example is in flight")
	c.Finish(f, ok(60, "192.0.2.3"), 1000)
	require.Len(t, w.got, 1)
	assert.Equal(t, ips("192.0.2.3"), w.got[0].Addrs)
	assert.Equal(t, 2, c.Len())
}

// TestCacheEviction: past MaxEntries the least recently used entry goes; a
// hit makes an entry recent again, as nginx's expire queue does.
func TestCacheEviction(t *testing.T) {
	c := NewCache(CacheConfig{MaxEntries: 3})
	for i, name := range []string{"a", "b", "c"} {
		fill(t, c, name, int64(i), ok(3600, "192.0.2.1"))
	}
	_, cached := lookup(c, "a", 10) // a is now the most recent; b the oldest
	require.True(t, cached)
	fill(t, c, "d", 11, ok(3600, "192.0.2.4"))
	assert.Equal(t, 3, c.Len())
	for name, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		_, cached, _ := c.Resolve(name, 12, nil)
		assert.Equal(t, want, cached, name)
	}
}

func TestCacheInFlightNotEvicted(t *testing.T) {
	c := NewCache(CacheConfig{MaxEntries: 1})
	w := newRecorder()
	_, _, f := c.Resolve("slow.example", 0, &w.Waiter)
	for i := 0; i < 5; i++ {
		fill(t, c, fmt.Sprintf("n%d.example", i), 1, ok(60, "192.0.2.1"))
	}
	assert.Equal(t, 1, c.Len())
	c.Finish(f, ok(60, "192.0.2.9"), 2)
	require.Len(t, w.got, 1)
	assert.Equal(t, ips("192.0.2.9"), w.got[0].Addrs)
	r, cached := lookup(c, "slow.example", 3)
	require.True(t, cached)
	assert.Equal(t, ips("192.0.2.9"), r.Addrs)
	assert.Equal(t, 1, c.Len())
}

// TestCacheSweep: expired entries at the cold end are freed as lookups go
// by, without a timer.
func TestCacheSweep(t *testing.T) {
	c := NewCache(CacheConfig{})
	for i := 0; i < 5; i++ {
		fill(t, c, fmt.Sprintf("n%d.example", i), 0, ok(1, "192.0.2.1"))
	}
	fill(t, c, "long.example", 0, ok(3600, "192.0.2.1"))
	require.Equal(t, 6, c.Len())
	c.Resolve("long.example", 5000, nil)
	assert.Equal(t, 6-sweepPerCall, c.Len())
	c.Resolve("long.example", 5000, nil)
	c.Resolve("long.example", 5000, nil)
	assert.Equal(t, 1, c.Len())
}

func TestCacheDefaults(t *testing.T) {
	c := NewCache(CacheConfig{})
	for i := 0; i < DefaultMaxEntries+10; i++ {
		fill(t, c, fmt.Sprintf("n%d.example", i), 0, ok(60, "192.0.2.1"))
	}
	assert.Equal(t, DefaultMaxEntries, c.Len())
}

// TestCacheHitAllocs: a hit allocates nothing.
func TestCacheHitAllocs(t *testing.T) {
	c := NewCache(CacheConfig{})
	fill(t, c, "example.com", 0, ok(60, "192.0.2.1"))
	var r Result
	allocs := testing.AllocsPerRun(100, func() { r, _, _ = c.Resolve("example.com", 1, nil) })
	assert.Zero(t, allocs)
	assert.Equal(t, []netip.Addr{ip("192.0.2.1")}, r.Addrs)
}
