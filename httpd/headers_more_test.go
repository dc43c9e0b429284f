package httpd

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// moreConf holds the locations of the headers-more tests; each mirrors a
// block of headers-more-nginx-module's t/ files.
const moreConf = `
access_log off;
default_type text/plain;
more_set_headers 'X-Http: h';
server {
    listen 8080;
    server_name localhost;
    more_set_headers -s 404 'X-Srv: s';
    location = /set { more_set_headers 'X-Foo: Blah' 'X-Bar: hi'; echo hi; }
    location = /set404 { more_set_headers 'X-Foo: Blah'; more_set_headers 'X-Foo:'; more_set_headers 'X-Bar: b'; return 404; }
    location = /status { more_set_headers -s '503 404' 'X-Mine: Hiya'; more_set_headers -s ' 404  413 ' 'X-Yours: Blah'; return 503; }
    location = /types { default_type text/css; more_set_headers -t 'text/javascript' -t 'text/css' 'X-CSS: yes'; more_set_headers -t 'text/html' 'X-No: no'; echo hi; }
    location = /var { set $val 'hello, world'; more_set_headers 'X-Foo: $val' '$val: $val' 'X-Empty: $arg_none'; echo hi; }
    location = /builtin { more_set_headers 'Server: Foo' 'Content-Type: text/css'; more_clear_headers Date; echo hi; }
    location = /noserver { more_clear_headers 'Server: '; more_clear_headers 'content-type: blah'; return 404; }
    location = /len { more_set_headers 'Content-Length: 2'; echo hello; }
    location = /nolen { more_set_headers 'Content-Length: 4'; more_clear_headers 'Content-Length'; echo hello; }
    location = /lua { more_set_headers 'X-A: 1' 'Cache-Control: c'; more_clear_headers 'X-B*'; content_by_lua_block { lua } }
    location = /append { more_set_headers 'Set-Cookie: a=1'; more_set_headers -a 'Set-Cookie: b=2'; echo hi; }
    location = /index.html { more_clear_headers Last-Modified Accept-Ranges; }
    location = /in { more_set_input_headers 'X-Foo: howdy' 'Host: Foo.COM:88'; more_clear_input_headers 'User-Agent' 'X-Del*'; echo $http_x_foo $host $http_host [$http_user_agent] [$http_x_del_a] [$http_x_keep]; }
    location = /inhost { more_clear_input_headers Host; echo [$host] [$http_host]; }
    location = /inlen { more_set_input_headers 'Content-Length: 3'; echo_read_request_body; echo_request_body; }
    location = /incookie { more_set_input_headers 'Cookie: boo=123'; echo [$cookie_foo] [$cookie_boo] [$http_cookie]; }
    location = /inmulti { more_set_input_headers 'AAA: 111'; content_by_lua_block { headers } }
    location = /intype { more_set_input_headers -t 'text/plain text/css' 'X: y'; more_set_input_headers -r 'Y: z'; echo [$http_x] [$http_y]; }
    location = /inhttp09 { more_set_headers 'X: y'; more_set_input_headers 'X-Foo: y'; echo [$http_x_foo]; }
    location = /inorder { more_set_input_headers 'X-Foo: hm'; set $v $http_x_foo; rewrite_by_lua_block { rewrite } echo [$v]; }
}
`

func moreRunner() *fakeRunner {
	return newFakeRunner(map[string]handlerFunc{
		"lua": func(x Exchange, _ Phase) PhaseResult {
			x.SetResponseHeader("X-B1", []string{"x"})
			x.SetResponseHeader("X-Bb", []string{"y"})
			x.SetResponseHeader("X-Keep", []string{"k"})
			x.SetResponseHeader("Cache-Control", []string{"a", "b"})
			x.SetResponseHeader("X-A", []string{"p", "q"})
			_ = x.SendHeaders()
			_ = x.WriteString(strings.Join(x.ResponseHeader("X-A"), ",") + " " + strings.Join(x.ResponseHeader("Cache-Control"), ",") + "\n")
			return PhaseResult{}
		},
		"headers": func(x Exchange, _ Phase) PhaseResult {
			var vs []string
			for _, h := range x.RequestHeaders() {
				if strings.EqualFold(h.Name, "aaa") {
					vs = append(vs, h.Value)
				}
			}
			_ = x.WriteString(strings.Join(vs, ",") + "\n")
			return PhaseResult{}
		},
		"rewrite": func(x Exchange, _ Phase) PhaseResult {
			v, _ := x.RequestHeader("X-Foo")
			_ = x.WriteString("lua: " + v + "\n")
			return PhaseResult{}
		},
	})
}

func TestHeadersMore(t *testing.T) {
	ts := startServer(t, moreConf, moreRunner())
	require.NoError(t, writeHTML(ts, "index.html", "idx\n"))
	page := func(code int) string { return string(ErrorPage(code, "luring")) }
	plain := "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
	runWire(t, ts, []echoCase{
		{"sanity.t TEST 2: two headers", get("/set"),
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\nX-Foo: Blah\r\nX-Bar: hi\r\n\r\n" + chunked("hi\n"), ""},
		{"sanity.t TEST 5, 27: set then clear, on an error page, merged from above", get("/set404"),
			"HTTP/1.1 404 Not Found\r\n" + wireHead + "Content-Type: text/html\r\nContent-Length: 147\r\nConnection: close\r\n" +
				"X-Http: h\r\nX-Srv: s\r\nX-Bar: b\r\n\r\n" + page(404), ""},
		{"sanity.t TEST 9: -s lists", get("/status"),
			"HTTP/1.1 503 Service Temporarily Unavailable\r\n" + wireHead + "Content-Type: text/html\r\nContent-Length: 191\r\nConnection: close\r\n" +
				"X-Http: h\r\nX-Mine: Hiya\r\n\r\n" + page(503), ""},
		{"sanity.t TEST 15: -t lists", get("/types"),
			"HTTP/1.1 200 OK\r\n" + wireHead + "Content-Type: text/css\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n" +
				"X-Http: h\r\nX-CSS: yes\r\n\r\n" + chunked("hi\n"), ""},
		{"vars.t TEST 1-2, bug.t TEST 5: variables in values only; empty values clear", get("/var"),
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\nX-Foo: hello, world\r\n$val: hello, world\r\n\r\n" + chunked("hi\n"), ""},
		{"builtin.t TEST 1, 3: Server and Content-Type replaced, Date cleared", get("/builtin"),
			"HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n" +
				"X-Http: h\r\nServer: Foo\r\n\r\n" + chunked("hi\n"), ""},
		{"builtin.t TEST 2, 7: Server and Content-Type cleared", get("/noserver"),
			"HTTP/1.1 404 Not Found\r\nDate: D\r\nContent-Length: 147\r\nConnection: close\r\nX-Http: h\r\nX-Srv: s\r\n\r\n" + page(404), ""},
		{"builtin.t TEST 11: a set Content-Length is sent, after Connection", get("/len"),
			"HTTP/1.1 200 OK\r\n" + wireHead + "Content-Type: text/plain\r\nConnection: close\r\nX-Http: h\r\nContent-Length: 2\r\n\r\nhello\n", ""},
		{"builtin.t TEST 14: a cleared Content-Length", get("/nolen"),
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\n\r\n" + chunked("hello\n"), ""},
		{"on Lua headers: values replaced, several made one, wildcards cleared", get("/lua"),
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Keep: k\r\nCache-Control: c\r\nX-A: 1\r\nX-Http: h\r\n\r\n" + chunked("1 c\n"), ""},
		{"sanity.t TEST 35: -a adds a header", get("/append"),
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n" + chunked("hi\n"), ""},
		{"bug.t TEST 1, 7: Last-Modified and Accept-Ranges of a file cleared", get("/index.html"), "",
			`^HTTP/1.1 200 OK\r\n` + wireHead + `Content-Type: text/html\r\nContent-Length: 4\r\nConnection: close\r\nETag: "[0-9a-f-]+"\r\nX-Http: h\r\n\r\nidx\n$`},
		{"input.t TEST 2, 5, 40-41, 50: input headers set and cleared", "GET /in HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nUser-Agent: ua\r\nX-Del-A: 1\r\nX-Keep: k\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\n\r\n" + chunked("howdy foo.com Foo.COM:88 [] [] [k]\n"), ""},
		{"input.t TEST 6: a cleared Host leaves $host the server name", get("/inhost"),
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\n\r\n" + chunked("[localhost] []\n"), ""},
		{"input.t TEST 3: a new Content-Length is the body's", post("/inlen", "abcdef"),
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\n\r\n" + chunked("abc"), ""},
		{"input-cookie.t TEST 3: Cookie replaced", "GET /incookie HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: foo=bar\r\nCookie: baz=1\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\n\r\n" + chunked("[] [123] [boo=123]\n"), ""},
		{"input.t TEST 43: several values become one", "GET /inmulti HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAAA: 123\r\nAAA: 456\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\n\r\n" + chunked("111\n"), ""},
		{"input.t TEST 15, 20: -t matches the whole type, -r only replaces", "GET /intype HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: text/css\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\n\r\n" + chunked("[y] []\n"), ""},
		{"input.t TEST 17: -t not matched, -r replaces", "GET /intype HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: text/css; charset=utf-8\r\nY: 1\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\n\r\n" + chunked("[] [z]\n"), ""},
		{"input.t TEST 38, sanity.t TEST 33: HTTP/0.9 has no headers", "GET /inhttp09\r\n", "[]\n", ""},
		{"input commands run after set, before rewrite_by_lua", "GET /inorder HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Foo: orig\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + wireHead + plain + "X-Http: h\r\n\r\n" + chunked("lua: hm\n[orig]\n"), ""},
	})
}

// The raw head stays as the client sent it after input edits
// ($echo_client_request_headers, ngx.req.raw_header).
func TestEditKeepsRawHead(t *testing.T) {
	ts := startServer(t, `
access_log off;
server {
    listen 8080;
    location / { more_set_input_headers 'X-Foo: new' 'Host: a.b'; more_clear_input_headers 'X-Del'; echo -n $echo_client_request_headers; }
}`, nil)
	req := "GET / HTTP/1.1\r\nHost: localhost\r\nX-Del: 1\r\nConnection: close\r\n\r\n"
	c := ts.dial()
	c.send(req)
	assert.Equal(t, req, c.read("GET").body)
}
