package server

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
)

// BenchmarkPipelinedHello is the whole engine per request (parse, phases,
// a pooled coroutine running ngx.say("hello, world"), response) with the
// network's cost spread thin: the client writes 64 pipelined requests at a
// time and reads their 64 responses, so one send and a few receives serve
// 64 requests. Its CPU profile is the engine's own; ns/op is per request.
func BenchmarkPipelinedHello(b *testing.B) {
	const depth = 64
	address := fmt.Sprintf("127.0.0.1:%d", portBench)
	cfg, err := conf.Parse(filepath.Join(b.TempDir(), "nginx.conf"), []byte(fmt.Sprintf(`
events {}
http {
    access_log off;
    keepalive_requests 1000000000;
    server {
        listen %s reuseport;
        location = /hello {
            content_by_lua_block { ngx.say("hello, world") }
        }
    }
}`, address)))
	require.NoError(b, err)
	in, err := Start(cfg, httpd.NewErrorLog(io.Discard, conf.LogError), Options{})
	require.NoError(b, err)
	defer func() {
		in.Stop()
		<-in.Done()
	}()
	c, err := net.DialTimeout("tcp", address, 5*time.Second)
	require.NoError(b, err)
	defer c.Close()
	req := []byte("GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n")
	batch := bytes.Repeat(req, depth)

	// One response teaches its size (constant: Date has a fixed width).
	_, err = c.Write(req)
	require.NoError(b, err)
	buf := make([]byte, 64<<10)
	n := 0
	for !bytes.HasSuffix(buf[:n], []byte("hello, world\n\r\n0\r\n\r\n")) { // chunked, as ngx_lua answers
		m, err := c.Read(buf[n:])
		require.NoError(b, err)
		n += m
	}
	size := n
	require.LessOrEqual(b, size*depth, len(buf))

	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += depth {
		if _, err := c.Write(batch); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf[:size*depth]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
}
