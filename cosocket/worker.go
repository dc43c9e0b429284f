package cosocket

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"

	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/loop"
)

// Worker is the cosocket state of one loop, as an nginx worker has it: the
// keep-alive connection pools by name, the hosts table and random generator
// its resolvers share, and those resolvers. Every socket of the loop
// belongs to it. Loop thread only.
type Worker struct {
	l *loop.Loop
	// pools are the connection pools by key; a pool is dropped once it
	// counts no connection (ngx_lua frees it then).
	pools map[string]*Pool
	// exiting: the worker stops; setkeepalive closes instead of pooling.
	exiting bool

	// hosts is the hosts table the resolvers read before DNS; never nil.
	hosts *resolve.Hosts
	// rng draws query IDs and picks among addresses (the worker's PCG).
	rng *rand.Rand
	// resolvers are the open DNS resolvers, closed by Exit.
	resolvers []*DNS
	// keyBuf is scratch for building pool keys (TCP.Connect).
	keyBuf []byte
}

// NewWorker returns the cosocket state of loop l. Its hosts table is
// empty: the owner gives it one with SetHosts (the server loads /etc/hosts
// once per configuration, off the loops, and shares the table). NewWorker
// does no I/O.
func NewWorker(l *loop.Loop) *Worker {
	w := &Worker{l: l, pools: make(map[string]*Pool), hosts: resolve.ParseHosts(nil)}
	var seed [8]byte
	_, _ = crand.Read(seed[:]) // never fails on Linux
	w.rng = resolve.NewRand(binary.LittleEndian.Uint64(seed[:]))
	return w
}

// Loop is the worker's loop.
func (w *Worker) Loop() *loop.Loop { return w.l }

// Pool returns the pool named key, or nil when there is none.
func (w *Worker) Pool(key string) *Pool { return w.pools[key] }

// SetHosts replaces the hosts table the worker's resolvers read (the
// server's table for this configuration, or a test's); nil means an empty
// table. A table is only read, so workers on other loops may share it.
func (w *Worker) SetHosts(h *resolve.Hosts) {
	if h == nil {
		h = resolve.ParseHosts(nil)
	}
	w.hosts = h
}

// Hosts returns the worker's hosts table.
func (w *Worker) Hosts() *resolve.Hosts { return w.hosts }

// SetSeed reseeds the worker's random generator, which draws query IDs
// and picks among a name's addresses: tests make the choice repeatable.
// NewWorker seeds it from crypto/rand; keep that in production, since
// unguessable query IDs are what stops an off-path attacker forging
// answers.
func (w *Worker) SetSeed(seed uint64) { w.rng = resolve.NewRand(seed) }

// Exit closes every idle pooled connection and every resolver of the
// worker (their pending lookups fail with ErrResolverClosed), and makes
// later setkeepalive calls close their connection: the worker is stopping.
func (w *Worker) Exit() {
	w.exiting = true
	for _, p := range w.pools {
		p.shutdown()
	}
	for len(w.resolvers) > 0 {
		w.resolvers[len(w.resolvers)-1].Close() // Close removes it
	}
}

// A Resolver turns a host name into addresses without blocking the loop.
// Resolve calls done exactly once, never inside Resolve, with at least one
// address or an error whose text is ngx_lua's ("NAME could not be resolved
// (3: Host not found)"); cancel abandons the lookup (done will not run;
// calling it after done ran, or twice, does nothing). addrs[0] is the
// address to connect to; addrs is valid during the call only.
type Resolver interface {
	Resolve(name string, done func(addrs []netip.Addr, err error)) (cancel func())
}

// PoolStats sums the worker's pools: parked connections, connects waiting
// in queues, and pools.
func (w *Worker) PoolStats() (idle, waiting, pools int) {
	for _, p := range w.pools {
		idle += p.nidle
		waiting += p.Waiting()
		pools++
	}
	return
}
