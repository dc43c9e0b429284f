package httpd

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadInput sends bytes nginx refuses and expects nginx's status, its
// error page, and the connection closed after it.
func TestBadInput(t *testing.T) {
	ts := startServer(t, basicConf, basicRunner())
	longLine := "GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n"
	longHeader := "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("b", 9000) + "\r\n\r\n"
	var flood strings.Builder
	flood.WriteString("GET / HTTP/1.1\r\nHost: a\r\n")
	for i := 0; i < 1001; i++ {
		flood.WriteString("X-H: 1\r\n")
	}
	flood.WriteString("\r\n")
	tests := []struct {
		name   string
		req    string
		status int
		page   int
	}{
		{"lower-case method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 400},
		{"garbage request line", "GARBAGE\r\n\r\n", 400, 400},
		{"NUL in path", "GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n", 400, 400},
		{"bad version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, 505},
		{"missing host", "GET / HTTP/1.1\r\n\r\n", 400, 400},
		{"space in header name", "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400, 400},
		{"NUL in header value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400, 400},
		{"CL and TE (smuggling)", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, 400},
		{"differing duplicate CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, 400},
		{"negative CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, 400},
		{"overflowing CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, 400},
		{"unknown TE", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501, 501},
		{"TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, 400},
		{"over-long request line", longLine, 414, 414},
		{"header line too large", longHeader, 400, StatusRequestHeaderTooLarge},
		{"header flood", flood.String(), 400, StatusRequestHeaderTooLarge},
		{"TRACE", "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", 405, 405},
		{"duplicate host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.dial()
			c.send(tc.req)
			r := c.read("GET")
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, string(ErrorPage(tc.page, "luring")), r.body)
			assert.Equal(t, "text/html", r.header("Content-Type"))
			assert.Equal(t, "close", r.header("Connection"))
			c.closed()
		})
	}
	assert.Contains(t, ts.elog.String(), "[info]")
	assert.Contains(t, ts.elog.String(), "client sent invalid method")
}

func TestBareLFAccepted(t *testing.T) {
	ts := startServer(t, basicConf, basicRunner())
	c := ts.dial()
	c.send("GET /ret?a=lf HTTP/1.1\nHost: a\n\nGET /hello HTTP/1.1\nHost: a\n\n")
	assert.Equal(t, "ret /ret lf\n", c.read("GET").body)
	assert.Equal(t, "hello, world\n", c.read("GET").body)
}

func TestLeadingBlankLinesSkipped(t *testing.T) {
	ts := startServer(t, basicConf, basicRunner())
	c := ts.dial()
	c.send("\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
	require.Equal(t, 200, c.read("GET").status)
}

func TestHTTP09(t *testing.T) {
	ts := startServer(t, basicConf, basicRunner())
	c := ts.dial()
	c.send("GET /hello\r\n")
	c.closedWith("hello, world\n")
}

// TestSlowRequestOneByte feeds a request one byte at a time.
func TestSlowRequestOneByte(t *testing.T) {
	ts := startServer(t, basicConf, basicRunner())
	c := ts.dial()
	req := "GET /ret?a=slow HTTP/1.1\r\nHost: localhost\r\nX-A: b\r\n\r\n"
	for i := range len(req) {
		c.send(req[i : i+1])
	}
	assert.Equal(t, "ret /ret slow\n", c.read("GET").body)
}
