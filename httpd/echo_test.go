package httpd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoConf holds the locations of the echo tests; each mirrors a block of
// echo-nginx-module's t/ files (file and TEST in the row names).
const echoConf = `
access_log off;
default_type text/plain;
server {
    listen 8080;
    server_name localhost;
    location = /echo { echo hello; }
    location = /args { echo say hello world; }
    location = /multi { echo say that; echo hello; echo world !; }
    location = /noargs { echo; echo; }
    location = /escapes { echo "i say \"hello\tworld\"\r"; }
    location = /n { echo -n hello; echo -n world; }
    location = /a-n { echo a -n hello; echo b -n world; }
    location = /nvar { set $opt -n; echo $opt hello; echo $opt world; }
    location = /nonly { echo -n; echo -n; }
    location = /nempty { set $empty ""; echo -n $empty hello world; }
    location = /dashdash { echo -- -n hello; echo -n -- -n world; }
    location = /file.html { echo html; }
    location = /status404 { echo_status 404; echo hello; }
    location = /dup { echo_duplicate 3 a; }
    location = /dup10k { echo_duplicate 10_000 A; }
    location = /dup0 { echo_duplicate 0 abc; }
    location = /dupbad { echo_duplicate $arg_n x; }
    location = /sleep { echo before...; echo_sleep 0.01; echo after...; }
    location ~ ^/sleepvar/(.+) { echo before...; echo_sleep $1; echo after...; }
    location = /sleepbad { echo_sleep $arg_d; echo b; }
    location = /flush { echo hi; echo_flush; echo_sleep 0.01; echo trees; }
    location = /blocking { echo 1; echo_blocking_sleep 0.01; echo 2; }
    location = /longsleep { echo_sleep 30; echo never; }
    location = /timer { echo_sleep 0.03; echo "elapsed $echo_timer_elapsed sec."; }
    location = /reset { echo_reset_timer; echo_blocking_sleep 0.02; echo $echo_timer_elapsed; }
    location = /timer0 { return 200 "$echo_timer_elapsed"; }
    location = /body { echo_read_request_body; echo [$echo_request_body]; echo_request_body; }
    location = /smallbuf { client_body_buffer_size 5; echo_read_request_body; echo "[$echo_request_body]"; echo_request_body; }
    location = /nobody { echo [$echo_request_body]; }
    location = /headers { echo -n $echo_client_request_headers; }
    location = /vars { echo $echo_request_method $echo_client_request_method $echo_request_uri [$echo_it] $echo_incr $echo_incr [$echo_response_status]; }
    location = /foreach { echo_foreach_split '&' $query_string; echo [$echo_it]; echo_end; echo ...; echo_foreach_split '-' $query_string; echo [$echo_it]; echo_end; }
    location = /foreach_empty { echo start; echo_foreach_split ',' $arg_list; echo [$echo_it]; echo_end; echo end; }
    location = /foreach_dash { echo_foreach_split '-a-' $arg_list; echo $echo_it; echo_end; }
    location = /foreach_dashok { echo_foreach_split -- '-a-' $arg_list; echo $echo_it; echo_end; }
    location = /foreach_sleep { echo_foreach_split '-' $arg_list; echo_sleep 0.001; echo $echo_it; echo_end; }
    location = /loc { echo hello; echo_location /loc_sub "a=1"; echo between; echo_location /loc_sub?x=y; echo end; }
    location = /loc_args { echo_location /loc_sub?foo=Foo blah=Blah; }
    location = /loc_async { echo_location_async /loc_sleep?t=0.05; echo mid; echo_location_async /loc_sleep?t=0.01; echo end; }
    location = /loc_incr { echo_location /loc_incr_sub; echo_location_async /loc_incr_sub; echo_location /loc_incr_sub; }
    location = /loc_sub { echo "sub $args"; }
    location = /loc_sleep { echo_sleep $arg_t; echo "slept $arg_t"; }
    location = /loc_incr_sub { echo $echo_incr; }
    location = /lone_end { echo x; echo_end; }
    location = /before { echo_before_body hello; echo_before_body -n "$request_method "; echo world; }
    location = /after { echo world; echo_after_body hello; echo_after_body $request_method; }
    location = /around { echo_before_body -n; echo_after_body; echo_before_body -- -n x; echo body; }
    location = /after404 { echo_after_body "status: $echo_response_status"; return 404; }
    location = /afterempty { echo_before_body b; echo_after_body a; echo_duplicate 0 ''; }
    location = /afterlua { echo_before_body B; echo_after_body A; content_by_lua_block { lua } }
    location /static/ { echo_before_body B; echo_after_body A; }
}
`

// echoCase is one request and the response luring must send for it:
// status line, the headers after Server and Date, and the body as sent.
type echoCase struct {
	name, req string
	want      string // the whole response, Date masked ("Date: D"); or use wantRe
	wantRe    string // a regexp for the whole response
}

const wireHead = "Server: luring\r\nDate: D\r\n"

// ok200 is a 200 text/plain response with a chunked body of the given
// chunks, as the echo handler streams it.
func ok200(chunks ...string) string {
	return "HTTP/1.1 200 OK\r\n" + wireHead + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
		chunked(chunks...)
}

func chunked(chunks ...string) string {
	var b strings.Builder
	for _, c := range chunks {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(c), c)
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
}

func post(path, body string) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", path, len(body), body)
}

// runWire sends each case's request twice, on new connections to the
// same server, and checks the bytes that come back until the close.
func runWire(t *testing.T, ts *testServer, cases []echoCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 {
				c := ts.dial()
				c.send(tc.req)
				b, err := io.ReadAll(c.br)
				require.NoError(t, err)
				got := dateLine.ReplaceAllString(string(b), "Date: D")
				if tc.wantRe != "" {
					assert.Regexp(t, regexp.MustCompile(tc.wantRe), got)
					continue
				}
				assert.Equal(t, tc.want, got)
			}
		})
	}
}

func echoRunner() *fakeRunner {
	return newFakeRunner(map[string]handlerFunc{
		"lua": func(x Exchange, _ Phase) PhaseResult {
			_ = x.WriteString("lua\n")
			x.Flush(false, nil)
			_ = x.WriteString("more\n")
			return PhaseResult{}
		},
	})
}

func TestEcho(t *testing.T) {
	ts := startServer(t, echoConf, echoRunner())
	require.NoError(t, writeHTML(ts, "static/a.txt", "file\n"))
	page := func(code int) string { return string(ErrorPage(code, "luring")) }
	bigBody := strings.Repeat("a", 2048) + "b"
	runWire(t, ts, []echoCase{
		{"echo.t TEST 1: sanity", get("/echo"), ok200("hello\n"), ""},
		{"location.t: echo_location waits, output in order", get("/loc"), ok200("hello\nsub a=1\nbetween\nsub x=y\nend\n"), ""},
		{"location.t TEST 16: an explicit query string replaces the URI's", get("/loc_args"), ok200("sub blah=Blah\n"), ""},
		{"location-async.t: concurrent, output in issue order", get("/loc_async"), ok200("slept 0.05\nmid\nslept 0.01\nend\n"), ""},
		{"location.t TEST 19: one $echo_incr per main request", get("/loc_incr"), ok200("1\n2\n3\n"), ""},
		{"echo.t TEST 2: multiple args", get("/args"), ok200("say hello world\n"), ""},
		{"echo.t TEST 3: multiple directives", get("/multi"), ok200("say that\nhello\nworld !\n"), ""},
		{"echo.t TEST 4: no arguments", get("/noargs"), ok200("\n\n"), ""},
		{"echo.t TEST 6: escapes in quotes", get("/escapes"), ok200("i say \"hello\tworld\"\r\n"), ""},
		{"echo.t TEST 13: -n", get("/n"), ok200("helloworld"), ""},
		{"echo.t TEST 14: a -n", get("/a-n"), ok200("a -n hello\nb -n world\n"), ""},
		{"echo.t TEST 15: -n in a variable is an argument", get("/nvar"), ok200("-n hello\n-n world\n"), ""},
		{"echo.t TEST 16: -n only sends nothing", get("/nonly"), ok200(), ""},
		{"echo.t TEST 26: empty argument after -n", get("/nempty"), ok200(" hello world"), ""},
		{"echo.t TEST 18, 20: -- ends the options", get("/dashdash"), ok200("-n hello\n-n world"), ""},
		{"the content type follows the extension", get("/file.html"),
			"HTTP/1.1 200 OK\r\n" + wireHead + "Content-Type: text/html\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked("html\n"), ""},
		{"echo.t TEST 23: HEAD", "HEAD /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + wireHead + "Content-Type: text/plain\r\nConnection: close\r\n\r\n", ""},
		{"HTTP/1.0: no length, the end of the body is the close", "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + wireHead + "Content-Type: text/plain\r\nConnection: close\r\n\r\nhello\n", ""},
		{"status.t TEST 3: echo_status", get("/status404"),
			"HTTP/1.1 404 Not Found\r\n" + wireHead + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked("hello\n"), ""},
		{"echo-duplicate.t TEST 1", get("/dup"), ok200("aaa"), ""},
		{"echo-duplicate.t TEST 3: underscores in the count", get("/dup10k"), ok200(strings.Repeat("A", 10000)), ""},
		{"echo-duplicate.t TEST 5: zero times", get("/dup0"), ok200(), ""},
		{"echo_duplicate with a bad count: 500", get("/dupbad?n=x"),
			"HTTP/1.1 500 Internal Server Error\r\n" + wireHead + "Content-Type: text/html\r\nContent-Length: 171\r\nConnection: close\r\n\r\n" + page(500), ""},
		{"sleep.t TEST 5: echos around a sleep", get("/sleep"), ok200("before...\nafter...\n"), ""},
		{"sleep.t TEST 13: sleep by variable", get("/sleepvar/0.01"), ok200("before...\nafter...\n"), ""},
		{"a bad sleep duration before any output: 400", get("/sleepbad?d=1.5s"),
			"HTTP/1.1 400 Bad Request\r\n" + wireHead + "Content-Type: text/html\r\nContent-Length: 151\r\nConnection: close\r\n\r\n" + page(400), ""},
		{"a bad sleep duration after output closes the connection, the output unsent (as nginx)", get("/sleepvar/0.0001"), "", ""},
		{"sleep.t TEST 8: echo_flush sends what was written", get("/flush"), ok200("hi\n", "trees\n"), ""},
		{"blocking-sleep.t TEST 5", get("/blocking"), ok200("1\n2\n"), ""},
		{"echo-timer.t TEST 1: the timer runs from the request's start", get("/timer"), "",
			`^HTTP/1.1 200 OK\r\n` + wireHead + `Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n[0-9a-f]+\r\nelapsed ` + atLeast(3) + ` sec\.\n\r\n0\r\n\r\n$`},
		{"echo-timer.t TEST 6: echo_reset_timer", get("/reset"), "",
			`\r\n[0-9a-f]+\r\n` + atLeast(2) + `\n\r\n0\r\n\r\n$`},
		{"echo-timer.t TEST 7: the timer in return", get("/timer0"), "", `\r\n\r\n\d+\.\d{3}$`},
		{"request-info.t TEST 5: the body read", post("/body", "body here\nheh"), ok200("[body here\nheh]\nbody here\nheh"), ""},
		{"request-info.t TEST 3: the body not read", post("/nobody", "body here"), ok200("[]\n"), ""},
		{"request-info.t TEST 8: a body nginx keeps in a file has no $echo_request_body", post("/smallbuf", bigBody),
			ok200("[]\n" + bigBody), ""},
		{"request-body.t TEST 2: a small body stays in memory", post("/smallbuf", "hello"), ok200("[hello]\nhello"), ""},
		{"request-info.t TEST 1: the raw request head", get("/headers"),
			ok200("GET /headers HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), ""},
		{"request-info.t TEST 13: without the leading CRLF", "\r\n" + get("/headers"),
			ok200("GET /headers HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), ""},
		{"echo variables", get("/vars"), ok200("GET GET /vars [] 1 2 []\n"), ""},
		{"foreach-split.t TEST 13: two loops", get("/foreach?a-b&c-d"), ok200("[a-b]\n[c-d]\n...\n[a]\n[b&c]\n[d]\n"), ""},
		{"foreach-split.t TEST 4: an empty loop", get("/foreach_empty"), ok200("start\nend\n"), ""},
		{"foreach-split.t TEST 6: a delimiter starting with - is an option", get("/foreach_dash?list=foo-a-bar"),
			"HTTP/1.1 500 Internal Server Error\r\n" + wireHead + "Content-Type: text/html\r\nContent-Length: 171\r\nConnection: close\r\n\r\n" + page(500), ""},
		{"foreach-split.t TEST 7: -- before it", get("/foreach_dashok?list=foo-a-bar-a-baz"), ok200("foo\nbar\nbaz\n"), ""},
		{"foreach-split.t TEST 8: a loop with sleeps", get("/foreach_sleep?list=foo-a-bar-A-baz"), ok200("foo\na\nbar\nA\nbaz\n"), ""},
		{"echo_end without a loop closes the connection", get("/lone_end"), "", ""},
		{"echo-before-body.t TEST 1, 10", get("/before"), ok200("hello\nGET world\n"), ""},
		{"echo-after-body.t TEST 3, 5", get("/after"), ok200("world\nhello\nGET\n"), ""},
		{"echo-before-body.t TEST 13, 15: -n alone prints nothing", get("/around"), ok200("-n x\nbody\n\n"), ""},
		{"echo-after-body.t TEST 10: on an error page, with $echo_response_status", get("/after404"),
			"HTTP/1.1 404 Not Found\r\n" + wireHead + "Content-Type: text/html\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
				chunked(page(404)+"status: 404\n"), ""},
		{"filters on an empty body", get("/afterempty"), ok200("b\na\n"), ""},
		{"filters around Lua output, across a flush", get("/afterlua"), ok200("B\nlua\n", "more\nA\n"), ""},
		{"filters around a static file: the length goes, the body streams", get("/static/a.txt"), "",
			`^HTTP/1.1 200 OK\r\n` + wireHead + `Content-Type: text/plain\r\nLast-Modified: [^\r]+\r\nTransfer-Encoding: chunked\r\nConnection: close\r\nETag: "[0-9a-f-]+"\r\n\r\n9\r\nB\nfile\nA\n\r\n0\r\n\r\n$`},
		{"filters skip HEAD", "HEAD /before HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + wireHead + "Content-Type: text/plain\r\nConnection: close\r\n\r\n", ""},
	})
}

// atLeast matches a $echo_timer_elapsed value of at least hundredths/100
// seconds (no upper bound: a loaded machine may take longer).
func atLeast(hundredths int) string {
	return fmt.Sprintf(`(0\.0[%d-9]\d|0\.[1-9]\d\d|[1-9]\d*\.\d{3})`, hundredths)
}

// echo.t TEST 24-25 and request-info.t TEST 15: pipelined requests, with
// and without a sleep; unread bodies are skipped.
func TestEchoPipelined(t *testing.T) {
	ts := startServer(t, echoConf, echoRunner())
	c := ts.dial()
	c.send("POST /sleep HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9\r\n\r\nblah blah" +
		"GET /headers HTTP/1.1\r\nHost: localhost\r\nFoo: bar\r\n\r\n" +
		"POST /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc")
	r := c.read("POST")
	assert.Equal(t, "before...\nafter...\n", r.body)
	r = c.read("GET")
	assert.Equal(t, "GET /headers HTTP/1.1\r\nHost: localhost\r\nFoo: bar\r\n\r\n", r.body)
	r = c.read("POST")
	assert.Equal(t, "hello\n", r.body)
	c.closed()
}

// A client that goes away during echo_sleep ends the request; the timer
// is stopped and the worker serves the next request.
func TestEchoSleepAbort(t *testing.T) {
	ts := startServer(t, echoConf, echoRunner())
	c := ts.dial()
	c.send(get("/longsleep"))
	require.Eventually(t, func() bool { return ts.srv.Stats().Active == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, c.c.Close())
	require.Eventually(t, func() bool { return ts.srv.Stats().Active == 0 }, 5*time.Second, time.Millisecond)
	armed, works := false, 0
	ts.on(func() {
		for _, w := range ts.srv.works {
			works++
			armed = armed || w.etimer != nil && w.etimer.Active()
		}
	})
	assert.Positive(t, works, "the request state went back to the pool")
	assert.False(t, armed, "the aborted sleep's timer is not left armed")
	c2 := ts.dial()
	c2.send(get("/echo"))
	assert.Equal(t, "hello\n", c2.read("GET").body)
}

// writeHTML writes a file under the server's html directory.
func writeHTML(ts *testServer, name, content string) error {
	p := filepath.Join(ts.dir, "html", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(content), 0o644)
}
