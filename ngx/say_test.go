package ngx

import (
	"testing"

	"github.com/luring/luring/conf"
	"github.com/stretchr/testify/assert"
)

// debugConfig lets every log level through.
func debugConfig() *conf.Config {
	return &conf.Config{Main: conf.Main{ErrorLogs: []conf.ErrorLog{{Stderr: true, Level: conf.LogDebug}}}}
}

func TestSay(t *testing.T) {
	h := newHarness(t, debugConfig())
	runSpecs(t, h, []spec{
		{name: "t/002-content.t TEST 1: basic print", src: `ngx.print("Hello, Lua!\n")`, body: "Hello, Lua!\n", status: 200},
		{name: "t/002-content.t TEST 2: basic say", src: `ngx.say("Hello, Lua!") ngx.say("Yay! ", 123)`, body: "Hello, Lua!\nYay! 123\n"},
		{name: "t/002-content.t TEST 10: nil is nil", src: `ngx.say(nil)`, body: "nil\n"},
		{name: "t/002-content.t TEST 11: write boolean", src: `ngx.say(true, " ", false)`, body: "true false\n"},
		{name: "t/002-content.t TEST 38: print table arguments", src: `ngx.print({10, {0, 5}, 15}, 32)`, body: "10051532"},
		{name: "t/002-content.t TEST 39: say table arguments", src: `ngx.say({10, {0, "5"}, 15}, 32)`, body: "10051532\n"},
		{name: "t/069-null.t TEST 2: output ngx.null", src: `ngx.say("ngx.null: ", ngx.null)`, body: "ngx.null: null\n"},
		{name: "t/069-null.t TEST 3: output ngx.null in a table", src: `ngx.say({"ngx.null: ", ngx.null})`, body: "ngx.null: null\n"},
		// -0 prints as 0: ngx_lua writes integral numbers with %d (observed on the reference, compat/).
		{name: "numbers as LuaJIT renders them (%.14g)", src: `ngx.say(1e15, " ", 1/3, " ", 2^53, " ", -0.0, " ", 3.0, " ", 1/0)`,
			body: "1e+15 0.33333333333333 9.007199254741e+15 0 3 inf\n"},
		{name: "holes in an array table render as nil", src: `ngx.say({1, nil, 3})`, body: "1nil3\n"},
		{name: "return value is 1", src: `local ok, err = ngx.say("x") ngx.say(ok, err)`, body: "x\n1nil\n"},
		{name: "empty print sends the headers only", src: `local ok = ngx.print() ngx.say(ok, ngx.headers_sent)`, body: "1true\n"},
		{name: "bad type raises argError (function)", src: "\nngx.say('a', print)", body: "", result: failed, status: 0,
			logs: []string{"[error] lua entry thread aborted: runtime error: content_by_lua(nginx.conf:40):2: bad argument #2 to 'say' (string, number, boolean, nil, ngx.null, or array table expected, but got function)\nstack traceback:\ncoroutine 0:\n"}},
		{name: "non-array table", src: `ngx.print({a = 1})`, result: failed,
			logs: []string{"bad argument #1 to 'print' (non-array table found)"}},
		{name: "bad element type in a table", src: `ngx.say("x", {1, {true, print}})`, result: failed,
			logs: []string{"bad argument #2 to 'say' (bad data type function found)"}},
		{name: "t/092-eof.t: say after eof is nil, seen eof", src: `ngx.say("a") ngx.eof() local ok, err = ngx.say("b") ngx.log(ngx.ERR, ok, " ", err)`,
			body: "a\n", logs: []string{"nil seen eof"}, check: func(t *testing.T, x *fakeX) { assert.True(t, x.finished) }},
		{name: "t/002-content.t TEST 28: multiple eof", src: `ngx.say("hi") ngx.eof() local ok, err = ngx.eof() ngx.log(ngx.WARN, "eof: ", ok, " ", err)`,
			body: "hi\n", logs: []string{"eof: nil seen eof"}},
		{name: "t/002-content.t TEST 34: HEAD & ngx.say", src: `ngx.say("a") local ok, err = ngx.say("b") ngx.log(ngx.ERR, ok, " ", err)`,
			setup: func(x *fakeX) { x.method = "HEAD" }, body: "a\n", logs: []string{"nil header only"}},
		{name: "ngx.send_headers then headers_sent", src: `ngx.status = 201 ngx.say(ngx.headers_sent) ngx.send_headers() ngx.say(ngx.headers_sent)`,
			body: "false\ntrue\n", status: 201},
		{name: "t/056-flush.t: flush without wait", src: `ngx.say("a") local ok, err = ngx.flush() ngx.say(ok, err)`, body: "a\n1nil\n",
			check: func(t *testing.T, x *fakeX) { assert.Equal(t, 1, x.flushes) }},
		{name: "t/056-flush.t: flush(true) waits for the send", src: `ngx.say("a") local ok, err = ngx.flush(true) ngx.say(ok, err)`, body: "a\n1nil\n"},
		{name: "flush(true) inside pcall waits for the send", src: `ngx.say("a") local ok, err = pcall(ngx.flush, true) ngx.say(ok, err)`,
			body: "a\ntrue1\n"},
		{name: "flush(true) reports a broken connection", src: `ngx.say("a") local ok, err = ngx.flush(true) ngx.log(ngx.ERR, ok, " ", err)`,
			setup: func(x *fakeX) { x.flushErr = assert.AnError }, body: "a\n", logs: []string{"nil client aborted"}},
		{name: "flush before anything was sent: nothing to flush", src: `local ok, err = ngx.flush() ngx.say(ok, err)`, body: "nilnothing to flush\n"},
		{name: "flush with a non-boolean", src: `ngx.flush(1)`, result: failed, logs: []string{"bad argument #1 to 'flush' (boolean expected, got number)"}},
		{name: "flush with two arguments", src: `ngx.flush(true, 1)`, result: failed, logs: []string{"attempt to pass 2 arguments, but accepted 0 or 1"}},
		{name: "eof with an argument", src: `ngx.eof(1)`, result: failed, logs: []string{"no argument is expected"}},
		{name: "say in log_by_lua", phase: inLog, src: `ngx.say("x")`, result: failed,
			logs: []string{"API disabled in the context of log_by_lua*"}},
		{name: "flush in log_by_lua", phase: inLog, src: `ngx.flush()`, result: failed,
			logs: []string{"API disabled in the context of log_by_lua*"}},
		{name: "send_headers in log_by_lua", phase: inLog, src: `ngx.send_headers()`, result: failed,
			logs: []string{"API disabled in the context of log_by_lua*"}},
		{name: "say in rewrite_by_lua ends the request", phase: inRewrite, src: `ngx.say("early")`, body: "early\n", result: exitWith(200),
			check: func(t *testing.T, x *fakeX) { assert.True(t, x.finished) }},
		{name: "say in access_by_lua with a status", phase: inAccess, src: `ngx.status = 403 ngx.say("no")`, body: "no\n", result: exitWith(403)},
	})
}
