package httpd

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/luring/luring/conf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const varsConf = `
log_format custom escape=json '$request_method|$uri|$status|$http_x_test|$arg_q|$foo';
server {
    listen 8080;
    server_name localhost;
    access_log logs/access.log;
    access_log logs/custom.log custom;
    location ~ ^/v/(\w+)/(\w+)$ {
        set $foo "f-$1";
        content_by_lua_block { vars }
    }
    location = /off { access_log off; return 204; }
}
`

var varNames = []string{
	"uri", "request_uri", "args", "arg_q", "arg_missing", "is_args", "query_string",
	"request_method", "request", "scheme", "server_protocol", "host", "http_x_test",
	"http_missing", "remote_addr", "server_addr", "server_name", "content_length",
	"content_type", "cookie_b", "nginx_version", "connection_requests", "foo", "1", "2", "3",
}

func TestVars(t *testing.T) {
	runner := newFakeRunner(map[string]handlerFunc{
		"vars": func(x Exchange, p Phase) PhaseResult {
			var b strings.Builder
			for _, n := range varNames {
				v, ok := x.Var(n)
				if !ok {
					v = "<nil>"
				}
				b.WriteString(n + "=" + v + "\n")
			}
			for _, n := range []string{"foo", "args", "query_string", "nope", "http_host"} {
				err := x.SetVar(n, "new", false)
				if err == nil {
					v, _ := x.Var(n)
					b.WriteString("set " + n + " -> " + v + "\n")
				} else {
					b.WriteString("set " + n + ": " + err.Error() + "\n")
				}
			}
			_ = x.SetVar("foo", "", true)
			_, ok := x.Var("foo")
			b.WriteString("unset foo found=" + map[bool]string{true: "yes", false: "no"}[ok] + "\n")
			_ = x.WriteString(b.String())
			return PhaseResult{}
		},
	})
	ts := startServer(t, varsConf, runner)
	c := ts.dial()
	c.send("POST /v/ab/cd?q=1%202&x=y HTTP/1.1\r\nHost: LocalHost:8080\r\nX-Test: \"t\"\r\nCookie: a=1; b=2\r\nContent-Type: text/x\r\nContent-Length: 0\r\n\r\n")
	r := c.read("POST")
	require.Equal(t, 200, r.status)
	want := `uri=/v/ab/cd
request_uri=/v/ab/cd?q=1%202&x=y
args=q=1%202&x=y
arg_q=1%202
arg_missing=<nil>
is_args=?
query_string=q=1%202&x=y
request_method=POST
request=POST /v/ab/cd?q=1%202&x=y HTTP/1.1
scheme=http
server_protocol=HTTP/1.1
host=localhost
http_x_test="t"
http_missing=<nil>
remote_addr=127.0.0.1
server_addr=127.0.0.1
server_name=localhost
content_length=0
content_type=text/x
cookie_b=2
nginx_version=` + NginxVersion + `
connection_requests=1
foo=f-ab
1=ab
2=cd
3=<nil>
set foo -> new
set args -> new
set query_string: variable "query_string" not changeable
set nope: variable "nope" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set $nope '';" in the config file to define it first
set http_host: variable "http_host" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set $http_host '';" in the config file to define it first
unset foo found=no
`
	assert.Equal(t, want, r.body)

	c.send("GET /off HTTP/1.1\r\nHost: localhost\r\nReferer: http://r/\r\nUser-Agent: ua \"x\"\r\n\r\n")
	assert.Equal(t, 204, c.read("GET").status)
	c.send("GET /v/a/b HTTP/1.1\r\nHost: localhost\r\nReferer: http://r/\r\nUser-Agent: ua \"x\"\r\n\r\n")
	assert.Equal(t, 200, c.read("GET").status)

	lines := strings.Split(strings.TrimSpace(ts.accessLog()), "\n")
	require.Len(t, lines, 2, "access_log off location is not logged")
	combined := regexp.MustCompile(`^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "POST /v/ab/cd\?q=1%202&x=y HTTP/1\.1" 200 \d+ "-" "-"$`)
	assert.Regexp(t, combined, lines[0])
	assert.Contains(t, lines[1], `"GET /v/a/b HTTP/1.1" 200 `)
	assert.True(t, strings.HasSuffix(lines[1], `"http://r/" "ua \x22x\x22"`), lines[1])

	ts.on(ts.srv.FlushLogs)
	custom := readFile(t, ts.dir+"/logs/custom.log")
	// The handler set $args to "new" and unset $foo: not found, empty in JSON.
	assert.Equal(t, "POST|/v/ab/cd|200|\\\"t\\\"||\nGET|/v/a/b|200|||\n", custom)
}

func TestErrorLogFormat(t *testing.T) {
	var buf bytes.Buffer
	el := NewErrorLog(&buf, conf.LogWarn)
	el.now = func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.Local) }
	el.Log(conf.LogError, 3, 7, "boom")
	el.Log(conf.LogInfo, 3, 7, "filtered")
	el.Logf(conf.LogWarn, 0, 0, "w %d", 1)
	pid := pidString
	assert.Equal(t, "2026/11/23 12:00:00 [error] "+pid+"#3: *7 boom\n2026/11/23 12:00:00 [warn] "+pid+"#0: w 1\n", buf.String())
}

func TestRequestLogSuffix(t *testing.T) {
	runner := newFakeRunner(map[string]handlerFunc{
		"hello": func(x Exchange, p Phase) PhaseResult {
			x.Logf(conf.LogError, "oops %s", "here")
			return PhaseResult{}
		},
	})
	ts := startServer(t, basicConf, runner)
	c := ts.dial()
	c.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
	c.read("GET")
	assert.Regexp(t, `\[error\] \d+#0: \*\d+ oops here, client: 127\.0\.0\.1, server: localhost, request: "GET /hello HTTP/1\.1", host: "localhost"\n`, ts.elog.String())
}
