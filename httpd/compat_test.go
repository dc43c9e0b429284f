package httpd

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compatConf mirrors the server Test::Nginx writes for lua-nginx-module's
// t/ blocks: Lua locations, then "location / { root html; index ...; }".
const compatConf = `
access_log off;
default_type text/plain;
server {
    listen 8080;
    server_name localhost;
    location = /say { content_by_lua_block { say } }
    location = /clear_len { content_by_lua_block { clear_len } }
    location = /ctype_multi { content_by_lua_block { ctype_multi } }
    location = /last_modified { content_by_lua_block { last_modified } }
    location = /etag { content_by_lua_block { etag } }
    location = /switch { content_by_lua_block { switch } }
    location = /flush10 { content_by_lua_block { flush10 } }
    location = /flush10_off { lua_http10_buffering off; content_by_lua_block { flush10 } }
    location = /send_headers10 { content_by_lua_block { send_headers10 } }
    location = /cache_control { content_by_lua_block { cache_control } }
    location = /args_nil { content_by_lua_block { args_nil } }
    location = /no_default_type { lua_use_default_type off; content_by_lua_block { say } }
    location = /exit200 { content_by_lua_block { exit200 } }
    location = /ret { return 200 "abc"; }
    location / { root html; index index.html index.htm; }
}
`

// compatHandlers are Go stand-ins for the Lua of the t/ blocks cited in
// TestCompat.
func compatHandlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		"say": say("Hello, Lua!\n"),
		"clear_len": func(x Exchange, _ Phase) PhaseResult {
			x.SetResponseHeader("Content-Length", []string{"3"})
			x.SetResponseHeader("Content-Length", nil)
			_ = x.WriteString("Hello\n")
			return PhaseResult{}
		},
		"ctype_multi": func(x Exchange, _ Phase) PhaseResult {
			x.SetResponseHeader("Content-Type", []string{"a", "bc"})
			_ = x.WriteString("Hello\n")
			return PhaseResult{}
		},
		"last_modified": func(x Exchange, _ Phase) PhaseResult {
			x.SetResponseHeader("Last-Modified", []string{"Thu, 18 Nov 2010 11:27:35 GMT"})
			_ = x.WriteString("Thu, 18 Nov 2010 11:27:35 GMT\n")
			return PhaseResult{}
		},
		"etag": func(x Exchange, _ Phase) PhaseResult {
			x.SetResponseHeader("etag", []string{`"abc"`})
			_ = x.WriteString("hi\n")
			return PhaseResult{}
		},
		"switch": func(x Exchange, _ Phase) PhaseResult {
			x.SetStatus(101)
			_ = x.SendHeaders()
			return PhaseResult{}
		},
		"flush10": func(x Exchange, _ Phase) PhaseResult {
			_ = x.WriteString("hello, world\n")
			x.Flush(true, func(err error) {
				_ = x.WriteString("hiya\n")
				x.Flush(false, nil)
				if err != nil {
					_ = x.WriteString("flush: " + err.Error() + "\n")
				} else {
					_ = x.WriteString("blah\n")
				}
				x.Resume(PhaseResult{})
			})
			return PhaseResult{Outcome: Pending}
		},
		"send_headers10": func(x Exchange, _ Phase) PhaseResult {
			_ = x.SendHeaders()
			_ = x.WriteString("hi\n")
			return PhaseResult{}
		},
		"cache_control": func(x Exchange, _ Phase) PhaseResult {
			x.SetResponseHeader("Cache-Control", []string{"private", "no-store"})
			x.SetResponseHeader("Cache-Control", []string{"no-cache", "blah", "foo"})
			v, _ := x.Var("sent_http_cache_control")
			_ = x.WriteString("Cache-Control: " + v + "\n")
			return PhaseResult{}
		},
		"args_nil": func(x Exchange, _ Phase) PhaseResult {
			show := func(label string) {
				v, ok := x.Var("args")
				if !ok {
					v = "nil"
				}
				_ = x.WriteString(label + v + "\n")
			}
			show("old: ")
			_ = x.SetVar("args", "", true)
			show("new: ")
			_ = x.SetVar("args", "", false)
			show("empty: [")
			return PhaseResult{}
		},
		"exit200": func(x Exchange, _ Phase) PhaseResult {
			return PhaseResult{Outcome: Exit, Status: 200}
		},
	}
}

// dateLine masks the Date header, the only part of a response that
// changes between runs; lastMod and etag mask file times.
var (
	dateLine = regexp.MustCompile(`Date: [^\r]*`)
	lastMod  = regexp.MustCompile(`Last-Modified: [^\r]*`)
	etag     = regexp.MustCompile(`ETag: "[0-9a-f]+-`)
)

// TestCompat holds the wire bytes luring must send for lua-nginx-module's
// t/ blocks (file and TEST number in the row name); each expectation is
// the reference nginx 1.22.1 + ngx_lua response with "luring" as Server
// and its error-page signature. Every row runs twice on the same worker.
func TestCompat(t *testing.T) {
	ts := startServer(t, compatConf, newFakeRunner(compatHandlers()))
	html := filepath.Join(ts.dir, "html")
	require.NoError(t, os.MkdirAll(filepath.Join(html, "d"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(html, "e"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(html, "a.html"), []byte("hello\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(html, "d", "index.html"), []byte("idx\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(html, "e", "x.txt"), []byte("x\n"), 0o644))

	const head = "Server: luring\r\nDate: D\r\n"
	page := func(code int) string { return string(ErrorPage(code, "luring")) }
	tests := []struct {
		name, req, want string
	}{
		{"002-content.t TEST 32: HEAD over HTTP/1.0 has no length",
			"HEAD /say HTTP/1.0\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nConnection: close\r\n\r\n"},
		{"Lua output over HTTP/1.1 is chunked",
			"GET /say HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
				"c\r\nHello, Lua!\n\r\n0\r\n\r\n"},
		{"016-resp-header.t TEST 5: a cleared Content-Length is not sent",
			"GET /clear_len HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
				"6\r\nHello\n\r\n0\r\n\r\n"},
		{"016-resp-header.t TEST 7: the last Content-Type value wins",
			"GET /ctype_multi HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: bc\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
				"6\r\nHello\n\r\n0\r\n\r\n"},
		{"016-resp-header.t TEST 41: Last-Modified equal to If-Modified-Since gives 304",
			"GET /last_modified HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nIf-Modified-Since: Thu, 18 Nov 2010 11:27:35 GMT\r\n\r\n",
			"HTTP/1.1 304 Not Modified\r\n" + head + "Connection: close\r\nLast-Modified: Thu, 18 Nov 2010 11:27:35 GMT\r\n\r\n"},
		{"016-resp-header.t TEST 42: an older If-Modified-Since gives 200",
			"GET /last_modified HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nIf-Modified-Since: Thu, 18 Nov 2010 11:27:34 GMT\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\nLast-Modified: Thu, 18 Nov 2010 11:27:35 GMT\r\n\r\n" +
				"1e\r\nThu, 18 Nov 2010 11:27:35 GMT\n\r\n0\r\n\r\n"},
		{"If-None-Match equal to the ETag gives 304",
			"GET /etag HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nIf-None-Match: \"x\", W/\"abc\"\r\n\r\n",
			"HTTP/1.1 304 Not Modified\r\n" + head + "Connection: close\r\netag: \"abc\"\r\n\r\n"},
		{"015-status.t TEST 13: 101 has a complete status line",
			"GET /switch HTTP/1.1\r\nHost: localhost\r\n\r\n",
			"HTTP/1.1 101 Switching Protocols\r\n" + head + "Content-Type: text/plain\r\nConnection: upgrade\r\n\r\n"},
		{"056-flush.t TEST 5: HTTP/1.0 output is buffered whole, flush is a no-op",
			"GET /flush10 HTTP/1.0\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nContent-Length: 35\r\nConnection: close\r\n\r\n" +
				"hello, world\nhiya\nflush: buffering\n"},
		{"lua_http10_buffering off: HTTP/1.0 output is sent as it comes",
			"GET /flush10_off HTTP/1.0\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nConnection: close\r\n\r\nhello, world\nhiya\nblah\n"},
		{"HTTP/1.0 after ngx.send_headers is not buffered",
			"GET /send_headers10 HTTP/1.0\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nConnection: close\r\n\r\nhi\n"},
		{"016-resp-header.t TEST 36: $sent_http_cache_control joins the values",
			"GET /cache_control HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n" +
				"Cache-Control: no-cache\r\nCache-Control: blah\r\nCache-Control: foo\r\n\r\n" +
				"23\r\nCache-Control: no-cache, blah, foo\n\r\n0\r\n\r\n"},
		{"045-ngx-var.t TEST 2: $args set to nil is not found",
			"GET /args_nil?hello=world HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
				"23\r\nold: hello=world\nnew: nil\nempty: [\n\r\n0\r\n\r\n"},
		{"$args without a query is not found",
			"GET /args_nil HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
				"1b\r\nold: nil\nnew: nil\nempty: [\n\r\n0\r\n\r\n"},
		{"lua_use_default_type off: no Content-Type",
			"GET /no_default_type HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nc\r\nHello, Lua!\n\r\n0\r\n\r\n"},
		{"ngx.exit(200) without output: empty chunked body",
			"GET /exit200 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n"},
		{"return with text keeps its Content-Length for HEAD",
			"HEAD /ret HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"},
		{"root location: a file",
			"GET /a.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/html\r\nContent-Length: 6\r\nLast-Modified: M\r\nConnection: close\r\n" +
				"ETag: \"M6\"\r\nAccept-Ranges: bytes\r\n\r\nhello\n"},
		{"root location: HEAD of a file",
			"HEAD /a.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/html\r\nContent-Length: 6\r\nLast-Modified: M\r\nConnection: close\r\n" +
				"ETag: \"M6\"\r\nAccept-Ranges: bytes\r\n\r\n"},
		{"root location: the index file",
			"GET /d/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + head + "Content-Type: text/html\r\nContent-Length: 4\r\nLast-Modified: M\r\nConnection: close\r\n" +
				"ETag: \"M4\"\r\nAccept-Ranges: bytes\r\n\r\nidx\n"},
		{"root location: a directory without slash is redirected",
			"GET /d?x=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 301 Moved Permanently\r\n" + head + "Content-Type: text/html\r\nContent-Length: 163\r\n" +
				"Location: http://localhost:PORT/d/?x=1\r\nConnection: close\r\n\r\n" + page(301)},
		{"root location: a directory without index is forbidden",
			"GET /e/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 403 Forbidden\r\n" + head + "Content-Type: text/html\r\nContent-Length: 147\r\nConnection: close\r\n\r\n" + page(403)},
		{"root location: a missing file",
			"GET /nope.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 404 Not Found\r\n" + head + "Content-Type: text/html\r\nContent-Length: 147\r\nConnection: close\r\n\r\n" + page(404)},
		{"root location: POST to a file is not allowed",
			"POST /a.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
			"HTTP/1.1 405 Not Allowed\r\n" + head + "Content-Type: text/html\r\nContent-Length: 151\r\nConnection: close\r\n\r\n" + page(405)},
	}
	port := ts.addr[strings.LastIndexByte(ts.addr, ':')+1:]
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := strings.ReplaceAll(tc.want, "PORT", port)
			for range 2 {
				c := ts.dial()
				c.send(tc.req)
				b, err := io.ReadAll(c.br)
				require.NoError(t, err)
				got := dateLine.ReplaceAllString(string(b), "Date: D")
				if strings.Contains(want, "Last-Modified: M") {
					got = lastMod.ReplaceAllString(got, "Last-Modified: M")
				}
				got = etag.ReplaceAllString(got, `ETag: "M`)
				assert.Equal(t, want, got)
			}
		})
	}
}
