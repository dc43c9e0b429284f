package main

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/luring/luring/internal/testsrv"
)

// The request body: ngx.req.socket (body reader and raw), the ngx.req
// body API, lua_need_request_body, temp files. The behaviours are those
// lua-nginx-module's t/067-req-socket.t, t/116-raw-req-socket.t,
// t/044-req-body.t, t/031-post-args.t and t/010-request_body.t pin, in
// this project's words, against the real binary.

// bodyLocations are the locations of the body tests' server.
const bodyLocations = `
        client_body_buffer_size 1k;
        location = /sock5 {
            content_by_lua_block {
                local sock, err = ngx.req.socket()
                if not sock then ngx.say("no socket: ", err) return end
                for i = 1, 3 do
                    local data, err, part = sock:receive(5)
                    if data then ngx.say("received: ", data)
                    else ngx.say("failed: ", err, " [", part, "]") end
                end
            }
        }
        location = /echo {
            content_by_lua_block {
                local sock, err = ngx.req.socket()
                if not sock then ngx.say("no socket: ", err) return end
                local size = tonumber(ngx.var.arg_n) or 3
                local got = {}
                while true do
                    local data, err, part = sock:receive(size)
                    if data then got[#got + 1] = data
                    else
                        got[#got + 1] = part
                        if err ~= "closed" then ngx.say("error: ", err) end
                        break
                    end
                end
                ngx.print(table.concat(got))
            }
        }
        location = /until {
            content_by_lua_block {
                local sock = ngx.req.socket()
                local it = sock:receiveuntil("--b--")
                local parts = {}
                while true do
                    local data, err, part = it()
                    if not data then
                        if err then parts[#parts + 1] = "err=" .. err .. "[" .. tostring(part) .. "]" end
                        break
                    end
                    parts[#parts + 1] = data
                end
                ngx.say(table.concat(parts, "|"))
            }
        }
        location = /twice {
            content_by_lua_block {
                local a, err1 = ngx.req.socket()
                local b, err2 = ngx.req.socket()
                ngx.say(a ~= nil, " ", err2)
                ngx.req.read_body()
                ngx.say(ngx.req.get_body_data())
            }
        }
        location = /nobody {
            content_by_lua_block {
                ngx.say(select(2, ngx.req.socket()))
            }
        }
        location = /discard {
            content_by_lua_block {
                ngx.req.discard_body()
                ngx.say(select(2, ngx.req.socket()))
                ngx.say(next(ngx.req.get_post_args()))
            }
        }
        location = /read {
            content_by_lua_block {
                ngx.req.read_body()
                local data = ngx.req.get_body_data()
                local file = ngx.req.get_body_file()
                if file then
                    local f = io.open(file)
                    local s = f:read("*a")
                    f:close()
                    ngx.say("file ", #s, " ", ngx.var.request_body == nil)
                    return
                end
                ngx.say("data [", data, "] [", ngx.var.request_body, "] ", ngx.req.get_body_data(3))
            }
        }
        location = /post {
            content_by_lua_block {
                ngx.req.read_body()
                local args, err = ngx.req.get_post_args(tonumber(ngx.var.arg_max))
                local keys = {}
                for k, v in pairs(args) do
                    keys[#keys + 1] = k .. "=" .. (type(v) == "table" and table.concat(v, ",") or tostring(v))
                end
                table.sort(keys)
                ngx.say(table.concat(keys, " "), " ", err)
            }
        }
        location = /unread {
            content_by_lua_block {
                ngx.say(pcall(ngx.req.get_post_args))
                ngx.say(pcall(ngx.req.set_body_data, "x"))
            }
        }
        location = /set {
            content_by_lua_block {
                ngx.req.read_body()
                ngx.req.set_body_data("replaced")
                ngx.say(ngx.var.request_body, " ", ngx.var.http_content_length)
                ngx.req.init_body(4)
                ngx.req.append_body("hel")
                ngx.req.append_body("lo, world")
                ngx.req.finish_body()
                local f = ngx.req.get_body_file()
                ngx.say(ngx.req.get_body_data(), " ", f ~= nil, " ", ngx.var.http_content_length)
            }
        }
        location = /need {
            lua_need_request_body on;
            content_by_lua_block {
                ngx.say("body: ", ngx.var.request_body, " ", select(2, ngx.req.socket()))
            }
        }
        location = /raw {
            content_by_lua_block {
                ngx.say("before")
                ngx.say(select(2, ngx.req.socket(true)))
                ngx.flush(true)
                local sock = assert(ngx.req.socket(true))
                ngx.log(ngx.INFO, "raw: ", select(2, ngx.say("x")), ", ", select(2, ngx.req.socket(true)))
                local data = sock:receive(5)
                sock:send("raw got [" .. data .. "]\n")
                local line = sock:receive()
                sock:send("line [" .. line .. "]\n")
            }
        }
        location = /rawbusy {
            content_by_lua_block {
                local t = ngx.thread.spawn(ngx.req.read_body)
                ngx.say(select(2, ngx.req.socket(true)))
                ngx.thread.wait(t)
                ngx.say(ngx.req.get_body_data())
            }
        }
        location = /ws {
            access_log logs/ws.log;
            content_by_lua_block {
                local bit = require "bit"
                local sock = assert(ngx.req.socket(true))
                sock:send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" ..
                    "Sec-WebSocket-Accept: " .. ngx.var.http_x_accept .. "\r\n\r\n")
                while true do
                    local head, err = sock:receive(2)
                    if not head then return end
                    local b1, b2 = string.byte(head, 1, 2)
                    local op = bit.band(b1, 0x0f)
                    local len = bit.band(b2, 0x7f)
                    if len == 126 then
                        local ext = sock:receive(2)
                        len = bit.bor(bit.lshift(string.byte(ext, 1), 8), string.byte(ext, 2))
                    end
                    local mask = sock:receive(4)
                    local payload = len > 0 and sock:receive(len) or ""
                    local out = {}
                    for i = 1, #payload do
                        local m = string.byte(mask, (i - 1) % 4 + 1)
                        out[i] = string.char(bit.bxor(string.byte(payload, i), m))
                    end
                    local text = table.concat(out)
                    if op == 8 then
                        sock:send(string.char(0x88, 0))
                        return
                    end
                    local reply = "echo: " .. text
                    sock:send(string.char(0x81, #reply) .. reply)
                end
            }
        }
        location = /get {
            return 200 "next\n";
        }
        location = /onabort-off {
            content_by_lua_block {
                ngx.say(ngx.on_abort(function() end))
            }
        }
        location = /onabort {
            lua_check_client_abort on;
            content_by_lua_block {
                local ok, err = ngx.on_abort(function()
                    ngx.log(ngx.WARN, "on_abort ran")
                    ngx.exit(499)
                end)
                ngx.log(ngx.INFO, "on_abort: ", ok, ", again: ", select(2, ngx.on_abort(function() end)))
                ngx.sleep(30)
                ngx.log(ngx.ERR, "the handler was not ended")
            }
        }
`

// bodyServer starts the server of the body tests.
func bodyServer(t *testing.T, port int, extra string) *testsrv.Server {
	return testsrv.Start(t, testsrv.Options{Addr: addr(port),
		Conf: config(port, "", "    client_body_temp_path body_temp;\n"+extra, bodyLocations)})
}

// exchange writes raw to a new connection and reads n responses.
func exchange(t *testing.T, s *testsrv.Server, raw string, n int) []testsrv.Response {
	t.Helper()
	c := s.Dial()
	_, err := io.WriteString(c, raw)
	require.NoError(t, err)
	return readResponses(t, bufio.NewReader(c), n)
}

func readResponses(t *testing.T, br *bufio.Reader, n int) []testsrv.Response {
	t.Helper()
	var out []testsrv.Response
	for range n {
		res, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		res.Body.Close()
		out = append(out, testsrv.Response{Status: res.StatusCode, Header: res.Header, Body: string(b)})
	}
	return out
}

func post(path, body string, headers ...string) string {
	h := ""
	for _, x := range headers {
		h += x + "\r\n"
	}
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n%s\r\n%s", path, len(body), h, body)
}

func chunked(body string, size int) string {
	var b strings.Builder
	for len(body) > 0 {
		n := min(size, len(body))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

const getNext = "GET /get HTTP/1.1\r\nHost: t\r\n\r\n"

func TestRequestBody(t *testing.T) {
	s := bodyServer(t, portBody, "")
	rows := []struct {
		name string
		raw  string
		want []string // bodies of the responses, in order
	}{
		{"t/067 TEST 1: receive(n), then closed with the rest as partial", post("/sock5", "hello world"),
			[]string{"received: hello\nreceived:  worl\nfailed: closed [d]\n"}},
		{"t/067 TEST 6/8: two pipelined bodies, each read by its own request", post("/sock5", "hello world") + post("/sock5", "hiya globe"),
			[]string{"received: hello\nreceived:  worl\nfailed: closed [d]\n", "received: hiya \nreceived: globe\nfailed: closed []\n"}},
		{"t/067 TEST 11/12: no body", "GET /nobody HTTP/1.1\r\nHost: t\r\n\r\n" + post("/nobody", ""),
			[]string{"no body\n", "no body\n"}},
		{"t/044 TEST 41: a second reader finds the body taken", post("/twice", "abc") + getNext,
			[]string{"true request body already exists\nnil\n", "next\n"}},
		{"t/044 TEST 19: a discarded body is neither streamed nor parsed", post("/discard", "a=1&b=2") + getNext,
			[]string{"request body discarded\nnil\n", "next\n"}},
		{"receiveuntil splits the body at the boundary, the rest is read whole", post("/until", "one--b--two--b--three"),
			[]string{"one|two|err=closed[three]\n"}},
		{"luring extension: a chunked body through the socket", "POST /echo?n=4 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked("hello, chunked world", 3) + getNext,
			[]string{"hello, chunked world", "next\n"}},
		{"t/044 TEST 1: read_body keeps a small body in memory", post("/read", "hello, world") + getNext,
			[]string{"data [hello, world] [hello, world] hel\n", "next\n"}},
		{"t/044 TEST 43: read_body decodes a chunked body", "POST /read HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked("hello, world", 5),
			[]string{"data [hello, world] [hello, world] hel\n"}},
		{"t/044 TEST 6: read_body of a GET: no data", "GET /read HTTP/1.1\r\nHost: t\r\n\r\n",
			[]string{"data [nil] [nil] nil\n"}},
		{"t/031: get_post_args with multi values and bare keys", post("/post", "a=1&b&a=%202&=x&c=3"),
			[]string{"a=1, 2 b=true c=3 nil\n"}},
		{"t/031 TEST 4-9: max_args counts pairs ended by &", post("/post?max=2", "a=1&=x&b=2") + post("/post?max=2", "a=1&b=2"),
			[]string{"a=1 truncated\n", "a=1 b=2 nil\n"}},
		{"t/031 TEST 2: get_post_args before the body is read raises", post("/unread", "a=1"),
			[]string{"falseno request body found; maybe you should turn on lua_need_request_body?\nfalserequest body not read yet\n"}},
		{"t/044 TEST 11, 31-32: set_body_data, init/append/finish spill past the buffer", post("/set", "orig"),
			[]string{"replaced 8\nnil true 12\n"}},
		{"t/010: lua_need_request_body reads the body first", post("/need", "hello"),
			[]string{"body: hello request body already exists\n"}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			res := exchange(t, s, row.raw, len(row.want))
			for i, want := range row.want {
				assert.Equal(t, 200, res[i].Status)
				assert.Equal(t, want, res[i].Body, "response %d", i)
			}
		})
	}
}

// TestRequestBodyExpectContinue: "100 Continue" is sent when the handler
// asks for the body, not before (t/067 TEST 7, t/044 TEST 42).
func TestRequestBodyExpectContinue(t *testing.T) {
	s := bodyServer(t, portBody, "")
	for _, path := range []string{"/sock5", "/read"} {
		c := s.Dial()
		_, err := io.WriteString(c, "POST "+path+" HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
		require.NoError(t, err)
		br := bufio.NewReader(c)
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "HTTP/1.1 100 Continue\r\n", line)
		line, _ = br.ReadString('\n')
		assert.Equal(t, "\r\n", line)
		_, err = io.WriteString(c, "hello world")
		require.NoError(t, err)
		res := readResponses(t, br, 1)
		assert.Contains(t, res[0].Body, "hello")
	}
}

// TestRequestBodySplits is the property: however the head and the body
// are split across segments (Content-Length and chunked, with a pipelined
// request behind), every body byte reaches the handler once and the next
// request is answered.
func TestRequestBodySplits(t *testing.T) {
	s := bodyServer(t, portBody, "")
	body := "0123456789abcdefghijklmnopqrstuvwxyz"
	for _, framing := range []string{"length", "chunked"} {
		raw := post("/echo?n=7", body)
		if framing == "chunked" {
			raw = "POST /echo?n=7 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, 5)
		}
		raw += getNext
		for cut := 1; cut < len(raw); cut++ {
			c := s.Dial()
			c.(*net.TCPConn).SetNoDelay(true)
			_, err := io.WriteString(c, raw[:cut])
			require.NoError(t, err)
			_, err = io.WriteString(c, raw[cut:])
			require.NoError(t, err)
			res := readResponses(t, bufio.NewReader(c), 2)
			require.Equal(t, body, res[0].Body, "%s cut at %d", framing, cut)
			require.Equal(t, "next\n", res[1].Body, "%s cut at %d", framing, cut)
			c.Close()
		}
	}
}

// TestRequestBodySlowDrip: a client sending one byte per write.
func TestRequestBodySlowDrip(t *testing.T) {
	s := bodyServer(t, portBody, "")
	body := strings.Repeat("drip", 20)
	for _, raw := range []string{post("/echo?n=9", body) + getNext,
		"POST /read HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, 7) + getNext} {
		c := s.Dial()
		c.(*net.TCPConn).SetNoDelay(true)
		for i := range len(raw) {
			_, err := c.Write([]byte{raw[i]})
			require.NoError(t, err)
		}
		res := readResponses(t, bufio.NewReader(c), 2)
		assert.Contains(t, res[0].Body, body)
		assert.Equal(t, "next\n", res[1].Body)
	}
}

// openFds counts the server's open descriptors.
func openFds(t *testing.T, s *testsrv.Server) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.Pid()))
	require.NoError(t, err)
	return len(ents)
}

// tempFiles lists the files under the server's body_temp directory.
func tempFiles(t *testing.T, s *testsrv.Server) []string {
	var out []string
	_ = filepath.WalkDir(s.Path("body_temp"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestRequestBodyAbort: clients that go away half-way through the body.
// The handler gets "client aborted" with what came, the temp file of a
// spilled body is removed, no descriptor stays open, and the worker goes
// on serving.
func TestRequestBodyAbort(t *testing.T) {
	s := bodyServer(t, portBody, "")
	before := openFds(t, s) // no connection yet but perhaps the readiness probe's

	c := s.Dial()
	_, err := io.WriteString(c, "POST /echo?n=100 HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\npartial")
	require.NoError(t, err)
	c.(*net.TCPConn).CloseWrite()
	// The handler answers with the error before the connection closes.
	res := readResponses(t, bufio.NewReader(c), 1)
	assert.Equal(t, "error: client aborted\npartial", res[0].Body)

	// A body that spills to a temp file, abandoned after 4 KiB.
	c = s.Dial()
	_, err = io.WriteString(c, "POST /read HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("x", 4096))
	require.NoError(t, err)
	require.True(t, testsrv.Until(5e9, func() bool { return len(tempFiles(t, s)) == 1 }), "the body goes to a temp file")
	c.Close()
	s.WaitLog(`client prematurely closed connection while reading client request body`, 5e9)
	assert.True(t, testsrv.Until(5e9, func() bool { return len(tempFiles(t, s)) == 0 }), "the temp file is removed")

	assert.Equal(t, "next\n", s.Get("/get").Body)
	assert.True(t, testsrv.Until(5e9, func() bool { return openFds(t, s) <= before }), "descriptors: %d before, %d after", before, openFds(t, s))
}

// TestRequestBodyLargeThroughSocket: a body far bigger than
// client_body_buffer_size streams through ngx.req.socket with no temp
// file; read with read_body it goes to one, removed at the end.
func TestRequestBodyLargeThroughSocket(t *testing.T) {
	s := bodyServer(t, portBody, "")
	body := strings.Repeat("0123456789", 50000) // 500 KB, the buffer is 1k
	res := exchange(t, s, post("/echo?n=8192", body)+getNext, 2)
	assert.Equal(t, len(body), len(res[0].Body))
	assert.Equal(t, body, res[0].Body)
	assert.Empty(t, tempFiles(t, s))
	assert.NotContains(t, s.ErrorLog(), "temporary file")

	res = exchange(t, s, post("/read", body), 1)
	assert.Equal(t, "file 500000 true\n", res[0].Body)
	assert.Empty(t, tempFiles(t, s))
}

// TestRequestBodyInFileOnly: client_body_in_file_only on keeps the file.
func TestRequestBodyInFileOnly(t *testing.T) {
	s := bodyServer(t, portBodyFile, "    client_body_in_file_only on;")
	res := exchange(t, s, post("/read", "small"), 1)
	assert.Equal(t, "file 5 true\n", res[0].Body)
	files := tempFiles(t, s)
	require.Len(t, files, 1)
	assert.Regexp(t, `/body_temp/\d{10}$`, files[0])
}

// TestRequestBodyTooLarge: client_max_body_size answers 413 before reading
// a Content-Length body, and as soon as a chunked one passes it.
func TestRequestBodyTooLarge(t *testing.T) {
	s := bodyServer(t, portBody, "    client_max_body_size 10;")
	res := exchange(t, s, post("/read", "more than ten bytes"), 1)
	assert.Equal(t, 413, res[0].Status)
	res = exchange(t, s, "POST /read HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"+chunked("more than ten bytes", 4), 1)
	assert.Equal(t, 413, res[0].Status)
	assert.Equal(t, "next\n", s.Get("/get").Body)
}

// TestRawRequestSocket: ngx.req.socket(true) after a flush (t/116 TEST 1,
// 4-8): the output API is refused, the socket reads what the client sends
// next and writes straight to it.
func TestRawRequestSocket(t *testing.T) {
	s := bodyServer(t, portBody, "")
	c := s.Dial()
	_, err := io.WriteString(c, "GET /raw HTTP/1.1\r\nHost: t\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, res.StatusCode)
	// The chunked body so far: "before\n", then the refusal before the flush.
	line := func() string { l, err := br.ReadString('\n'); require.NoError(t, err); return l }
	assert.Equal(t, "1d\r\n", line())
	assert.Equal(t, "before\n", line())
	assert.Equal(t, "pending data to write\n", line())
	assert.Equal(t, "\r\n", line())
	_, err = io.WriteString(c, "hellothe line\r\n")
	require.NoError(t, err)
	assert.Equal(t, "raw got [hello]\n", line())
	assert.Equal(t, "line [the line]\n", line())
	_, err = br.ReadByte()
	assert.Equal(t, io.EOF, err, "the connection closes after the handler")
	s.WaitLog(`raw: raw request socket acquired, duplicate call`, 5e9)
}

// wsFrame is a masked client frame.
func wsFrame(op byte, payload string) []byte {
	mask := [4]byte{0x11, 0x22, 0x33, 0x44}
	b := []byte{0x80 | op, 0x80 | byte(len(payload))}
	b = append(b, mask[:]...)
	for i := range len(payload) {
		b = append(b, payload[i]^mask[i%4])
	}
	return b
}

// TestRawRequestSocketWebSocket: a WebSocket handshake and masked frames
// over the raw socket, with a client written here. (The accept value is
// computed by the test and handed in a header: ngx.sha1_bin and
// ngx.encode_base64 come with the runtime APIs.)
func TestRawRequestSocketWebSocket(t *testing.T) {
	s := bodyServer(t, portBody, "")
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	accept := base64.StdEncoding.EncodeToString(sum[:])
	c := s.Dial()
	_, err := io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: "+key+"\r\nSec-WebSocket-Version: 13\r\nX-Accept: "+accept+"\r\n\r\n")
	require.NoError(t, err)
	// The first frame goes in the same segment as the handshake's end.
	_, err = c.Write(wsFrame(1, "hello"))
	require.NoError(t, err)
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, 101, res.StatusCode)
	assert.Equal(t, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", res.Header.Get("Sec-WebSocket-Accept"))
	frame := func() (byte, string) {
		h := make([]byte, 2)
		_, err := io.ReadFull(br, h)
		require.NoError(t, err)
		p := make([]byte, h[1]&0x7f)
		_, err = io.ReadFull(br, p)
		require.NoError(t, err)
		return h[0], string(p)
	}
	op, text := frame()
	assert.Equal(t, byte(0x81), op)
	assert.Equal(t, "echo: hello", text)
	_, err = c.Write(wsFrame(1, strings.Repeat("é", 30)))
	require.NoError(t, err)
	_, text = frame()
	assert.Equal(t, "echo: "+strings.Repeat("é", 30), text)
	_, err = c.Write(wsFrame(8, ""))
	require.NoError(t, err)
	op, _ = frame()
	assert.Equal(t, byte(0x88), op)
	// No status was set: nginx logs 000, and what the socket sent as the
	// body's bytes.
	sent := len("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: "+accept+"\r\n\r\n") + 2*2 + len("echo: hello") + len("echo: "+strings.Repeat("é", 30)) + 2
	assert.True(t, testsrv.Until(5e9, func() bool {
		return strings.Contains(s.ReadFile("logs/ws.log"), fmt.Sprintf(`"GET /ws HTTP/1.1" 000 %d `, sent))
	}), "access log: %s", s.ReadFile("logs/ws.log"))
}

// TestRawRequestSocketBodyBusy: the raw socket is refused while another
// light thread reads the body (t/116 TEST 14).
func TestRawRequestSocketBodyBusy(t *testing.T) {
	s := bodyServer(t, portBody, "")
	c := s.Dial()
	_, err := io.WriteString(c, "POST /rawbusy HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello")
	require.NoError(t, err)
	_, err = io.WriteString(c, "world")
	require.NoError(t, err)
	res := readResponses(t, bufio.NewReader(c), 1)
	assert.Equal(t, "pending request body reading in some other thread\nhelloworld\n", res[0].Body)
}

// TestOnAbort: ngx.on_abort with lua_check_client_abort: the function runs
// as a light thread when the client goes away and ends the request; off,
// it is refused.
func TestOnAbort(t *testing.T) {
	s := bodyServer(t, portBody, "")
	assert.Equal(t, "nillua_check_client_abort is off\n", s.Get("/onabort-off").Body)
	c := s.Dial()
	_, err := io.WriteString(c, "GET /onabort HTTP/1.1\r\nHost: t\r\n\r\n")
	require.NoError(t, err)
	s.WaitLog(`on_abort: 1, again: duplicate call`, 5e9)
	c.Close()
	s.WaitLog(`\[warn\].*on_abort ran`, 5e9)
	assert.Equal(t, "next\n", s.Get("/get").Body)
	assert.NotContains(t, s.ErrorLog(), "the handler was not ended")
}
