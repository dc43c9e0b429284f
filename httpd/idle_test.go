package httpd

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

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
		ic.fds = append(ic.fds, fd)
		if err := unix.Connect(fd, sa); err != nil {
			tb.Fatalf("connect: %v", err)
		}
		if err := request(fd, req, end, buf); err != nil {
			tb.Fatal(err)
		}
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
// request to path each and went idle.
func measureIdle(tb testing.TB, n int, path string) idleCost {
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
	return idleCost{heap: float64(heap1-heap0) / float64(n), rss: float64(rss1-rss0) / float64(n)}
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
			cost := measureIdle(b, 5000, path)
			b.ReportMetric(cost.heap, "heap-B/conn")
			b.ReportMetric(cost.rss, "rss-B/conn")
			b.ReportMetric(0, "ns/op")
		})
	}
}
