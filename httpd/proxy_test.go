package httpd

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// peer is a scripted upstream: for each connection it reads the request
// head (and the body its Content-Length gives), sends it on reqs, writes
// the pieces reply gives with a pause between them ("HOLD" waits without
// answering), and closes.
type peer struct {
	ln    net.Listener
	reqs  chan string
	reply func(req string) []string // pieces written with a pause between them
}

func startPeer(t *testing.T, reply func(req string) []string) *peer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &peer{ln: ln, reqs: make(chan string, 256), reply: reply}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *peer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	var head strings.Builder
	n := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "content-length") {
			fmt.Sscan(strings.TrimSpace(v), &n)
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return
	}
	req := head.String() + string(body)
	p.reqs <- req
	for i, piece := range p.reply(req) {
		if i > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		if piece == "HOLD" {
			time.Sleep(5 * time.Second)
			return
		}
		if _, err := c.Write([]byte(piece)); err != nil {
			return
		}
	}
}

func (p *peer) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func TestProxy(t *testing.T) {
	up := startPeer(t, func(req string) []string {
		switch {
		case strings.HasPrefix(req, "GET /chunked "):
			return []string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/x\r\n\r\n", "3\r\nabc\r\n", "2\r\nde\r\n0\r\n\r\n"}
		case strings.HasPrefix(req, "GET /close "):
			return []string{"HTTP/1.0 200 OK\r\nX-Up: 1\r\nDate: yesterday\r\nServer: up\r\nConnection: close\r\n\r\nuntil", " close"}
		case strings.HasPrefix(req, "GET /short "):
			return []string{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"}
		case strings.HasPrefix(req, "GET /nohead "):
			return nil
		case strings.HasPrefix(req, "GET /garbage "):
			return []string{"SMTP ready\r\n\r\n"}
		case strings.HasPrefix(req, "GET /big "):
			return []string{"HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 5000) + "\r\n\r\n"}
		case strings.HasPrefix(req, "GET /slow "):
			return []string{"HOLD"}
		case strings.HasPrefix(req, "HEAD "):
			return []string{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"}
		}
		return []string{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/y\r\nX-Accel-Expires: 1\r\n\r\nok"}
	})
	ts := startServer(t, fmt.Sprintf(`
access_log off;
server {
    listen 8080;
    server_name localhost;
    location /up/ { proxy_pass http://127.0.0.1:%[1]d/; proxy_read_timeout 300ms; }
    location /set/ { proxy_pass http://127.0.0.1:%[1]d/; proxy_set_header Host upstream; proxy_set_header X-Real $remote_addr;
        proxy_set_header User-Agent ""; proxy_http_version 1.1; }
    location /nohdr/ { proxy_pass http://127.0.0.1:%[1]d/; proxy_pass_request_headers off; }
    location /var { proxy_pass http://127.0.0.1:$arg_port/var/x?y=1; }
    location /dead { proxy_pass http://127.0.0.1:1/; }
    location /name { proxy_pass http://$arg_h:80/; }
    location /more/ { more_set_headers 'X-More: m'; echo_after_body after; proxy_pass http://127.0.0.1:%[1]d/; }
    location /redir/ { proxy_pass http://127.0.0.1:%[1]d/up/; }
}`, up.port()), nil)
	page := func(code int) string { return string(ErrorPage(code, "luring")) }
	fail := func(code int) string {
		return fmt.Sprintf("HTTP/1.1 %d %s\r\n", code, StatusText(code)) + wireHead + "Content-Type: text/html\r\nContent-Length: " +
			fmt.Sprint(len(page(code))) + "\r\nConnection: close\r\n\r\n" + page(code)
	}
	cases := []echoCase{
		{"status, body and headers; nginx's own are hidden", get("/up/a?b=c"),
			"HTTP/1.1 200 OK\r\n" + wireHead + "Content-Type: text/y\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", ""},
		{"a chunked upstream body streams", get("/up/chunked"),
			"HTTP/1.1 200 OK\r\n" + wireHead + "Content-Type: text/x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked("abc", "de"), ""},
		{"a body to the close", get("/up/close"),
			"HTTP/1.1 200 OK\r\n" + wireHead + "Transfer-Encoding: chunked\r\nConnection: close\r\nX-Up: 1\r\n\r\n" + chunked("until", " close"), ""},
		{"HEAD", "HEAD /up/h HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\n" + wireHead + "Content-Length: 5\r\nConnection: close\r\n\r\n", ""},
		{"the upstream closes before the head: 502", get("/up/nohead"), fail(502), ""},
		{"not HTTP: 502", get("/up/garbage"), fail(502), ""},
		{"a head larger than a page: 502", get("/up/big"), fail(502), ""},
		{"no response within proxy_read_timeout: 504", get("/up/slow"), fail(504), ""},
		{"the upstream closes inside the body: the client's connection closes", get("/up/short"),
			"HTTP/1.1 200 OK\r\n" + wireHead + "Content-Length: 10\r\nConnection: close\r\n\r\nabc", ""},
		{"nobody listens: 502", get("/dead"), fail(502), ""},
		{"a host name in a URL with variables needs a resolver: 502", get("/name?h=example.com"), fail(502), ""},
		{"headers-more and echo filters apply to the relayed response", get("/more/x"),
			"HTTP/1.1 200 OK\r\n" + wireHead + "Content-Type: text/y\r\nTransfer-Encoding: chunked\r\nConnection: close\r\nX-More: m\r\n\r\n" + chunked("okafter\n"), ""},
	}
	runWire(t, ts, cases)
	for len(up.reqs) > 0 {
		<-up.reqs
	}

	// What is sent upstream.
	reqOf := func(t *testing.T, raw string) string {
		c := ts.dial()
		c.send(raw)
		c.read("GET")
		select {
		case r := <-up.reqs:
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("no request upstream")
			return ""
		}
	}
	host := fmt.Sprintf("127.0.0.1:%d", up.port())
	assert.Equal(t, "GET /a%20b?x=1 HTTP/1.0\r\nHost: "+host+"\r\nConnection: close\r\nUser-Agent: ua\r\nX-Other: o\r\n\r\n",
		reqOf(t, "GET /up/a%20b?x=1 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ua\r\nKeep-Alive: 1\r\nX-Other: o\r\nConnection: close\r\n\r\n"),
		"the location's part of the URI replaced, Host and Connection set, hop-by-hop headers dropped")
	assert.Equal(t, "POST /b HTTP/1.1\r\nHost: upstream\r\nX-Real: 127.0.0.1\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
		reqOf(t, "POST /set/b HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ua\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"),
		"proxy_set_header first, an empty value leaves the header out, the body read first and sent with its length")
	assert.Equal(t, "GET /c HTTP/1.0\r\nHost: "+host+"\r\nConnection: close\r\n\r\n",
		reqOf(t, "GET /nohdr/c HTTP/1.1\r\nHost: localhost\r\nX-Other: o\r\nConnection: close\r\n\r\n"))
	assert.Equal(t, "GET /var/x?y=1 HTTP/1.0\r\nHost: "+host+"\r\nConnection: close\r\n\r\n",
		reqOf(t, fmt.Sprintf("GET /var?port=%d HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", up.port())),
		"with variables, the URL's URI is sent as is")
	assert.Equal(t, "GET /up/x HTTP/1.0\r\nHost: "+host+"\r\nConnection: close\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
		reqOf(t, "GET /redir/x HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 1.2.3.4\r\nConnection: close\r\n\r\n"))
	assert.Contains(t, ts.elog.String(), "connect() failed (111: Connection refused) while connecting to upstream")
	assert.Contains(t, ts.elog.String(), "upstream timed out (110: Connection timed out) while reading response header from upstream")
	assert.Contains(t, ts.elog.String(), "no resolver defined to resolve example.com")
}

// A location named with a slash that proxies answers its name without the
// slash with a redirect (nginx's auto_redirect, headers-more bug.t TEST 15).
func TestProxyAutoRedirect(t *testing.T) {
	ts := startServer(t, `
access_log off;
server {
    listen 8080;
    server_name localhost;
    location = /t/ { more_set_headers "Foo: 1"; proxy_pass http://127.0.0.1:1; }
    location /p/ { proxy_pass http://127.0.0.1:1; }
    location /q/ { proxy_pass http://127.0.0.1:1; }
    location = /q { echo q; }
}`, nil)
	port := ts.addr[strings.LastIndexByte(ts.addr, ':')+1:]
	page := string(ErrorPage(301, "luring"))
	moved := func(loc, extra string) string {
		return "HTTP/1.1 301 Moved Permanently\r\n" + wireHead + "Content-Type: text/html\r\nContent-Length: " + fmt.Sprint(len(page)) +
			"\r\nLocation: http://localhost:" + port + loc + "\r\nConnection: close\r\n" + extra + "\r\n" + page
	}
	runWire(t, ts, []echoCase{
		{"exact location", get("/t?a=1"), moved("/t/?a=1", "Foo: 1\r\n"), ""},
		{"prefix location", get("/p"), moved("/p/", ""), ""},
		{"a location of that name wins", get("/q"), ok200("q\n"), ""},
	})
}
