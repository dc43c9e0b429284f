package ngx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/luring/luring/conf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLog(t *testing.T) {
	h := newHarness(t, debugConfig())
	levels := []struct{ name, tag string }{
		{"STDERR", ""}, {"EMERG", "emerg"}, {"ALERT", "alert"}, {"CRIT", "crit"}, {"ERR", "error"},
		{"WARN", "warn"}, {"NOTICE", "notice"}, {"INFO", "info"}, {"DEBUG", "debug"},
	}
	var rows []spec
	for i, lv := range levels {
		tag := lv.tag
		if tag == "" {
			tag = "stderr"
		}
		rows = append(rows, spec{
			name: "t/009-log.t TEST " + string(rune('1'+i)) + ": log-level " + lv.name,
			src:  "\nngx.say(\"before log\")\nngx.log(ngx." + lv.name + ", \"hello, log\", 1234, 3.14159)\nngx.say(\"after log\")",
			body: "before log\nafter log\n",
			logs: []string{"[" + tag + "] [lua] content_by_lua(nginx.conf:40):3: hello, log12343.14159"},
		})
	}
	rows = append(rows, []spec{
		{name: "t/009-log.t TEST 10: print()", src: "\nprint(\"hello, world\")\nngx.say(\"done\")", body: "done\n",
			logs: []string{"[notice] [lua] content_by_lua(nginx.conf:40):2: hello, world"}},
		{name: "t/009-log.t TEST 11: print(nil)", src: "print(nil)", logs: []string{"[lua] content_by_lua(nginx.conf:40):1: nil"}},
		{name: "t/009-log.t TEST 13: booleans and nil", src: "ngx.log(ngx.ERR, true, false, nil)", logs: []string{"[lua] content_by_lua(nginx.conf:40):1: truefalsenil"}},
		{name: "t/009-log.t TEST 14: table with __tostring", src: `ngx.log(ngx.ERR, setmetatable({v = "value"}, {__tostring = function(s) return "tostring " .. s.v end}))`,
			logs: []string{"[error] [lua] content_by_lua(nginx.conf:40):1: tostring value"}},
		{name: "t/009-log.t TEST 15: table without __tostring", src: `ngx.log(ngx.ERR, {}) ngx.say("done")`, result: failed,
			logs: []string{"bad argument #1 to 'log' (expected table to have __tostring metamethod)"}},
		{name: "t/009-log.t TEST 21: function names", src: `
local foo
local bar
function foo()
    bar()
end

function bar()
    ngx.log(ngx.ERR, "hello, log", 1234, 3.14159)
end

foo()
ngx.say("done")`, body: "done\n", logs: []string{"[error] [lua] content_by_lua(nginx.conf:40):9: bar(): hello, log12343.14159"}},
		{name: "t/009-log.t TEST 24: bad level ngx.ERROR", src: `ngx.log(ngx.ERROR, "hello lua")`, result: failed, logs: []string{"bad argument #1 to 'log' (bad log level: -1)"}},
		{name: "t/009-log.t TEST 25: bad level 9", src: `ngx.log(9, "hello lua")`, result: failed, logs: []string{"bad log level: 9"}},
		{name: "t/069-null.t TEST 4: log ngx.null", src: `ngx.log(ngx.ERR, "null: ", ngx.null)`, logs: []string{"[lua] content_by_lua(nginx.conf:40):1: null: null"}},
		{name: "bad argument type", src: `ngx.log(ngx.ERR, "a", print)`, result: failed,
			logs: []string{"bad argument #2 to 'log' (string, number, boolean, or nil expected, got function)"}},
		{name: "numbers via %.14g", src: `ngx.log(ngx.ERR, 1e15, " ", 1/3)`, logs: []string{"1e+15 0.33333333333333"}},
		{name: "ngx.log allowed in log_by_lua", phase: inLog, src: `ngx.log(ngx.WARN, "in log")`,
			logs: []string{"[warn] [lua] log_by_lua(nginx.conf:40):1: in log"}},
		{name: "location error_log level filters", src: `ngx.log(ngx.INFO, "quiet") ngx.log(ngx.WARN, "loud")`,
			setup: func(x *fakeX) {
				x.loc = &conf.Location{Settings: conf.Settings{ErrorLogs: []conf.ErrorLog{{Level: conf.LogWarn}}}}
			}, logs: []string{"loud"}, nologs: []string{"quiet"}},
	}...)
	runSpecs(t, h, rows)
}

// t/009-log.t TEST 23: the source of a file handler is its basename.
func TestLogFileSource(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "test.lua")
	require.NoError(t, os.WriteFile(path, []byte("local foo\nlocal bar\nfunction foo()\n    bar()\nend\n\nfunction bar()\n    ngx.log(ngx.ERR, \"hello, log\", 1234, 3.14159)\nend\n\nfoo()\nngx.say(\"done\")\n"), 0o644))
	h := newHarness(t, nil)
	code := &conf.LuaCode{Tag: "content_by_lua", Source: path, IsFile: true, ChunkName: "@" + path}
	for range 2 {
		x := newFakeX(h.l)
		res := h.run(x, inContent.phase(), code)
		assert.Equal(t, "done\n", x.body.String(), "%v %v", res, x.logs)
		assert.Contains(t, x.logs, "[error] [lua] test.lua:8: bar(): hello, log12343.14159")
	}
}

// The default error_log level (error) drops ngx.log below it without
// even checking the arguments, as ngx_lua does.
func TestLogDefaultLevelFilters(t *testing.T) {
	h := newHarness(t, nil)
	runSpecs(t, h, []spec{
		{name: "warn dropped, bad args unchecked", src: `ngx.log(ngx.WARN, {}) print("x") ngx.log(ngx.ERR, "kept")`,
			logs: []string{"[error] [lua] content_by_lua(nginx.conf:40):1: kept"}, nologs: []string{"[warn]", "[notice]"}},
	})
}
