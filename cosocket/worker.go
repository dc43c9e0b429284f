package cosocket

import (
	"net/netip"

	"github.com/luring/luring/loop"
)

// Worker is the cosocket state of one loop, as an nginx worker has it: the
// keep-alive connection pools by name. Every socket of the loop belongs to
// it. Loop thread only.
type Worker struct {
	l *loop.Loop
	// pools are the connection pools by key; a pool is dropped once it
	// counts no connection (ngx_lua frees it then).
	pools map[string]*Pool
	// exiting: the worker stops; setkeepalive closes instead of pooling.
	exiting bool
}

// NewWorker returns the cosocket state of loop l.
func NewWorker(l *loop.Loop) *Worker {
	return &Worker{l: l, pools: make(map[string]*Pool)}
}

// Loop is the worker's loop.
func (w *Worker) Loop() *loop.Loop { return w.l }

// Pool returns the pool named key, or nil when there is none.
func (w *Worker) Pool(key string) *Pool { return w.pools[key] }

// Exit closes every idle pooled connection and makes later setkeepalive
// calls close their connection: the worker is stopping.
func (w *Worker) Exit() {
	w.exiting = true
	for _, p := range w.pools {
		p.shutdown()
	}
}

// A Resolver turns a host name into addresses without blocking the loop.
// Resolve calls done exactly once, never inside Resolve, with at least one
// address or an error whose text is ngx_lua's ("NAME could not be resolved
// (3: Host not found)"); cancel abandons the lookup (done will not run).
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
