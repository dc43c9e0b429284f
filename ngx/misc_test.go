package ngx

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVarCtxReqWorker(t *testing.T) {
	h := newHarness(t, debugConfig())
	withVars := func(x *fakeX) {
		x.vars["foo"] = "bar"
		x.vars["empty"] = ""
		x.settable["foo"] = true
		x.captures = []string{"first", "second"}
	}
	runSpecs(t, h, []spec{
		// ngx.var
		{name: "read a variable", src: `ngx.say(ngx.var.foo, " ", ngx.var["empty"] == "", " ", ngx.var.missing)`, setup: withVars, body: "bar true nil\n"},
		{name: "t/045-ngx-var.t TEST 5: variable name is caseless", src: `ngx.say(ngx.var.FOO)`, setup: withVars, body: "bar\n"},
		{name: "t/045-ngx-var.t TEST 1: set to nil", src: `ngx.var.foo = 32 ngx.say(ngx.var.foo) ngx.var.foo = nil ngx.say(ngx.var.foo)`,
			setup: withVars, body: "32\nnil\n"},
		{name: "numeric captures", src: `ngx.say(ngx.var[1], ngx.var[2], ngx.var[3], ngx.var[0])`, setup: withVars, body: "firstsecondnilnil\n"},
		{name: "t/045-ngx-var.t TEST 9: get a bad variable name", src: `ngx.say(ngx.var[true])`, result: failed, logs: []string{"bad variable name"}},
		{name: "t/045-ngx-var.t TEST 10: set a bad variable name", src: `ngx.var[1] = 1`, result: failed, logs: []string{"bad variable name"}},
		{name: "t/045-ngx-var.t TEST 11: set a variable that is not changeable", src: `ngx.var.query_string = 32`, result: failed,
			logs: []string{`content_by_lua(nginx.conf:40):1: variable "query_string" not changeable`}},
		{name: "set an undeclared variable", src: `ngx.var.nope = 1`, result: failed,
			logs: []string{`variable "nope" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set $nope '';" in the config file to define it first`}},
		{name: "ngx.var in log_by_lua", phase: inLog, src: `ngx.log(ngx.ERR, "foo=", ngx.var.foo)`, setup: withVars, logs: []string{"foo=bar"}},

		// ngx.ctx
		{name: "t/033-ctx.t TEST 1: sanity", src: `ngx.ctx.foo = 32 ngx.say(ngx.ctx.foo) ngx.ctx.foo = ngx.ctx.foo + 1 ngx.say(ngx.ctx.foo)`, body: "32\n33\n"},
		{name: "t/033-ctx.t TEST 5: overriding ctx", src: `ngx.ctx = {foo = 32, bar = 54} ngx.say(ngx.ctx.foo, ngx.ctx.bar) ngx.ctx = {baz = 56} ngx.say(ngx.ctx.foo, ngx.ctx.baz)`,
			body: "3254\nnil56\n"},
		{name: "ctx must be a table", src: `ngx.ctx = 1`, result: failed, logs: []string{"ctx should be a table while getting a number"}},
		{name: "ctx is fresh per request", src: `ngx.say(ngx.ctx.seen) ngx.ctx.seen = true`, body: "nil\n"},

		// ngx.req
		{name: "t/088-req-method.t: get_method", src: `ngx.say(ngx.req.get_method())`, setup: func(x *fakeX) { x.method = "POST" }, body: "POST\n"},
		{name: "t/103-req-http-ver.t: http_version", src: `ngx.say(ngx.req.http_version())`, setup: func(x *fakeX) { x.version = 1.0 }, body: "1\n"},
		{name: "t/030-uri-args.t TEST 1/2/6: get_uri_args", src: `
			local args = ngx.req.get_uri_args()
			local keys = {} for k in pairs(args) do keys[#keys + 1] = k end table.sort(keys)
			for _, k in ipairs(keys) do local v = args[k] if type(v) == "table" then v = table.concat(v, ",") end ngx.say(k, ": ", v) end`,
			setup: func(x *fakeX) { x.args = "a=3&b=4&c&a=5&d=&=x&e=a%20b+c&f=x=y&g=%zz" },
			body:  "a: 3,5\nb: 4\nc: true\nd: \ne: a b c\nf: x=y\ng: %zz\n"},
		{name: "t/030-uri-args.t TEST 34: max_args truncates", src: `local args, err = ngx.req.get_uri_args(2) local n = 0 for _ in pairs(args) do n = n + 1 end ngx.say(n, " ", err)`,
			setup: func(x *fakeX) { x.args = "a=1&b=2&c=3" }, body: "2 truncated\n"},
		{name: "get_uri_args fills the given table", src: `local t = {old = 1} local r = ngx.req.get_uri_args(0, t) ngx.say(r == t, t.old, t.x)`,
			setup: func(x *fakeX) { x.args = "x=1" }, body: "truenil1\n"},
		{name: "t/028-req-header.t TEST 1/16: get_headers", src: `
			local h = ngx.req.get_headers()
			ngx.say(h.host, " ", h["User-Agent"], " ", h.user_agent, " ", #h.x_multi, " ", h["x-multi"][2])`,
			setup: func(x *fakeX) {
				x.reqHdrs = append(x.reqHdrs, httpd.Header{Name: "User-Agent", Value: "curl"},
					httpd.Header{Name: "X-Multi", Value: "a"}, httpd.Header{Name: "x-multi", Value: "b"})
			}, body: "localhost curl curl 2 b\n"},
		{name: "t/028-req-header.t TEST 29: raw get_headers", src: `local h = ngx.req.get_headers(nil, true) ngx.say(h.Host, " ", h.host, " ", getmetatable(h))`,
			body: "localhost nil nil\n"},
		{name: "t/028-req-header.t TEST 19: max_headers truncates", src: `local h, err = ngx.req.get_headers(1) ngx.say(h.host, " ", h.a, " ", err)`,
			setup: func(x *fakeX) { x.reqHdrs = append(x.reqHdrs, httpd.Header{Name: "A", Value: "1"}) }, body: "localhost nil truncated\n"},
		{name: "is_subrequest is false", src: `ngx.say(ngx.is_subrequest)`, body: "false\n"},

		// ngx.worker
		{name: "worker id, count, pid, exiting", src: `ngx.say(ngx.worker.id(), " ", ngx.worker.count(), " ", ngx.worker.pid(), " ", ngx.worker.exiting())`,
			body: "1 2 " + strconv.Itoa(os.Getpid()) + " false\n"},

		// constants (t/019-const.t)
		{name: "t/019-const.t: core constants", src: `ngx.say(ngx.OK, ngx.ERROR, ngx.AGAIN, ngx.DONE, ngx.DECLINED)`, body: "0-1-2-4-5\n"},
		{name: "t/019-const.t: method constants", src: `ngx.say(ngx.HTTP_GET, " ", ngx.HTTP_HEAD, " ", ngx.HTTP_PATCH, " ", ngx.HTTP_TRACE)`, body: "2 4 16384 32768\n"},
		{name: "t/019-const.t: status constants", src: `ngx.say(ngx.HTTP_OK, " ", ngx.HTTP_CLOSE, " ", ngx.HTTP_ILLEGAL, " ", ngx.HTTP_INSUFFICIENT_STORAGE)`, body: "200 444 451 507\n"},
		{name: "t/069-null.t: ngx.null is one truthy userdata", src: `ngx.say(ngx.null == ngx.null, " ", type(ngx.null), " ", not not ngx.null, " ", tostring(ngx.null))`,
			body: "true userdata true userdata: NULL\n"},
		{name: "require 'ngx' is the ngx table", src: `ngx.say(require("ngx") == ngx)`, body: "true\n"},
	})
}

// t/033-ctx.t TEST 2: ngx.ctx is shared by the phases of one request.
func TestCtxAcrossPhases(t *testing.T) {
	h := newHarness(t, nil)
	rw := inline("rewrite_by_lua", `ngx.ctx.foo = 76`)
	ac := inline("access_by_lua", `ngx.ctx.foo = ngx.ctx.foo + 3`)
	ct := inline("content_by_lua", `ngx.say(ngx.ctx.foo)`)
	lg := inline("log_by_lua", `ngx.log(ngx.ERR, "ctx.foo = ", ngx.ctx.foo)`)
	for range 2 {
		x := newFakeX(h.l)
		for _, step := range []struct {
			p    httpd.Phase
			code *conf.LuaCode
		}{{httpd.PhaseRewrite, rw}, {httpd.PhaseAccess, ac}, {httpd.PhaseContent, ct}, {httpd.PhaseLog, lg}} {
			assert.Equal(t, httpd.PhaseResult{Outcome: httpd.Next}, h.run(x, step.p, step.code))
		}
		assert.Equal(t, "79\n", x.body.String())
		assert.Contains(t, x.logs[len(x.logs)-1], "ctx.foo = 79")
	}
}

// init_by_lua has no request; init_worker_by_lua has a fake one. A Go
// function called straight from pcall raises without a position, as a C
// function does in LuaJIT.
func TestInit(t *testing.T) {
	cfg := debugConfig()
	cfg.HTTP = &conf.HTTP{InitByLua: inline("init_by_lua", `
		print("init: ", ngx.worker.id())
		init_ok = pcall(ngx.say, "x")
		_, init_say_err = pcall(ngx.say, "x")
		_, init_sleep_err = pcall(ngx.sleep, 1)
		_, init_var_err = pcall(function() return ngx.var.foo end)`)}
	h := newHarness(t, cfg)
	var err error
	h.onLoop(func() { err = h.rn.RunInit() })
	require.NoError(t, err)
	assert.Contains(t, h.sinkLogs(), "[notice] [lua] init_by_lua(nginx.conf:40):2: init: nil")

	iw := inline("init_worker_by_lua", `
		print("worker ", ngx.worker.id())
		_, iw_say_err = pcall(ngx.say, "x")
		_, iw_sleep_err = pcall(ngx.sleep, 1)
		_, iw_status_err = pcall(function() return ngx.status end)
		ngx.ctx.ok = true`)
	h.onLoop(func() { err = h.rn.RunInitWorker(iw) })
	require.NoError(t, err)
	assert.Contains(t, h.sinkLogs(), "[notice] [lua] init_worker_by_lua(nginx.conf:40):2: worker 1")

	x := newFakeX(h.l)
	h.run(x, httpd.PhaseContent, inline("content_by_lua", `
		ngx.say(init_ok, "|", init_say_err, "|", init_sleep_err, "|", init_var_err)
		ngx.say(iw_say_err, "|", iw_sleep_err, "|", iw_status_err)`))
	assert.Equal(t, "false|no request object found|no request found|init_by_lua(nginx.conf:40):6: no request found\n"+
		"API disabled in the context of init_worker_by_lua*|API disabled in the context of init_worker_by_lua*|init_worker_by_lua(nginx.conf:40):5: API disabled in the current context\n",
		x.body.String())

	h.onLoop(func() { err = h.rn.RunInitWorker(inline("init_worker_by_lua", `error("boom")`)) })
	require.Error(t, err)
	logs := h.sinkLogs()
	require.Len(t, logs, 1)
	assert.Contains(t, logs[0], "[error] init_worker_by_lua error: init_worker_by_lua(nginx.conf:40):1: boom")
}

// Compile errors are logged with ngx_lua's wording and fail the phase.
func TestLoadErrors(t *testing.T) {
	h := newHarness(t, nil)
	x := newFakeX(h.l)
	res := h.run(x, httpd.PhaseContent, inline("content_by_lua", `ngx.say(`))
	assert.Equal(t, *failed, res)
	require.Len(t, x.logs, 1)
	assert.Contains(t, x.logs[0], "[error] failed to load inlined Lua code: content_by_lua(nginx.conf:40):1:")

	// A missing file is ngx_lua's 404, with LuaJIT's words in the log.
	x = newFakeX(h.l)
	res = h.run(x, httpd.PhaseContent, &conf.LuaCode{Tag: "content_by_lua", IsFile: true, Source: "/nonexistent/x.lua", ChunkName: "@/nonexistent/x.lua"})
	assert.Equal(t, *exitWith(404), res)
	assert.Contains(t, x.logs[0], `failed to load external Lua file "/nonexistent/x.lua": cannot open /nonexistent/x.lua: No such file or directory`)

	// A path with variables is evaluated for the request, relative to the prefix.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello.lua"), []byte(`ngx.say("from ", ngx.var.arg_f)`), 0o644))
	dyn := &conf.LuaCode{Tag: "content_by_lua", IsFile: true, Dynamic: true, Source: "$arg_f.lua", Prefix: dir,
		Parts: []conf.Part{{Kind: conf.PartVar, Text: "arg_f"}, {Kind: conf.PartLiteral, Text: ".lua"}}}
	x = newFakeX(h.l)
	x.vars["arg_f"] = "hello"
	assert.Equal(t, httpd.PhaseResult{Outcome: httpd.Next}, h.run(x, httpd.PhaseContent, dyn))
	assert.Equal(t, "from hello\n", x.body.String())
	x = newFakeX(h.l)
	x.vars["arg_f"] = "other"
	assert.Equal(t, *exitWith(404), h.run(x, httpd.PhaseContent, dyn))
	assert.Contains(t, x.logs[0], `failed to load external Lua file "`+filepath.Join(dir, "other.lua")+`"`)
}

// The function tables are sorted, so the ngx table reads in order here.
func TestFunctionTablesSorted(t *testing.T) {
	names := make([]string, len(constants))
	for i, c := range constants {
		names[i] = c.name
	}
	assert.True(t, sort.StringsAreSorted(names), "constants")
}

// One Runner per VM.
func TestNewRunnerTwice(t *testing.T) {
	h := newHarness(t, nil)
	var err error
	h.onLoop(func() { _, err = NewRunner(Options{VM: h.vm}) })
	assert.ErrorIs(t, err, ErrInstalled)
	_, err = NewRunner(Options{})
	assert.ErrorIs(t, err, ErrNoVM)
}

// TestRequestStateRecycled: Done returns a request's state to the pool, the
// next request gets it back clean (no ngx.ctx, no exit), and a resume the
// old request left posted cannot wake the new one early.
func TestRequestStateRecycled(t *testing.T) {
	h := newHarness(t, nil)
	first, second := newFakeX(h.l), newFakeX(h.l)
	var old *request
	h.onLoop(func() {
		// Past maxYieldResumes in one go, a top-level yield's resume is
		// posted to the next loop turn.
		res := h.rn.Run(first, httpd.PhaseContent, inline("content_by_lua", `ngx.ctx.mark = "old" for i = 1, 1001 do coroutine.yield() end ngx.say("old resumed")`))
		require.Equal(t, httpd.Pending, res.Outcome)
		old = first.ctx.(*request)
		// The client went away: httpd aborts, then ends the request.
		h.rn.Abort(first)
		h.rn.Done(first)
		first.ctx = nil
		// Before that turn comes, the next request starts on the same state.
		// It waits exactly where the old request's posted resume would find
		// it if the entry's seq started over: after as many yields.
		res = h.rn.Run(second, httpd.PhaseContent, inline("content_by_lua", `
			ngx.say(ngx.ctx.mark)
			for i = 1, 1000 do coroutine.yield() end
			local t = ngx.now()
			ngx.sleep(0.05)
			ngx.update_time()
			ngx.say(ngx.now() - t >= 0.04)`))
		require.Equal(t, httpd.Pending, res.Outcome)
		assert.Same(t, old, second.ctx, "the pooled state is reused")
	})
	select {
	case res := <-second.results:
		assert.Equal(t, httpd.PhaseResult{Outcome: httpd.Next}, res)
	case <-time.After(5 * time.Second):
		t.Fatal("second request never finished")
	}
	h.onLoop(func() {
		assert.Equal(t, "nil\ntrue\n", second.body.String(), "slept its whole time")
		assert.Empty(t, first.body.String(), "the aborted request never resumed")
	})
}

// TestYieldForeverDoesNotHoldTheWorker: a handler that yields in a loop is
// resumed in place a bounded number of times, then from the loop, so other
// requests are still served; aborting it stops it.
func TestYieldForeverDoesNotHoldTheWorker(t *testing.T) {
	h := newHarness(t, nil)
	spinner := newFakeX(h.l)
	h.onLoop(func() {
		res := h.rn.Run(spinner, httpd.PhaseContent, inline("content_by_lua", `while true do coroutine.yield() end`))
		require.Equal(t, httpd.Pending, res.Outcome)
	})
	other := newFakeX(h.l)
	assert.Equal(t, httpd.PhaseResult{Outcome: httpd.Next}, h.run(other, httpd.PhaseContent, inline("content_by_lua", `ngx.say("served")`)))
	h.onLoop(func() {
		assert.Equal(t, "served\n", other.body.String())
		h.rn.Abort(spinner)
		h.rn.Done(spinner)
	})
}
