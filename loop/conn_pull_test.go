package loop

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pullServer starts a loop whose listener hands each accepted connection,
// in pull mode (no OnData), to serve on the loop's thread.
func pullServer(t *testing.T, opts Options, serve func(c *Conn)) string {
	t.Helper()
	var addr string
	startLoop(t, opts, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", serve)
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	return addr
}

// readLine is a pull reader: it answers from the buffer when a line is
// there and waits otherwise; each line goes to out.
type readLine struct {
	out    chan string
	inline bool // a callback ran inside WaitRead (must never happen)
	waitFn func(c *Conn)
	inWait bool
}

func newReadLine() *readLine {
	r := &readLine{out: make(chan string, 16)}
	r.waitFn = r.more
	return r
}

func (r *readLine) more(c *Conn) {
	if r.inWait {
		r.inline = true
	}
	for {
		data := c.Peek()
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		r.out <- string(data[:i])
		c.Discard(i + 1)
	}
	if err := c.Err(); err != nil {
		r.out <- "err: " + err.Error() + " rest: " + string(c.Peek())
		return
	}
	r.inWait = true
	c.WaitRead(r.waitFn)
	r.inWait = false
}

func recvLines(t *testing.T, ch chan string, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		select {
		case s := <-ch:
			got = append(got, s)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %q, want %d lines", got, n)
		}
	}
	return got
}

func TestPullReadsLinesWholeSplitAndByteByByte(t *testing.T) {
	r := newReadLine()
	addr := pullServer(t, Options{}, func(c *Conn) { r.more(c) })
	c := dialT(t, addr)
	_, err := c.Write([]byte("one\ntwo\nthr"))
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "two"}, recvLines(t, r.out, 2))
	_, err = c.Write([]byte("ee\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"three"}, recvLines(t, r.out, 1))
	for _, b := range []byte("four\n") {
		_, err = c.Write([]byte{b})
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"four"}, recvLines(t, r.out, 1))
	_, err = c.Write([]byte("tail"))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	assert.Equal(t, []string{"err: EOF rest: tail"}, recvLines(t, r.out, 1))
	assert.False(t, r.inline, "a WaitRead callback ran inside WaitRead")
}

func TestPullWaitAtEOFComesFromTheRunQueue(t *testing.T) {
	order := make(chan string, 4)
	addr := pullServer(t, Options{}, func(c *Conn) {
		var wait func(c *Conn)
		wait = func(c *Conn) {
			if !c.EOF() {
				c.WaitRead(wait)
				return
			}
			// EOF holds already: the next wait must not run inline.
			c.WaitRead(func(c *Conn) { order <- "callback" })
			order <- "WaitRead returned"
		}
		c.WaitRead(wait)
	})
	c := dialT(t, addr)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	assert.Equal(t, []string{"WaitRead returned", "callback"}, recvLines(t, order, 2))
}

func TestPullReaderSeesReset(t *testing.T) {
	r := newReadLine()
	addr := pullServer(t, Options{}, func(c *Conn) { r.more(c) })
	c := dialT(t, addr)
	_, err := c.Write([]byte("partial"))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).SetLinger(0))
	require.NoError(t, c.Close()) // RST
	got := recvLines(t, r.out, 1)[0]
	assert.True(t, strings.HasPrefix(got, "err: "), got)
	assert.Contains(t, got, "connection reset by peer")
}

// A waiting reader lifts the MaxInput pause: it asked for more.
func TestPullWaitBeyondMaxInput(t *testing.T) {
	const total = 1 << 20
	got := make(chan int, 1)
	addr := pullServer(t, Options{MaxInput: 64 << 10}, func(c *Conn) {
		var wait func(c *Conn)
		wait = func(c *Conn) {
			if c.Buffered() >= total || c.Err() != nil {
				got <- c.Buffered()
				return
			}
			c.WaitRead(wait)
		}
		c.WaitRead(wait)
	})
	c := dialT(t, addr)
	go func() { _, _ = c.Write(bytes.Repeat([]byte("x"), total)) }()
	select {
	case n := <-got:
		assert.Equal(t, total, n)
	case <-time.After(20 * time.Second):
		t.Fatal("the reader never got the whole megabyte")
	}
}

func TestPullCancelRead(t *testing.T) {
	events := make(chan string, 4)
	var conn *Conn
	l := startLoop(t, Options{}, nil)
	var addr string
	onLoop(t, l, func() {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			conn = c
			c.WaitRead(func(*Conn) { events <- "cancelled wait ran" })
			c.CancelRead()
			events <- "accepted"
		})
		if err != nil {
			events <- err.Error()
			return
		}
		addr = ln.Addr().String()
	})
	c := dialT(t, addr)
	assert.Equal(t, []string{"accepted"}, recvLines(t, events, 1))
	_, err := c.Write([]byte("data"))
	require.NoError(t, err)
	// Ask on the loop until the bytes are buffered: they arrive, nobody is
	// called.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		onLoop(t, l, func() { n = conn.Buffered() })
		if n == 4 || time.Now().After(deadline) {
			assert.Equal(t, 4, n)
			break
		}
		time.Sleep(time.Millisecond) // polling a state with no signal to wait on
	}
	select {
	case e := <-events:
		t.Fatalf("unexpected %q", e)
	default:
	}
	var err2 error
	onLoop(t, l, func() { err2 = conn.Err() })
	assert.NoError(t, err2)
	assert.False(t, errors.Is(err2, io.EOF))
}

// TestLimitInputLaggingReaderKeepsOrder: a bounded pull connection reads
// with plain recvs; a reader that consumes later (from the run queue)
// empties the buffer while the next recv is in flight, and the bytes that
// recv brings must come next, in order (they once landed after stale ones).
func TestLimitInputLaggingReaderKeepsOrder(t *testing.T) {
	const total = 4 << 20
	done := make(chan string, 1)
	addr := pullServer(t, Options{}, func(c *Conn) {
		c.LimitInput(8 << 10)
		next := 0
		var wait func(c *Conn)
		consume := func() {
			data := c.Peek()
			for i, b := range data {
				if b != byte((next+i)%251) {
					done <- fmt.Sprintf("byte %d is %d, want %d", next+i, b, (next+i)%251)
					return
				}
			}
			next += len(data)
			c.Discard(len(data))
			if next >= total || c.Err() != nil {
				done <- fmt.Sprintf("read %d", next)
				return
			}
			c.WaitRead(wait)
		}
		wait = func(c *Conn) { c.l.Soon(consume) }
		c.WaitRead(wait)
	})
	c := dialT(t, addr)
	go func() {
		p := make([]byte, total)
		for i := range p {
			p[i] = byte(i % 251)
		}
		_, _ = c.Write(p)
	}()
	select {
	case msg := <-done:
		assert.Equal(t, fmt.Sprintf("read %d", total), msg)
	case <-time.After(30 * time.Second):
		t.Fatal("the reader never got the whole body")
	}
}

// TestLimitInputBoundsBuffering: with nobody reading, a bounded connection
// buffers about its bound and leaves the rest in the kernel.
func TestLimitInputBoundsBuffering(t *testing.T) {
	const limit = 16 << 10
	got := make(chan int, 1)
	addr := pullServer(t, Options{}, func(c *Conn) {
		c.LimitInput(limit)
		var wait func(c *Conn)
		wait = func(c *Conn) {
			if c.Buffered() >= limit {
				// Nobody waits now: give in-flight receives a moment of
				// loop turns, then report what was buffered.
				c.l.AfterFunc(50*time.Millisecond, func() { got <- c.Buffered() })
				return
			}
			c.WaitRead(wait)
		}
		c.WaitRead(wait)
	})
	c := dialT(t, addr)
	go func() { _, _ = c.Write(bytes.Repeat([]byte("x"), 8<<20)) }()
	select {
	case n := <-got:
		// The bound, plus what the last recv armed while a reader waited
		// could bring (the free space of the buffer).
		assert.LessOrEqual(t, n, limit+32<<10, "buffered bytes")
		assert.GreaterOrEqual(t, n, limit)
	case <-time.After(20 * time.Second):
		t.Fatal("nothing buffered")
	}
}
