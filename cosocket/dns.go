package cosocket

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/loop"
)

// DNSConfig is one resolver's configuration: what nginx's resolver and
// resolver_timeout directives say.
type DNSConfig struct {
	// Servers are the name servers, asked in turn.
	Servers []netip.AddrPort
	// Valid, when > 0, is how long an answer stays cached whatever its TTL
	// (the valid= parameter); 0 keeps answers for their TTL.
	Valid time.Duration
	// IPv4 and IPv6 choose the address families asked for (ipv4=, ipv6=).
	// With both, an A and an AAAA query go out together and their answers
	// are merged, IPv4 addresses first, as nginx does. Both false means
	// IPv4 only.
	IPv4, IPv6 bool
	// Timeout bounds one lookup, from the Resolve call to its result
	// (resolver_timeout); 0 means DefaultResolverTimeout.
	Timeout time.Duration
}

// DefaultResolverTimeout is resolver_timeout's default in nginx.
const DefaultResolverTimeout = 30 * time.Second

// resendInterval is how long a query waits before it is sent again to the
// next server: nginx's r->resend_timeout, 5 s, fixed.
const resendInterval = 5 * time.Second

// ErrResolverClosed is the error of a lookup that was pending when its DNS
// was closed (the worker stops), or that began after. Its text is
// ngx_lua's "resolver not working": nginx itself never answers such a
// lookup (its request is torn down with the worker), so luring uses the
// catalogue's text for "resolution ended with no address".
var ErrResolverClosed = errors.New(resolve.ErrTextNotWorking)

// ResolveError is a lookup that failed with a resolver code: an error
// answer, no address for the name, or no answer in time. Its text is
// ngx_lua's: "NAME could not be resolved (CODE: TEXT)".
type ResolveError struct {
	// Name is the name as the resolver asked for it (resolve.Canonical:
	// lower-cased, one trailing dot dropped), which is what ngx_lua prints.
	Name string
	// Code says why: resolve.CodeNotFound, CodeServFail, CodeTimedOut...
	Code resolve.Code
}

func (e *ResolveError) Error() string { return resolve.CouldNotResolve(e.Name, e.Code) }

// DNS is one non-blocking resolver of a worker: its own cache (one query in
// flight per name), and one connected UDP socket per name server, opened
// when first needed. nginx has one resolver per resolver directive, each
// with its own cache; the Lua binding keeps one DNS per directive. It
// implements Resolver. Loop thread only.
//
// A lookup (Resolve) goes: the name's Canonical form (a name that cannot be
// asked fails as "(3: Host not found)" with no query, as in nginx); the
// worker's hosts table (a luring extension: nginx's resolver never reads
// /etc/hosts); the cache; else the name's flight, joined or started. A
// flight sends the A query (and the AAAA query, with IPv6) over UDP to one
// server, the servers taken in turn from lookup to lookup, and again every
// 5 s to the next server while nobody answers; a truncated answer is asked
// again over TCP, an answer that is only a CNAME is followed with a query
// for its target. Answers are matched by ID and question; anything else
// is dropped and the flight keeps waiting. Each asker's lookup ends after
// Timeout with "(110: Operation timed out)"; a flight that nobody waits for
// any more stops.
type DNS struct {
	w       *Worker
	cfg     DNSConfig
	timeout time.Duration
	// resendEvery is resendInterval; tests shorten it.
	resendEvery time.Duration
	cache       *resolve.Cache
	servers     []*nameServer
	nextServer  int // the server the next new flight asks first (r->last_connection)

	flights map[string]*flight // in flight, by the cache's name
	byID    map[uint16]*flight // in flight, by query ID

	freeFlights []*flight
	freeAskers  []*asker

	// ready are askers whose result is known, delivered from the run
	// queue by readyTask, first come first.
	readyHead, readyTail *asker
	readyTask            loop.Task

	out  []netip.Addr                 // the addresses handed to a done, picked one first
	qbuf [resolve.MaxQueryLenTCP]byte // scratch for building a query
	// closed: Close was called; lookups fail with ErrResolverClosed.
	closed bool
}

// maxFreeAskers bounds the pool of asker structs.
const maxFreeAskers = 256

// NewDNS returns a resolver of the worker with configuration cfg. Nothing
// is opened until a lookup needs a server. Exit closes it with the worker.
func (w *Worker) NewDNS(cfg DNSConfig) *DNS {
	d := &DNS{
		w:           w,
		cfg:         cfg,
		timeout:     cfg.Timeout,
		resendEvery: resendInterval,
		cache:       resolve.NewCache(resolve.CacheConfig{Valid: cfg.Valid.Milliseconds()}),
		flights:     make(map[string]*flight),
		byID:        make(map[uint16]*flight),
	}
	if !cfg.IPv4 && !cfg.IPv6 {
		d.cfg.IPv4 = true
	}
	if d.timeout <= 0 {
		d.timeout = DefaultResolverTimeout
	}
	for _, a := range cfg.Servers {
		s := &nameServer{d: d, addr: a}
		s.recvFn = s.onRecv
		d.servers = append(d.servers, s)
	}
	d.readyTask.Init(d.deliverReady)
	w.resolvers = append(w.resolvers, d)
	return d
}

// Config returns the resolver's configuration.
func (d *DNS) Config() DNSConfig { return d.cfg }

// asker is one Resolve call: its done, and its place in a flight while it
// waits. Pooled by the DNS; gen tells a stale cancel from a live one.
type asker struct {
	d     *DNS
	w     resolve.Waiter // Done is onResult, bound once
	timer *loop.Timer    // the asker's resolver_timeout, bound once to onTimeout
	done  func(addrs []netip.Addr, err error)
	name  string  // the Canonical name, for the error text
	fl    *flight // the flight waited on, while waiting
	gen   uint32  // bumped each time the asker is put back
	state askState

	// Result to deliver from the run queue (askReady).
	addrs []netip.Addr
	err   error
	pick  bool          // pick one of addrs to put first (a DNS answer; hosts entries keep their order)
	lit   [1]netip.Addr // an IP literal's answer
	next  *asker        // link in the ready list
}

// askState is where an asker is.
type askState uint8

const (
	askIdle      askState = iota // in the pool
	askWaiting                   // on a flight, its timer armed
	askReady                     // in the ready list
	askCancelled                 // in the ready list, cancelled: not delivered
)

// Resolve looks name up and calls done from the loop with its addresses,
// the one to connect to first (picked at random among several, as ngx_lua
// does), or an error: a *ResolveError, ErrResolverClosed, or "no resolver
// defined" when the DNS has no server and the hosts table does not know
// the name. done never runs inside Resolve; cancel takes the lookup back.
// An IP literal is its own answer.
func (d *DNS) Resolve(host string, done func(addrs []netip.Addr, err error)) (cancel func()) {
	a := d.getAsker()
	a.done = done
	gen := a.gen
	cancel = func() { d.cancel(a, gen) }
	if d.closed {
		d.ready(a, nil, ErrResolverClosed)
		return cancel
	}
	if ip, ok := literal(host); ok {
		a.lit[0] = ip
		d.ready(a, a.lit[:], nil)
		return cancel
	}
	name, err := resolve.Canonical(host)
	if err != nil {
		// nginx lower-cases the name and drops a trailing dot before it
		// declines to query it, and ngx_lua prints it so.
		d.ready(a, nil, &ResolveError{Name: asked(host), Code: resolve.CodeNotFound})
		return cancel
	}
	a.name = name
	if addrs := d.fromHosts(name); len(addrs) > 0 {
		d.ready(a, addrs, nil)
		return cancel
	}
	if len(d.servers) == 0 {
		d.ready(a, nil, noResolverError{host})
		return cancel
	}
	r, hit, rf := d.cache.Resolve(name, d.now(), &a.w)
	if hit {
		if r.Code != resolve.CodeOK {
			d.ready(a, nil, &ResolveError{Name: name, Code: r.Code})
			return cancel
		}
		a.pick = true
		d.ready(a, r.Addrs, nil)
		return cancel
	}
	a.state = askWaiting
	a.timer.Reset(d.timeout)
	if rf != nil {
		a.fl = d.getFlight()
		a.fl.begin(rf)
	} else if a.fl = d.flights[name]; a.fl == nil {
		panic("cosocket: the resolver cache has a flight the DNS does not know")
	}
	return cancel
}

// Close closes the resolver: its sockets close, its flights stop, and every
// lookup still waiting fails with ErrResolverClosed, from the run queue.
// Results already known are still delivered. Closing twice does nothing.
func (d *DNS) Close() {
	if d.closed {
		return
	}
	d.closed = true
	for len(d.flights) > 0 {
		for _, fl := range d.flights {
			fl.end(resolve.Result{Code: resolve.CodeTimedOut}) // onResult sees closed
			break
		}
	}
	for _, s := range d.servers {
		s.close()
	}
	if i := slices.Index(d.w.resolvers, d); i >= 0 {
		d.w.resolvers = slices.Delete(d.w.resolvers, i, i+1)
	}
}

// Closed reports whether Close was called.
func (d *DNS) Closed() bool { return d.closed }

// now is the loop's clock in ms, the cache's time.
func (d *DNS) now() int64 { return d.w.l.Now().UnixMilli() }

// fromHosts returns the hosts table's addresses for name in the families
// the resolver asks for, in file order (nil when none).
func (d *DNS) fromHosts(name string) []netip.Addr {
	addrs := d.w.hosts.Lookup(name)
	n := 0
	for _, a := range addrs {
		if d.family(a) {
			n++
		}
	}
	switch {
	case n == len(addrs):
		return addrs
	case n == 0:
		return nil
	case n == 1:
		for i, a := range addrs {
			if d.family(a) {
				return addrs[i : i+1 : i+1]
			}
		}
	}
	return slices.DeleteFunc(slices.Clone(addrs), func(a netip.Addr) bool { return !d.family(a) })
}

// family reports whether a is of a family the resolver asks for.
func (d *DNS) family(a netip.Addr) bool {
	if a.Is4() {
		return d.cfg.IPv4
	}
	return d.cfg.IPv6
}

// ready queues a's result for delivery from the run queue.
func (d *DNS) ready(a *asker, addrs []netip.Addr, err error) {
	a.state, a.addrs, a.err = askReady, addrs, err
	if d.readyTail == nil {
		d.readyHead = a
	} else {
		d.readyTail.next = a
	}
	d.readyTail = a
	d.w.l.Schedule(&d.readyTask)
}

// deliverReady runs from the run queue: it delivers the results queued
// before it began; those queued meanwhile (a done that resolves again) wait
// for the task's next run, so a chain of lookups cannot hold the loop.
func (d *DNS) deliverReady() {
	a := d.readyHead
	d.readyHead, d.readyTail = nil, nil
	for a != nil {
		next := a.next
		a.next = nil
		if a.state == askCancelled {
			d.putAsker(a)
		} else {
			done, err := a.done, a.err
			var addrs []netip.Addr
			if a.pick {
				addrs = d.order(a.addrs)
			} else if a.addrs != nil {
				// Copied: a.lit is the asker's, which done may reuse.
				addrs = append(d.out[:0], a.addrs...)
				d.out = addrs
			}
			d.putAsker(a)
			done(addrs, err)
		}
		a = next
	}
}

// onResult is the asker's Waiter.Done: its flight finished with r.
func (a *asker) onResult(r resolve.Result) {
	d := a.d
	a.timer.Stop()
	a.fl = nil
	if d.closed {
		d.ready(a, nil, ErrResolverClosed)
		return
	}
	done, name := a.done, a.name
	d.putAsker(a)
	if r.Code != resolve.CodeOK {
		done(nil, &ResolveError{Name: name, Code: r.Code})
		return
	}
	done(d.order(r.Addrs), nil)
}

// onTimeout: the asker waited resolver_timeout. Its flight goes on for the
// others, or stops when it was the last.
func (a *asker) onTimeout() {
	if a.state != askWaiting {
		return
	}
	d, fl := a.d, a.fl
	d.cache.Cancel(&a.w)
	done, name := a.done, a.name
	d.putAsker(a)
	fl.abandoned()
	done(nil, &ResolveError{Name: name, Code: resolve.CodeTimedOut})
}

// cancel is an asker's cancel function: done will not run.
func (d *DNS) cancel(a *asker, gen uint32) {
	if a.gen != gen {
		return // delivered, or cancelled, already
	}
	switch a.state {
	case askReady:
		a.state = askCancelled // deliverReady puts it back
	case askWaiting:
		a.timer.Stop()
		d.cache.Cancel(&a.w)
		fl := a.fl
		d.putAsker(a)
		fl.abandoned()
	}
}

// order returns addrs with one picked at random (resolve.Pick, the
// worker's generator) first, the others after it in their order. The
// result is valid until the next order call; addrs is not modified.
func (d *DNS) order(addrs []netip.Addr) []netip.Addr {
	if len(addrs) < 2 {
		return addrs
	}
	p := resolve.Pick(addrs, d.w.rng)
	out := append(d.out[:0], p)
	skipped := false
	for _, a := range addrs {
		if a == p && !skipped {
			skipped = true
			continue
		}
		out = append(out, a)
	}
	d.out = out
	return out
}

// getAsker takes an asker from the pool, or makes one.
func (d *DNS) getAsker() *asker {
	if n := len(d.freeAskers); n > 0 {
		a := d.freeAskers[n-1]
		d.freeAskers[n-1] = nil
		d.freeAskers = d.freeAskers[:n-1]
		return a
	}
	a := &asker{d: d}
	a.w.Done = a.onResult
	a.timer = d.w.l.NewTimer(a.onTimeout)
	return a
}

// putAsker returns a to the pool; its cancel function goes stale.
func (d *DNS) putAsker(a *asker) {
	a.gen++
	a.state = askIdle
	a.done, a.fl, a.addrs, a.err, a.pick, a.name = nil, nil, nil, nil, false, ""
	if len(d.freeAskers) < maxFreeAskers {
		d.freeAskers = append(d.freeAskers, a)
	}
}

// literal parses host as an IP address, trying only what can be one (a
// host name never ends with a digit label and never has a colon, in
// practice), so a name costs no failed parse.
func literal(host string) (netip.Addr, bool) {
	n := len(host)
	if n == 0 || (strings.IndexByte(host, ':') < 0 && (host[n-1] < '0' || host[n-1] > '9')) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	return a, err == nil
}

// asked is host as nginx's resolver holds it once it has begun: one
// trailing dot dropped, ASCII letters lower-cased.
func asked(host string) string {
	host = strings.TrimSuffix(host, ".")
	for i := 0; i < len(host); i++ {
		if c := host[i]; 'A' <= c && c <= 'Z' {
			b := []byte(host)
			for j, c := range b {
				if 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return host
}
