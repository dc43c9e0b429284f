package httpd

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// BenchmarkServeHello measures one keep-alive request through the whole
// engine: parse, server and location selection, a Go content handler
// writing "hello, world\n" (a fake LuaRunner), response head and body,
// send. The client is a plain loopback socket reading fixed-size
// responses, so its own allocations do not count.
func BenchmarkServeHello(b *testing.B) {
	for _, bc := range []struct{ name, log string }{
		{"nolog", "access_log off;"},
		{"accesslog", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ts := startServer(b, "keepalive_requests 1000000000;\n"+bc.log+basicConf[len("\naccess_log off;"):], basicRunner())
			c, err := net.Dial("tcp", ts.addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			req := []byte("GET /hello HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\n\r\n")
			// First response: learn its size (constant: Date has a fixed width).
			buf := make([]byte, 4096)
			if _, err := c.Write(req); err != nil {
				b.Fatal(err)
			}
			n := 0
			// The body is chunked, as ngx_lua's output is.
			for !bytes.HasSuffix(buf[:n], []byte("hello, world\n\r\n0\r\n\r\n")) {
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
		})
	}
}
