package httpd

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAddHeader: add_header adds its headers, variables evaluated, to the
// statuses nginx names (every status with "always"); a level with its own
// add_header does not inherit the outer ones; an empty value adds nothing.
func TestAddHeader(t *testing.T) {
	ts := startServer(t, `
access_log off;
add_header X-Outer outer;
server {
    listen 8080;
    location = /ok { add_header X-Uri $uri; add_header X-Empty $arg_none; return 200 "ok\n"; }
    location = /inherit { return 200 "ok\n"; }
    location = /missing { add_header X-Ok ok; add_header X-Always yes always; return 404; }
}`, basicRunner())
	c := ts.dial()
	c.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n")
	r := c.read("GET")
	assert.Equal(t, "/ok", r.header("X-Uri"))
	assert.Empty(t, r.header("X-Outer"))
	assert.NotContains(t, r.raw, "X-Empty")
	c.send("GET /inherit HTTP/1.1\r\nHost: a\r\n\r\n")
	r = c.read("GET")
	assert.Equal(t, "outer", r.header("X-Outer"))
	c.send("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
	r = c.read("GET")
	assert.Equal(t, 404, r.status)
	assert.Empty(t, r.header("X-Ok"))
	assert.Equal(t, "yes", r.header("X-Always"))
}
