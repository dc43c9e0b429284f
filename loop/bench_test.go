package loop

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkEchoSteadyState measures one echo message through a loop: the
// client side writes and reads on a raw blocking socket in the benchmark
// goroutine; the loop's allocations per message are what ReportAllocs shows
// (the client allocates nothing).
func BenchmarkEchoSteadyState(b *testing.B) {
	benchEcho(b, func(c *Conn) {
		c.OnData(func(c *Conn, data []byte) int { c.Write(data); return len(data) })
		c.updateRead()
	})
}

// BenchmarkPullEchoSteadyState is BenchmarkEchoSteadyState for a pull
// reader (Peek, Discard, WaitRead with a callback bound once): 0 allocations
// per message.
func BenchmarkPullEchoSteadyState(b *testing.B) {
	benchEcho(b, func(c *Conn) {
		var echo func(c *Conn)
		echo = func(c *Conn) {
			if data := c.Peek(); len(data) > 0 {
				c.Write(data)
				c.Discard(len(data))
			}
			if c.Err() == nil {
				c.WaitRead(echo)
			}
		}
		c.WaitRead(echo)
	})
}

// benchEcho runs the echo benchmark with 64-byte and 4 KiB messages against
// a loop connection that serve makes an echo server of, on the loop.
func benchEcho(b *testing.B, serve func(c *Conn)) {
	for _, size := range []int{64, 4096} {
		b.Run(sizeName(size), func(b *testing.B) {
			l, err := Start(Options{Log: func(string) {}}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Stop()
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer unix.Close(fds[1])
			ready := make(chan struct{})
			l.Post(func() {
				unix.SetNonblock(fds[0], true)
				serve(l.newConn(fds[0]))
				close(ready)
			})
			<-ready
			msg := make([]byte, size)
			got := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := unix.Write(fds[1], msg); err != nil {
					b.Fatal(err)
				}
				for n := 0; n < size; {
					m, err := unix.Read(fds[1], got[n:])
					if err != nil {
						b.Fatal(err)
					}
					n += m
				}
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1024 {
		return string(rune('0'+n/1024)) + "KiB"
	}
	return "64B"
}
