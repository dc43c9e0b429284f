package httpd

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// serveBench measures one keep-alive request to path through the whole
// engine: parse, server and location selection, the content handler,
// response head and body, send. The client is a plain loopback socket
// reading fixed-size responses, so its own allocations do not count: the
// allocations reported are the engine's. end is how every response ends.
func serveBench(b *testing.B, httpBody string, runner *fakeRunner, path, end string) {
	ts := startServer(b, httpBody, runner)
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\n\r\n")
	// First response: learn its size (constant: Date has a fixed width).
	buf := make([]byte, 4096)
	if _, err := c.Write(req); err != nil {
		b.Fatal(err)
	}
	n := 0
	for !bytes.HasSuffix(buf[:n], []byte(end)) {
		m, err := c.Read(buf[n:])
		if err != nil {
			b.Fatal(err)
		}
		n += m
	}
	size := n
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf[:size]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	_ = c.SetDeadline(time.Now().Add(time.Second))
}

// BenchmarkServeHello is a Go content handler writing "hello, world\n" (a
// fake LuaRunner), chunked as ngx_lua's output is.
func BenchmarkServeHello(b *testing.B) {
	for _, bc := range []struct{ name, log string }{
		{"nolog", "access_log off;"},
		{"accesslog", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			serveBench(b, "keepalive_requests 1000000000;\n"+bc.log+basicConf[len("\naccess_log off;"):], basicRunner(),
				"/hello", "hello, world\n\r\n0\r\n\r\n")
		})
	}
}

// BenchmarkServeEcho is the echo module's handler ("echo hello, world;"),
// alone, with headers-more output commands that do not match the response
// (they must cost no allocation), with ones that do, and with the
// echo_before_body/echo_after_body filters.
func BenchmarkServeEcho(b *testing.B) {
	for _, bc := range []struct{ name, loc, end string }{
		{"echo", "echo hello, world;", "hello, world\n\r\n0\r\n\r\n"},
		{"more-unmatched", "more_set_headers -s 404 'X-A: a'; more_set_headers -t text/css 'X-B: b'; more_clear_input_headers -t text/css X-C; echo hello, world;",
			"hello, world\n\r\n0\r\n\r\n"},
		{"more-set", "more_set_headers 'X-A: a' 'Server: s'; more_clear_headers Date; echo hello, world;", "hello, world\n\r\n0\r\n\r\n"},
		{"filters", "echo_before_body before; echo_after_body after; echo hello, world;", "after\n\r\n0\r\n\r\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			serveBench(b, `
access_log off;
keepalive_requests 1000000000;
server {
    listen 8080;
    location = /echo { `+bc.loc+` }
}`, nil, "/echo", bc.end)
		})
	}
}
