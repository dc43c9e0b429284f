package httpd

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const phasesConf = `
access_log off;
client_header_timeout 300ms;
keepalive_timeout 300ms;
client_max_body_size 64;
server {
    listen 8080;
    server_name localhost;
    log_by_lua_block { logger }
    location = /hello { content_by_lua_block { hello } }
    location = /phases {
        set $order "set";
        rewrite_by_lua_block { rewrite }
        access_by_lua_block { access }
        content_by_lua_block { content }
    }
    location = /wait { content_by_lua_block { never } }
    location = /ctx { content_by_lua_block { ctx } }
    location = /ctxwait { content_by_lua_block { ctxwait } }
    location = /echo { content_by_lua_block { echo } }
    location = /exit403 { content_by_lua_block { exit403 } }
    location = /exit201 { content_by_lua_block { exit201 } }
    location = /exitafter { content_by_lua_block { exitafter } }
    location = /exit444 { content_by_lua_block { exit444 } }
    location = /fail { content_by_lua_block { fail } }
    location = /failafter { content_by_lua_block { failafter } }
    location = /failbuffered { content_by_lua_block { failbuffered } }
    location = /stream { content_by_lua_block { stream } }
    location = /deny { access_by_lua_block { deny } content_by_lua_block { hello } }
    location = /headers { content_by_lua_block { headers } }
}
`

// later resumes x with res in a coming loop turn.
func later(x Exchange, res PhaseResult) PhaseResult {
	x.Loop().AfterFunc(time.Millisecond, func() { x.Resume(res) })
	return PhaseResult{Outcome: Pending}
}

func phasesRunner(logged chan string) *fakeRunner {
	return newFakeRunner(map[string]handlerFunc{
		"hello": say("hello, world\n"),
		"logger": func(x Exchange, p Phase) PhaseResult {
			select {
			case logged <- x.URI() + " " + p.String():
			default:
			}
			return PhaseResult{}
		},
		"rewrite": func(x Exchange, p Phase) PhaseResult {
			v, _ := x.Var("order")
			_ = x.SetVar("order", v+",rewrite", false)
			return later(x, PhaseResult{})
		},
		"access": func(x Exchange, p Phase) PhaseResult {
			v, _ := x.Var("order")
			_ = x.SetVar("order", v+",access", false)
			return PhaseResult{}
		},
		"content": func(x Exchange, p Phase) PhaseResult {
			v, _ := x.Var("order")
			_ = x.WriteString(v + ",content\n")
			return later(x, PhaseResult{})
		},
		"never": func(x Exchange, p Phase) PhaseResult { return PhaseResult{Outcome: Pending} },
		"ctx": func(x Exchange, p Phase) PhaseResult {
			x.SetCtx("state of " + x.URI())
			_ = x.WriteString("ok\n")
			return PhaseResult{}
		},
		"ctxwait": func(x Exchange, p Phase) PhaseResult {
			x.SetCtx("state of " + x.URI())
			return PhaseResult{Outcome: Pending}
		},
		"echo": func(x Exchange, p Phase) PhaseResult {
			x.(*Txn).ReadBody(func(body []byte, err error) {
				if err != nil {
					e := err.(*Error)
					x.Resume(PhaseResult{Outcome: Exit, Status: e.Status})
					return
				}
				_ = x.WriteString("got:" + string(body))
				x.Resume(PhaseResult{})
			})
			return PhaseResult{Outcome: Pending}
		},
		"exit403": func(x Exchange, p Phase) PhaseResult {
			x.SetResponseHeader("X-Kept", []string{"yes"})
			return PhaseResult{Outcome: Exit, Status: 403}
		},
		"exit201": func(x Exchange, p Phase) PhaseResult { return PhaseResult{Outcome: Exit, Status: 201} },
		"exitafter": func(x Exchange, p Phase) PhaseResult {
			_ = x.WriteString("partial")
			return PhaseResult{Outcome: Exit, Status: 404}
		},
		"exit444": func(x Exchange, p Phase) PhaseResult { return later(x, PhaseResult{Outcome: Exit, Status: 444}) },
		"fail":    func(x Exchange, p Phase) PhaseResult { return PhaseResult{Outcome: Fail} },
		"failafter": func(x Exchange, p Phase) PhaseResult {
			_ = x.WriteString("a")
			x.Flush(false, nil)
			return PhaseResult{Outcome: Fail}
		},
		"failbuffered": func(x Exchange, p Phase) PhaseResult {
			_ = x.WriteString("buffered, not flushed\n")
			return PhaseResult{Outcome: Fail}
		},
		"stream": func(x Exchange, p Phase) PhaseResult {
			_ = x.WriteString("a")
			x.Flush(false, nil)
			_ = x.WriteString("b")
			return PhaseResult{}
		},
		"deny": func(x Exchange, p Phase) PhaseResult { return later(x, PhaseResult{Outcome: Exit, Status: 403}) },
		"headers": func(x Exchange, p Phase) PhaseResult {
			x.SetStatus(202)
			x.SetResponseHeader("Content-Type", []string{"application/json"})
			x.SetResponseHeader("Set-Cookie", []string{"a=1", "b=2"})
			x.SetResponseHeader("Server", []string{"custom"})
			_ = x.WriteString("{}")
			ok := x.SetStatus(500)
			if ok {
				_ = x.WriteString("status changed after output")
			}
			return PhaseResult{}
		},
	})
}

func TestPhases(t *testing.T) {
	logged := make(chan string, 16)
	ts := startServer(t, phasesConf, phasesRunner(logged))
	tests := []struct {
		name, path string
		status     int
		body       string
		conn       string
		check      func(t *testing.T, r *response)
	}{
		{"set, rewrite, access, content in order", "/phases", 200, "set,rewrite,access,content\n", "keep-alive", nil},
		{"exit 403 with nothing sent: page, headers kept", "/exit403", 403, string(ErrorPage(403, "luring")), "keep-alive",
			func(t *testing.T, r *response) { assert.Equal(t, "yes", r.header("X-Kept")) }},
		{"exit 201 with nothing sent: empty body", "/exit201", 201, "", "keep-alive", nil},
		{"exit after output finishes the response", "/exitafter", 200, "partial", "keep-alive", nil},
		{"fail before output: 500", "/fail", 500, string(ErrorPage(500, "luring")), "close", nil},
		{"flush then end: chunked", "/stream", 200, "ab", "keep-alive",
			func(t *testing.T, r *response) {
				assert.Equal(t, "chunked", r.header("Transfer-Encoding"))
				assert.False(t, r.has("Content-Length"))
			}},
		{"access denies asynchronously", "/deny", 403, string(ErrorPage(403, "luring")), "keep-alive", nil},
		{"handler headers, status frozen after output", "/headers", 202, "{}", "keep-alive",
			func(t *testing.T, r *response) {
				assert.Equal(t, "application/json", r.header("Content-Type"))
				assert.Equal(t, "custom", r.header("Server"))
				var cookies []string
				for _, h := range r.headers {
					if h[0] == "Set-Cookie" {
						cookies = append(cookies, h[1])
					}
				}
				assert.Equal(t, []string{"a=1", "b=2"}, cookies)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // twice on one connection: no state leaks
				c := ts.dial()
				c.send("GET " + tc.path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
				r := c.read("GET")
				assert.Equal(t, tc.status, r.status)
				assert.Equal(t, tc.body, r.body)
				assert.Equal(t, tc.conn, r.header("Connection"))
				if tc.check != nil {
					tc.check(t, r)
				}
				select {
				case l := <-logged:
					assert.Equal(t, tc.path+" log", l)
				case <-time.After(5 * time.Second):
					t.Fatal("log_by_lua did not run")
				}
			}
		})
	}
}

func TestStreamHTTP10ClosesInsteadOfChunking(t *testing.T) {
	ts := startServer(t, phasesConf, phasesRunner(nil))
	c := ts.dial()
	c.send("GET /stream HTTP/1.0\r\n\r\n")
	r := c.read("GET")
	assert.Equal(t, "ab", r.body)
	assert.Equal(t, "close", r.header("Connection"))
	assert.False(t, r.has("Transfer-Encoding"))
}

func TestFailAfterHeadersClosesConnection(t *testing.T) {
	ts := startServer(t, phasesConf, phasesRunner(nil))
	c := ts.dial()
	c.send("GET /failafter HTTP/1.1\r\nHost: localhost\r\n\r\n")
	// The head and the first chunk, then the close, with no last chunk.
	r, err := readResponse(c.br, "GET")
	require.Error(t, err)
	assert.Nil(t, r)
}

func TestExit444AfterWait(t *testing.T) {
	ts := startServer(t, phasesConf, phasesRunner(nil))
	c := ts.dial()
	c.send("GET /exit444 HTTP/1.1\r\nHost: localhost\r\n\r\n")
	c.closed()
}

func TestAbortOnClientDisconnect(t *testing.T) {
	runner := phasesRunner(nil)
	ts := startServer(t, phasesConf, runner)
	for i := 0; i < 3; i++ {
		c := ts.dial()
		c.send("GET /wait HTTP/1.1\r\nHost: localhost\r\n\r\n")
		c.c.Close()
		select {
		case <-runner.aborted:
		case <-time.After(5 * time.Second):
			t.Fatal("Abort not called")
		}
	}
	require.Eventually(t, func() bool { return ts.srv.Stats().Connections == 0 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, 3, runner.abortCount())
	assert.EqualValues(t, 0, ts.srv.Stats().Active)
}

// TestDoneReleasesCtx: the runner gets its per-request state back once per
// request that set it, when the request is over (served, or abandoned
// by a client gone mid-handler), and the next request starts without it.
func TestDoneReleasesCtx(t *testing.T) {
	runner := phasesRunner(nil)
	ts := startServer(t, phasesConf, runner)
	c := ts.dial()
	c.send("GET /ctx HTTP/1.1\r\nHost: localhost\r\n\r\n")
	assert.Equal(t, "ok\n", c.read("GET").body)
	assert.Equal(t, "state of /ctx", doneCtx(t, runner))
	c.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
	assert.Equal(t, "hello, world\n", c.read("GET").body)

	w := ts.dial()
	w.send("GET /ctxwait HTTP/1.1\r\nHost: localhost\r\n\r\n")
	w.c.Close()
	<-runner.aborted
	assert.Equal(t, "state of /ctxwait", doneCtx(t, runner))
	require.Eventually(t, func() bool { return ts.srv.Stats().Connections == 1 }, 5*time.Second, time.Millisecond)
	runner.mu.Lock()
	defer runner.mu.Unlock()
	assert.Equal(t, 2, runner.dones, "/hello set no state: no Done")
}

// doneCtx is the Ctx value of the runner's next Done call.
func doneCtx(t *testing.T, r *fakeRunner) any {
	select {
	case v := <-r.done:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("Done not called")
		return nil
	}
}

func TestShutdownAbortsPending(t *testing.T) {
	runner := phasesRunner(nil)
	ts := startServer(t, phasesConf, runner)
	c := ts.dial()
	c.send("GET /wait HTTP/1.1\r\nHost: localhost\r\n\r\n")
	idle := ts.dial()
	idle.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
	idle.read("GET")
	require.Eventually(t, func() bool { return ts.srv.Stats().Active == 1 }, 5*time.Second, time.Millisecond)
	ts.on(func() { ts.srv.Shutdown(false) })
	c.closed()
	idle.closed()
	<-ts.srv.Done()
	assert.Equal(t, 1, runner.abortCount())
}

func TestGracefulShutdown(t *testing.T) {
	runner := phasesRunner(nil)
	gate := make(chan Exchange, 1)
	runner.handlers["never"] = func(x Exchange, p Phase) PhaseResult {
		gate <- x
		return PhaseResult{Outcome: Pending}
	}
	ts := startServer(t, phasesConf, runner)
	busy := ts.dial()
	busy.send("GET /wait HTTP/1.1\r\nHost: localhost\r\n\r\n")
	x := <-gate
	idle := ts.dial()
	idle.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
	idle.read("GET")
	ts.on(func() { ts.srv.Shutdown(true) })
	idle.closed()
	ts.on(func() {
		_ = x.WriteString("finished")
		x.Resume(PhaseResult{})
	})
	r := busy.read("GET")
	assert.Equal(t, "finished", r.body)
	assert.Equal(t, "close", r.header("Connection"))
	busy.closed()
	<-ts.srv.Done()
	assert.Equal(t, 0, runner.abortCount())
}

func TestTimeouts(t *testing.T) {
	ts := startServer(t, phasesConf, phasesRunner(nil))
	t.Run("client_header_timeout closes silently", func(t *testing.T) {
		c := ts.dial()
		c.send("GET /hello HTTP/1.1\r\nHost: loc")
		c.closed()
	})
	t.Run("no bytes at all", func(t *testing.T) {
		c := ts.dial()
		c.closed()
	})
	t.Run("keepalive_timeout closes idle connection", func(t *testing.T) {
		c := ts.dial()
		c.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
		c.read("GET")
		c.closed()
	})
	assert.Contains(t, ts.elog.String(), "client timed out")
}

func TestRequestBodies(t *testing.T) {
	ts := startServer(t, phasesConf, phasesRunner(nil))
	tests := []struct {
		name   string
		req    string
		status int
		body   string
		conn   string
		next   bool // a pipelined GET /hello follows and must be answered
	}{
		{"unread CL body is discarded", "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde", 200, "hello, world\n", "keep-alive", true},
		{"unread chunked body is discarded", "POST /hello HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 200, "hello, world\n", "keep-alive", true},
		{"read CL body", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde", 200, "got:abcde", "keep-alive", true},
		{"read chunked body", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 200, "got:abcde", "keep-alive", true},
		{"empty body", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 200, "got:", "keep-alive", true},
		{"CL over client_max_body_size: 413", "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("x", 100), 413, string(ErrorPage(413, "luring")), "close", false},
		{"chunked over client_max_body_size: 413", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + strings.Repeat("x", 100) + "\r\n0\r\n\r\n", 413, string(ErrorPage(413, "luring")), "close", false},
		{"bad chunked framing: 400", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, string(ErrorPage(400, "luring")), "close", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.dial()
			req := tc.req
			if tc.next {
				req += "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"
			}
			c.send(req)
			r := c.read("POST")
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, tc.body, r.body)
			assert.Equal(t, tc.conn, r.header("Connection"))
			if tc.next {
				assert.Equal(t, "hello, world\n", c.read("GET").body)
			} else {
				c.closed()
			}
		})
	}
}

func TestExpect100Continue(t *testing.T) {
	ts := startServer(t, phasesConf, phasesRunner(nil))
	c := ts.dial()
	c.send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
	r := c.read("POST")
	require.Equal(t, 100, r.status)
	assert.Equal(t, "HTTP/1.1 100 Continue\r\n\r\n", r.raw)
	c.send("abc")
	r = c.read("POST")
	assert.Equal(t, "got:abc", r.body)

	// Not read: no 100, and the connection closes after the response.
	c = ts.dial()
	c.send("POST /hello HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
	r = c.read("POST")
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "close", r.header("Connection"))
	c.closed()
}

// A handler that fails after buffering output (headers committed, nothing
// sent) closes its connection with no response, as ngx_lua does; the
// buffered bytes must not reach the next connection that reuses the session.
func TestFailedBufferedBodyDoesNotLeakIntoNextConnection(t *testing.T) {
	ts := startServer(t, phasesConf, phasesRunner(nil))
	for i := 0; i < 3; i++ {
		c := ts.dial()
		c.send("GET /failbuffered HTTP/1.1\r\nHost: localhost\r\n\r\n")
		c.closed()
		next := ts.dial()
		next.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
		r := next.read("GET")
		assert.Equal(t, 200, r.status)
		assert.Equal(t, "hello, world\n", r.body)
	}
}

// A connection accepted but silent when a graceful Shutdown begins (a
// reload under load) still gets its first request served; an idle
// keep-alive connection is closed at once.
//
// phasesConf's 300 ms client_header_timeout and keepalive_timeout would
// close either connection on their own on a loaded machine, and the grace
// is bounded by the former: here both are long, the grace is freshGrace,
// and the fresh request goes out as soon as Shutdown has run.
func TestGracefulShutdownServesFreshConnections(t *testing.T) {
	conf := strings.NewReplacer("client_header_timeout 300ms", "client_header_timeout 60s",
		"keepalive_timeout 300ms", "keepalive_timeout 60s").Replace(phasesConf)
	ts := startServer(t, conf, phasesRunner(nil))
	idle := ts.dial()
	idle.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
	idle.read("GET")
	fresh := ts.dial()
	require.Eventually(t, func() bool { return ts.srv.Stats().Connections == 2 }, 5*time.Second, time.Millisecond)
	ts.on(func() { ts.srv.Shutdown(true) })
	fresh.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
	idle.closed()
	r := fresh.read("GET")
	assert.Equal(t, "hello, world\n", r.body)
	assert.Equal(t, "close", r.header("Connection"))
	fresh.closed()
	<-ts.srv.Done()
}

// ReadBody and Flush outcomes known at once come from the run queue, after
// the call returned: a handler never sees its callback run inside the call.
func TestOutcomesKnownAtOnceComeLater(t *testing.T) {
	order := func(call func(x Exchange, cb func(error))) handlerFunc {
		return func(x Exchange, p Phase) PhaseResult {
			var seen []string
			call(x, func(err error) {
				seen = append(seen, "callback")
				_ = x.WriteString(strings.Join(seen, ",") + "\n")
				x.Resume(PhaseResult{})
			})
			seen = append(seen, "returned")
			return PhaseResult{Outcome: Pending}
		}
	}
	rn := newFakeRunner(map[string]handlerFunc{
		"nobody": order(func(x Exchange, cb func(error)) {
			x.(*Txn).ReadBody(func(_ []byte, err error) { cb(err) })
		}),
		"twice": func(x Exchange, p Phase) PhaseResult {
			x.(*Txn).ReadBody(func([]byte, error) {
				// The body is read already: the second outcome is known at once.
				order(func(x Exchange, cb func(error)) {
					x.(*Txn).ReadBody(func(_ []byte, err error) { cb(err) })
				})(x, p)
			})
			return PhaseResult{Outcome: Pending}
		},
		"flush10": order(func(x Exchange, cb func(error)) {
			_ = x.WriteString("buffered\n")
			x.Flush(true, cb) // HTTP/1.0 buffering: ErrBuffering at once
		}),
	})
	ts := startServer(t, `
server {
    listen 8080;
    location = /nobody { content_by_lua_block { nobody } }
    location = /twice { content_by_lua_block { twice } }
    location = /flush10 { content_by_lua_block { flush10 } }
}`, rn)
	for _, tc := range []struct{ name, req, body string }{
		{"ReadBody without a body", "GET /nobody HTTP/1.1\r\nHost: a\r\n\r\n", "returned,callback\n"},
		{"ReadBody of a body read already", "POST /twice HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab", "returned,callback\n"},
		{"Flush while HTTP/1.0 buffering", "GET /flush10 HTTP/1.0\r\n\r\n", "buffered\nreturned,callback\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.dial()
			c.send(tc.req)
			r := c.read("GET")
			assert.Equal(t, 200, r.status)
			assert.Equal(t, tc.body, r.body)
		})
	}
}
