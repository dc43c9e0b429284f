package httpd

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/luring/luring/loop"
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

// streamReader is a Go stand-in for a Lua handler reading the body through
// ngx.req.socket() in fixed chunks: the engine's side of the body-stream
// workload without the Lua strings.
type streamReader struct {
	x     Exchange
	br    *BodyReader
	chunk int
	n     int
	more  func(c *loop.Conn)
}

func (r *streamReader) run(x Exchange, _ Phase) PhaseResult {
	br, err := x.BodyReader()
	if err != nil {
		return PhaseResult{Outcome: Exit, Status: 500}
	}
	r.x, r.br, r.n = x, br, 0
	br.WaitRead(r.more)
	return PhaseResult{Outcome: Pending}
}

func (r *streamReader) onMore(*loop.Conn) {
	br := r.br
	for {
		data := br.Peek()
		end := br.Err() != nil
		if len(data) < r.chunk && !end {
			br.WaitRead(r.more)
			return
		}
		n := min(len(data), r.chunk)
		r.n += n
		br.Discard(n)
		if end && n == len(data) {
			break
		}
	}
	_ = r.x.WriteString(strconv.Itoa(r.n))
	r.x.Resume(PhaseResult{})
}

// BenchmarkBodyStream is one 1 MiB POST per op on a keep-alive connection,
// its body read through BodyReader in 8 KiB chunks: what the engine
// allocates to stream a body (nothing per chunk), and its throughput.
func BenchmarkBodyStream(b *testing.B) {
	r := &streamReader{chunk: 8192}
	r.more = r.onMore
	runner := newFakeRunner(map[string]handlerFunc{"stream": r.run})
	ts := startServer(b, `
access_log off;
keepalive_requests 1000000000;
client_max_body_size 8m;
server {
    listen 8080;
    location = /body { content_by_lua_block { stream } }
}`, runner)
	postBench(b, ts.addr, []byte("\r\n1048576\r\n"))
}

// BenchmarkBodySpill is one 1 MiB POST per op read whole with ReadBody:
// in memory (client_body_buffer_size 2m), and spilled to a temp file
// (16k), which writes it with blocking writes on the loop's thread (the
// documented exception: this measures what it costs).
func BenchmarkBodySpill(b *testing.B) {
	for _, bc := range []struct{ name, bbs string }{{"memory", "2m"}, {"tempfile", "16k"}} {
		b.Run(bc.name, func(b *testing.B) {
			var x Exchange
			done := func(body []byte, err error) {
				if err != nil {
					x.Resume(PhaseResult{Outcome: Exit, Status: 500})
					return
				}
				_ = x.WriteString("ok")
				x.Resume(PhaseResult{})
			}
			runner := newFakeRunner(map[string]handlerFunc{"read": func(ex Exchange, _ Phase) PhaseResult {
				x = ex
				ex.ReadBody(done)
				return PhaseResult{Outcome: Pending}
			}})
			ts := startServer(b, `
access_log off;
keepalive_requests 1000000000;
client_max_body_size 8m;
client_body_buffer_size `+bc.bbs+`;
client_body_temp_path `+b.TempDir()+`;
server {
    listen 8080;
    location = /body { content_by_lua_block { read } }
}`, runner)
			postBench(b, ts.addr, []byte("ok"))
		})
	}
}

// postBench measures one 1 MiB POST to /body per op on one keep-alive
// connection; every chunked response must end with the last chunk and
// contain want.
func postBench(b *testing.B, addr string, want []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const size = 1 << 20
	req := append([]byte("POST /body HTTP/1.1\r\nHost: localhost\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n"),
		bytes.Repeat([]byte("x"), size)...)
	end := []byte("\r\n0\r\n\r\n")
	buf := make([]byte, 4096)
	roundTrip := func() {
		go func() { _, _ = c.Write(req) }()
		n := 0
		for !bytes.HasSuffix(buf[:n], end) {
			m, err := c.Read(buf[n:])
			if err != nil {
				b.Error(err)
				return
			}
			n += m
		}
		if !bytes.Contains(buf[:n], want) {
			b.Errorf("response %q", buf[:n])
		}
	}
	roundTrip()
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		roundTrip()
	}
}
