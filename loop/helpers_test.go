package loop

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testLog collects a loop's notices for assertions.
type testLog struct {
	mu    sync.Mutex
	lines []string
	ch    chan string
}

func newTestLog() *testLog { return &testLog{ch: make(chan string, 64)} }

func (tl *testLog) log(msg string) {
	tl.mu.Lock()
	tl.lines = append(tl.lines, msg)
	tl.mu.Unlock()
	select {
	case tl.ch <- msg:
	default:
	}
}

func (tl *testLog) all() []string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]string(nil), tl.lines...)
}

// startLoop starts a loop on the backend LURING_BACKEND names and stops it
// when the test ends.
func startLoop(t *testing.T, opts Options, setup func(l *Loop) error) *Loop {
	t.Helper()
	if opts.Log == nil {
		opts.Log = func(msg string) { t.Log(msg) }
	}
	l, err := Start(opts, setup)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Stop()) })
	return l
}

// onLoop runs fn on l's thread and waits for it.
func onLoop(t *testing.T, l *Loop, fn func()) {
	t.Helper()
	done := make(chan struct{})
	require.NoError(t, l.Post(func() { fn(); close(done) }))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("posted function did not run")
	}
}

// echoServer starts a loop with an echo listener and returns its address.
func echoServer(t *testing.T, opts Options) (*Loop, string) {
	t.Helper()
	var addr string
	l := startLoop(t, opts, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			c.OnData(func(c *Conn, b []byte) int { c.Write(b); return len(b) })
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	return l, addr
}

// dialT connects a test client with a deadline.
func dialT(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(20*time.Second)))
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads the same number of bytes back.
func roundTrip(t *testing.T, c net.Conn, msg []byte) []byte {
	t.Helper()
	_, err := c.Write(msg)
	require.NoError(t, err)
	got := make([]byte, len(msg))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	return got
}
