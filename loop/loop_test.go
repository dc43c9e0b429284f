package loop

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luring/luring/ring"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBackendFollowsEnvironment(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	switch os.Getenv(ring.EnvBackend) {
	case "epoll":
		assert.Equal(t, ring.BackendEpoll, l.Backend())
	case "io_uring":
		assert.Equal(t, ring.BackendUring, l.Backend())
	default:
		assert.NotEmpty(t, l.Backend())
	}
}

func TestPostStormFromEightGoroutines(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	const goroutines, each = 8, 5000
	var ran atomic.Int64
	var onLoopThread atomic.Int64 // counted only on the loop thread
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				require.NoError(t, l.Post(func() { ran.Add(1); onLoopThread.Add(1) }))
			}
		}()
	}
	wg.Wait()
	onLoop(t, l, func() {}) // FIFO: everything posted before has run
	assert.Equal(t, int64(goroutines*each), ran.Load())
	assert.Equal(t, ran.Load(), onLoopThread.Load())
}

func TestPostRunsInOrder(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	var got []int
	for i := 0; i < 100; i++ {
		require.NoError(t, l.Post(func() { got = append(got, i) }))
	}
	onLoop(t, l, func() {})
	for i := range got {
		require.Equal(t, i, got[i])
	}
	assert.Len(t, got, 100)
}

func TestPostAfterStopFails(t *testing.T) {
	l, err := Start(Options{Log: func(string) {}}, nil)
	require.NoError(t, err)
	require.NoError(t, l.Stop())
	assert.ErrorIs(t, l.Post(func() {}), ErrStopped)
	select {
	case <-l.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
}

func TestSetupErrorStopsLoop(t *testing.T) {
	boom := os.ErrInvalid
	_, err := Start(Options{Log: func(string) {}}, func(l *Loop) error { return boom })
	assert.ErrorIs(t, err, boom)
}

func TestTimersFireInDeadlineOrder(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	done := make(chan []int, 1)
	onLoop(t, l, func() {
		var order []int
		for _, ms := range []int{30, 10, 20, 0} {
			l.AfterFunc(time.Duration(ms)*time.Millisecond, func() {
				order = append(order, ms)
				if len(order) == 4 {
					done <- order
				}
			})
		}
	})
	select {
	case order := <-done:
		assert.Equal(t, []int{0, 10, 20, 30}, order)
	case <-time.After(5 * time.Second):
		t.Fatal("timers did not fire")
	}
}

func TestTimerStopAndReset(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	fired := make(chan string, 4)
	onLoop(t, l, func() {
		stopped := l.AfterFunc(5*time.Millisecond, func() { fired <- "stopped" })
		assert.True(t, stopped.Stop())
		assert.False(t, stopped.Stop())
		assert.False(t, stopped.Active())
		moved := l.AfterFunc(time.Hour, func() { fired <- "moved" })
		assert.True(t, moved.Reset(10*time.Millisecond))
		l.AfterFunc(40*time.Millisecond, func() { fired <- "last" })
	})
	assert.Equal(t, "moved", <-fired)
	assert.Equal(t, "last", <-fired)
	assert.Empty(t, fired)
}

func TestHundredThousandTimers(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	const n = 100000
	var fired, cancelled int
	done := make(chan struct{})
	onLoop(t, l, func() {
		timers := make([]*Timer, n)
		for i := 0; i < n; i++ {
			timers[i] = l.AfterFunc(time.Duration(1+i%50)*time.Millisecond, func() {
				fired++
				if fired == n/2 {
					close(done)
				}
			})
		}
		for i := 0; i < n; i += 2 {
			if timers[i].Stop() {
				cancelled++
			}
		}
	})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("timers did not all fire")
	}
	onLoop(t, l, func() {
		assert.Equal(t, n/2, cancelled)
		assert.Equal(t, n/2, fired)
		assert.Empty(t, l.timers)
	})
}

func TestStopClosesListenersAndConnections(t *testing.T) {
	var closed atomic.Int32
	var addr string
	l, err := Start(Options{Log: func(string) {}}, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			c.OnData(func(c *Conn, b []byte) int { c.Write(b); return len(b) })
			c.OnClose(func(c *Conn, err error) { closed.Add(1) })
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	require.NoError(t, err)
	c := dialT(t, addr)
	assert.Equal(t, []byte("hi"), roundTrip(t, c, []byte("hi")))
	require.NoError(t, l.Stop())
	assert.Equal(t, int32(1), closed.Load())
	buf := make([]byte, 1)
	_, err = c.Read(buf)
	assert.Error(t, err, "the server side closed")
}

func TestPostAfterLoopEndedOnItsOwnFails(t *testing.T) {
	l, err := Start(Options{Log: func(string) {}}, nil)
	require.NoError(t, err)
	// Close the ring under the loop: its next Wait fails and the loop ends
	// without anyone calling Stop. (This Post may itself see the closed
	// ring: the loop can run the function before Post's wake-up.)
	_ = l.Post(func() { l.r.Close() })
	<-l.Done()
	assert.ErrorIs(t, l.Post(func() {}), ErrStopped)
}

// TestBusyLoopYields: a loop kept busy reschedules itself every few ms, so
// the runtime's sysmon never has to preempt it (after a preemption sysmon
// polls every 20 µs again, on the loop's CPU).
//
// A loaded machine only stretches the time between turns, which makes
// yields sparser per ms, never denser: the test waits (within a deadline)
// for a number of yields and checks they were at least yieldEvery apart,
// not for a number of yields within a span of time.
func TestBusyLoopYields(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	const want = 8
	var start int64
	var before int
	onLoop(t, l, func() { start, before = l.now, l.yields })
	done := make(chan int64, 1) // l.now once the loop yielded want times
	var spin func()
	spin = func() {
		if l.yields-before >= want {
			done <- l.now
			return
		}
		for t0 := time.Now(); time.Since(t0) < 200*time.Microsecond; {
		}
		if err := l.Post(spin); !errors.Is(err, ErrStopped) { // stopped: the test failed and ended
			assert.NoError(t, err)
		}
	}
	require.NoError(t, l.Post(spin))
	select {
	case end := <-done:
		assert.GreaterOrEqual(t, end-start, int64((want-1)*yieldEvery),
			"%d yields at most one per %d ms of loop time", want, yieldEvery)
	case <-time.After(10 * time.Second):
		t.Fatalf("a busy loop did not yield %d times", want)
	}
}
