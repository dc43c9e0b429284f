package loop

import "time"

// Timer runs a function on its loop's thread once its deadline has passed.
// Make one with Loop.AfterFunc, or Loop.NewTimer and Reset to reuse it without
// allocating. A Timer belongs to one loop and is used on that loop's thread only.
type Timer struct {
	l    *Loop
	fn   func()
	when int64 // deadline, ms on the loop's monotonic clock
	idx  int   // position in the heap; -1 when not armed
}

// NewTimer returns a stopped timer that will run fn. Arm it with Reset.
func (l *Loop) NewTimer(fn func()) *Timer {
	return &Timer{l: l, fn: fn, idx: -1}
}

// AfterFunc runs fn on the loop's thread after d (millisecond resolution).
func (l *Loop) AfterFunc(d time.Duration, fn func()) *Timer {
	t := l.NewTimer(fn)
	t.Reset(d)
	return t
}

// Reset (re)arms t to fire after d from the loop's current time. It reports
// whether t was armed before.
func (t *Timer) Reset(d time.Duration) bool {
	ms := d.Milliseconds()
	if d > 0 && ms == 0 {
		ms = 1
	}
	when := t.l.nowMs() + ms
	if t.idx >= 0 {
		t.when = when
		t.l.timers.fix(t.idx)
		return true
	}
	t.when = when
	t.l.timers.push(t)
	return false
}

// Stop disarms t. It reports whether t was armed (and so will now not run).
func (t *Timer) Stop() bool {
	if t.idx < 0 {
		return false
	}
	t.l.timers.remove(t.idx)
	return true
}

// Active reports whether t is armed.
func (t *Timer) Active() bool { return t.idx >= 0 }

// timerHeap is a binary min-heap of armed timers by deadline. Loop thread only.
type timerHeap []*Timer

func (h *timerHeap) push(t *Timer) {
	*h = append(*h, t)
	t.idx = len(*h) - 1
	h.up(t.idx)
}

func (h *timerHeap) remove(i int) {
	s := *h
	last := len(s) - 1
	t := s[i]
	if i != last {
		s[i] = s[last]
		s[i].idx = i
	}
	s[last] = nil
	*h = s[:last]
	t.idx = -1
	if i != last {
		h.fix(i)
	}
}

func (h timerHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h timerHeap) less(i, j int) bool { return h[i].when < h[j].when }

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h timerHeap) down(i int) bool {
	start := i
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

// runTimers runs every timer whose deadline has passed, in deadline order.
// A timer re-armed by its own function for a time already passed waits for
// the next turn, so a zero-delay timer loop cannot starve I/O.
func (l *Loop) runTimers() {
	now := l.nowMs()
	n := len(l.timers)
	for i := 0; i < n && len(l.timers) > 0; i++ {
		t := l.timers[0]
		if t.when > now {
			return
		}
		l.timers.remove(0)
		t.fn()
	}
}

// nextTimeout is how long Wait may block: until the earliest timer, or
// forever (-1) when none is armed.
func (l *Loop) nextTimeout() time.Duration {
	if len(l.timers) == 0 {
		return -1
	}
	d := l.timers[0].when - l.nowMs()
	if d <= 0 {
		return 0
	}
	return time.Duration(d) * time.Millisecond
}
