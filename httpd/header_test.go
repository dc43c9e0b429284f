package httpd

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const browserHead = "GET /search/results?q=io_uring+nginx&page=2 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"Connection: keep-alive\r\n" +
	"Cache-Control: max-age=0\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\"\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"Referer: https://www.example.com/\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"Cookie: session=4f2a9c0e1b; theme=dark\r\n" +
	"\r\n"

func mustParse(t *testing.T, p *Parser, in string) (*Request, []byte) {
	t.Helper()
	buf := []byte(in)
	n, err := p.Parse(buf)
	require.NoError(t, err)
	require.Equal(t, len(in), n)
	return p.Request(), buf
}

func TestHeaderLookups(t *testing.T) {
	in := "POST /upload HTTP/1.1\r\n" +
		"host: Example.org\r\n" +
		"Content-Type: text/plain\r\n" +
		"content-type: ignored/second\r\n" +
		"Cookie: a=1\r\n" +
		"X-Empty:\r\n" +
		"COOKIE: b=2\r\n" +
		"Expect: 100-Continue\r\n" +
		"Content-Length: 12\r\n" +
		"User-Agent: curl/8\r\n" +
		"X-Custom-Header: yes\r\n\r\n"
	r, buf := mustParse(t, NewParser(Limits{}), in)

	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"Host getter", r.Host(buf), "Example.org"},
		{"HostHeader", r.HostHeader(buf), "Example.org"},
		{"first Content-Type wins", r.ContentType(buf), "text/plain"},
		{"first Cookie", r.Cookie(buf), "a=1"},
		{"Expect", r.Expect(buf), "100-Continue"},
		{"User-Agent", r.UserAgent(buf), "curl/8"},
		{"Header known name any case", r.Header(buf, "CONTENT-LENGTH"), "12"},
		{"Header other name any case", r.Header(buf, "x-custom-header"), "yes"},
		{"Header empty value", r.Header(buf, "X-Empty"), ""},
		{"RequestLine", r.RequestLine(buf), "POST /upload HTTP/1.1"},
		{"Method", r.Method(buf), "POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NotNil(t, tc.got)
			require.Equal(t, tc.want, string(tc.got))
		})
	}
	require.Nil(t, r.Header(buf, "X-Missing"))
	require.Nil(t, r.Connection(buf))
	require.Nil(t, r.TransferEncoding(buf))
	require.True(t, r.ExpectContinue(buf))
	require.True(t, r.HasBody())
	require.Equal(t, int64(12), r.ContentLength())
	require.Equal(t, MethodPOST, r.MethodID())

	var cookies []string
	for i := r.HeaderIndex(buf, "cookie", 0); i >= 0; i = r.HeaderIndex(buf, "cookie", i+1) {
		_, v := r.HeaderAt(buf, i)
		cookies = append(cookies, string(v))
	}
	require.Equal(t, []string{"a=1", "b=2"}, cookies)

	v := r.Header(buf, "Content-Type")
	v = append(v, "X"...) // capacity is capped: the buffer is not clobbered
	require.Equal(t, "text/plainX", string(v))
	require.Equal(t, in, string(buf))
}

func TestExpectContinue(t *testing.T) {
	tests := []struct {
		name, in string
		want     bool
	}{
		{"HTTP/1.1 100-continue", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", true},
		{"HTTP/1.0 ignored", "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", false},
		{"other expectation", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", false},
		{"absent", "POST / HTTP/1.1\r\nHost: a\r\n\r\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, buf := mustParse(t, NewParser(Limits{}), tc.in)
			require.Equal(t, tc.want, r.ExpectContinue(buf))
		})
	}
}

// TestPipelined parses two requests and a partial third from one buffer,
// the way the connection layer walks its receive buffer.
func TestPipelined(t *testing.T) {
	wire := []byte("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" +
		"GET /b?x HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n" +
		"GET /c HTTP/1.1\r\nHo")
	p := NewParser(Limits{})
	buf := wire

	n, err := p.Parse(buf)
	require.NoError(t, err)
	r := p.Request()
	require.Equal(t, "/a", string(r.Path(buf)))
	require.Equal(t, "abc", string(buf[n:n+int(r.ContentLength())]))
	require.True(t, r.KeepAlive())
	buf = buf[n+int(r.ContentLength()):]

	p.Reset()
	n, err = p.Parse(buf)
	require.NoError(t, err)
	require.Equal(t, "b", string(r.Host(buf)))
	require.Equal(t, "x", string(r.Args(buf)))
	require.Equal(t, -1, int(r.ContentLength()))
	require.False(t, r.KeepAlive())
	require.Equal(t, 2, r.NumHeaders())
	buf = buf[n:]

	p.Reset()
	_, err = p.Parse(buf)
	require.Equal(t, ErrNeedMore, err)
}

// TestRebase moves a half-parsed head to another offset, as a connection
// layer compacting or growing its buffer would.
func TestRebase(t *testing.T) {
	for cut := 1; cut < len(browserHead); cut++ {
		p := NewParser(Limits{})
		_, err := p.Parse([]byte(browserHead[:cut]))
		require.Equal(t, ErrNeedMore, err)

		const shift = 7
		moved := append([]byte("XXXXXXX"), browserHead...)
		p.Rebase(shift)
		n, err := p.Parse(moved)
		require.NoError(t, err, "cut %d", cut)
		require.Equal(t, len(moved), n)

		want := NewParser(Limits{})
		wantReq, wantBuf := mustParse(t, want, browserHead)
		require.Equal(t, summary(wantReq, wantBuf), summary(p.Request(), moved), "cut %d", cut)

		p.Rebase(-shift) // and back, after completion
		require.Equal(t, summary(wantReq, wantBuf), summary(p.Request(), []byte(browserHead)))
		require.Equal(t, len(browserHead), p.Request().HeaderLen())
	}
}

func TestLeadingBlankDrop(t *testing.T) {
	p := NewParser(Limits{})
	buf := []byte("\r\n\r\n")
	_, err := p.Parse(buf)
	require.Equal(t, ErrNeedMore, err)
	require.Equal(t, 4, p.LeadingBlank())

	p.Rebase(-p.LeadingBlank()) // the caller dropped them
	r, buf := mustParse(t, p, "GET / HTTP/1.0\r\n\r\n")
	require.Equal(t, "GET / HTTP/1.0", string(r.RequestLine(buf)))
}

func TestNormalizePath(t *testing.T) {
	tests := []struct {
		in, want string
		merge    bool
		err      bool
	}{
		{in: "/", want: "/", merge: true},
		{in: "/a/b", want: "/a/b", merge: true},
		{in: "/a/./b", want: "/a/b", merge: true},
		{in: "/a/.", want: "/a/", merge: true},
		{in: "/a/..", want: "/", merge: true},
		{in: "/a/b/../../c", want: "/c", merge: true},
		{in: "/a/.b/..c/...", want: "/a/.b/..c/...", merge: true},
		{in: "//a///b", want: "/a/b", merge: true},
		{in: "//a///b", want: "//a///b", merge: false},
		{in: "/a//..", want: "/a/", merge: false},
		{in: "/%41%62", want: "/Ab", merge: true},
		{in: "/a%2fb", want: "/a/b", merge: true},
		{in: "/a%2F%2Fb", want: "/a/b", merge: true},
		{in: "/a/%2e/b", want: "/a/b", merge: true},
		{in: "/a/%2e%2e/b", want: "/b", merge: true},
		{in: "/%25%23%3f", want: "/%#?", merge: true},
		{in: "/%25/..", want: "/", merge: true},
		{in: "/%0a%20", want: "/\n ", merge: true},
		{in: "/..", err: true, merge: true},
		{in: "/../a", err: true, merge: true},
		{in: "//..", err: true, merge: true},
		{in: "/a/../..", err: true, merge: true},
		{in: "/%2e%2e", err: true, merge: true},
		{in: "/%", err: true, merge: true},
		{in: "/%4", err: true, merge: true},
		{in: "/%g0", err: true, merge: true},
		{in: "/%00", err: true, merge: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			scratch := make([]byte, 0, 64)
			got, err := NormalizePath(scratch, []byte(tc.in), tc.merge)
			if tc.err {
				require.Equal(t, ErrInvalidRequest, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, string(got))
			require.Equal(t, &scratch[:1][0], &got[:1][0], "written into scratch")
		})
	}
}
