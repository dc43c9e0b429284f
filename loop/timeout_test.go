package loop

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// owner is a struct with an embedded Timeout, as a connection has.
type owner struct {
	name string
	to   Timeout[owner]
}

// TestTimeoutQueueOrder: timeouts of a queue fire in the order they were
// (re)started; stopped ones do not fire; a restart moves one to the back;
// each fires once.
func TestTimeoutQueueOrder(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	fired := make(chan string, 8)
	var a, b, c, d owner
	onLoop(t, l, func() {
		q := NewTimeoutQueue(l, 30*time.Millisecond, func(o *owner) { fired <- o.name })
		assert.Equal(t, 30*time.Millisecond, q.Duration())
		a.name, b.name, c.name, d.name = "a", "b", "c", "d"
		for _, o := range []*owner{&a, &b, &c, &d} {
			q.Start(&o.to, o)
		}
		assert.Equal(t, 4, q.Len())
		q.Start(&a.to, &a) // a moves behind d
		assert.True(t, b.to.Stop())
		assert.False(t, b.to.Stop())
		assert.False(t, b.to.Active())
		assert.True(t, c.to.Active())
		assert.Same(t, q, c.to.Queue())
		assert.Equal(t, 3, q.Len())
	})
	for _, want := range []string{"c", "d", "a"} {
		select {
		case got := <-fired:
			assert.Equal(t, want, got)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not fire", want)
		}
	}
	onLoop(t, l, func() {
		assert.False(t, a.to.Active())
		assert.Nil(t, a.to.Queue())
	})
	select {
	case got := <-fired:
		t.Fatalf("%s fired twice or after Stop", got)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestTimeoutQueueDeadline: a timeout restarted shortly before its
// deadline waits its whole duration again from the restart, and the one
// behind it still fires on time though the queue's timer was armed for
// the first.
func TestTimeoutQueueDeadline(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	type result struct {
		name    string
		elapsed time.Duration
	}
	fired := make(chan result, 4)
	var a, b owner
	a.name, b.name = "a", "b"
	start := time.Now()
	var q *TimeoutQueue[owner]
	onLoop(t, l, func() {
		q = NewTimeoutQueue(l, 200*time.Millisecond, func(o *owner) {
			fired <- result{o.name, time.Since(start)}
		})
		q.Start(&a.to, &a)
	})
	time.Sleep(100 * time.Millisecond)
	onLoop(t, l, func() {
		q.Start(&b.to, &b)
		q.Start(&a.to, &a) // now behind b
	})
	first, second := <-fired, <-fired
	assert.Equal(t, "b", first.name)
	assert.Equal(t, "a", second.name)
	// Lower bounds only: a loaded machine may run them late, never early.
	assert.GreaterOrEqual(t, first.elapsed, 300*time.Millisecond-5*time.Millisecond)
	assert.GreaterOrEqual(t, second.elapsed, first.elapsed)
}

// TestTimeoutQueueRestartInCallback: a function that restarts its own
// timeout (a zero duration included) runs again in a later turn, not in
// a loop within one; a timeout moved to another queue leaves the first.
func TestTimeoutQueueRestartInCallback(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	var o, other owner
	runs := make(chan int, 8)
	done := make(chan struct{})
	onLoop(t, l, func() {
		n := 0
		var q *TimeoutQueue[owner]
		q = NewTimeoutQueue(l, 0, func(x *owner) {
			n++
			runs <- n
			if n < 3 {
				q.Start(&x.to, x)
				assert.Equal(t, 1, q.Len())
			} else {
				close(done)
			}
		})
		q.Start(&o.to, &o)
		q2 := NewTimeoutQueue(l, time.Hour, func(*owner) { t.Error("hour queue fired") })
		q2.Start(&other.to, &other)
		q.Start(&other.to, &other) // moved: fires in q
		assert.Equal(t, 0, q2.Len())
		other.to.Stop()
	})
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("restarted timeouts did not run")
	}
	assert.Len(t, runs, 3)
}

// TestTimeoutQueueMany: 100,000 owners in one queue, every second one
// stopped; the others fire once each and the queue ends empty.
func TestTimeoutQueueMany(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	const n = 100000
	owners := make([]owner, n)
	fired := 0
	done := make(chan struct{})
	var q *TimeoutQueue[owner]
	onLoop(t, l, func() {
		q = NewTimeoutQueue(l, 20*time.Millisecond, func(o *owner) {
			fired++
			if fired == n/2 {
				close(done)
			}
		})
		for i := range owners {
			q.Start(&owners[i].to, &owners[i])
		}
		for i := 0; i < n; i += 2 {
			assert.True(t, owners[i].to.Stop())
		}
	})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("timeouts did not all fire")
	}
	onLoop(t, l, func() {
		assert.Equal(t, n/2, fired)
		assert.Zero(t, q.Len())
	})
}

// TestTimeoutQueueStartAllocates nothing.
func TestTimeoutQueueStartAllocates(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	var allocs float64
	onLoop(t, l, func() {
		q := NewTimeoutQueue(l, time.Minute, func(*owner) {})
		var os [64]owner
		allocs = testing.AllocsPerRun(100, func() {
			for i := range os {
				q.Start(&os[i].to, &os[i])
			}
			for i := range os {
				os[i].to.Stop()
			}
		})
	})
	assert.Zero(t, allocs)
}
