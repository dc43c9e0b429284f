package ngx

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// memcachedLike answers "flush_all" with "OK" and anything else with
// "ERROR", keeping the connection, as the t/068 blocks use memcached.
var memcachedLike = lineServer(func(line string) string {
	if line == "flush_all" {
		return "OK\r\n"
	}
	return "ERROR\r\n"
})

// poolPrelude defines roundtrip(opts): connect, flush_all, read the reply.
const poolPrelude = `
	local function roundtrip(opts, keep)
		local sock = ngx.socket.tcp()
		local ok, err = sock:connect("127.0.0.1", ngx.var.port, opts)
		if not ok then return nil, err end
		local times = sock:getreusedtimes()
		assert(sock:send("flush_all\r\n"))
		local line = assert(sock:receive())
		if keep ~= false then
			local ok, err = sock:setkeepalive()
			if not ok then return nil, "setkeepalive: " .. err end
		end
		return line .. " reused " .. times
	end
`

func TestSocketTCPKeepalive(t *testing.T) {
	h := newHarness(t, nil)
	mc := startPeer(t, "tcp", memcachedLike)
	runSpecs(t, h, []spec{
		{name: "t/068 TEST 1: the second connect reuses the pooled connection", setup: withPort(mc.port()), src: poolPrelude + `
			local o = {pool = "t1"}
			ngx.say(roundtrip(o)) ngx.say(roundtrip(o)) ngx.say(roundtrip(o, false)) ngx.say(roundtrip(o))
			ngx.say(roundtrip(o, false)) -- leaves the pool empty for the next round`,
			body: "OK reused 0\nOK reused 1\nOK reused 2\nOK reused 0\nOK reused 1\n"},
		{name: "t/068 TEST 15-19: the pool option names the pool (a number as its string)", setup: withPort(mc.port()), src: poolPrelude + `
			ngx.say(roundtrip({pool = "a"})) ngx.say(roundtrip({pool = "a"}, false)) ngx.say(roundtrip({pool = 3.14}))
			ngx.say(roundtrip({pool = "3.14"}, false))`,
			body: "OK reused 0\nOK reused 1\nOK reused 0\nOK reused 1\n"},
		{name: "t/068 TEST 21/22/26: bad pool options raise", setup: withPort(mc.port()), src: `
			local sock = ngx.socket.tcp()
			ngx.say(pcall(sock.connect, sock, "127.0.0.1", ngx.var.port, {pool = {}}))
			ngx.say(pcall(sock.connect, sock, "127.0.0.1", ngx.var.port, {pool_size = 0}))
			ngx.say(pcall(sock.connect, sock, "127.0.0.1", ngx.var.port, {pool_size = "x"}))
			ngx.say(pcall(sock.connect, sock, "127.0.0.1", ngx.var.port, {pool_size = 1, backlog = -1}))`,
			body: "falsebad argument #4 to '?' (bad \"pool\" option type: table)\n" +
				"falsebad argument #4 to '?' (bad \"pool_size\" option value: 0)\n" +
				"falsebad argument #4 to '?' (bad \"pool_size\" option type: string)\n" +
				"falsebad argument #4 to '?' (bad \"backlog\" option value: -1)\n"},
		{name: "t/068 TEST 10: setkeepalive's pool_size must be positive", setup: withPort(mc.port()), src: `
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", ngx.var.port, {pool = "t10"}))
			ngx.say(pcall(sock.setkeepalive, sock, 0, 0))`,
			body: "falsebad argument #3 to '?' (bad \"pool_size\" option value: 0)\n"},
		{name: "t/068 TEST 54/55: setkeepalive's arguments are numbers", setup: withPort(mc.port()), src: `
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", ngx.var.port))
			ngx.say(pcall(sock.setkeepalive, sock, "x"))
			ngx.say(pcall(sock.setkeepalive, sock, 0, "y"))
			ngx.say(sock:setkeepalive(0, 1))`,
			body: "falsebad argument #2 to '?' (number expected, got string)\n" +
				"falsebad argument #3 to '?' (number expected, got string)\n1\n"},
		{name: "unread data in buffer: the connection stays usable", setup: withPort(mc.port()), src: `
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", ngx.var.port))
			sock:send("flush_all\r\n")
			ngx.say(sock:receive(1))
			ngx.say(sock:setkeepalive())
			ngx.say(sock:receive())
			ngx.say(sock:setkeepalive())
			ngx.say(sock:send("x"))`, body: "O\nnilunread data in buffer\nK\n1\nnilclosed\n"},
		{name: "setkeepalive on a closed socket", src: `ngx.say(ngx.socket.tcp():setkeepalive())`, body: "nilclosed\n"},
		{name: "setkeepalive after a read timeout: invalid connection", setup: withPort(mc.port()), src: `
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", ngx.var.port))
			sock:settimeout(20)
			ngx.say(sock:receive())
			ngx.say(sock:setkeepalive())`, body: "niltimeout\nnilinvalid connection\n"},
	})
}

// Connects beyond pool_size wait in the queue (backlog), fail beyond
// pool_size + backlog, and time out there with the connect timeout; a
// connection parked by setkeepalive goes to the first waiter.
func TestSocketTCPBacklog(t *testing.T) {
	h := newHarness(t, nil)
	mc := startPeer(t, "tcp", memcachedLike)
	runSpecs(t, h, []spec{
		{name: "t/068 TEST 31/34: too many waiting connect operations", setup: withPort(mc.port()), src: `
			local opts = {pool = "b1", pool_size = 1, backlog = 1}
			local function hold()
				local sock = ngx.socket.tcp()
				local ok, err = sock:connect("127.0.0.1", ngx.var.port, opts)
				if not ok then return err end
				ngx.sleep(0.05)
				sock:close()
				return "connected"
			end
			local a = ngx.thread.spawn(hold)
			local b = ngx.thread.spawn(hold) -- waits in the queue
			local c = ngx.thread.spawn(hold) -- beyond the backlog
			for _, th in ipairs({a, b, c}) do ngx.say(select(2, ngx.thread.wait(th))) end`,
			body: "connected\nconnected\ntoo many waiting connect operations\n"},
		{name: "t/068 TEST 41/42: a queued connect times out with the connect timeout", setup: withPort(mc.port()), src: `
			local opts = {pool = "b2", pool_size = 1, backlog = 1}
			local a = ngx.thread.spawn(function()
				local sock = ngx.socket.tcp()
				assert(sock:connect("127.0.0.1", ngx.var.port, opts))
				ngx.sleep(0.2)
				sock:close()
			end)
			local sock = ngx.socket.tcp()
			sock:settimeout(30)
			ngx.say(sock:connect("127.0.0.1", ngx.var.port, opts))
			ngx.thread.wait(a)`,
			body: "niltimeout\n", logs: []string{"lua tcp socket queued connect timed out, when trying to connect to 127.0.0.1:"}},
		{name: "t/068 TEST 33: a parked connection goes to the queued connect", setup: withPort(mc.port()), src: `
			local opts = {pool = "b3", pool_size = 1, backlog = 5}
			local a = ngx.thread.spawn(function()
				local sock = ngx.socket.tcp()
				assert(sock:connect("127.0.0.1", ngx.var.port, opts))
				ngx.sleep(0.02)
				assert(sock:setkeepalive())
			end)
			local sock = ngx.socket.tcp()
			ngx.say(sock:connect("127.0.0.1", ngx.var.port, opts))
			ngx.say(sock:getreusedtimes())
			ngx.thread.wait(a)
			sock:close()`, body: "1\n1\n"},
	})
}

// A parked connection the peer closed, or sent bytes on, is dropped and
// never handed out: the next connect makes a new one.
func TestSocketTCPIdleConnectionsAreWatched(t *testing.T) {
	h := newHarness(t, nil)
	for _, tc := range []struct {
		name  string
		after func(c net.Conn)
	}{
		{"the peer closes", func(c net.Conn) { c.Close() }},
		{"the peer sends bytes", func(c net.Conn) { _, _ = io.WriteString(c, "surprise\r\n") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			replied := make(chan net.Conn, 1)
			p := startPeer(t, "tcp", func(c net.Conn) {
				r := bufio.NewReader(c)
				if _, err := r.ReadString('\n'); err != nil {
					return
				}
				_, _ = io.WriteString(c, "OK\r\n")
				replied <- c
				_, _ = io.Copy(io.Discard, r)
			})
			run := func(src string) string {
				x := newFakeX(h.l)
				x.vars["port"] = p.port()
				h.run(x, inContent.phase(), inline("content_by_lua", src))
				var body string
				h.onLoop(func() { body = x.body.String(); h.rn.Done(x) })
				return body
			}
			assert.Equal(t, "OK\n1\n", run(`
				local sock = ngx.socket.tcp()
				assert(sock:connect("127.0.0.1", ngx.var.port, {pool = "watched"}))
				sock:send("hi\n")
				ngx.say(sock:receive())
				ngx.say(sock:setkeepalive())`))
			select {
			case c := <-replied:
				tc.after(c)
			case <-time.After(10 * time.Second):
				t.Fatal("the peer never replied")
			}
			// Wait until the loop noticed: the pool holds nothing then.
			deadline := time.Now().Add(10 * time.Second)
			for {
				idle := -1
				h.onLoop(func() {
					if pl := h.rn.sockets.Pool("watched"); pl != nil {
						idle = pl.Idle()
					} else {
						idle = 0
					}
				})
				if idle == 0 || time.Now().After(deadline) {
					assert.Equal(t, 0, idle)
					break
				}
				time.Sleep(time.Millisecond) // no signal leaves the loop for this
			}
			assert.Equal(t, "0\n", run(`
				local sock = ngx.socket.tcp()
				assert(sock:connect("127.0.0.1", ngx.var.port, {pool = "watched"}))
				ngx.say(sock:getreusedtimes())
				sock:close()`))
			assert.Equal(t, int64(2), p.accepted.Load())
		})
	}
}

// Socket objects' Go halves are recycled when their request ends; an object
// code kept from an ended request acts as a closed socket of another
// request and never reaches the recycled half, which now serves a new
// object.
func TestSocketObjectOfAnEndedRequest(t *testing.T) {
	h := newHarness(t, nil)
	mc := startPeer(t, "tcp", memcachedLike)
	runSpecs(t, h, []spec{
		{name: "request 1 keeps its socket in a global", setup: withPort(mc.port()), src: `
			kept = ngx.socket.tcp()
			ngx.say(kept:connect("127.0.0.1", ngx.var.port))`, body: "1\n"},
		{name: "request 2: the kept object is closed and foreign; a new one works", setup: withPort(mc.port()), src: `
			local s = ngx.socket.tcp()
			ngx.say(s:connect("127.0.0.1", ngx.var.port))
			ngx.say(kept:send("get x\r\n"))
			ngx.say(kept:receive())
			ngx.say(kept:close())
			ngx.say(kept:setkeepalive())
			ngx.say(pcall(kept.connect, kept, "127.0.0.1", ngx.var.port))
			ngx.say(s:send("get x\r\n"))
			ngx.say(s:receive())
			s:close()`,
			body: "1\nnilclosed\nnilclosed\nnilclosed\nnilclosed\nfalsebad request\n7\nERROR\n"},
	})
}
