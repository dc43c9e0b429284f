package cosocket_test

import (
	"runtime"
	"testing"

	"github.com/luring/luring/cosocket"
	"github.com/luring/luring/loop"
	"golang.org/x/sys/unix"
)

// BenchmarkIdlePooledConn reports the Go heap one idle pooled upstream
// connection holds (B/idle-conn): n connections dialled and parked with
// SetKeepalive in one pool of size n, the heap measured after a GC before
// and after. The peer accepts with raw descriptors, so its side adds no
// heap; the kernel's socket buffers are not counted (nginx's figure for the
// same thing is its ngx_connection_t, events and pool item, also without
// the kernel's part).
//
// The figure is one measurement per run (b.N does not change it): run it
// with -benchtime 1x.
func BenchmarkIdlePooledConn(b *testing.B) {
	const n = 2000
	lfd, port := rawListener(b, n)
	var accepted []int
	defer func() {
		for _, fd := range accepted {
			unix.Close(fd)
		}
	}()
	var w *cosocket.Worker
	l, err := loop.Start(loop.Options{Log: func(string) {}}, func(l *loop.Loop) error {
		w = cosocket.NewWorker(l)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Stop()
	before := heap()
	done := make(chan error, 1)
	if err := l.Post(func() { fill(w, port, n, done) }); err != nil {
		b.Fatal(err)
	}
	// The peer accepts on a blocking descriptor: n connections, or the
	// fill's error first (then the listener is shut down to end Accept).
	acceptedAll := make(chan error, 1)
	go func() {
		for range n {
			fd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
			if err != nil {
				acceptedAll <- err
				return
			}
			accepted = append(accepted, fd)
		}
		acceptedAll <- nil
	}()
	if err := <-done; err != nil {
		unix.Shutdown(lfd, unix.SHUT_RDWR)
		<-acceptedAll
		b.Fatal(err)
	}
	if err := <-acceptedAll; err != nil {
		b.Fatal(err)
	}
	var idle int
	ask := make(chan struct{})
	_ = l.Post(func() { idle = w.Pool("idle").Idle(); close(ask) })
	<-ask
	if idle != n {
		b.Fatalf("%d connections idle in the pool, want %d", idle, n)
	}
	b.ReportMetric(float64(heap()-before)/n, "B/idle-conn")
}

// fill dials n connections to port on w's loop and parks each in the pool
// "idle" of size n; done gets nil once all are parked.
func fill(w *cosocket.Worker, port, n int, done chan<- error) {
	left := n
	for range n {
		s := w.NewTCP()
		park := func(err error) {
			if err == nil {
				err = s.SetKeepalive(0, n)
			}
			if err != nil {
				select {
				case done <- err:
				default:
				}
				return
			}
			if left--; left == 0 {
				done <- nil
			}
		}
		s.OnConnect = park
		if err, pending := s.Connect("127.0.0.1", port, false, cosocket.ConnectOptions{Pool: "idle", Backlog: -1}); err != nil || !pending {
			park(err)
		}
	}
}

// rawListener listens on 127.0.0.1 with a blocking descriptor and room for
// backlog pending connections.
func rawListener(b *testing.B, backlog int) (int, int) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		b.Fatal(err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		b.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		b.Fatal(err)
	}
	return fd, sa.(*unix.SockaddrInet4).Port
}

// heap is the live heap after a collection.
func heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
