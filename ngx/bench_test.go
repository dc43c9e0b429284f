package ngx

import (
	"net"
	"strconv"
	"testing"

	"github.com/luring/luring/httpd"
)

// BenchmarkRunSay measures one content handler run: ngx.say("hello, world")
// compiled once, each iteration a new request on a reused fake exchange,
// ended with Done as httpd ends it (pooled request state and coroutine).
// It runs on the loop's thread.
func BenchmarkRunSay(b *testing.B) {
	h := newHarness(b, nil)
	code := inline("content_by_lua", `ngx.say("hello, world")`)
	x := newFakeX(h.l)
	h.onLoop(func() {
		if res := h.rn.Run(x, httpd.PhaseContent, code); res.Outcome != httpd.Next || x.body.String() != "hello, world\n" {
			b.Fatalf("warm-up: %+v %q %v", res, x.body.String(), x.logs)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			x.sent, x.status = false, 0
			x.body.Reset()
			if res := h.rn.Run(x, httpd.PhaseContent, code); res.Outcome != httpd.Next {
				b.Fatalf("run: %+v", res)
			}
			h.rn.Done(x)
			x.ctx = nil
		}
		b.StopTimer()
	})
}

// BenchmarkRunSleep0 is a handler that waits once (ngx.sleep(0)) and is
// resumed by its loop timer: the await/resume round trip.
func BenchmarkRunSleep0(b *testing.B) {
	h := newHarness(b, nil)
	code := inline("content_by_lua", `ngx.sleep(0) ngx.say("hello, world")`)
	x := newFakeX(h.l)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		x.ctx, x.sent, x.status = nil, false, 0
		x.body.Reset()
		h.onLoop(func() { h.rn.Run(x, httpd.PhaseContent, code) })
		<-x.results
	}
}

// BenchmarkSocketRoundTrip is a cosocket round trip on a connected socket:
// send a line, receive('*l') the answer, b.N times inside one request, so
// allocs/op is what one round trip costs (the Lua string returned is the
// only allocation it needs). The peer is a Go line server.
func BenchmarkSocketRoundTrip(b *testing.B) {
	srv := startBenchPeer(b)
	h := newHarness(b, nil)
	code := inline("content_by_lua", `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", ngx.var.port))
		local n = tonumber(ngx.var.n)
		for i = 1, n do
			sock:send("get k\r\n")
			local line, err = sock:receive()
			if not line then error(err) end
		end
		sock:close()
		ngx.say("done")`)
	x := newFakeX(h.l)
	x.vars["port"] = srv
	for _, n := range []int{1, b.N} {
		x.vars["n"] = strconv.Itoa(n)
		x.ctx, x.sent, x.status = nil, false, 0
		x.body.Reset()
		if n != 1 {
			b.ReportAllocs()
			b.ResetTimer()
			b.StartTimer()
		}
		var res httpd.PhaseResult
		h.onLoop(func() { res = h.rn.Run(x, httpd.PhaseContent, code) })
		if res.Outcome == httpd.Pending {
			res = <-x.results
		}
		b.StopTimer()
		if x.body.String() != "done\n" {
			b.Fatalf("run: %+v %q %v", res, x.body.String(), h.sinkLogs())
		}
		h.onLoop(func() { h.rn.Done(x) })
	}
}

// BenchmarkSocketPooledRequest is one request of the upstream-keepalive
// workload: connect (a pooled connection after the first), send, receive a
// line, setkeepalive, respond; the request state is recycled as httpd does.
func BenchmarkSocketPooledRequest(b *testing.B) {
	srv := startBenchPeer(b)
	h := newHarness(b, nil)
	code := inline("content_by_lua", `
		local sock = ngx.socket.tcp()
		local ok, err = sock:connect("127.0.0.1", ngx.var.port)
		if not ok then error(err) end
		sock:send("get k\r\n")
		local line = sock:receive()
		sock:setkeepalive()
		ngx.say(line)`)
	x := newFakeX(h.l)
	x.vars["port"] = srv
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N + 1 {
		if i == 1 {
			b.ResetTimer() // the first request dialled
		}
		x.ctx, x.sent, x.status = nil, false, 0
		x.body.Reset()
		var res httpd.PhaseResult
		h.onLoop(func() { res = h.rn.Run(x, httpd.PhaseContent, code) })
		if res.Outcome == httpd.Pending {
			res = <-x.results
		}
		if x.body.String() != "VALUE\n" {
			b.Fatalf("run: %+v %q %v", res, x.body.String(), h.sinkLogs())
		}
		h.onLoop(func() { h.rn.Done(x) })
	}
}

// startBenchPeer starts a line server answering "VALUE" to every line and
// returns its port.
func startBenchPeer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go benchLines(c)
		}
	}()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// benchLines answers each line read from c with "VALUE\r\n", allocating
// nothing per line, so the benchmark counts the engine's allocations only.
func benchLines(c net.Conn) {
	defer c.Close()
	buf, out := make([]byte, 4096), make([]byte, 0, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		out = out[:0]
		for _, b := range buf[:n] {
			if b == '\n' {
				out = append(out, "VALUE\r\n"...)
			}
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}
