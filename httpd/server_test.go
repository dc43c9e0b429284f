package httpd

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const basicConf = `
access_log off;
server {
    listen 8080;
    server_name localhost;
    location = /hello { content_by_lua_block { hello } }
    location = /ret { return 200 "ret $uri $arg_a\n"; }
    location = /redir { return 301 /elsewhere; }
    location = /forbidden { return 403; }
    location = /internal { internal; return 200 "no"; }
    location = /none { }
    location = /close { return 444; }
}
`

func basicRunner() *fakeRunner {
	return newFakeRunner(map[string]handlerFunc{"hello": say("hello, world\n")})
}

func TestKeepAliveGet(t *testing.T) {
	ts := startServer(t, basicConf, basicRunner())
	c := ts.dial()
	for i := 0; i < 3; i++ {
		c.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
		r := c.read("GET")
		require.Equal(t, 200, r.status)
		assert.Equal(t, "OK", r.reason)
		assert.Equal(t, "hello, world\n", r.body)
		// a Lua handler's output has no length, as in ngx_lua: chunked
		assert.Equal(t, "chunked", r.header("Transfer-Encoding"))
		assert.Equal(t, "text/plain", r.header("Content-Type"))
		assert.Equal(t, "keep-alive", r.header("Connection"))
		assert.Equal(t, "luring", r.header("Server"))
		assert.True(t, r.has("Date"))
		// nginx's header order
		names := []string{}
		for _, h := range r.headers {
			names = append(names, h[0])
		}
		assert.Equal(t, []string{"Server", "Date", "Content-Type", "Transfer-Encoding", "Connection"}, names)
	}
	st := ts.srv.Stats()
	assert.EqualValues(t, 3, st.Requests)
}

// TestIdleConnectionsHoldNoRequestState: between requests a keep-alive
// connection keeps only its session; parser, Txn and buffers go back to
// the server's pool and are shared by the connections that are busy, so
// many idle connections cost little memory.
func TestIdleConnectionsHoldNoRequestState(t *testing.T) {
	ts := startServer(t, basicConf, basicRunner())
	const n = 20
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = ts.dial()
		clients[i].send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
		require.Equal(t, "hello, world\n", clients[i].read("GET").body)
	}
	// A second request on each goes on from the idle state.
	for _, c := range clients {
		c.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
		require.Equal(t, "hello, world\n", c.read("GET").body)
	}
	sessions, holding, pooled := 0, 0, 0
	ts.on(func() {
		ts.srv.sessions.each(func(s *session) {
			sessions++
			if s.work != nil {
				holding++
			}
		})
		pooled = len(ts.srv.works)
	})
	assert.Equal(t, n, sessions)
	assert.Zero(t, holding, "idle sessions holding request state")
	assert.Equal(t, 1, pooled, "one request at a time needed one state")
}

func TestReturn(t *testing.T) {
	ts := startServer(t, basicConf, basicRunner())
	tests := []struct {
		name, req  string
		status     int
		body       string
		ctype, loc string
		conn       string
	}{
		{"text with vars", "GET /ret?a=1&b=2 HTTP/1.1\r\nHost: localhost\r\n\r\n", 200, "ret /ret 1\n", "text/plain", "", "keep-alive"},
		{"redirect is made absolute", "GET /redir HTTP/1.1\r\nHost: localhost\r\n\r\n", 301,
			string(ErrorPage(301, "luring")), "text/html", "http://localhost:PORT/elsewhere", "keep-alive"},
		{"error page", "GET /forbidden HTTP/1.1\r\nHost: localhost\r\n\r\n", 403, string(ErrorPage(403, "luring")), "text/html", "", "keep-alive"},
		{"internal from outside is 404", "GET /internal HTTP/1.1\r\nHost: localhost\r\n\r\n", 404, string(ErrorPage(404, "luring")), "text/html", "", "keep-alive"},
		{"no content handler is 404", "GET /none HTTP/1.1\r\nHost: localhost\r\n\r\n", 404, string(ErrorPage(404, "luring")), "text/html", "", "keep-alive"},
		{"no location is 404", "GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n", 404, string(ErrorPage(404, "luring")), "text/html", "", "keep-alive"},
		{"HTTP/1.0 closes", "GET /ret HTTP/1.0\r\n\r\n", 200, "ret /ret \n", "text/plain", "", "close"},
		{"HTTP/1.0 keep-alive", "GET /ret HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200, "ret /ret \n", "text/plain", "", "keep-alive"},
		{"Connection: close", "GET /ret HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 200, "ret /ret \n", "text/plain", "", "close"},
	}
	port := ts.addr[strings.LastIndexByte(ts.addr, ':')+1:]
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.dial()
			c.send(tc.req)
			r := c.read("GET")
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, tc.body, r.body)
			assert.Equal(t, tc.ctype, r.header("Content-Type"))
			assert.Equal(t, strings.ReplaceAll(tc.loc, "PORT", port), r.header("Location"))
			assert.Equal(t, tc.conn, r.header("Connection"))
			if tc.conn == "close" {
				c.closed()
			}
		})
	}
}

func TestReturn444ClosesWithoutResponse(t *testing.T) {
	ts := startServer(t, basicConf, basicRunner())
	c := ts.dial()
	c.send("GET /close HTTP/1.1\r\nHost: localhost\r\n\r\n")
	c.closed()
}

func TestHead(t *testing.T) {
	ts := startServer(t, basicConf, basicRunner())
	c := ts.dial()
	c.send("HEAD /hello HTTP/1.1\r\nHost: localhost\r\n\r\nGET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
	r := c.read("HEAD")
	assert.Equal(t, 200, r.status)
	// ngx_lua sends a HEAD response's headers with neither length nor
	// chunked framing (002-content.t TEST 32 for HTTP/1.0)
	assert.False(t, r.has("Content-Length"))
	assert.False(t, r.has("Transfer-Encoding"))
	r = c.read("GET")
	assert.Equal(t, "hello, world\n", r.body)
}

func TestPipelining(t *testing.T) {
	ts := startServer(t, basicConf, basicRunner())
	c := ts.dial()
	var req strings.Builder
	for i := 0; i < 20; i++ {
		req.WriteString("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
		req.WriteString("GET /ret?a=" + strings.Repeat("x", i) + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
	}
	c.send(req.String())
	for i := 0; i < 20; i++ {
		assert.Equal(t, "hello, world\n", c.read("GET").body)
		assert.Equal(t, "ret /ret "+strings.Repeat("x", i)+"\n", c.read("GET").body)
	}
}
