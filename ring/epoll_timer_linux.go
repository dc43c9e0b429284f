package ring

// timer is one pending Timeout of the epoll backend.
type timer struct {
	at int64  // deadline, ns on epollRing's monotonic clock
	ud uint64 // user_data of the Timeout
}

// timerHeap is a binary min-heap of timers ordered by deadline; no
// allocation once its capacity covers the pending timeouts.
type timerHeap []timer

// push adds t.
func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	h.up(len(*h) - 1)
}

// pop removes and returns the earliest timer; the heap must not be empty.
func (h *timerHeap) pop() timer {
	t := (*h)[0]
	h.removeAt(0)
	return t
}

// remove deletes the timer with user_data ud and reports whether there was one.
func (h *timerHeap) remove(ud uint64) bool {
	for i := range *h {
		if (*h)[i].ud == ud {
			h.removeAt(i)
			return true
		}
	}
	return false
}

// removeAt deletes the timer at index i.
func (h *timerHeap) removeAt(i int) {
	s := *h
	last := len(s) - 1
	s[i] = s[last]
	*h = s[:last]
	if i < last {
		h.down(i)
		h.up(i)
	}
}

// up restores the heap order from index i towards the root.
func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].at <= h[i].at {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

// down restores the heap order from index i towards the leaves.
func (h timerHeap) down(i int) {
	n := len(h)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && h[c+1].at < h[c].at {
			c++
		}
		if h[i].at <= h[c].at {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}
