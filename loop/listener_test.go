package loop

import (
	"strings"
	"testing"
	"time"

	"github.com/luring/luring/linux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// lowerNoFile lowers RLIMIT_NOFILE for the test. It must come before the
// loop arms its accept: io_uring reads the limit when an accept is prepared.
func lowerNoFile(t *testing.T) {
	t.Helper()
	cur, _ := linux.NoFile()
	restore, err := linux.SetNoFile(min(cur, 4096))
	require.NoError(t, err)
	t.Cleanup(restore)
}

// fillDescriptors opens descriptors until none is left. It returns the
// fillers; closing k of them frees k descriptors.
func fillDescriptors(t *testing.T) []int {
	t.Helper()
	var fillers []int
	t.Cleanup(func() {
		for _, fd := range fillers {
			unix.Close(fd)
		}
	})
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			require.ErrorIs(t, err, unix.EMFILE)
			return fillers
		}
		fillers = append(fillers, fd)
	}
}

func TestAcceptEMFILEBacksOffAndRecovers(t *testing.T) {
	lowerNoFile(t)
	tl := newTestLog()
	_, addr := echoServer(t, Options{Log: tl.log})
	existing := dialT(t, addr)
	assert.Equal(t, []byte("before"), roundTrip(t, existing, []byte("before")))

	fillers := fillDescriptors(t)
	// One descriptor for the client socket; none left for accept.
	unix.Close(fillers[0])
	fillers = fillers[1:]
	client, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(client)
	sa, _, err := linux.ParseAddr("tcp", addr)
	require.NoError(t, err)
	require.NoError(t, unix.Connect(client, sa)) // completes in the kernel backlog

	var logged string
	select {
	case logged = <-tl.ch:
		for !strings.Contains(logged, "accept4() failed") {
			logged = <-tl.ch
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no accept error logged")
	}
	assert.Contains(t, logged, "(24: Too many open files)")

	// The existing connection is still served while accept is starved.
	assert.Equal(t, []byte("during"), roundTrip(t, existing, []byte("during")))

	// Free descriptors: the back-off re-arms accept and the waiting client
	// is served.
	for _, fd := range fillers[:8] {
		unix.Close(fd)
	}
	fillers = fillers[8:]
	require.NoError(t, unix.SetsockoptTimeval(client, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 10}))
	_, err = unix.Write(client, []byte("after"))
	require.NoError(t, err)
	buf := make([]byte, 5)
	n, err := unix.Read(client, buf)
	require.NoError(t, err)
	assert.Equal(t, "after", string(buf[:n]))

	accepts := 0
	for _, line := range tl.all() {
		if strings.Contains(line, "accept4() failed") {
			accepts++
		}
	}
	assert.Equal(t, 1, accepts, "one log line per starvation episode")
}

func TestListenerCloseStopsAccepting(t *testing.T) {
	var ln *Listener
	l := startLoop(t, Options{}, func(l *Loop) error {
		var err error
		ln, err = l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {})
		return err
	})
	addr := ln.Addr().String()
	onLoop(t, l, func() { ln.Close() })
	onLoop(t, l, func() {}) // the cancel has completed by the next turns
	require.Eventually(t, func() bool {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		require.NoError(t, err)
		defer unix.Close(fd)
		sa, _, _ := linux.ParseAddr("tcp", addr)
		return unix.Connect(fd, sa) == unix.ECONNREFUSED
	}, 5*time.Second, 10*time.Millisecond)
}

func TestGroupSharesPortWithReusePort(t *testing.T) {
	var addr string
	g, err := StartGroup(2, Options{Log: func(string) {}}, func(l *Loop, i int) error {
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		ln, err := l.Listen("tcp", addr, func(c *Conn) {
			idx := byte('0' + i)
			c.OnData(func(c *Conn, b []byte) int { c.Write([]byte{idx}); return len(b) })
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	require.NoError(t, err)
	defer func() { require.NoError(t, g.Stop()) }()
	require.Len(t, g.Loops(), 2)
	seen := map[byte]bool{}
	for i := 0; i < 200 && len(seen) < 2; i++ {
		c := dialT(t, addr)
		seen[roundTrip(t, c, []byte("?"))[0]] = true
		c.Close()
	}
	assert.Len(t, seen, 2, "connections reach both loops")
}

// A successor adopting a duplicate of a listener's socket keeps the
// connections queued on it: closing the original does not reset them.
func TestAdoptedListenerKeepsQueuedConnections(t *testing.T) {
	var old *Listener
	var addr string
	first := startLoop(t, Options{}, func(l *Loop) error {
		var err error
		old, err = l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			c.OnData(func(c *Conn, b []byte) int { c.WriteString("old"); return len(b) })
		})
		if err == nil {
			addr = old.Addr().String()
		}
		return err
	})
	var dup int
	closed := make(chan struct{})
	onLoop(t, first, func() {
		var err error
		dup, err = old.Dup()
		require.NoError(t, err)
		old.Close() // the socket lives on through dup
		old.OnClosed(func() { close(closed) })
	})
	<-closed // the old loop's accept has ended: it takes no more connections
	// Connect while no loop accepts: the connection waits in the queue.
	queued := dialT(t, addr)
	startLoop(t, Options{}, func(l *Loop) error {
		_, err := l.AdoptListener(dup, func(c *Conn) {
			c.OnData(func(c *Conn, b []byte) int { c.WriteString("new"); return len(b) })
		})
		return err
	})
	assert.Equal(t, []byte("new"), roundTrip(t, queued, []byte("???")))
	assert.Equal(t, []byte("new"), roundTrip(t, dialT(t, addr), []byte("???")))
}

func TestListenerNoDelayOption(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts ListenOptions
		want int
	}{
		{"default sets TCP_NODELAY", ListenOptions{}, 1},
		{"NoNoDelay leaves Nagle on", ListenOptions{NoNoDelay: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan int, 1)
			var addr string
			startLoop(t, Options{}, func(l *Loop) error {
				ln, err := l.ListenWith("tcp", "127.0.0.1:0", tc.opts, func(c *Conn) {
					v, err := unix.GetsockoptInt(c.Fd(), unix.IPPROTO_TCP, unix.TCP_NODELAY)
					if err != nil {
						v = -1
					}
					got <- v
				})
				if err == nil {
					addr = ln.Addr().String()
				}
				return err
			})
			c := dialT(t, addr)
			defer c.Close()
			select {
			case v := <-got:
				assert.Equal(t, tc.want, v)
			case <-time.After(10 * time.Second):
				t.Fatal("no connection accepted")
			}
		})
	}
}
