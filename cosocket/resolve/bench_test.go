package resolve

import (
	"net/netip"
	"testing"
)

// BenchmarkBuildQuery builds an A query into a reused buffer: 0 allocs.
func BenchmarkBuildQuery(b *testing.B) {
	buf := make([]byte, MaxQueryLen)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildQuery(buf, testID, "www.example.com", TypeA); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse parses answers into a reused Answer: 0 allocs.
func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct {
		name string
		msg  []byte
	}{
		{name: "one A", msg: answerTo(b, TypeA, a(testName, "192.0.2.1", 300))},
		{name: "four A", msg: answerTo(b, TypeA, a(testName, "192.0.2.1", 300), a(testName, "192.0.2.2", 300),
			a(testName, "192.0.2.3", 300), a(testName, "192.0.2.4", 300))},
		{name: "CNAME chain of 2 then 2 A", msg: answerTo(b, TypeA, cname(testName, "a.cdn.example", 300),
			cname("a.cdn.example", "b.cdn.example", 40), a("b.cdn.example", "192.0.2.1", 100), a("b.cdn.example", "192.0.2.2", 90))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ans := Answer{Addrs: make([]netip.Addr, 0, 8)}
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.msg)))
			for b.Loop() {
				if err := ans.Parse(bc.msg, testID, testName, TypeA); err != nil || ans.Next(false) != StepDone {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQueryRoundTrip is one lookup's codec work: build the query,
// parse the answer, pick an address.
func BenchmarkQueryRoundTrip(b *testing.B) {
	buf := make([]byte, MaxQueryLen)
	msg := answerTo(b, TypeA, a(testName, "192.0.2.1", 300), a(testName, "192.0.2.2", 300))
	ans := Answer{Addrs: make([]netip.Addr, 0, 8)}
	rng := NewRand(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildQuery(buf, testID, testName, TypeA); err != nil {
			b.Fatal(err)
		}
		if err := ans.Parse(msg, testID, testName, TypeA); err != nil {
			b.Fatal(err)
		}
		_ = Pick(ans.Addrs, rng)
	}
}

// BenchmarkCacheHit is a cached lookup.
func BenchmarkCacheHit(b *testing.B) {
	c := NewCache(CacheConfig{})
	_, _, f := c.Resolve(testName, 0, nil)
	c.Finish(f, Result{Addrs: ips("192.0.2.1"), TTL: 300}, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, hit, _ := c.Resolve(testName, 1, nil); !hit {
			b.Fatal("miss")
		}
	}
}

// TestCodecAllocs holds the benchmarks' promise in the normal test run.
func TestCodecAllocs(t *testing.T) {
	buf := make([]byte, MaxQueryLen)
	msg := answerTo(t, TypeA, cname(testName, "a.cdn.example", 300), a("a.cdn.example", "192.0.2.1", 100))
	follow := answerTo(t, TypeA, cname(testName, "a.cdn.example", 300))
	ans := Answer{Addrs: make([]netip.Addr, 0, 8), Target: make([]byte, 0, maxText)}
	if n := testing.AllocsPerRun(100, func() {
		_, _ = BuildQuery(buf, testID, testName, TypeA)
		_ = ans.Parse(msg, testID, testName, TypeA)
		_ = ans.Parse(follow, testID, testName, TypeA)
	}); n != 0 {
		t.Fatalf("%v allocs per build and parse", n)
	}
}
