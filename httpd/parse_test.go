package httpd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// feedMode splits an input of n bytes into the successive buffer lengths
// the connection layer would pass to Parse.
type feedMode struct {
	name  string
	steps func(n int) []int
}

var feedModes = []feedMode{
	{"whole", func(n int) []int { return []int{n} }},
	{"halves", func(n int) []int { return []int{n / 2, n} }},
	{"bytewise", func(n int) []int {
		if n == 0 {
			return []int{0}
		}
		s := make([]int, n)
		for i := range s {
			s[i] = i + 1
		}
		return s
	}},
}

// feed runs Parse over growing prefixes of in, copying each prefix into a
// fresh buffer to prove the parser keeps offsets, not pointers. Every call
// before the outcome must answer ErrNeedMore.
func feed(t *testing.T, p *Parser, in []byte, m feedMode) (int, error) {
	t.Helper()
	var (
		n   int
		err error
	)
	for _, k := range m.steps(len(in)) {
		buf := append([]byte(nil), in[:k]...)
		n, err = p.Parse(buf)
		if err != ErrNeedMore {
			break
		}
		require.Zero(t, n)
	}
	return n, err
}

// summary renders everything a Request exposes, so one string comparison
// checks every field of a parsed request.
func summary(r *Request, buf []byte) string {
	var h strings.Builder
	for i := range r.NumHeaders() {
		name, value := r.HeaderAt(buf, i)
		fmt.Fprintf(&h, "[%s: %s]", name, value)
	}
	return fmt.Sprintf("%s(%s) target=%s uri=%s raw=%s path=%s args=%s v=%d host=%s "+
		"cl=%d chunked=%t ka=%t ign=%d %s",
		r.Method(buf), r.MethodID(), r.Target(buf), r.RequestURI(buf), r.RawPath(buf),
		r.Path(buf), r.Args(buf), r.Version(), r.Host(buf), r.ContentLength(),
		r.Chunked(), r.KeepAlive(), r.IgnoredHeaders(), h.String())
}

type parseCase struct {
	name string
	in   string // the head; body bytes follow in body
	body string
	lim  Limits
	want string // summary of the request; "" when err is set
	err  *Error
}

const host = "Host: a\r\n"

var parseOK = []parseCase{
	{name: "minimal GET", in: "GET / HTTP/1.1\r\n" + host + "\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "wrk", in: "GET /index.html HTTP/1.1\r\nHost: localhost:8080\r\nConnection: keep-alive\r\n\r\n",
		want: "GET(GET) target=/index.html uri=/index.html raw=/index.html path=/index.html args= v=1001 host=localhost cl=-1 chunked=false ka=true ign=0 [Host: localhost:8080][Connection: keep-alive]"},
	{name: "bare LF line ends", in: "GET /x HTTP/1.1\nHost: a\n\n",
		want: "GET(GET) target=/x uri=/x raw=/x path=/x args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "mixed CRLF and LF", in: "GET / HTTP/1.1\nHost: a\r\nX: 1\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a][X: 1]"},
	{name: "leading empty lines skipped", in: "\r\n\n\r\nGET / HTTP/1.1\r\n" + host + "\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "HTTP/1.0 without Host", in: "GET /a HTTP/1.0\r\n\r\n",
		want: "GET(GET) target=/a uri=/a raw=/a path=/a args= v=1000 host= cl=-1 chunked=false ka=false ign=0 "},
	{name: "HTTP/1.0 keep-alive", in: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1000 host= cl=-1 chunked=false ka=true ign=0 [Connection: Keep-Alive]"},
	{name: "HTTP/1.1 close", in: "GET / HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=false ign=0 [Host: a][Connection: close]"},
	{name: "Connection list with close", in: "GET / HTTP/1.1\r\n" + host + "Connection: keep-alive, Upgrade,close\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=false ign=0 [Host: a][Connection: keep-alive, Upgrade,close]"},
	{name: "Connection list keep-alive on 1.0", in: "GET / HTTP/1.0\r\nConnection: Upgrade , KEEP-ALIVE\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1000 host= cl=-1 chunked=false ka=true ign=0 [Connection: Upgrade , KEEP-ALIVE]"},
	{name: "Connection without close or keep-alive", in: "GET / HTTP/1.0\r\nConnection: Upgrade, closed\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1000 host= cl=-1 chunked=false ka=false ign=0 [Connection: Upgrade, closed]"},
	{name: "last Connection header decides", in: "GET / HTTP/1.1\r\n" + host + "Connection: close\r\nConnection: keep-alive\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a][Connection: close][Connection: keep-alive]"},
	{name: "query and fragment", in: "GET /a/b?x=1&y=%20#frag HTTP/1.1\r\n" + host + "\r\n",
		want: "GET(GET) target=/a/b?x=1&y=%20#frag uri=/a/b?x=1&y=%20#frag raw=/a/b path=/a/b args=x=1&y=%20 v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "fragment before ? drops args", in: "GET /a#b?c HTTP/1.1\r\n" + host + "\r\n",
		want: "GET(GET) target=/a#b?c uri=/a#b?c raw=/a path=/a args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "dot segments, slashes and escapes", in: "GET /a/./b/../c//d%20e?q HTTP/1.1\r\n" + host + "\r\n",
		want: "GET(GET) target=/a/./b/../c//d%20e?q uri=/a/./b/../c//d%20e?q raw=/a/./b/../c//d%20e path=/a/c/d e args=q v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "encoded slash and dots act as such", in: "GET /a%2F%2e%2E%2Fb HTTP/1.1\r\n" + host + "\r\n",
		want: "GET(GET) target=/a%2F%2e%2E%2Fb uri=/a%2F%2e%2E%2Fb raw=/a%2F%2e%2E%2Fb path=/b args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "encoded ? # % stay literal", in: "GET /a%3Fb%23c%25d?e HTTP/1.1\r\n" + host + "\r\n",
		want: "GET(GET) target=/a%3Fb%23c%25d?e uri=/a%3Fb%23c%25d?e raw=/a%3Fb%23c%25d path=/a?b#c%d args=e v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "no slash merging", in: "GET //a//b/. HTTP/1.1\r\n" + host + "\r\n", lim: Limits{NoMergeSlashes: true},
		want: "GET(GET) target=//a//b/. uri=//a//b/. raw=//a//b/. path=//a//b/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "absolute-form URI sets host", in: "GET http://Example.COM:8080/p?q HTTP/1.1\r\nHost: other\r\n\r\n",
		want: "GET(GET) target=http://Example.COM:8080/p?q uri=/p?q raw=/p path=/p args=q v=1001 host=Example.COM cl=-1 chunked=false ka=true ign=0 [Host: other]"},
	{name: "absolute-form without path", in: "GET https://h.example. HTTP/1.1\r\n" + host + "\r\n",
		want: "GET(GET) target=https://h.example. uri=/ raw=/ path=/ args= v=1001 host=h.example cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "absolute-form query without path", in: "GET http://h?x=1 HTTP/1.1\r\n" + host + "\r\n",
		want: "GET(GET) target=http://h?x=1 uri=?x=1 raw=/ path=/ args=x=1 v=1001 host=h cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "absolute-form IP literal", in: "GET http://[::1]:80/ HTTP/1.1\r\n" + host + "\r\n",
		want: "GET(GET) target=http://[::1]:80/ uri=/ raw=/ path=/ args= v=1001 host=[::1] cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "unknown upper-case method", in: "FOO_BAR-X / HTTP/1.1\r\n" + host + "\r\n",
		want: "FOO_BAR-X() target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "extra spaces in request line", in: "GET   /x   HTTP/1.1  \r\n" + host + "\r\n",
		want: "GET(GET) target=/x uri=/x raw=/x path=/x args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "HTTP/1.10 minor", in: "GET / HTTP/1.10\r\n" + host + "\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1010 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	{name: "HTTP/0.9", in: "GET /old\r\n", body: "Host: ignored\r\n\r\n",
		want: "GET(GET) target=/old uri=/old raw=/old path=/old args= v=9 host= cl=-1 chunked=false ka=false ign=0 "},
	{name: "HTTP/0.9 bare LF", in: "GET /\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=9 host= cl=-1 chunked=false ka=false ign=0 "},
	{name: "value trimming: spaces only, not tabs", in: "GET / HTTP/1.1\r\n" + host + "A:   x  y  \r\nB:\tz\t\r\nC: \x01\x7f\xff\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a][A: x  y][B: \tz\t][C: \x01\x7f\xff]"},
	{name: "empty values and a name without colon", in: "GET / HTTP/1.1\r\n" + host + "E:\r\nF:   \r\nG\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a][E: ][F: ][G: ]"},
	{name: "CR CR LF ends a header line", in: "GET / HTTP/1.1\r\n" + host + "X: a\r\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a][X: a]"},
	{name: "underscore header ignored", in: "GET / HTTP/1.1\r\n" + host + "X_Y: 1\r\n_Z: 2\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=2 [Host: a]"},
	{name: "underscores_in_headers on", in: "GET / HTTP/1.1\r\n" + host + "X_Y: 1\r\n\r\n", lim: Limits{UnderscoresInHeaders: true},
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a][X_Y: 1]"},
	{name: "invalid name characters ignored", in: "GET / HTTP/1.1\r\n" + host + "X@Y: 1\r\nA.b: 2\r\n\xffC: 3\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=3 [Host: a]"},
	{name: "ignore_invalid_headers off", in: "GET / HTTP/1.1\r\n" + host + "X@Y: 1\r\n\r\n", lim: Limits{KeepInvalidHeaders: true},
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a][X@Y: 1]"},
	{name: "smuggling/Transfer_Encoding is ignored, not chunked", in: "POST / HTTP/1.1\r\n" + host + "Transfer_Encoding: chunked\r\nContent-Length: 3\r\n\r\n", body: "abc",
		want: "POST(POST) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=3 chunked=false ka=true ign=1 [Host: a][Content-Length: 3]"},
	{name: "Content-Length any case, leading zeros, spaces", in: "POST / HTTP/1.1\r\n" + host + "content-LENGTH:  005 \r\n\r\n", body: "hello",
		want: "POST(POST) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=5 chunked=false ka=true ign=0 [Host: a][content-LENGTH: 005]"},
	{name: "Content-Length max int64", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 9223372036854775807\r\n\r\n",
		want: "POST(POST) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=9223372036854775807 chunked=false ka=true ign=0 [Host: a][Content-Length: 9223372036854775807]"},
	{name: "chunked any case", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding:  Chunked \r\n\r\n", body: "0\r\n\r\n",
		want: "POST(POST) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=true ka=true ign=0 [Host: a][Transfer-Encoding: Chunked]"},
	{name: "host with port and final dot", in: "GET / HTTP/1.1\r\nHost: WWW.Example.com.:443\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=WWW.Example.com cl=-1 chunked=false ka=true ign=0 [Host: WWW.Example.com.:443]"},
	{name: "host IP literal", in: "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
		want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=[::1] cl=-1 chunked=false ka=true ign=0 [Host: [::1]:8080]"},
	{name: "high bytes and plus in URI", in: "GET /caf\xc3\xa9+x HTTP/1.1\r\n" + host + "\r\n",
		want: "GET(GET) target=/caf\xc3\xa9+x uri=/caf\xc3\xa9+x raw=/caf\xc3\xa9+x path=/caf\xc3\xa9+x args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
}

func TestParseOK(t *testing.T) {
	for _, tc := range parseOK {
		for _, m := range feedModes {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				in := []byte(tc.in + tc.body)
				p := NewParser(tc.lim)
				n, err := feed(t, p, in, m)
				require.NoError(t, err)
				require.Equal(t, len(tc.in), n)
				require.Equal(t, tc.want, summary(p.Request(), in))
				require.Equal(t, tc.body, string(in[n:]), "pre-read body")

				n2, err := p.Parse(in) // repeats its answer
				require.NoError(t, err)
				require.Equal(t, n, n2)
			})
		}
	}
}

var parseErr = []parseCase{
	// request line
	{name: "lowercase method", in: "get / HTTP/1.1\r\n" + host + "\r\n", err: ErrInvalidMethod},
	{name: "lowercase letter inside method", in: "GeT / HTTP/1.1\r\n", err: ErrInvalidMethod},
	{name: "tab after method", in: "GET\t/ HTTP/1.1\r\n", err: ErrInvalidMethod},
	{name: "method alone", in: "GET\r\n", err: ErrInvalidMethod},
	{name: "NUL in method", in: "G\x00T / HTTP/1.1\r\n", err: ErrInvalidMethod},
	{name: "leading empty lines then garbage", in: "\r\n\r\n{ / HTTP/1.1\r\n", err: ErrInvalidMethod},
	{name: "asterisk target", in: "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", err: ErrInvalidRequest},
	{name: "space inside URI", in: "GET /a b HTTP/1.1\r\n", err: ErrInvalidRequest},
	{name: "NUL in URI", in: "GET /a\x00 HTTP/1.1\r\n", err: ErrInvalidRequest},
	{name: "tab in URI", in: "GET /a\tb HTTP/1.1\r\n", err: ErrInvalidRequest},
	{name: "DEL in URI", in: "GET /a\x7f HTTP/1.1\r\n", err: ErrInvalidRequest},
	{name: "lowercase protocol", in: "GET / http/1.1\r\n", err: ErrInvalidRequest},
	{name: "HTTP/2.0", in: "GET / HTTP/2.0\r\n" + host + "\r\n", err: ErrInvalidVersion},
	{name: "HTTP/3", in: "GET / HTTP/3\r\n", err: ErrInvalidVersion},
	{name: "HTTP/10.0", in: "GET / HTTP/10.0\r\n", err: ErrInvalidVersion},
	{name: "HTTP/0.9 spelled out", in: "GET / HTTP/0.9\r\n", err: ErrInvalidRequest},
	{name: "version without minor", in: "GET / HTTP/1\r\n", err: ErrInvalidRequest},
	{name: "version with empty minor", in: "GET / HTTP/1.\r\n", err: ErrInvalidRequest},
	{name: "minor over three digits", in: "GET / HTTP/1.1000\r\n", err: ErrInvalidRequest},
	{name: "garbage after version", in: "GET / HTTP/1.1x\r\n", err: ErrInvalidRequest},
	{name: "garbage protocol", in: "GET / FOO/1.1\r\n", err: ErrInvalidRequest},
	{name: "CR not followed by LF", in: "GET / HTTP/1.1\rX\n", err: ErrInvalidRequest},
	{name: "HTTP/0.9 POST", in: "POST /\r\n", err: ErrInvalid09Method},
	{name: "dot-dot above root", in: "GET /../x HTTP/1.1\r\n" + host + "\r\n", err: ErrInvalidRequest},
	{name: "dot-dot above root at end", in: "GET /a/../.. HTTP/1.1\r\n" + host + "\r\n", err: ErrInvalidRequest},
	{name: "encoded dot-dot above root", in: "GET /%2e%2E/etc HTTP/1.1\r\n" + host + "\r\n", err: ErrInvalidRequest},
	{name: "bad escape", in: "GET /%zz HTTP/1.1\r\n" + host + "\r\n", err: ErrInvalidRequest},
	{name: "truncated escape", in: "GET /a%2 HTTP/1.1\r\n" + host + "\r\n", err: ErrInvalidRequest},
	{name: "encoded NUL", in: "GET /a%00 HTTP/1.1\r\n" + host + "\r\n", err: ErrInvalidRequest},
	{name: "schema without slashes", in: "GET http:/x HTTP/1.1\r\n", err: ErrInvalidRequest},
	{name: "underscore in absolute-form host", in: "GET http://a_b/ HTTP/1.1\r\n", err: ErrInvalidRequest},
	{name: "dot-dot in absolute-form host", in: "GET http://a..b/ HTTP/1.1\r\n" + host + "\r\n", err: ErrInvalidHostInRequestLine},
	{name: "port over 65535 in absolute-form", in: "GET http://a:65536/ HTTP/1.1\r\n" + host + "\r\n", err: ErrInvalidHostInRequestLine},
	{name: "unclosed IP literal", in: "GET http://[::1/ HTTP/1.1\r\n", err: ErrInvalidRequest},

	// headers
	{name: "HTTP/1.1 without Host", in: "GET / HTTP/1.1\r\nX: 1\r\n\r\n", err: ErrMissingHost},
	{name: "absolute-form still needs Host in HTTP/1.1", in: "GET http://h/ HTTP/1.1\r\n\r\n", err: ErrMissingHost},
	{name: "duplicate Host", in: "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", err: ErrDuplicateHost},
	{name: "Host with slash", in: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", err: ErrInvalidHost},
	{name: "empty Host", in: "GET / HTTP/1.1\r\nHost:\r\n\r\n", err: ErrInvalidHost},
	{name: "Host with dot-dot", in: "GET / HTTP/1.0\r\nHost: a..b\r\n\r\n", err: ErrInvalidHost},
	{name: "Host only a dot", in: "GET / HTTP/1.0\r\nHost: .\r\n\r\n", err: ErrInvalidHost},
	{name: "space before colon", in: "GET / HTTP/1.1\r\nHost : a\r\n\r\n", err: ErrInvalidHeader},
	{name: "obs-fold continuation", in: "GET / HTTP/1.1\r\n" + host + "X: a\r\n b\r\n\r\n", err: ErrInvalidHeader},
	{name: "obs-fold with tab", in: "GET / HTTP/1.1\r\n" + host + "X: a\r\n\tb\r\n\r\n", err: ErrInvalidHeader},
	{name: "empty header name", in: "GET / HTTP/1.1\r\n" + host + ": a\r\n\r\n", err: ErrInvalidHeader},
	{name: "NUL in header name", in: "GET / HTTP/1.1\r\n" + host + "X\x00: a\r\n\r\n", err: ErrInvalidHeader},
	{name: "NUL in header value", in: "GET / HTTP/1.1\r\n" + host + "X: a\x00b\r\n\r\n", err: ErrInvalidHeader},
	{name: "NUL starting a header value", in: "GET / HTTP/1.1\r\n" + host + "X: \x00\r\n\r\n", err: ErrInvalidHeader},
	{name: "NUL after trailing space", in: "GET / HTTP/1.1\r\n" + host + "X: a \x00\r\n\r\n", err: ErrInvalidHeader},
	{name: "bare CR in header value", in: "GET / HTTP/1.1\r\n" + host + "X: a\rb\r\n\r\n", err: ErrInvalidHeader},
	{name: "bare CR ending the head", in: "GET / HTTP/1.1\r\n" + host + "\rX\r\n", err: ErrInvalidHeader},
	{name: "duplicate Expect", in: "GET / HTTP/1.1\r\n" + host + "Expect: a\r\nExpect: a\r\n\r\n", err: ErrDuplicateHeader},
	{name: "duplicate Authorization", in: "GET / HTTP/1.1\r\n" + host + "Authorization: a\r\nauthorization: b\r\n\r\n", err: ErrDuplicateHeader},
	{name: "duplicate If-None-Match", in: "GET / HTTP/1.1\r\n" + host + "If-None-Match: a\r\nIf-None-Match: b\r\n\r\n", err: ErrDuplicateHeader},
	{name: "TRACE", in: "TRACE / HTTP/1.1\r\n" + host + "\r\n", err: ErrTrace},
	{name: "CONNECT", in: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", err: ErrConnect},
	{name: "CONNECT without port", in: "CONNECT example.com HTTP/1.1\r\n", err: ErrInvalidRequest},
	{name: "CONNECT with a path", in: "CONNECT example.com:443/x HTTP/1.1\r\n", err: ErrInvalidRequest},

	// body framing and request smuggling
	{name: "smuggling/CL+TE", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", err: ErrContentLengthAndChunked},
	{name: "smuggling/TE+CL", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", err: ErrContentLengthAndChunked},
	{name: "smuggling/CL,CL same", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 4\r\nContent-Length: 4\r\n\r\n", err: ErrDuplicateHeader},
	{name: "smuggling/CL,CL differ", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 4\r\nContent-Length: 5\r\n\r\n", err: ErrDuplicateHeader},
	{name: "smuggling/CL list", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 4, 4\r\n\r\n", err: ErrInvalidContentLength},
	{name: "smuggling/CL negative", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: -1\r\n\r\n", err: ErrInvalidContentLength},
	{name: "smuggling/CL plus sign", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: +1\r\n\r\n", err: ErrInvalidContentLength},
	{name: "smuggling/CL overflow", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 9223372036854775808\r\n\r\n", err: ErrInvalidContentLength},
	{name: "smuggling/CL empty", in: "POST / HTTP/1.1\r\n" + host + "Content-Length:\r\n\r\n", err: ErrInvalidContentLength},
	{name: "smuggling/CL trailing tab", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 1\t\r\n\r\n", err: ErrInvalidContentLength},
	{name: "smuggling/CL hex", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 0x10\r\n\r\n", err: ErrInvalidContentLength},
	{name: "smuggling/TE: chunked, identity", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked, identity\r\n\r\n", err: ErrUnknownTransferEncoding},
	{name: "smuggling/TE: identity", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: identity\r\n\r\n", err: ErrUnknownTransferEncoding},
	{name: "smuggling/TE: gzip, chunked", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip, chunked\r\n\r\n", err: ErrUnknownTransferEncoding},
	{name: "smuggling/TE: chunked with trailing tab", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\t\r\n\r\n", err: ErrUnknownTransferEncoding},
	{name: "smuggling/TE: xchunked", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: xchunked\r\n\r\n", err: ErrUnknownTransferEncoding},
	{name: "smuggling/TE,TE", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", err: ErrDuplicateHeader},
	{name: "smuggling/TE in HTTP/1.0", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", err: ErrTransferEncoding10},
	{name: "smuggling/TE obs-fold", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding:\r\n chunked\r\n\r\n", err: ErrInvalidHeader},
	{name: "smuggling/space before colon in TE", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding : chunked\r\n\r\n", err: ErrInvalidHeader},
	{name: "smuggling/bare CR in TE", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\rX: y\r\n\r\n", err: ErrInvalidHeader},
	{name: "smuggling/invalid CL before TE", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: x\r\nTransfer-Encoding: chunked\r\n\r\n", err: ErrInvalidContentLength},
}

// limit cases need long inputs; built here.
func limitCases() []parseCase {
	small := Limits{LargeHeaderBufferSize: 64, LargeHeaderBuffers: 2, MaxHeaders: 3}
	line := func(n int) string { // request line of exactly n bytes with CRLF
		return "GET /" + strings.Repeat("a", n-len("GET / HTTP/1.1\r\n")) + " HTTP/1.1\r\n"
	}
	hline := func(n int) string { // header line of exactly n bytes with CRLF
		return "X: " + strings.Repeat("v", n-len("X: \r\n")) + "\r\n"
	}
	return []parseCase{
		{name: "request line over 8k", in: line(8193) + host + "\r\n", err: ErrURITooLong},
		{name: "request line over 8k, no end yet", in: line(9000)[:8500], err: ErrURITooLong},
		{name: "header line over 8k", in: "GET / HTTP/1.1\r\n" + host + hline(8193) + "\r\n", err: ErrHeaderLineTooLong},
		{name: "limits/request line over size", lim: small, in: line(65), err: ErrURITooLong},
		{name: "limits/header line over size", lim: small, in: "GET / HTTP/1.1\r\n" + hline(65), err: ErrHeaderLineTooLong},
		{name: "limits/head over number x size", lim: small,
			in: line(60) + hline(60) + "Host: a\r\n" + hline(20) + "\r\n", err: ErrRequestTooLarge},
		{name: "limits/header flood", lim: small, in: "GET / HTTP/1.1\r\n" + host + "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", err: ErrTooManyHeaders},
		{name: "header flood at nginx default", in: "GET / HTTP/1.1\r\n" + strings.Repeat("A: 1\r\n", 1001) + "\r\n", err: ErrTooManyHeaders},
		{name: "limits/request line of exactly size", lim: small, in: line(64) + host + "\r\n",
			want: "GET(GET) target=/" + strings.Repeat("a", 48) + " uri=/" + strings.Repeat("a", 48) + " raw=/" + strings.Repeat("a", 48) +
				" path=/" + strings.Repeat("a", 48) + " args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
		{name: "limits/ignored headers do not count", lim: small, in: "GET / HTTP/1.1\r\n" + host + "A: 1\r\nB_: 2\r\nC_: 3\r\n\r\n",
			want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=2 [Host: a][A: 1]"},
		{name: "leading empty lines do not count", lim: small, in: strings.Repeat("\r\n", 100) + "GET / HTTP/1.1\r\n" + host + "\r\n",
			want: "GET(GET) target=/ uri=/ raw=/ path=/ args= v=1001 host=a cl=-1 chunked=false ka=true ign=0 [Host: a]"},
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range append(parseErr, limitCases()...) {
		for _, m := range feedModes {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				in := []byte(tc.in + tc.body)
				p := NewParser(tc.lim)
				n, err := feed(t, p, in, m)
				if tc.err == nil {
					require.NoError(t, err)
					require.Equal(t, len(tc.in), n)
					require.Equal(t, tc.want, summary(p.Request(), in))
					return
				}
				require.Equal(t, tc.err, err, "want %v, got %v", tc.err, err)
				require.Zero(t, n)
				_, again := p.Parse(in) // sticky
				require.Equal(t, tc.err, again)
			})
		}
	}
}

// TestErrorStatuses pins the status nginx answers for each error.
func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		err            *Error
		status, answer int
	}{
		{ErrInvalidMethod, 400, 400},
		{ErrInvalidRequest, 400, 400},
		{ErrInvalidVersion, 505, 505},
		{ErrURITooLong, 414, 414},
		{ErrHeaderLineTooLong, 494, 400},
		{ErrRequestTooLarge, 494, 400},
		{ErrTooManyHeaders, 494, 400},
		{ErrInvalidHeader, 400, 400},
		{ErrMissingHost, 400, 400},
		{ErrContentLengthAndChunked, 400, 400},
		{ErrUnknownTransferEncoding, 501, 501},
		{ErrTrace, 405, 405},
		{ErrConnect, 405, 405},
		{ErrInvalidChunked, 400, 400},
	}
	for _, tc := range tests {
		t.Run(tc.err.Reason, func(t *testing.T) {
			require.Equal(t, tc.status, tc.err.Status)
			require.Equal(t, tc.answer, ResponseStatus(tc.err.Status))
			require.Contains(t, tc.err.Error(), tc.err.Reason)
		})
	}
}

// within reports whether s is empty or lies inside buf[:n].
func within(s, buf []byte, n int) bool {
	if len(s) == 0 {
		return true
	}
	for i := 0; i+len(s) <= n; i++ {
		if &buf[i] == &s[0] {
			return true
		}
	}
	return false
}

func FuzzParse(f *testing.F) {
	for _, tc := range append(append(parseOK, parseErr...), limitCases()...) {
		f.Add([]byte(tc.in+tc.body), tc.lim.UnderscoresInHeaders, tc.lim.KeepInvalidHeaders)
	}
	f.Add([]byte(browserHead), false, false)
	f.Fuzz(func(t *testing.T, in []byte, underscores, keepInvalid bool) {
		lim := Limits{LargeHeaderBufferSize: 256, LargeHeaderBuffers: 3, MaxHeaders: 20,
			UnderscoresInHeaders: underscores, KeepInvalidHeaders: keepInvalid}
		var (
			outcome []string
			first   *Parser
		)
		for _, m := range feedModes {
			p := NewParser(lim)
			n, err := feed(t, p, in, m)
			require.LessOrEqual(t, n, len(in))
			res := fmt.Sprint(n, err)
			if err == nil {
				res += summary(p.Request(), in)
			}
			outcome = append(outcome, res)
			if first == nil {
				first = p
			}
			if e, ok := err.(*Error); ok {
				require.Contains(t, []int{400, 405, 414, 494, 501, 505}, e.Status)
			} else if err != nil {
				require.Equal(t, ErrNeedMore, err)
			}
		}
		require.Equal(t, outcome[0], outcome[1], "halves differ from whole")
		require.Equal(t, outcome[0], outcome[2], "bytewise differs from whole")

		n, err := first.Parse(in)
		if err != nil {
			return
		}
		r := first.Request()
		for _, s := range [][]byte{r.Method(in), r.RequestLine(in), r.Target(in), r.Args(in),
			r.Host(in), r.Cookie(in), r.ContentType(in)} {
			require.True(t, within(s, in, n), "slice outside the head: %q", s)
		}
		for i := range r.NumHeaders() {
			name, value := r.HeaderAt(in, i)
			require.True(t, within(name, in, n) && within(value, in, n))
		}
		path := r.Path(in)
		require.True(t, len(path) > 0 && path[0] == '/', "path %q", path)
		for _, seg := range strings.Split(string(path), "/") {
			require.NotContains(t, []string{".", ".."}, seg, "path %q keeps a dot segment", path)
		}
		require.NotContains(t, string(path), "//")
	})
}

func BenchmarkParse(b *testing.B) {
	benches := []struct{ name, head string }{
		{"wrk", "GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\n" +
			"Accept: text/plain,text/html;q=0.9\r\nConnection: keep-alive\r\n\r\n"},
		{"browser", browserHead},
	}
	for _, bc := range benches {
		b.Run(bc.name, func(b *testing.B) {
			buf := []byte(bc.head)
			p := NewParser(Limits{})
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				p.Reset()
				if n, err := p.Parse(buf); err != nil || n != len(buf) {
					b.Fatal(n, err)
				}
				if len(p.Request().Header(buf, "accept")) == 0 {
					b.Fatal("no accept header")
				}
			}
		})
	}
}

// ExampleParser shows the connection layer's loop: parse what has
// arrived, ask for more, then use the head and the pre-read body.
func ExampleParser() {
	p := NewParser(Limits{}) // nginx's defaults
	arrivals := []string{"POST /api/./v1//items?id=7 HTTP/1.1\r\nHost: exa", "mple.com\r\nContent-Length: 5\r\n\r\nhel"}
	var buf []byte
	for _, chunk := range arrivals {
		buf = append(buf, chunk...) // the buffer may move: the parser keeps offsets
		n, err := p.Parse(buf)
		if err == ErrNeedMore {
			continue
		}
		if e, ok := err.(*Error); ok {
			fmt.Println("answer", ResponseStatus(e.Status))
			return
		}
		r := p.Request()
		fmt.Printf("%s %s args=%s host=%s\n", r.Method(buf), r.Path(buf), r.Args(buf), r.Host(buf))
		fmt.Printf("body %d bytes, %q pre-read, keep-alive %t\n", r.ContentLength(), buf[n:], r.KeepAlive())
	}
	// Output:
	// POST /api/v1/items args=id=7 host=example.com
	// body 5 bytes, "hel" pre-read, keep-alive true
}
