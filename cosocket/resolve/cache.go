package resolve

import (
	"net/netip"
	"strings"
)

// DefaultMaxEntries is the cache bound when CacheConfig.MaxEntries is 0.
const DefaultMaxEntries = 1024

// sweepPerCall is how many expired entries at the cold end of the cache a
// Resolve call frees, as nginx's ngx_resolver_expire frees two per lookup.
const sweepPerCall = 2

// CacheConfig sets a Cache's policy.
type CacheConfig struct {
	// MaxEntries bounds the finished entries (answers and cached errors);
	// past it the least recently used one goes. 0 means DefaultMaxEntries.
	// Names in flight do not count: their askers bound them.
	MaxEntries int
	// Valid, when > 0, is how long (ms) an answer stays cached whatever its
	// TTL: the resolver directive's valid= parameter. 0 means the TTL.
	Valid int64
	// NegativeTTL is how long (ms) a CodeNotFound result stays cached. 0
	// caches no error, which is nginx's behaviour: ngx_resolver_process_a
	// deletes the name's node on any error answer, so the next lookup asks
	// again, while askers who come during a query share it (seen live: two
	// connects to a missing name one after the other sent two queries,
	// three light threads at once sent one). nginx's 5 s is its resend
	// interval, and the 10 s "valid" it gives an error result is for
	// upstream re-resolution; neither caches. Other errors (SERVFAIL,
	// REFUSED, timeouts) are never cached.
	NegativeTTL int64
}

// Waiter is one asker waiting for a name whose query is in flight. The
// caller owns it (one per socket, reused from lookup to lookup), sets Done
// once, and gives it to Cache.Resolve; the cache holds it until Finish
// calls Done or Cancel takes it back.
type Waiter struct {
	// Done receives the lookup's Result. Finish calls it once per wait, on
	// the loop thread, after the waiter is unlinked: Done may give the same
	// Waiter to Resolve again.
	Done func(Result)

	flight     *Flight // the flight waited on; nil when not waiting
	prev, next *Waiter // neighbours in flight's waiter list
}

// Waiting reports whether w is queued on a flight.
func (w *Waiter) Waiting() bool { return w.flight != nil }

// Flight is the one query in flight for a name. The first asker's Resolve
// starts it and returns it to the caller, who sends the query and calls
// Finish with the outcome; later askers join it.
type Flight struct {
	// Name is the name asked, as given to Resolve.
	Name string

	e          *entry  // the cache entry; nil once finished
	head, tail *Waiter // waiters, first come first
	n          int     // number of waiters
}

// Waiters returns how many askers still wait on f. When it drops to 0 the
// I/O side may stop retransmitting, as nginx's resend handler drops a name
// nobody waits for; finishing f anyway still fills the cache.
func (f *Flight) Waiters() int { return f.n }

// entry is the cache's record of one name.
type entry struct {
	name    string  // the key
	res     Result  // the stored outcome, when flight is nil
	expires int64   // ms on the loop clock; a hit needs now < expires
	flight  *Flight // the query in flight, or nil
	// prev and next link finished entries, most recently used first.
	prev, next *entry
}

// Cache is one worker's resolver cache: name to Result with an expiry, and
// the query in flight per name. It is used on one loop thread only and
// takes no locks. The zero Cache is not usable: call NewCache.
type Cache struct {
	cfg        CacheConfig
	names      map[string]*entry
	head, tail *entry // finished entries, most recently used first
	n          int    // finished entries, at most cfg.MaxEntries
}

// NewCache returns an empty cache with the policy cfg.
func NewCache(cfg CacheConfig) *Cache {
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	return &Cache{cfg: cfg, names: make(map[string]*entry)}
}

// Len returns the number of finished entries held (answers and errors,
// expired ones not yet freed included).
func (c *Cache) Len() int { return c.n }

// Resolve looks name up at now (ms, the loop's clock). name should be in
// Canonical form. A hit (a finished entry with now before its expiry)
// returns its Result and true, and leaves w alone. Otherwise w, when not
// nil, is queued on the name's flight: if Resolve started that flight it
// returns it and the caller sends the query; if a flight was already
// running it returns nil and w's Done runs when that one finishes. Done is
// never called from inside Resolve. w must not be waiting already.
func (c *Cache) Resolve(name string, now int64, w *Waiter) (Result, bool, *Flight) {
	c.sweep(now)
	e := c.names[name]
	var started *Flight
	switch {
	case e == nil:
		e = &entry{name: strings.Clone(name)}
		c.names[e.name] = e
		started = c.start(e)
	case e.flight != nil:
	case now < e.expires:
		c.unlink(e)
		c.pushFront(e)
		return e.res, true, nil
	default: // expired: ask again, reusing the entry
		c.unlink(e)
		e.res = Result{}
		started = c.start(e)
	}
	if w != nil {
		e.flight.add(w)
	}
	return Result{}, false, started
}

// start opens a flight on e, which is in no list.
func (c *Cache) start(e *entry) *Flight {
	e.flight = &Flight{Name: e.name, e: e}
	return e.flight
}

// Finish ends flight f with r at now (ms): stores the outcome as the policy
// says, then calls every waiter's Done, first come first, with the stored
// Result. r.Addrs is copied; the caller may reuse its slice once Finish
// returns. An answer is kept for CacheConfig.Valid, else r.TTL seconds (a
// TTL of 0 serves only the waiters); CodeNotFound for NegativeTTL; other
// errors not at all. A CodeOK result with no address counts as
// CodeNotFound. Finishing a flight a second time does nothing.
func (c *Cache) Finish(f *Flight, r Result, now int64) {
	e := f.e
	if e == nil {
		return
	}
	f.e, e.flight = nil, nil
	if r.Code == CodeOK && len(r.Addrs) == 0 {
		r.Code = CodeNotFound
	}
	var life int64
	switch {
	case r.Code == CodeOK:
		r.Addrs = append([]netip.Addr(nil), r.Addrs...)
		life = c.cfg.Valid
		if life <= 0 {
			life = int64(r.TTL) * 1000
		}
	case r.Code == CodeNotFound:
		life = c.cfg.NegativeTTL
		r.Addrs = nil
	default:
		r.Addrs = nil
	}
	if life > 0 {
		e.res, e.expires = r, now+life
		c.pushFront(e)
		for c.n > c.cfg.MaxEntries {
			c.remove(c.tail)
		}
	} else {
		delete(c.names, e.name)
	}
	for f.head != nil { // pop one at a time: a Done may Cancel another waiter
		w := f.head
		f.head = w.next
		if f.head != nil {
			f.head.prev = nil
		} else {
			f.tail = nil
		}
		f.n--
		w.flight, w.next = nil, nil
		w.Done(r)
	}
}

// Cancel takes w out of the flight it waits on, so its Done will not run:
// the asker gave up (its own timeout, its coroutine killed). The flight
// goes on for the others, and its answer still fills the cache. It reports
// whether w was waiting.
func (c *Cache) Cancel(w *Waiter) bool {
	f := w.flight
	if f == nil {
		return false
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		f.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		f.tail = w.prev
	}
	w.flight, w.prev, w.next = nil, nil, nil
	f.n--
	return true
}

// add queues w last on f.
func (f *Flight) add(w *Waiter) {
	if w.flight != nil {
		panic("resolve: Waiter given to Resolve while it is waiting")
	}
	w.flight, w.prev, w.next = f, f.tail, nil
	if f.tail != nil {
		f.tail.next = w
	} else {
		f.head = w
	}
	f.tail = w
	f.n++
}

// sweep frees up to sweepPerCall expired entries from the cold end.
func (c *Cache) sweep(now int64) {
	for i := 0; i < sweepPerCall && c.tail != nil && now >= c.tail.expires; i++ {
		c.remove(c.tail)
	}
}

// remove drops the finished entry e from the list and the map.
func (c *Cache) remove(e *entry) {
	c.unlink(e)
	delete(c.names, e.name)
}

// pushFront links the finished entry e as the most recently used.
func (c *Cache) pushFront(e *entry) {
	e.prev, e.next = nil, c.head
	if c.head != nil {
		c.head.prev = e
	} else {
		c.tail = e
	}
	c.head = e
	c.n++
}

// unlink takes the finished entry e out of the list.
func (c *Cache) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
	c.n--
}
