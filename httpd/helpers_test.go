package httpd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/loop"
	"github.com/stretchr/testify/require"
)

// handlerFunc is a fake Lua handler, named by the (trimmed) source of
// its *_by_lua_block.
type handlerFunc func(x Exchange, phase Phase) PhaseResult

// fakeRunner runs Go functions in place of Lua code.
type fakeRunner struct {
	mu       sync.Mutex
	handlers map[string]handlerFunc
	aborts   int
	dones    int
	runs     int
	aborted  chan Exchange
	done     chan any // Ctx values seen by Done
}

func newFakeRunner(h map[string]handlerFunc) *fakeRunner {
	return &fakeRunner{handlers: h, aborted: make(chan Exchange, 16), done: make(chan any, 16)}
}

func (r *fakeRunner) Run(x Exchange, phase Phase, code *conf.LuaCode) PhaseResult {
	r.mu.Lock()
	r.runs++
	r.mu.Unlock()
	h := r.handlers[strings.TrimSpace(code.Source)]
	if h == nil {
		x.Logf(conf.LogError, "no fake handler %q", strings.TrimSpace(code.Source))
		return PhaseResult{Outcome: Fail}
	}
	return h(x, phase)
}

func (r *fakeRunner) Abort(x Exchange) {
	r.mu.Lock()
	r.aborts++
	r.mu.Unlock()
	r.aborted <- x
}

func (r *fakeRunner) Done(x Exchange) {
	r.mu.Lock()
	r.dones++
	r.mu.Unlock()
	select {
	case r.done <- x.Ctx():
	default:
	}
}

func (r *fakeRunner) abortCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.aborts
}

// syncBuffer is a goroutine-safe bytes.Buffer for the error log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testServer is a loop running a Server on 127.0.0.1, port 0.
type testServer struct {
	t      testing.TB
	l      *loop.Loop
	srv    *Server
	addr   string
	dir    string
	elog   *syncBuffer
	runner *fakeRunner
}

// startServer parses an http block body (server blocks; "listen 8080"
// means 127.0.0.1 on a free port) and serves it.
func startServer(t testing.TB, httpBody string, runner *fakeRunner) *testServer {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "logs"), 0o755))
	src := "events {}\nhttp {\n" + httpBody + "\n}\n"
	cfg, err := conf.Parse(filepath.Join(dir, "nginx.conf"), []byte(src))
	require.NoError(t, err)
	ts := &testServer{t: t, dir: dir, elog: &syncBuffer{}, runner: runner}
	bind := map[string]string{}
	var first string
	for _, s := range cfg.HTTP.Sockets() {
		if !s.Unix {
			bind[s.Key()] = "127.0.0.1:0"
			if first == "" {
				first = s.Key()
			}
		}
	}
	var lr LuaRunner
	if runner != nil {
		lr = runner
	}
	ts.l, err = loop.Start(loop.Options{Log: func(msg string) { t.Log(msg) }}, func(l *loop.Loop) error {
		srv, err := NewServer(l, ServerOptions{
			Config: cfg, Runner: lr, ErrorLog: NewErrorLog(ts.elog, conf.LogDebug), Bind: bind,
		})
		if err != nil {
			return err
		}
		if err := srv.Listen(); err != nil {
			return err
		}
		ts.srv = srv
		if first != "" {
			ts.addr = srv.Addrs()[first].String()
		}
		return nil
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ts.l.Stop()) })
	return ts
}

// on runs fn on the server's loop and waits.
func (ts *testServer) on(fn func()) {
	ts.t.Helper()
	done := make(chan struct{})
	require.NoError(ts.t, ts.l.Post(func() { fn(); close(done) }))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		ts.t.Fatal("posted function did not run")
	}
}

// accessLog flushes and returns the default access log.
func (ts *testServer) accessLog() string {
	ts.on(ts.srv.FlushLogs)
	b, _ := os.ReadFile(filepath.Join(ts.dir, "logs", "access.log"))
	return string(b)
}

// dial connects a client with a deadline.
func (ts *testServer) dial() *client {
	ts.t.Helper()
	c, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	require.NoError(ts.t, err)
	require.NoError(ts.t, c.SetDeadline(time.Now().Add(10*time.Second)))
	ts.t.Cleanup(func() { c.Close() })
	return &client{t: ts.t, c: c, br: bufio.NewReader(c)}
}

type client struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func (c *client) send(s string) {
	c.t.Helper()
	_, err := io.WriteString(c.c, s)
	require.NoError(c.t, err)
}

// response is a parsed HTTP response.
type response struct {
	status  int
	proto   string
	reason  string
	headers [][2]string
	body    string
	raw     string // status line and headers as received
}

func (r *response) header(name string) string {
	for _, h := range r.headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

func (r *response) has(name string) bool {
	for _, h := range r.headers {
		if strings.EqualFold(h[0], name) {
			return true
		}
	}
	return false
}

// read reads one response to a request of method.
func (c *client) read(method string) *response {
	c.t.Helper()
	r, err := readResponse(c.br, method)
	require.NoError(c.t, err)
	return r
}

// closed asserts the server closes the connection without more bytes.
func (c *client) closed() {
	c.t.Helper()
	b, err := io.ReadAll(c.br)
	require.NoError(c.t, err)
	require.Empty(c.t, string(b))
}

func readResponse(br *bufio.Reader, method string) (*response, error) {
	r := &response{}
	var raw strings.Builder
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("status line: %w (got %q)", err, line)
	}
	raw.WriteString(line)
	parts := strings.SplitN(strings.TrimRight(line, "\r\n"), " ", 3)
	if len(parts) < 2 {
		return nil, fmt.Errorf("bad status line %q", line)
	}
	r.proto = parts[0]
	r.status, err = strconv.Atoi(parts[1])
	if err != nil {
		return nil, err
	}
	if len(parts) == 3 {
		r.reason = parts[2]
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		raw.WriteString(line)
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		r.headers = append(r.headers, [2]string{k, strings.TrimSpace(v)})
	}
	r.raw = raw.String()
	if method == "HEAD" || r.status == 204 || r.status == 304 || r.status < 200 {
		return r, nil
	}
	switch {
	case strings.EqualFold(r.header("Transfer-Encoding"), "chunked"):
		var body strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return nil, err
			}
			n, err := strconv.ParseInt(strings.TrimRight(line, "\r\n"), 16, 64)
			if err != nil {
				return nil, fmt.Errorf("chunk size %q", line)
			}
			if n == 0 {
				if _, err := br.ReadString('\n'); err != nil {
					return nil, err
				}
				break
			}
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(br, buf); err != nil {
				return nil, err
			}
			body.Write(buf[:n])
		}
		r.body = body.String()
	case r.has("Content-Length"):
		n, err := strconv.Atoi(r.header("Content-Length"))
		if err != nil {
			return nil, err
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		r.body = string(buf)
	default:
		b, err := io.ReadAll(br)
		if err != nil {
			return nil, err
		}
		r.body = string(b)
	}
	return r, nil
}

// say is a fake handler writing s and returning Next.
func say(s string) handlerFunc {
	return func(x Exchange, _ Phase) PhaseResult {
		_ = x.WriteString(s)
		return PhaseResult{}
	}
}

// closedWith asserts the server sends exactly want and closes.
func (c *client) closedWith(want string) {
	c.t.Helper()
	b, err := io.ReadAll(c.br)
	require.NoError(c.t, err)
	require.Equal(c.t, want, string(b))
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
