package ngx

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

const fooResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nfoo\n"

// tcpPrelude connects to ngx.var.port and sends a GET, as the t/058
// blocks do.
const tcpPrelude = `
	local sock = ngx.socket.tcp()
	local ok, err = sock:connect("127.0.0.1", ngx.var.port)
	if not ok then ngx.say("failed to connect: ", err) return end
	local bytes, err = sock:send("GET /foo HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	if not bytes then ngx.say("failed to send: ", err) return end
`

func TestSocketTCPReceive(t *testing.T) {
	h := newHarness(t, nil)
	foo := startPeer(t, "tcp", httpOnce(fooResponse))
	noNL := startPeer(t, "tcp", httpOnce("foo"))
	crs := startPeer(t, "tcp", httpOnce("foo\r\rbar\rbaz\nrest"))
	twoLines := startPeer(t, "tcp", func(c net.Conn) {
		// Both lines in one segment: the second receive is answered from
		// the buffer, inside the resumption of the first.
		_, _ = readHead(bufio.NewReader(c))
		_, _ = io.WriteString(c, "one\ntwo\n")
	})
	runSpecs(t, h, []spec{
		{name: "t/058 TEST 1: lines until the peer closes", setup: withPort(foo.port()), src: tcpPrelude + `
			ngx.say("sent ", bytes)
			while true do
				local line, err, part = sock:receive()
				if line then ngx.say("received: ", line)
				else ngx.say("failed to receive a line: ", err, " [", part, "]") break end
			end
			ngx.say("close: ", sock:close())`,
			body: "sent 57\nreceived: HTTP/1.1 200 OK\nreceived: Content-Type: text/plain\nreceived: Content-Length: 4\n" +
				"received: Connection: close\nreceived: \nreceived: foo\nfailed to receive a line: closed []\nclose: 1\n"},
		{name: "t/058 TEST 2: a last line without a newline is the partial", setup: withPort(noNL.port()), src: tcpPrelude + `
			local line, err, part = sock:receive()
			ngx.say(line, " ", err, " [", part, "]")
			ngx.say(sock:receive())`, body: "nil closed [foo]\nnilclosed\n"},
		{name: "t/058 TEST 30: *l drops every CR of the line", setup: withPort(crs.port()), src: tcpPrelude + `
			ngx.say(sock:receive("*l"))`, body: "foobarbaz\n"},
		{name: "two lines of one segment, the second answered from the buffer", setup: withPort(twoLines.port()), src: tcpPrelude + `
			ngx.say(sock:receive(), " ", sock:receive())`, body: "one two\n"},
		{name: "t/058 TEST 11: *a reads to the end, then closed with an empty partial", setup: withPort(foo.port()), src: tcpPrelude + `
			local data = sock:receive("*a")
			ngx.say(#data, " ", data:sub(-4, -2))
			ngx.say(sock:receive("*a"))
			local d, err, part = sock:receive()
			ngx.say(d, " ", err, " [", part, "]")`, body: "87 foo\n\nnil closed [nil]\n"},
		{name: "t/058 TEST 13: N bytes, then closed with the bytes so far", setup: withPort(foo.port()), src: tcpPrelude + `
			local head = sock:receive(84)
			ngx.say(#head)
			local d, err, part = sock:receive(10)
			ngx.say(d, " ", err, " [", part, "]")`, body: "84\nnil closed [oo\n]\n"},
		{name: "t/058 TEST 18: a numeric string is a byte count", setup: withPort(foo.port()), src: tcpPrelude + `
			ngx.say(sock:receive("15"))`, body: "HTTP/1.1 200 OK\n"},
		{name: "t/058 TEST 31: receive(0) returns an empty string", setup: withPort(foo.port()), src: tcpPrelude + `
			local d, err = sock:receive(0)
			ngx.say("[", d, "] ", err)`, body: "[] nil\n"},
		{name: "t/058 TEST 65-69: receiveany returns what is there, at most max", setup: withPort(foo.port()), src: tcpPrelude + `
			ngx.say(sock:receiveany(7))
			ngx.say(#sock:receive("*a"))`, body: "HTTP/1.\n80\n"},
		{name: "t/058 TEST 67: receiveany's max must be positive", setup: withPort(foo.port()), src: tcpPrelude + `
			for _, v in ipairs({0, -1}) do ngx.say(pcall(sock.receiveany, sock, v)) end
			ngx.say(pcall(sock.receiveany, sock))`,
			body: "falsebad argument #2 to '?' (bad max argument)\nfalsebad argument #2 to '?' (bad max argument)\n" +
				"falseexpecting 2 arguments (including the object), but got 1\n"},
		{name: "bad receive patterns", setup: withPort(foo.port()), src: tcpPrelude + `
			ngx.say(pcall(sock.receive, sock, "*x"))
			ngx.say(pcall(sock.receive, sock, "line"))
			ngx.say(pcall(sock.receive, sock, -1))
			ngx.say(pcall(sock.receive, sock, {}))`,
			body: "falsebad argument #2 to '?' (bad pattern argument)\nfalsebad argument #2 to '?' (bad pattern argument: line)\n" +
				"falsebad argument #2 to '?' (bad number argument)\nfalsebad argument #2 to '?' (bad argument)\n"},
	})
}

func TestSocketTCPConnectAndSend(t *testing.T) {
	h := newHarness(t, nil)
	echo := startPeer(t, "tcp", func(c net.Conn) { _, _ = io.Copy(c, c) })
	unix := startPeer(t, "unix", httpOnce(fooResponse))
	closed := closedPort(t)
	runSpecs(t, h, []spec{
		{name: "t/058 TEST 5: connection refused, then the socket is closed", setup: withPort(closed), src: `
			local sock = ngx.socket.tcp()
			ngx.say(sock:connect("127.0.0.1", ngx.var.port))
			ngx.say(sock:send("x"))
			ngx.say(sock:receive())
			ngx.say(sock:close())`,
			body: "nilconnection refused\nnilclosed\nnilclosed\nnilclosed\n",
			logs: []string{"connect() failed (111: Connection refused)"}},
		{name: "t/058 TEST 64: booleans and nil are sent as words", setup: withPort(echo.port()), src: `
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", ngx.var.port))
			ngx.say(sock:send({"a", 1, {2.5, "b"}}), sock:send(true), sock:send(false), sock:send(nil))
			ngx.say(sock:receive(18))`, body: "6453\na12.5btruefalsenil\n"},
		{name: "t/058 TEST 70/71: numbers as LuaJIT prints them", setup: withPort(echo.port()), src: `
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", ngx.var.port))
			sock:send(3.1415926) sock:send(" ") sock:send(1e20) sock:send(" ") sock:send(-2)
			ngx.say(sock:receive(18))`, body: "3.1415926 1e+20 -2\n"},
		{name: "t/058 TEST 32: an empty payload returns 0 at once", setup: withPort(echo.port()), src: `
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", ngx.var.port))
			ngx.say(sock:send(""), " ", sock:send({}))`, body: "0 0\n"},
		{name: "t/058 TEST 26-28: bad data types in a send table", setup: withPort(echo.port()), src: `
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", ngx.var.port))
			ngx.say(pcall(sock.send, sock, {"a", nil, "b", n = 3}))
			ngx.say(pcall(sock.send, sock, {true}))
			ngx.say(pcall(sock.send, sock, {ngx.null}))
			ngx.say(pcall(sock.send, sock, function() end))`,
			body: "falsebad argument #2 to '?' (bad data type nil found)\nfalsebad argument #2 to '?' (bad data type boolean found)\n" +
				"falsebad argument #2 to '?' (bad data type userdata found)\n" +
				"falsebad argument #2 to '?' (string, number, boolean, nil, or array table expected, got function)\n"},
		{name: "t/058 TEST 63: bad port number", src: `ngx.say(ngx.socket.tcp():connect("127.0.0.1", 65536))`,
			body: "nilbad port number: 65536\n"},
		{name: "t/058 TEST 72: missing the port number", src: `
			local sock = ngx.socket.tcp()
			ngx.say(sock:connect("127.0.0.1"))
			ngx.say(sock:connect("127.0.0.1", nil))
			ngx.say(sock:connect("127.0.0.1", {}))`,
			body: "nilmissing the port number\nnilmissing the port number\nnilmissing the port number\n"},
		{name: "t/058 TEST 3: a host name without a resolver", src: `ngx.say(ngx.socket.tcp():connect("agentzh.org", 80))`,
			body: "nilno resolver defined to resolve \"agentzh.org\"\n"},
		{name: "connect's argument count", src: `ngx.say(pcall(ngx.socket.tcp().connect, ngx.socket.tcp()))`,
			body: "falsengx.socket connect: expecting 2, 3, or 4 arguments (including the object), but seen 1\n"},
		{name: "t/059: a unix socket", setup: func(x *fakeX) { x.vars["path"] = unix.path() }, src: `
			local sock = ngx.socket.tcp()
			ngx.say(sock:connect("unix:" .. ngx.var.path))
			sock:send("GET / HTTP/1.0\r\n\r\n")
			ngx.say(sock:receive())`, body: "1\nHTTP/1.1 200 OK\n"},
		{name: "t/058 TEST 16: ngx.socket.connect returns the socket", setup: withPort(echo.port()), src: `
			local sock, err = ngx.socket.connect("127.0.0.1", ngx.var.port)
			ngx.say(type(sock), " ", err)
			sock:send("hi\n")
			ngx.say(sock:receive())
			ngx.say(ngx.socket.connect("127.0.0.1", 65536))`, body: "table nil\nhi\nnilbad port number: 65536\n"},
		{name: "t/058 TEST 23: connect again closes the first connection", setup: withPort(echo.port()), src: `
			local sock = ngx.socket.tcp()
			ngx.say(sock:connect("127.0.0.1", ngx.var.port))
			ngx.say(sock:connect("127.0.0.1", ngx.var.port))
			sock:send("x\n")
			ngx.say(sock:receive())`, body: "1\n1\nx\n"},
		{name: "t/058 TEST 54: an IPv6 literal", setup: withPort(echo.port()), src: `
			local ok, err = ngx.socket.tcp():connect("[::1]", ngx.var.port)
			ngx.say(ok or err == "connection refused" or err)`, body: "true\n"},
		{name: "ngx.socket.stream is ngx.socket.tcp", src: `ngx.say(ngx.socket.stream == ngx.socket.tcp)`, body: "true\n"},
		{name: "ngx.socket.tcp takes no arguments", src: `ngx.say(pcall(ngx.socket.tcp, 1))`,
			body: "falseexpecting zero arguments, but got 1\n"},
		{name: "not in log_by_lua", phase: inLog, src: `ngx.socket.tcp()`, result: failed,
			logs: []string{"API disabled in the context of log_by_lua*"}},
		{name: "sslhandshake says TLS is not there yet", setup: withPort(echo.port()), src: `
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", ngx.var.port))
			ngx.say(sock:sslhandshake())`, body: "nilnot supported yet: luring has no TLS for cosockets\n"},
	})
}

// closedPort returns a loopback port nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := (&peer{ln: ln}).port()
	ln.Close()
	return p
}

func TestSocketTCPTimeouts(t *testing.T) {
	h := newHarness(t, nil)
	// The peer answers one line per request line, the first one late.
	slow := startPeer(t, "tcp", func(c net.Conn) {
		r := bufio.NewReader(c)
		for i := 0; ; i++ {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if i == 0 {
				time.Sleep(200 * time.Millisecond) // the socket's 50 ms read timeout expires first
			}
			_, _ = io.WriteString(c, strings.ToUpper(line))
		}
	})
	runSpecs(t, h, []spec{
		{name: "t/058 TEST 36-40: a read timeout is not fatal: the socket reads on", setup: withPort(slow.port()), src: `
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", ngx.var.port))
			sock:settimeout(50)
			sock:send("a\n")
			ngx.say(sock:receive())
			sock:settimeout(2000)
			ngx.say(sock:receive())
			sock:send("b\n")
			ngx.say(sock:receive())`, body: "niltimeout\nA\nB\n", logs: []string{"lua tcp socket read timed out"}},
		{name: "settimeout's argument checks", src: `
			local sock = ngx.socket.tcp()
			ngx.say(pcall(sock.settimeout, sock, -1))
			ngx.say(pcall(sock.settimeout, sock))
			ngx.say(pcall(sock.settimeouts, sock, 1, 2))`,
			body: "falsebad timeout value\nfalsengx.socket settimeout: expecting 2 arguments (including the object) but seen 1\n" +
				"falsengx.socket settimeouts: expecting 4 arguments (including the object) but seen 3\n"},
	})
}

func TestSocketTCPBadRequest(t *testing.T) {
	h := newHarness(t, nil)
	echo := startPeer(t, "tcp", func(c net.Conn) { _, _ = io.Copy(c, c) })
	// A socket kept past its request was closed when the request ended
	// (send: "closed"), and connecting it from another request raises "bad
	// request" (t/058 TEST 44).
	var x1 *fakeX
	for i, src := range []string{
		`stash = ngx.socket.tcp() assert(stash:connect("127.0.0.1", ngx.var.port)) ngx.say("ok")`,
		`ngx.say(pcall(stash.send, stash, "x")) ngx.say(pcall(stash.connect, stash, "127.0.0.1", ngx.var.port))`,
	} {
		x := newFakeX(h.l)
		x.vars["port"] = echo.port()
		res := h.run(x, inContent.phase(), inline("content_by_lua", src))
		var body string
		h.onLoop(func() { body = x.body.String(); h.rn.Done(x) })
		if i == 0 {
			x1 = x
			assert.Equal(t, "ok\n", body, "%+v", res)
		} else {
			assert.Equal(t, "truenilclosed\nfalsebad request\n", body)
		}
	}
	assert.NotNil(t, x1)
}

// sock:bind sets the local address of the next connect: the peer sees it.
func TestSocketBind(t *testing.T) {
	from := make(chan string, 4)
	p := startPeer(t, "tcp", func(c net.Conn) {
		from <- c.RemoteAddr().(*net.TCPAddr).IP.String()
		httpOnce("ok\n")(c)
	})
	h := newHarness(t, nil)
	runSpecs(t, h, []spec{
		{name: "bind 127.0.0.2, then connect", setup: withPort(p.port()), src: `
			local sock = ngx.socket.tcp()
			ngx.say(sock:bind("127.0.0.2"))
			ngx.say(sock:connect("127.0.0.1", ngx.var.port))
			sock:send("GET / HTTP/1.0\r\n\r\n")
			ngx.say(sock:receive())
			sock:close()`, body: "true\n1\nok\n",
			check: func(t *testing.T, x *fakeX) { assert.Equal(t, "127.0.0.2", <-from) }},
		{name: "a host name is a bad address", src: `
			ngx.say(ngx.socket.tcp():bind("localhost"))`, body: "nilbad address\n"},
		{name: "a port out of range", src: `
			ngx.say(ngx.socket.tcp():bind("127.0.0.1", 70000))`, body: "nilbad port number: 70000\n"},
		{name: "an address that is not local fails the connect", setup: withPort(p.port()), src: `
			local sock = ngx.socket.tcp()
			ngx.say(sock:bind("192.0.2.1"))
			ngx.say(sock:connect("127.0.0.1", ngx.var.port))`, body: "true\nnilcannot assign requested address\n"},
		{name: "the argument count", src: `ngx.socket.tcp():bind()`,
			result: failed, logs: []string{"expecting 2 or 3 arguments, but got 1"}},
	})
}
