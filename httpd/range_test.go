package httpd

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// parseRanges against nginx's ngx_http_range_parse, for a 72-byte body.
func TestParseRanges(t *testing.T) {
	tests := []struct {
		v    string
		want []byteRange
		st   int
	}{
		{"1-3", []byteRange{{1, 4}}, rangeOK},
		{"1 - 3", []byteRange{{1, 4}}, rangeOK},
		{" 1-3 ", []byteRange{{1, 4}}, rangeOK},
		{"70-", []byteRange{{70, 72}}, rangeOK},
		{"70-1000", []byteRange{{70, 72}}, rangeOK},
		{"-5", []byteRange{{67, 72}}, rangeOK},
		{"-100", []byteRange{{0, 72}}, rangeOK},
		{"1-2,4-5", []byteRange{{1, 3}, {4, 6}}, rangeOK},
		{"100-200", nil, rangeUnsatisfiable},
		{"100-200,1-2", []byteRange{{1, 3}}, rangeOK},
		{"-0", nil, rangeUnsatisfiable},
		{"5-3", nil, rangeUnsatisfiable},
		{"x", nil, rangeUnsatisfiable},
		{"1-2;", nil, rangeUnsatisfiable},
		{"0-71,0-71", []byteRange{{0, 72}, {0, 72}}, rangeDeclined},
		{"99999999999999999999-", nil, rangeUnsatisfiable},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			got, st := parseRanges(nil, []byte(tt.v), 72)
			assert.Equal(t, tt.st, st)
			if tt.st == rangeOK {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

// Byte ranges of a file, the responses compared with the reference's.
func TestRanges(t *testing.T) {
	ts := startServer(t, `
access_log off;
server {
    listen 8080;
    location / { }
    location /nr/ { more_clear_headers Accept-Ranges; }
    location /more/ { more_set_input_headers 'Range: bytes=$arg_from - $arg_to'; }
}`, nil)
	body := "<html><head><title>It works!</title></head><body>It works!</body></html>"
	for _, p := range []string{"index.html", "nr/index.html", "more/index.html"} {
		if err := writeHTML(ts, p, body); err != nil {
			t.Fatal(err)
		}
	}
	page := string(ErrorPage(416, "luring"))
	hdr := func(r string) string {
		return "GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nRange: bytes=" + r + "\r\n\r\n"
	}
	const meta = `Last-Modified: [^\r]+\r\nConnection: close\r\nETag: "[0-9a-f-]+"\r\n`
	runWire(t, ts, []echoCase{
		{"one range", hdr("1-3"), "", `^HTTP/1.1 206 Partial Content\r\n` + wireHead + `Content-Type: text/html\r\nContent-Length: 3\r\n` +
			meta + `Content-Range: bytes 1-3/72\r\n\r\nhtm$`},
		{"a suffix", hdr("-5"), "", `\r\nContent-Range: bytes 67-71/72\r\n\r\nhtml>$`},
		{"two ranges", hdr("1-2,4-5"), "", `^HTTP/1.1 206 Partial Content\r\n` + wireHead +
			`Content-Type: multipart/byteranges; boundary=(\d{20})\r\nContent-Length: 196\r\n` + meta + `\r\n` +
			`\r\n--(\d{20})\r\nContent-Type: text/html\r\nContent-Range: bytes 1-2/72\r\n\r\nht` +
			`\r\n--(\d{20})\r\nContent-Type: text/html\r\nContent-Range: bytes 4-5/72\r\n\r\nl>` +
			`\r\n--(\d{20})--\r\n$`},
		{"beyond the end", hdr("100-200"), "HTTP/1.1 416 Requested Range Not Satisfiable\r\n" + wireHead +
			"Content-Type: text/html\r\nContent-Length: " + strconv.Itoa(len(page)) + "\r\nConnection: close\r\nContent-Range: bytes */72\r\n\r\n" + page, ""},
		{"bug.t TEST 2: a Range set by more_set_input_headers", "GET /more/index.html?from=1&to=3 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "",
			`\r\nContent-Range: bytes 1-3/72\r\n\r\nhtm$`},
		{"bug.t TEST 7: ranges off with Accept-Ranges cleared", "GET /nr/index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nRange: bytes=1-3\r\n\r\n", "",
			`^HTTP/1.1 200 OK\r\n` + wireHead + `Content-Type: text/html\r\nContent-Length: 72\r\n` + meta + `\r\n` + strings.ReplaceAll(strings.ReplaceAll(body, "(", `\(`), ")", `\)`) + `$`},
		{"If-Range with another tag: the whole file", "GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nRange: bytes=1-3\r\nIf-Range: \"x\"\r\n\r\n", "",
			`^HTTP/1.1 200 OK\r\n` + wireHead + `Content-Type: text/html\r\nContent-Length: 72\r\n` + meta + `Accept-Ranges: bytes\r\n\r\n<html>`},
		{"HEAD of a range", "HEAD /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nRange: bytes=1-3\r\n\r\n", "",
			`^HTTP/1.1 206 Partial Content\r\n` + wireHead + `Content-Type: text/html\r\nContent-Length: 3\r\n` + meta + `Content-Range: bytes 1-3/72\r\n\r\n$`},
	})
}
