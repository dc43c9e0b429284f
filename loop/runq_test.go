package loop

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collect runs setup on a fresh loop's thread and returns the strings it
// and the work it queues send to out, up to "end".
func collect(t *testing.T, setup func(l *Loop, out chan<- string)) []string {
	t.Helper()
	out := make(chan string, 64)
	l := startLoop(t, Options{}, nil)
	require.NoError(t, l.Post(func() { setup(l, out) }))
	var got []string
	for {
		select {
		case s := <-out:
			if s == "end" {
				return got
			}
			got = append(got, s)
		case <-time.After(10 * time.Second):
			t.Fatalf("no end after %v", got)
		}
	}
}

func TestScheduleRunsLaterInOrder(t *testing.T) {
	got := collect(t, func(l *Loop, out chan<- string) {
		a := NewTask(func() { out <- "a" })
		b := NewTask(func() {
			out <- "b"
			// Queued while the queue runs: after everything queued before.
			l.Soon(func() { out <- "d"; out <- "end" })
		})
		l.Schedule(a)
		l.Schedule(b)
		l.Schedule(a) // already queued: runs once
		l.Soon(func() { out <- "c" })
		out <- "caller returns"
	})
	assert.Equal(t, []string{"caller returns", "a", "b", "c", "d"}, got)
}

func TestTaskRunsAgainOnceRescheduled(t *testing.T) {
	got := collect(t, func(l *Loop, out chan<- string) {
		n := 0
		var tk *Task
		tk = NewTask(func() {
			n++
			out <- "run"
			if n < 3 {
				l.Schedule(tk)
				return
			}
			out <- "end"
		})
		l.Schedule(tk)
	})
	assert.Equal(t, []string{"run", "run", "run"}, got)
}

// A task that reschedules itself forever must not starve timers, posts or
// I/O: the queue runs maxTasksPerTurn tasks at most per turn.
func TestRescheduledTaskDoesNotStarveTheLoop(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	stop := make(chan struct{})
	fired := make(chan struct{})
	require.NoError(t, l.Post(func() {
		var spin *Task
		spin = NewTask(func() {
			select {
			case <-stop:
			default:
				l.Schedule(spin)
			}
		})
		l.Schedule(spin)
		l.AfterFunc(time.Millisecond, func() { close(fired) })
	}))
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("a timer never fired while a task kept rescheduling itself")
	}
	posted := make(chan struct{})
	require.NoError(t, l.Post(func() { close(posted) }))
	select {
	case <-posted:
	case <-time.After(10 * time.Second):
		t.Fatal("a posted function never ran while a task kept rescheduling itself")
	}
	close(stop)
}

func TestSoonReusesItsTasks(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	allocs := make(chan float64, 1)
	noop := func() {}
	require.NoError(t, l.Post(func() {
		// Warm the free list, then measure one schedule-and-run cycle.
		l.Soon(noop)
		l.runTasks()
		allocs <- testing.AllocsPerRun(100, func() {
			l.Soon(noop)
			l.runTasks()
		})
	}))
	select {
	case a := <-allocs:
		assert.Zero(t, a)
	case <-time.After(10 * time.Second):
		t.Fatal("measurement did not run")
	}
}

// A dial that fails before it starts reports on a later step, never inside
// Dial.
func TestDialFailureIsNotReportedInsideDial(t *testing.T) {
	got := collect(t, func(l *Loop, out chan<- string) {
		l.Dial("tcp", "not an address", time.Second, func(c *Conn, err error) {
			if err != nil {
				out <- "failed"
			}
			out <- "end"
		})
		out <- "Dial returned"
	})
	assert.Equal(t, []string{"Dial returned", "failed"}, got)
}
