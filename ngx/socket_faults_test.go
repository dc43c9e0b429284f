package ngx

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Faults: each one gives ngx_lua's error string, and the worker serves
// the next request as if nothing happened.
func TestSocketFaults(t *testing.T) {
	h := newHarness(t, nil)
	reset := startPeer(t, "tcp", func(c net.Conn) {
		_, _ = readHead(bufio.NewReader(c))
		_, _ = io.WriteString(c, "partial line")
		time.Sleep(20 * time.Millisecond)
		_ = c.(*net.TCPConn).SetLinger(0) // RST
	})
	midPattern := startPeer(t, "tcp", httpOnce("hello --ab"))
	runSpecs(t, h, []spec{
		{name: "the peer resets mid-receive", setup: withPort(reset.port()), src: tcpPrelude + `
			ngx.say(sock:receive())
			ngx.say(sock:receive())
			ngx.say(sock:close())`, body: "nilconnection reset by peerpartial line\nnilclosed\n1\n"},
		{name: "the peer closes mid-pattern: the partial data before the held-back bytes", setup: withPort(midPattern.port()), src: tcpPrelude + `
			local it = sock:receiveuntil("--abc")
			local d, err, part = it()
			ngx.say(d, " ", err, " [", part, "]")`, body: "nil closed [hello ]\n"},
		{name: "a refused connect", setup: withPort(closedPort(t)), src: `
			ngx.say(ngx.socket.tcp():connect("127.0.0.1", ngx.var.port))`, body: "nilconnection refused\n"},
		{name: "the worker goes on serving", src: `ngx.say("still serving")`, body: "still serving\n"},
	})
}

// A listener whose accept queue is full drops SYNs: connect times out.
func TestSocketConnectToAFullBacklog(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { unix.Close(fd) })
	require.NoError(t, unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, unix.Listen(fd, 0))
	sa, err := unix.Getsockname(fd)
	require.NoError(t, err)
	port := fmt.Sprint(sa.(*unix.SockaddrInet4).Port)
	// Fill the queue (backlog 0 holds one) with connections nobody accepts.
	for i := 0; i < 4; i++ {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	h := newHarness(t, nil)
	runSpecs(t, h, []spec{
		{name: "t/065: connect to a full backlog times out", setup: withPort(port), src: `
			local sock = ngx.socket.tcp()
			sock:settimeout(100)
			ngx.say(sock:connect("127.0.0.1", ngx.var.port))`,
			body: "niltimeout\n", logs: []string{"lua tcp socket connect timed out, upstream: 127.0.0.1:" + port}},
	})
}

// A request aborted while its connect waits in a pool's queue leaves the
// queue and gives its count back: the next connect gets a connection.
func TestSocketQueuedConnectOfAnAbortedRequest(t *testing.T) {
	h := newHarness(t, nil)
	mc := startPeer(t, "tcp", memcachedLike)
	const opts = `{pool = "aborted", pool_size = 1, backlog = 2}`
	holder := newFakeX(h.l)
	holder.vars["port"] = mc.port()
	startPending(t, h, holder, `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", ngx.var.port, `+opts+`))
		ngx.sleep(10)`)
	queued := newFakeX(h.l)
	queued.vars["port"] = mc.port()
	startPending(t, h, queued, `ngx.socket.tcp():connect("127.0.0.1", ngx.var.port, `+opts+`) ngx.say("never")`)
	var waiting, conns int
	h.onLoop(func() {
		p := h.rn.sockets.Pool("aborted")
		waiting, conns = p.Waiting(), p.Connections()
	})
	assert.Equal(t, 1, waiting)
	assert.Equal(t, 2, conns)
	h.onLoop(func() { h.rn.Abort(queued); h.rn.Done(queued) })
	h.onLoop(func() {
		p := h.rn.sockets.Pool("aborted")
		waiting, conns = p.Waiting(), p.Connections()
	})
	assert.Equal(t, 0, waiting)
	assert.Equal(t, 1, conns)
	h.onLoop(func() { h.rn.Abort(holder); h.rn.Done(holder) })
	h.onLoop(func() {
		conns = -1
		if p := h.rn.sockets.Pool("aborted"); p != nil {
			conns = p.Connections()
		}
	})
	assert.Equal(t, -1, conns, "the pool is dropped once it counts no connection")
}

// 10,000 requests that connect and then pool, close or drop their socket,
// or are aborted by their client while they wait, leave nothing behind:
// connections within the pool size, no coroutine, no pool waiter, no
// timer beyond the parked connections' idle timers.
func TestSocketTenThousandRequestsLeaveNothingBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 10,000 requests")
	}
	h := newHarness(t, nil)
	mc := startPeer(t, "tcp", lineServer(func(line string) string {
		if line == "stall" {
			time.Sleep(50 * time.Millisecond) // the aborted requests wait on this
			return ""
		}
		return "OK\r\n"
	}))
	fds0 := openFDs(t)
	srcs := []string{
		// pooled
		`local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", ngx.var.port)) s:send("a\n") s:receive() assert(s:setkeepalive())`,
		// closed
		`local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", ngx.var.port)) s:send("a\n") s:receive() s:close()`,
		// dropped: the request's end closes it
		`local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", ngx.var.port)) s:send("a\n") s:receive()`,
	}
	codes := make([]*conf.LuaCode, len(srcs))
	for i, src := range srcs {
		codes[i] = inline("content_by_lua", src)
	}
	stall := inline("content_by_lua",
		`local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", ngx.var.port)) s:send("stall\n") s:receive()`)
	const n = 10000
	for i := 0; i < n; i++ {
		x := newFakeX(h.l)
		x.vars["port"] = mc.port()
		if i%2 == 1 {
			// Half the requests are aborted by their client mid-wait.
			var res httpd.PhaseResult
			h.onLoop(func() {
				res = h.rn.Run(x, httpd.PhaseContent, stall)
			})
			if res.Outcome == httpd.Pending {
				h.onLoop(func() { h.rn.Abort(x) })
			}
			h.onLoop(func() { h.rn.Done(x) })
			continue
		}
		code := codes[(i/2)%len(codes)]
		var res httpd.PhaseResult
		h.onLoop(func() { res = h.rn.Run(x, httpd.PhaseContent, code) })
		if res.Outcome == httpd.Pending {
			select {
			case res = <-x.results:
			case <-time.After(10 * time.Second):
				t.Fatalf("request %d never finished", i)
			}
		}
		require.Equal(t, httpd.Next, res.Outcome, "request %d: %v", i, x.logs)
		h.onLoop(func() { h.rn.Done(x) })
	}
	var st loop.Stats
	var inUse, idle, waiting int
	// Closes still in flight finish within a turn or two.
	for end := time.Now().Add(10 * time.Second); ; {
		h.onLoop(func() {
			st = h.l.Stats()
			inUse = h.vm.InUse()
			idle, waiting, _ = h.rn.sockets.PoolStats()
		})
		if st.Conns == idle || time.Now().After(end) {
			break
		}
	}
	const poolSize = 30
	assert.LessOrEqual(t, st.Conns, poolSize, "connections")
	assert.Equal(t, st.Conns, idle, "every connection left is a parked one")
	assert.LessOrEqual(t, st.Timers, poolSize, "timers: the parked connections' idle timers")
	assert.Zero(t, inUse, "coroutines")
	assert.Zero(t, waiting, "pool waiters")
	// Descriptors: the parked connections and the peer's ends of them,
	// once the peer has seen the others close (its stalled handlers sleep).
	deadline := time.Now().Add(10 * time.Second)
	for mc.active.Load() > int64(idle) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the peer's goroutines have no signal to wait on
	}
	assert.LessOrEqual(t, openFDs(t)-fds0, idle+int(mc.active.Load()), "descriptors")
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}
