package httpd

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The access module (allow, deny), headers-more's phase.t TEST 1 among
// the rows: a denied request gets 403 with its output headers.
func TestAccessRules(t *testing.T) {
	ts := startServer(t, `
access_log off;
server {
    listen 8080;
    location = /all { deny all; more_set_headers 'X-Foo: Blah'; echo hi; }
    location = /local { allow 127.0.0.1; deny all; echo hi; }
    location = /net { deny 127.0.0.0/8; allow all; echo hi; }
    location = /v6 { deny ::1; echo hi; }
    location /in { deny all; location /in/ok { allow all; echo hi; } }
}`, nil)
	page := string(ErrorPage(403, "luring"))
	forbidden := func(extra string) string {
		return "HTTP/1.1 403 Forbidden\r\n" + wireHead + "Content-Type: text/html\r\nContent-Length: 147\r\nConnection: close\r\n" + extra + "\r\n" + page
	}
	runWire(t, ts, []echoCase{
		{"phase.t TEST 1: deny all", get("/all"), forbidden("X-Foo: Blah\r\n"), ""},
		{"the first rule that covers the client decides", get("/local"), ok200("hi\n"), ""},
		{"a network", get("/net"), forbidden(""), ""},
		{"another address family", get("/v6"), ok200("hi\n"), ""},
		{"inherited", get("/in/x"), forbidden(""), ""},
		{"replaced in a nested location", get("/in/ok"), ok200("hi\n"), ""},
	})
	assert.Contains(t, ts.elog.String(), "access forbidden by rule, client: 127.0.0.1")
}
