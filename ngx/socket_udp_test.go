package ngx

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// udpPeer echoes every datagram it gets, upper-cased when it starts with
// "up:", swallows the ones that start with "drop:" and answers "who?" with
// the sender's address.
func udpPeer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			if len(msg) >= 5 && msg[:5] == "drop:" {
				continue
			}
			if msg == "who?" {
				msg = from.(*net.UDPAddr).IP.String()
			}
			_, _ = pc.WriteTo([]byte(msg), from)
		}
	}()
	return strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
}

func TestSocketUDP(t *testing.T) {
	h := newHarness(t, nil)
	port := udpPeer(t)
	unixPath := t.TempDir() + "/dgram.sock"
	upc, err := net.ListenPacket("unixgram", unixPath)
	require.NoError(t, err)
	t.Cleanup(func() { upc.Close() })
	go func() {
		buf := make([]byte, 1024)
		for {
			n, from, err := upc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = upc.WriteTo(buf[:n], from)
		}
	}()
	runSpecs(t, h, []spec{
		{name: "bind sets the local address setpeername binds to", setup: withPort(port), src: `
			local udp = ngx.socket.udp()
			ngx.say(udp:bind("127.0.0.3"))
			ngx.say(udp:setpeername("127.0.0.1", ngx.var.port))
			udp:send("who?")
			ngx.say(udp:receive())
			ngx.say(ngx.socket.udp():bind("nowhere"))`, body: "true\n1\n127.0.0.3\nnilbad address\n"},
		{name: "t/087 TEST 1: a datagram there and back", setup: withPort(port), src: `
			local udp = ngx.socket.udp()
			ngx.say(udp:setpeername("127.0.0.1", ngx.var.port))
			ngx.say(udp:send("hello"))
			ngx.say(udp:receive())
			ngx.say(udp:close())
			ngx.say(udp:close())`, body: "1\n1\nhello\n1\nnilclosed\n"},
		{name: "t/087 TEST 7/9: a read timeout, then the socket reads on", setup: withPort(port), src: `
			local udp = ngx.socket.udp()
			udp:settimeout(30)
			assert(udp:setpeername("127.0.0.1", ngx.var.port))
			udp:send("drop:x")
			ngx.say(udp:receive())
			udp:send("again")
			ngx.say(udp:receive())`, body: "niltimeout\nagain\n", logs: []string{"lua udp socket read timed out"}},
		{name: "t/087 TEST 8: a receive buffer size truncates", setup: withPort(port), src: `
			local udp = ngx.socket.udp()
			assert(udp:setpeername("127.0.0.1", ngx.var.port))
			udp:send("abcdef")
			ngx.say(udp:receive(3))`, body: "abc\n"},
		{name: "t/087 TEST 19: the upper bound of the port range", src: `
			ngx.say(ngx.socket.udp():setpeername("127.0.0.1", 65536))`, body: "nilbad port number: 65536\n"},
		{name: "t/087 TEST 20-22: booleans, nil, numbers and tables", setup: withPort(port), src: `
			local udp = ngx.socket.udp()
			assert(udp:setpeername("127.0.0.1", ngx.var.port))
			udp:send({true and "t", 1, {2.5, "x"}})
			ngx.say(udp:receive())
			udp:send(nil) ngx.say(udp:receive())
			udp:send(false) ngx.say(udp:receive())`, body: "t12.5x\nnil\nfalse\n"},
		{name: "t/087 TEST 14: a unix datagram socket", setup: func(x *fakeX) { x.vars["path"] = unixPath }, src: `
			local udp = ngx.socket.udp()
			ngx.say(udp:setpeername("unix:" .. ngx.var.path))
			udp:send("over unix")
			ngx.say(udp:receive())`, body: "1\nover unix\n"},
		{name: "closed sockets", src: `
			local udp = ngx.socket.udp()
			ngx.say(udp:send("x")) ngx.say(udp:receive()) ngx.say(udp:close())`,
			body: "nilclosed\nnilclosed\nnilclosed\n"},
		{name: "a name without a resolver", src: `ngx.say(ngx.socket.udp():setpeername("example.com", 53))`,
			body: "nilno resolver defined to resolve \"example.com\"\n"},
		{name: "an unreachable port: connection refused", setup: withPort(closedUDPPort(t)), src: `
			local udp = ngx.socket.udp()
			udp:settimeout(1000)
			assert(udp:setpeername("127.0.0.1", ngx.var.port))
			udp:send("anyone?")
			ngx.say(udp:receive())`, body: "nilconnection refused\n"},
	})
}

// closedUDPPort returns a loopback UDP port nobody listens on.
func closedUDPPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	p := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	pc.Close()
	return p
}
