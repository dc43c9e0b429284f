package resolve

import (
	"math/rand/v2"
	"net/netip"
)

// Pick returns one of addrs chosen uniformly with rng, as ngx_lua's connect
// does when a name has several addresses (ngx_random() % naddrs in
// ngx_http_lua_socket_resolve_handler). With one address it returns it
// without drawing; with none, the zero Addr. rng belongs to the worker
// (NewRand): no global generator, no lock.
func Pick(addrs []netip.Addr, rng *rand.Rand) netip.Addr {
	switch len(addrs) {
	case 0:
		return netip.Addr{}
	case 1:
		return addrs[0]
	}
	return addrs[rng.IntN(len(addrs))]
}

// NewRand returns a PCG generator seeded with seed, for one worker's
// address choice and query IDs. Seed each worker differently (from
// crypto/rand at start, say): query IDs are what keeps an off-path
// attacker from forging answers.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
