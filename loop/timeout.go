package loop

import "time"

// TimeoutQueue times out many owners after one same duration: the timeouts
// a server applies to its connections (keepalive_timeout,
// client_header_timeout, send_timeout) are a few configured durations
// shared by thousands of connections. Since every timeout of a queue waits
// the same time, deadline order is start order: the queue is a FIFO, so
// starting, restarting and stopping one is O(1), and the whole queue needs
// one Timer of the loop, armed for its head. The Timeout itself is embedded
// in its owner (5 words), where a Timer per owner would cost an object, a
// bound closure and a slot in the loop's heap each: the difference matters
// for idle keep-alive connections, which hold nothing else.
//
// A queue and its timeouts belong to one loop and are used on its thread
// only.
type TimeoutQueue[T any] struct {
	l          *Loop
	ms         int64         // the duration in ms (at least 1 for a positive one)
	d          time.Duration // as given
	head, tail *Timeout[T]   // oldest first, so soonest deadline first
	n          int           // timeouts queued
	fn         func(owner *T)
	// timer is armed at or before head's deadline while the queue is not
	// empty. It is left armed when the head leaves early (it then fires
	// early, once, and is re-armed for the new head), so that restarting
	// timeouts costs no work in the loop's heap.
	timer *Timer
}

// Timeout is one owner's place in a TimeoutQueue. Embed it in the owner;
// the zero value is stopped.
type Timeout[T any] struct {
	prev, next *Timeout[T]
	q          *TimeoutQueue[T] // the queue it waits in; nil when stopped
	owner      *T               // passed to the queue's function
	when       int64            // deadline, ms on the loop's clock
}

// NewTimeoutQueue returns a queue whose timeouts run fn(owner) on the
// loop's thread once d has passed since they were started (millisecond
// resolution, as Timer).
func NewTimeoutQueue[T any](l *Loop, d time.Duration, fn func(owner *T)) *TimeoutQueue[T] {
	ms := d.Milliseconds()
	if d > 0 && ms == 0 {
		ms = 1
	}
	q := &TimeoutQueue[T]{l: l, ms: ms, d: d, fn: fn}
	q.timer = l.NewTimer(q.expire)
	return q
}

// Duration returns the queue's duration, as given to NewTimeoutQueue.
func (q *TimeoutQueue[T]) Duration() time.Duration { return q.d }

// Len returns how many timeouts wait in the queue.
func (q *TimeoutQueue[T]) Len() int { return q.n }

// Start (re)starts t for owner: fn(owner) runs once the queue's duration
// has passed from the loop's current time, unless t is stopped or started
// again first. t leaves the queue it was in, whichever that was.
func (q *TimeoutQueue[T]) Start(t *Timeout[T], owner *T) {
	if t.q != nil {
		t.q.unlink(t)
	}
	t.owner = owner
	t.when = q.l.nowMs() + q.ms
	t.q = q
	t.prev = q.tail
	if q.tail != nil {
		q.tail.next = t
	} else {
		q.head = t
	}
	q.tail = t
	q.n++
	if !q.timer.Active() {
		q.timer.Reset(time.Duration(q.ms) * time.Millisecond)
	}
}

// Stop stops t. It reports whether t was waiting (and so will now not run).
func (t *Timeout[T]) Stop() bool {
	if t.q == nil {
		return false
	}
	t.q.unlink(t)
	return true
}

// Active reports whether t waits in a queue.
func (t *Timeout[T]) Active() bool { return t.q != nil }

// Queue returns the queue t waits in, nil when it is stopped.
func (t *Timeout[T]) Queue() *TimeoutQueue[T] { return t.q }

func (q *TimeoutQueue[T]) unlink(t *Timeout[T]) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		q.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		q.tail = t.prev
	}
	t.prev, t.next, t.q, t.owner = nil, nil, nil, nil
	q.n--
}

// expire runs the timeouts whose deadline has passed, oldest first, and
// re-arms the queue's timer for the next. A timeout started again by its
// own function waits for the next round even if the duration is 0, so a
// zero-duration queue cannot starve I/O.
func (q *TimeoutQueue[T]) expire() {
	now := q.l.nowMs()
	for n := q.n; n > 0 && q.head != nil && q.head.when <= now; n-- {
		t := q.head
		owner := t.owner
		q.unlink(t)
		q.fn(owner)
	}
	// Reset even when a function's Start armed the timer: for its own
	// deadline, later than the head's.
	if q.head != nil {
		q.timer.Reset(time.Duration(max(q.head.when-now, 0)) * time.Millisecond)
	}
}
