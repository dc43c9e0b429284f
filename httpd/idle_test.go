package httpd

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/luring/luring/loop"
	"github.com/luring/luring/ring"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// idleConf serves the idle-memory workloads of bench/cmd/httpbench: hello
// (a Lua handler, here a fake one) and static (return).
const idleConf = `
access_log off;
keepalive_timeout 300s;
server {
    listen 8080;
    server_name localhost;
    location = /hello { content_by_lua_block { hello } }
    location = /static { return 200 "hello, world\n"; }
}
`

// idleClients is n client sockets that each sent one request, read its
// whole response and stay open. They are raw blocking sockets, so the
// client side allocates nothing on the Go heap that outlives a call.
type idleClients struct {
	fds []int
}

// openIdle opens n keep-alive connections to addr ("127.0.0.1:port"), each
// sending req and reading until the response ends with end.
func openIdle(tb testing.TB, addr string, n int, req, end []byte) *idleClients {
	tb.Helper()
	host, portS, _ := strings.Cut(addr, ":")
	port, _ := strconv.Atoi(portS)
	sa := &unix.SockaddrInet4{Port: port}
	copy(sa.Addr[:], []byte{127, 0, 0, 1})
	if host != "127.0.0.1" {
		tb.Fatalf("openIdle: %s is not on 127.0.0.1", addr)
	}
	ic := &idleClients{fds: make([]int, 0, n)}
	tb.Cleanup(ic.close)
	buf := make([]byte, 4096)
	for range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			tb.Fatalf("socket (after %d connections): %v", len(ic.fds), err)
		}
		if err := unix.Connect(fd, sa); err != nil {
			unix.Close(fd)
			tb.Fatalf("connect: %v", err)
		}
		if err := request(fd, req, end, buf); err != nil {
			unix.Close(fd)
			tb.Fatal(err)
		}
		// Move the client's end above the numbers the server's ends take,
		// so that those stay dense as in a server of its own (the epoll
		// backend's table is by descriptor number).
		high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 2*n+64)
		unix.Close(fd)
		if err != nil {
			tb.Fatalf("dup: %v", err)
		}
		ic.fds = append(ic.fds, high)
	}
	return ic
}

// request writes req on fd and reads until what was read ends with end.
func request(fd int, req, end, buf []byte) error {
	if _, err := unix.Write(fd, req); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	got := 0
	for !bytes.HasSuffix(buf[:got], end) {
		m, err := unix.Read(fd, buf[got:])
		if err != nil || m == 0 {
			return fmt.Errorf("read after %q: %d, %v", buf[:got], m, err)
		}
		got += m
	}
	return nil
}

// close resets every connection (SO_LINGER 0: no TIME_WAIT left).
func (ic *idleClients) close() {
	for _, fd := range ic.fds {
		_ = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1})
		_ = unix.Close(fd)
	}
	ic.fds = nil
}

// idleCost is what n idle connections cost a server process.
type idleCost struct {
	heap float64 // live Go heap after a GC, bytes per connection
	rss  float64 // process VmRSS, bytes per connection
}

// measureIdle serves idleConf on one loop, makes one request on a first
// connection (warming the server up, as httpbench does), and measures the
// live heap and VmRSS before and after n more connections made one
// request to path each and went idle. It returns the loop's backend too.
func measureIdle(tb testing.TB, n int, path string) (idleCost, ring.Backend) {
	tb.Helper()
	ts := startServer(tb, idleConf, newFakeRunner(map[string]handlerFunc{"hello": say("hello, world\n")}))
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: idle\r\n\r\n")
	end := []byte("hello, world\n")
	if path == "/hello" {
		end = []byte("hello, world\n\r\n0\r\n\r\n")
	}
	warm := openIdle(tb, ts.addr, 1, req, end)
	warm.close()
	heap0, rss0 := liveHeap(), vmRSS(tb)
	ic := openIdle(tb, ts.addr, n, req, end)
	heap1, rss1 := liveHeap(), vmRSS(tb)
	// Every connection is still open and served.
	conns := 0
	ts.on(func() { conns = ts.srv.sessions.n })
	if conns != n {
		tb.Fatalf("%d sessions open, want %d", conns, n)
	}
	runtime.KeepAlive(ic)
	return idleCost{heap: float64(heap1-heap0) / float64(n), rss: float64(rss1-rss0) / float64(n)}, ts.l.Backend()
}

// liveHeap is the bytes of live heap objects after a full GC.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// vmRSS is this process's resident set (bytes).
func vmRSS(tb testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kib << 10
		}
	}
	tb.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// BenchmarkIdleConn reports what one idle keep-alive connection costs the
// server (the figure httpbench's idle test measures from outside, without
// wrk or a second process): heap-B/conn is the live Go heap after a GC,
// rss-B/conn the process's VmRSS growth, both per connection, for 5,000
// connections that each made one request. b.N is ignored: each run opens
// the same 5,000.
func BenchmarkIdleConn(b *testing.B) {
	for _, path := range []string{"/hello", "/static"} {
		b.Run(path[1:], func(b *testing.B) {
			for range b.N {
			}
			cost, _ := measureIdle(b, 5000, path)
			b.ReportMetric(cost.heap, "heap-B/conn")
			b.ReportMetric(cost.rss, "rss-B/conn")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// TestIdleConnectionMemory bounds what an idle keep-alive connection
// keeps on the Go heap: its loop.Conn (176 bytes), its session (144) and
// its receive in the loop's op slab (24), plus on epoll the backend's
// state of its descriptor (72); nothing per request. BenchmarkIdleConn
// reports the figure; bench/cmd/httpbench measures the process's VmRSS
// against nginx's.
func TestIdleConnectionMemory(t *testing.T) {
	for _, path := range []string{"/hello", "/static"} {
		cost, backend := measureIdle(t, 1000, path)
		limit := 400.0
		if backend == ring.BackendEpoll {
			limit += 72
		}
		t.Logf("%s on %s: %.0f bytes of live heap per idle connection", path, backend, cost.heap)
		assert.LessOrEqual(t, cost.heap, limit, "%s on %s: live heap per idle connection", path, backend)
	}
}

// TestIdleConnectionThenPieces: a connection that went idle (its request
// state and buffers given back) takes its next request whole, split in two,
// a byte at a time, and pipelined with another one, and goes idle again
// after each.
func TestIdleConnectionThenPieces(t *testing.T) {
	ts := startServer(t, idleConf, basicRunner())
	c := ts.dial()
	idle := func(what string) {
		t.Helper()
		var holding bool
		var q time.Duration
		for end := time.Now().Add(5 * time.Second); ; {
			ts.on(func() {
				ts.srv.sessions.each(func(s *session) {
					holding = s.work != nil
					if tq := s.rto.Queue(); tq != nil {
						q = tq.Duration()
					}
				})
			})
			if !holding || time.Now().After(end) {
				break
			}
		}
		assert.False(t, holding, "%s: idle session holding request state", what)
		assert.Equal(t, 300*time.Second, q, "%s: waits in the keepalive_timeout queue", what)
	}
	get := "GET /static HTTP/1.1\r\nHost: localhost\r\n\r\n"
	c.send(get)
	require.Equal(t, "hello, world\n", c.read("GET").body)
	idle("first")

	c.send(get[:17])
	time.Sleep(10 * time.Millisecond)
	c.send(get[17:])
	require.Equal(t, "hello, world\n", c.read("GET").body)
	idle("halves")

	for i := range len(get) {
		c.send(get[i : i+1])
	}
	require.Equal(t, "hello, world\n", c.read("GET").body)
	idle("byte by byte")

	c.send(get + "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n" + get[:20])
	require.Equal(t, "hello, world\n", c.read("GET").body)
	require.Equal(t, "hello, world\n", c.read("GET").body)
	c.send(get[20:])
	require.Equal(t, "hello, world\n", c.read("GET").body)
	idle("pipelined")
}

// TestTimeoutQueuesPerDuration: sessions wait in one queue per timeout
// duration, however many there are; a location's shorter
// keepalive_timeout closes its connections while the others stay open.
func TestTimeoutQueuesPerDuration(t *testing.T) {
	ts := startServer(t, `
access_log off;
keepalive_timeout 300s;
server {
    listen 8080;
    server_name localhost;
    location = /static { return 200 "hello, world\n"; }
    location = /short { keepalive_timeout 100ms; return 200 "short\n"; }
}
`, basicRunner())
	long := make([]*client, 10)
	for i := range long {
		long[i] = ts.dial()
		long[i].send("GET /static HTTP/1.1\r\nHost: localhost\r\n\r\n")
		require.Equal(t, "hello, world\n", long[i].read("GET").body)
	}
	short := ts.dial()
	short.send("GET /short HTTP/1.1\r\nHost: localhost\r\n\r\n")
	require.Equal(t, "short\n", short.read("GET").body)
	short.closed() // after 100 ms (the client's deadline is 10 s)
	var queues, waiting int
	ts.on(func() {
		queues = len(ts.srv.readQs)
		for _, q := range ts.srv.readQs {
			if q.Duration() == 300*time.Second {
				waiting = q.Len()
			}
		}
	})
	// client_header_timeout (60 s), keepalive_timeout 300 s and 100 ms.
	assert.Equal(t, 3, queues)
	assert.Equal(t, len(long), waiting, "the long-lived idle connections")
	for _, c := range long {
		c.send("GET /static HTTP/1.1\r\nHost: localhost\r\n\r\n")
		require.Equal(t, "hello, world\n", c.read("GET").body, "still open")
	}
}

// TestIdleStateSizes keeps what an idle keep-alive connection holds in
// its size classes: the session (144 bytes) and loop.Conn (176), measured
// in docs/performance.md's idle section. A field added to either must
// find room in its padding or go to the per-request state (work).
func TestIdleStateSizes(t *testing.T) {
	assert.LessOrEqual(t, int(unsafe.Sizeof(session{})), 144)
	assert.LessOrEqual(t, int(unsafe.Sizeof(loop.Conn{})), 176)
}
