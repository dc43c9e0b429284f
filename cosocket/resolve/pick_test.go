package resolve

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPickUniform draws 30,000 times among three addresses with a fixed
// seed: each comes up within 5% of a third.
func TestPickUniform(t *testing.T) {
	rng := NewRand(42)
	addrs := ips("192.0.2.1", "192.0.2.2", "192.0.2.3")
	counts := map[netip.Addr]int{}
	const n = 30000
	for i := 0; i < n; i++ {
		counts[Pick(addrs, rng)]++
	}
	assert.Len(t, counts, 3)
	for addr, c := range counts {
		assert.InDelta(t, n/3, c, n/3*0.05, "%s", addr)
	}
}

func TestPickEdges(t *testing.T) {
	rng := NewRand(1)
	assert.Equal(t, netip.Addr{}, Pick(nil, rng))
	one := ips("192.0.2.1")
	before := *rng
	assert.Equal(t, one[0], Pick(one, rng))
	assert.Equal(t, before, *rng, "one address draws nothing")
}

func TestPickSeeded(t *testing.T) {
	addrs := ips("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4")
	draw := func(seed uint64) []netip.Addr {
		rng := NewRand(seed)
		var out []netip.Addr
		for i := 0; i < 16; i++ {
			out = append(out, Pick(addrs, rng))
		}
		return out
	}
	assert.Equal(t, draw(7), draw(7), "a seed gives one sequence")
	assert.NotEqual(t, draw(7), draw(8), "workers seeded apart draw apart")
}

func TestPickAllocs(t *testing.T) {
	rng := NewRand(3)
	addrs := ips("192.0.2.1", "2001:db8::1")
	assert.Zero(t, testing.AllocsPerRun(100, func() { Pick(addrs, rng) }))
}
