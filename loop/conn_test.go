package loop

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestEchoThousandConcurrentClientsRandomSizes(t *testing.T) {
	_, addr := echoServer(t, Options{})
	const clients, rounds = 1000, 3
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	var verified atomic.Int64
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed))
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(60 * time.Second))
			for r := 0; r < rounds; r++ {
				msg := make([]byte, 1+rng.Intn(64<<10))
				rng.Read(msg)
				if _, err := c.Write(msg); err != nil {
					errs <- err
					return
				}
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(c, got); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(msg, got) {
					errs <- errors.New("echo mismatch")
					return
				}
				verified.Add(int64(len(msg)))
			}
		}(int64(i))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Greater(t, verified.Load(), int64(clients*rounds))
}

func TestPeerHalfCloseThenServerReplies(t *testing.T) {
	var addr string
	startLoop(t, Options{}, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			c.OnData(func(c *Conn, b []byte) int { c.Write(b); return len(b) })
			c.OnEOF(func(c *Conn) { c.WriteString("bye"); c.Close() })
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	c := dialT(t, addr)
	_, err := c.Write([]byte("abc"))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	all, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "abcbye", string(all))
}

func TestServerHalfCloseKeepsReading(t *testing.T) {
	got := make(chan string, 1)
	var addr string
	startLoop(t, Options{}, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			c.WriteString("hello")
			c.CloseWrite()
			var in []byte
			c.OnData(func(c *Conn, b []byte) int { in = append(in, b...); return len(b) })
			c.OnEOF(func(c *Conn) { got <- string(in); c.Close() })
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	c := dialT(t, addr)
	all, err := io.ReadAll(c) // ends at the server's FIN
	require.NoError(t, err)
	assert.Equal(t, "hello", string(all))
	_, err = c.Write([]byte("still here"))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	assert.Equal(t, "still here", <-got)
}

// resetClient closes c with SO_LINGER 0, so the peer sees a reset.
func resetClient(t *testing.T, c net.Conn) {
	require.NoError(t, c.(*net.TCPConn).SetLinger(0))
	require.NoError(t, c.Close())
}

func TestPeerResetMidStreamEndsConnectionNotProcess(t *testing.T) {
	closed := make(chan error, 1)
	var addr string
	l := startLoop(t, Options{}, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			var pump func(c *Conn, err error)
			pump = func(c *Conn, err error) {
				if err == nil && !c.Closed() {
					c.Write(chunk)
					c.Flush(pump)
				}
			}
			c.OnData(func(c *Conn, b []byte) int { pump(c, nil); return len(b) })
			c.OnClose(func(c *Conn, err error) { closed <- err })
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	c := dialT(t, addr)
	_, err := c.Write([]byte("go"))
	require.NoError(t, err)
	buf := make([]byte, 1000)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	resetClient(t, c)
	select {
	case err := <-closed:
		require.Error(t, err)
		assert.True(t, errors.Is(err, unix.ECONNRESET) || errors.Is(err, unix.EPIPE), "got %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("connection not closed after reset")
	}
	// The loop (and the process: no SIGPIPE) keeps serving.
	var ln2 string
	onLoop(t, l, func() {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			c.OnData(func(c *Conn, b []byte) int { c.Write(b); return len(b) })
		})
		require.NoError(t, err)
		ln2 = ln.Addr().String()
	})
	assert.Equal(t, []byte("ok"), roundTrip(t, dialT(t, ln2), []byte("ok")))
}

func TestBackpressureOnSlowPeer(t *testing.T) {
	const high = 64 << 10
	const total = 32 << 20
	var maxPending atomic.Int64
	var addr string
	startLoop(t, Options{WriteHighWater: high}, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			c.OnData(func(c *Conn, b []byte) int {
				c.Write(b)
				if p := int64(c.Pending()); p > maxPending.Load() {
					maxPending.Store(p)
				}
				return len(b)
			})
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	c := dialT(t, addr)
	msg := make([]byte, total)
	rand.New(rand.NewSource(1)).Read(msg)
	// Write everything without reading: the writer stalls once the server
	// stops reading, and the server holds a bounded amount.
	require.NoError(t, c.SetWriteDeadline(time.Now().Add(2*time.Second)))
	n, err := c.Write(msg)
	require.Error(t, err, "a peer that does not read must stall the writer")
	assert.Less(t, n, total)
	assert.Less(t, maxPending.Load(), int64(total/2), "server buffered without bound")
	// Now read; the rest flows.
	require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
	got := make([]byte, total)
	var rerr error
	done := make(chan struct{})
	go func() { _, rerr = io.ReadFull(c, got); close(done) }()
	_, err = c.Write(msg[n:])
	require.NoError(t, err)
	<-done
	require.NoError(t, rerr)
	assert.True(t, bytes.Equal(msg, got))
}

func TestCloseNowWithOpsInFlightRunsEveryCallbackOnce(t *testing.T) {
	type result struct{ flushes, closes int }
	res := make(chan result, 1)
	var addr string
	l := startLoop(t, Options{}, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			var r result
			big := make([]byte, 8<<20) // more than the socket buffers take
			c.Write(big)
			for i := 0; i < 5; i++ {
				c.Flush(func(c *Conn, err error) {
					assert.Error(t, err)
					r.flushes++
				})
			}
			c.OnClose(func(c *Conn, err error) {
				r.closes++
				c.l.AfterFunc(20*time.Millisecond, func() { res <- r })
			})
			// The recv and the send are both in flight now (the peer
			// does not read); close at once in a later turn.
			c.l.AfterFunc(50*time.Millisecond, func() {
				assert.NotZero(t, c.Pending())
				c.CloseNow(nil)
			})
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	dialT(t, addr)
	select {
	case r := <-res:
		assert.Equal(t, result{flushes: 5, closes: 1}, r)
	case <-time.After(10 * time.Second):
		t.Fatal("close did not complete")
	}
	onLoop(t, l, func() {
		assert.Equal(t, 1, l.ops.live, "only the listener's accept stays in flight")
		assert.Zero(t, l.conns.n)
	})
}

func TestGracefulCloseSendsEverything(t *testing.T) {
	const size = 4 << 20
	var addr string
	startLoop(t, Options{}, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			c.Write(bytes.Repeat([]byte{'z'}, size))
			c.Close()
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	all, err := io.ReadAll(dialT(t, addr))
	require.NoError(t, err)
	assert.Len(t, all, size)
}

func TestFlushNeverRunsInline(t *testing.T) {
	ran := make(chan bool, 1)
	var addr string
	startLoop(t, Options{}, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			inside := true
			c.Flush(func(c *Conn, err error) { ran <- inside; assert.NoError(t, err) })
			inside = false
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	dialT(t, addr)
	assert.False(t, <-ran)
}

func TestPauseAndResumeRead(t *testing.T) {
	got := make(chan string, 4)
	var conn *Conn
	var addr string
	l := startLoop(t, Options{}, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			conn = c
			c.PauseRead()
			c.OnData(func(c *Conn, b []byte) int { got <- string(b); return len(b) })
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	c := dialT(t, addr)
	_, err := c.Write([]byte("held"))
	require.NoError(t, err)
	select {
	case s := <-got:
		t.Fatalf("paused connection delivered %q", s)
	case <-time.After(100 * time.Millisecond): // nothing may arrive: absence has no signal
	}
	onLoop(t, l, func() { conn.ResumeRead() })
	assert.Equal(t, "held", <-got)
}

func TestPartialConsumptionKeepsBytes(t *testing.T) {
	frames := make(chan string, 4)
	var addr string
	startLoop(t, Options{}, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			c.OnData(func(c *Conn, b []byte) int {
				n := 0
				for len(b)-n >= 5 { // 5-byte frames
					frames <- string(b[n : n+5])
					n += 5
				}
				return n
			})
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	c := dialT(t, addr)
	for _, b := range []byte("abcdefghij") {
		_, err := c.Write([]byte{b})
		require.NoError(t, err)
	}
	assert.Equal(t, "abcde", <-frames)
	assert.Equal(t, "fghij", <-frames)
}

// TestIdleConnHoldsNoState: between messages a connection holds no write
// side, no queued delivery and (with multishot receives) no input buffer:
// they come from the loop's free lists when used and go back after. One
// that is used again works as before, input split over several reads
// included.
func TestIdleConnHoldsNoState(t *testing.T) {
	var conn *Conn
	var addr string
	l := startLoop(t, Options{}, func(l *Loop) error {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			conn = c
			// Echo whole lines only: a partial line stays buffered.
			c.OnData(func(c *Conn, data []byte) int {
				i := bytes.LastIndexByte(data, '\n')
				c.Write(data[:i+1])
				return i + 1
			})
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	c := dialT(t, addr)
	idle := func() {
		t.Helper()
		var w *connOut
		var del *Task
		var in []byte
		multi := false
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
			onLoop(t, l, func() { w, del, in, multi = conn.w, conn.del, conn.in, l.multi })
			if w == nil && del == nil {
				break
			}
		}
		assert.Nil(t, w, "write side")
		assert.Nil(t, del, "delivery task")
		if multi {
			assert.Nil(t, in, "input buffer")
		}
	}
	assert.Equal(t, []byte("one\n"), roundTrip(t, c, []byte("one\n")))
	idle()
	_, err := c.Write([]byte("tw"))
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond)
	_, err = c.Write([]byte("o\n"))
	require.NoError(t, err)
	got := make([]byte, 4)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, "two\n", string(got))
	idle()
}

// TestFlushAfterDroppedOutput: a Flush asked after CloseNow dropped
// unsent output reports the loss; one asked after a clean close reports
// success.
func TestFlushAfterDroppedOutput(t *testing.T) {
	errs := make(chan error, 2)
	var addr string
	startLoop(t, Options{}, func(l *Loop) error {
		n := 0
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {
			n++
			if n == 1 {
				c.Write(make([]byte, 8<<20)) // more than the socket buffers take
			} else {
				c.Write([]byte("x"))
			}
			c.OnClose(func(c *Conn, err error) {
				c.Flush(func(c *Conn, err error) { errs <- err })
			})
			if n == 1 {
				c.l.AfterFunc(50*time.Millisecond, func() { c.CloseNow(nil) })
			} else {
				c.Close()
			}
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	dialT(t, addr) // never reads
	assert.ErrorIs(t, <-errs, ErrClosed, "output was dropped")
	c := dialT(t, addr)
	b, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "x", string(b))
	assert.NoError(t, <-errs, "everything was sent")
}
