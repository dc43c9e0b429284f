package ngx

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/luring/luring/conf"
)

func TestExitStatusHeader(t *testing.T) {
	h := newHarness(t, debugConfig())
	runSpecs(t, h, []spec{
		// ngx.exit
		{name: "t/005-exit.t TEST 1: throw 403", src: `ngx.exit(403) ngx.say("unreachable")`, result: exitWith(403)},
		{name: "t/005-exit.t TEST 10: throw 0", src: `ngx.say("Hi") ngx.exit(0) ngx.say("world")`, body: "Hi\n"},
		{name: "t/005-exit.t TEST 11: pcall safe", src: `pcall(ngx.exit, 503) ngx.say("unreachable")`, result: exitWith(503)},
		{name: "exit inside a function inside pcall stops the thread", src: `local ok = pcall(function() ngx.say("a") ngx.exit(200) end) ngx.say("b")`,
			body: "a\n", result: exitWith(200)},
		{name: "t/005-exit.t TEST 14: throw 403 after sending out headers with 200", phase: inRewrite,
			src: `ngx.send_headers() ngx.say("Hello World") ngx.exit(403)`, body: "Hello World\n", result: exitWith(200),
			logs: []string{"[error] attempt to set status 403 via ngx.exit after sending out the response status 200"}},
		{name: "t/005-exit.t TEST 15: throw 403 after sending out headers with 403", phase: inRewrite,
			src: `ngx.status = 403 ngx.send_headers() ngx.say("Hello World") ngx.exit(403)`, body: "Hello World\n", result: exitWith(200),
			nologs: []string{"[error]"}},
		{name: "exit(ngx.OK) in access goes on", phase: inAccess, src: `ngx.exit(ngx.OK)`},
		{name: "exit(ngx.ERROR) closes like 444", src: `ngx.exit(ngx.ERROR)`, result: exitWith(444)},
		{name: "exit(ngx.HTTP_CLOSE)", src: `ngx.exit(ngx.HTTP_CLOSE)`, result: exitWith(444)},
		{name: "exit(ngx.AGAIN) is refused", src: `ngx.exit(ngx.AGAIN)`, result: failed,
			logs: []string{"content_by_lua(nginx.conf:40):1: bad argument to 'ngx.exit': does not accept NGX_AGAIN or NGX_DONE"}},
		{name: "exit(ngx.DONE) is refused", src: `ngx.exit(ngx.DONE)`, result: failed,
			logs: []string{"bad argument to 'ngx.exit': does not accept NGX_AGAIN or NGX_DONE"}},
		{name: "exit in log_by_lua", phase: inLog, src: `ngx.exit(200)`, result: failed,
			logs: []string{"API disabled in the context of log_by_lua*"}},
		{name: "exit with a string", src: `ngx.exit("x")`, result: failed, logs: []string{"bad argument #1 to 'exit' (number expected, got string)"}},
		{name: "exit from a light thread ends every thread", src: `
			ngx.thread.spawn(function() ngx.sleep(0.001) ngx.say("t") ngx.exit(201) end)
			ngx.sleep(1) ngx.say("entry")`, body: "t\n", result: exitWith(201)},

		// ngx.status
		{name: "t/015-status.t TEST 3: default to 0", src: `ngx.say(ngx.status)`, body: "0\n"},
		{name: "t/015-status.t TEST 5: set 201", src: `ngx.status = 201 ngx.say(ngx.status)`, body: "201\n", status: 201},
		{name: "t/015-status.t TEST 6: set \"201\"", src: `ngx.status = "201" ngx.say("created")`, body: "created\n", status: 201},
		{name: "t/015-status.t TEST 7: set \"201.7\"", src: `ngx.status = "201.7" ngx.say("created")`, body: "created\n", status: 201, nologs: []string{"[error]"}},
		{name: "t/015-status.t TEST 8: set \"abc\"", src: `ngx.status = "abc" ngx.say("created")`, result: failed},
		{name: "t/015-status.t TEST 9: set blah", src: `ngx.blah = 201 ngx.say(ngx.blah)`, body: "201\n", nologs: []string{"[error]"}},
		{name: "status after headers sent is logged and ignored", src: `ngx.say("a") ngx.status = 404 ngx.say(ngx.status)`, body: "a\n200\n",
			logs: []string{"[error] attempt to set ngx.status after sending out response headers"}},
		{name: "invalid status is logged and ignored", src: `ngx.status = 1000 ngx.status = 99 ngx.say(ngx.status)`, body: "0\n",
			logs: []string{"invalid HTTP status code 1000", "invalid HTTP status code 99"}},
		{name: "status readable in log_by_lua", phase: inLog, src: `ngx.log(ngx.ERR, "status: ", ngx.status)`,
			setup: func(x *fakeX) { x.status, x.sent = 404, true }, logs: []string{"status: 404"}},

		// ngx.header
		{name: "t/016-resp-header.t TEST 1: set content-type", src: `ngx.header.content_type = "text/html" ngx.say("Hi")`, body: "Hi\n",
			headers: map[string][]string{"Content-Type": {"text/html"}}},
		{name: "t/016-resp-header.t TEST 6: multi value header", src: `ngx.header["X-Foo"] = {"a", "bc"} ngx.say(#ngx.header.x_foo, ngx.header["x-foo"][2])`,
			body: "2bc\n", headers: map[string][]string{"X-Foo": {"a", "bc"}}},
		{name: "t/016-resp-header.t TEST 8: set multi then clear with {}", src: `ngx.header.x_foo = {"a", "b"} ngx.header.x_foo = {} ngx.say(ngx.header.x_foo)`,
			body: "nil\n", headers: map[string][]string{"X-Foo": nil}},
		{name: "t/016-resp-header.t TEST 11: clear first, then add", src: `ngx.header.foo = nil ngx.header.foo = "bar" ngx.say(ngx.header.Foo)`,
			body: "bar\n", headers: map[string][]string{"foo": {"bar"}}},
		{name: "t/016-resp-header.t TEST 15: set header after ngx.print", src: `ngx.print("hello") ngx.header.content_type = "text/html"`,
			body: "hello", logs: []string{"[error] attempt to set ngx.header.HEADER after sending out response headers"},
			headers: map[string][]string{"Content-Type": nil}},
		{name: "numbers and booleans are tostring'ed", src: `ngx.header.x_num = 1e15 ngx.header.x_bool = true ngx.header[3] = 4`,
			headers: map[string][]string{"X-Num": {"1e+15"}, "X-Bool": {"true"}, "3": {"4"}}},
		{name: "case-insensitive read", src: `ngx.header["X-Up"] = "v" ngx.say(ngx.header.x_up, ngx.header["X-UP"])`, body: "vv\n"},
		{name: "t/016-resp-header.t TEST 87: unsafe bytes in values are escaped", src: `ngx.header.foo = "value\rfoo:bar\nbar:foo"`,
			headers: map[string][]string{"foo": {"value%0Dfoo:bar%0Abar:foo"}}},
		{name: "t/016-resp-header.t TEST 89: unsafe bytes in names are escaped", src: `ngx.header["foo:bar"] = "1"`,
			headers: map[string][]string{"foo%3Abar": {"1"}}},
		{name: "t/016-resp-header.t TEST 2: an invalid content_length fails the handler", src: `ngx.header.content_length = "text/my-plain" ngx.say("Hi")`,
			result: failed, logs: []string{"content_by_lua(nginx.conf:40):1: failed to set header"}},
		{name: "t/016-resp-header.t TEST 3: content_length from a number", src: `ngx.header.content_length = 3 ngx.print("Hi\n")`,
			body: "Hi\n", headers: map[string][]string{"Content-Length": {"3"}}},
		{name: "t/016-resp-header.t TEST 44: no transform underscores (write)", src: `ngx.header.foo_bar = "Hello" ngx.say(ngx.header.foo_bar) ngx.say(ngx.header["foo-bar"])`,
			setup: func(x *fakeX) { x.loc = &conf.Location{Settings: conf.Settings{LuaTransformUnderscores: false}} },
			body:  "Hello\nnil\n", headers: map[string][]string{"foo_bar": {"Hello"}, "foo-bar": nil}},
		{name: "t/016-resp-header.t TEST 45: with transform underscores (write)", src: `ngx.header.foo_bar = "Hello" ngx.say(ngx.header.foo_bar) ngx.say(ngx.header["foo-bar"])`,
			setup: func(x *fakeX) { x.loc = &conf.Location{Settings: conf.Settings{LuaTransformUnderscores: true}} },
			body:  "Hello\nHello\n", headers: map[string][]string{"foo-bar": {"Hello"}}},
		// ngx.resp.get_headers
		{name: "t/016-resp-header.t TEST 63: random access resp headers", src: `
			ngx.header["Foo"] = "bar" ngx.header["Bar"] = "baz"
			local h = ngx.resp.get_headers()
			ngx.say(h["Foo"], " ", h.foo, " ", h.bar, " ", h.connection, " ", h.content_type)`,
			body: "bar bar baz keep-alive nil\n"},
		{name: "t/016-resp-header.t TEST 64: iterating through raw resp headers", src: `
			ngx.header["Foo"] = "bar" ngx.header["Bar"] = "baz"
			local got = {}
			for k, v in pairs(ngx.resp.get_headers(nil, true)) do got[#got + 1] = k .. "=" .. v end
			table.sort(got)
			ngx.say(table.concat(got, ","), " ", ngx.resp.get_headers(nil, true).foo)`,
			body: "Bar=baz,Connection=keep-alive,Foo=bar nil\n"},
		{name: "t/016-resp-header.t TEST 65: removed response headers", src: `
			ngx.header["Foo"] = "bar" ngx.header["Foo"] = nil ngx.header["Bar"] = "baz"
			local h = ngx.resp.get_headers()
			ngx.say(h.foo, " ", h.bar)`, body: "nil baz\n"},
		{name: "content type and length first, chunked framing, several values", src: `
			ngx.header.content_type = "text/html" ngx.header["X-M"] = {"a", "b"}
			local h = ngx.resp.get_headers()
			ngx.say(h["content-type"], " ", h["transfer-encoding"], " ", h["connection"], " ", #h["x-m"])`,
			setup: func(x *fakeX) { x.connection, x.chunked = "close", true },
			body:  "text/html chunked close 2\n"},
		{name: "t/016-resp-header.t TEST 75: exceeding max header limit (default 100)", src: `
			for i = 1, 100 do ngx.header["Foo" .. i] = "Foo" end
			local h, err = ngx.resp.get_headers()
			local cnt = 0 for k in pairs(h) do cnt = cnt + 1 end ngx.say(err or "ok", " ", cnt)`, body: "truncated 100\n", logs: []string{"lua exceeding response header limit 101 > 100"}},
		{name: "t/016-resp-header.t TEST 76: NOT exceeding max header limit (default 100)", src: `
			for i = 1, 99 do ngx.header["Foo" .. i] = "Foo" end
			local h, err = ngx.resp.get_headers()
			local cnt = 0 for k in pairs(h) do cnt = cnt + 1 end ngx.say(err or "ok", " ", cnt)`, body: "ok 100\n", nologs: []string{"lua exceeding response header limit"}},
		{name: "t/016-resp-header.t TEST 77: exceeding max header limit (custom limit, 3)", src: `
			for i = 1, 3 do ngx.header["Foo" .. i] = "Foo" end
			local h, err = ngx.resp.get_headers(3)
			local cnt = 0 for k in pairs(h) do cnt = cnt + 1 end ngx.say(err or "ok", " ", cnt)`, body: "truncated 3\n", logs: []string{"lua exceeding response header limit 4 > 3"}},
		{name: "t/016-resp-header.t TEST 78: NOT exceeding max header limit (custom limit, 3)", src: `
			for i = 1, 2 do ngx.header["Foo" .. i] = "Foo" end
			local h, err = ngx.resp.get_headers(3)
			local cnt = 0 for k in pairs(h) do cnt = cnt + 1 end ngx.say(err or "ok", " ", cnt)`, body: "ok 3\n"},
		{name: "header read in log_by_lua", phase: inLog, src: `ngx.log(ngx.ERR, "ct: ", ngx.header.content_type)`,
			setup: func(x *fakeX) { x.SetResponseHeader("Content-Type", []string{"text/plain"}); x.sent = true },
			logs:  []string{"ct: text/plain"}},
	})
}

func TestExitStopsLightThreadsTimers(t *testing.T) {
	h := newHarness(t, nil)
	x := newFakeX(h.l)
	code := inline("content_by_lua", `
		local t = ngx.thread.spawn(function() ngx.sleep(5) ngx.say("late") end)
		ngx.exit(200)`)
	res := h.run(x, inContent.phase(), code)
	assert.Equal(t, *exitWith(200), res)
	h.onLoop(func() {
		rq := x.ctx.(*request)
		assert.False(t, rq.active)
		assert.Empty(t, rq.threads)
		assert.Equal(t, "", x.body.String())
	})
}
