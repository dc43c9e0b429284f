package ngx

import (
	"testing"
)

func TestThread(t *testing.T) {
	h := newHarness(t, debugConfig())
	runSpecs(t, h, []spec{
		{name: "t/093-uthread-spawn.t TEST 1: simple user thread without I/O", src: `
			local function f() ngx.say("hello in thread") end
			ngx.say("before")
			ngx.thread.spawn(f)
			ngx.say("after")`, body: "before\nhello in thread\nafter\n"},
		{name: "t/093-uthread-spawn.t TEST 3: simple user thread with sleep", src: `
			local function f() ngx.say("before sleep") ngx.sleep(0.01) ngx.say("after sleep") end
			ngx.say("before thread create")
			ngx.thread.spawn(f)
			ngx.say("after thread create")`,
			body: "before thread create\nbefore sleep\nafter thread create\nafter sleep\n"},
		{name: "t/093-uthread-spawn.t TEST 4: two simple user threads with sleep", src: `
			local function f() ngx.say("f: before") ngx.sleep(0.02) ngx.say("f: after") end
			local function g() ngx.say("g: before") ngx.sleep(0.01) ngx.say("g: after") end
			ngx.thread.spawn(f) ngx.thread.spawn(g) ngx.say("entry done")`,
			body: "f: before\ng: before\nentry done\ng: after\nf: after\n"},
		{name: "t/093-uthread-spawn.t TEST 5: error in user thread", src: `
			local function f() error("bad bad!") end
			ngx.thread.spawn(f) ngx.say("after")`, body: "after\n",
			logs: []string{"[error] lua user thread aborted: runtime error: content_by_lua(nginx.conf:40):2: bad bad!\nstack traceback:\ncoroutine 0:"}},
		{name: "t/093-uthread-spawn.t TEST 10: nested user threads", src: `
			local function g() ngx.say("in g") end
			local function f() ngx.say("in f") ngx.thread.spawn(g) ngx.say("f done") end
			ngx.thread.spawn(f) ngx.say("entry done")`, body: "in f\nin g\nentry done\nf done\n"},
		{name: "t/093-uthread-spawn.t TEST 11: nested user threads (with I/O)", src: `
			local function g() ngx.sleep(0.01) ngx.say("hello in g()") end
			local function f() ngx.say("before g") ngx.thread.spawn(g) ngx.say("after g") end
			ngx.say("before f") ngx.thread.spawn(f) ngx.say("after f")`,
			body: "before f\nbefore g\nafter f\nafter g\nhello in g()\n"},
		{name: "t/093-uthread-spawn.t TEST 24: simple user thread with args", src: `
			local function f(a, b) ngx.say("args: ", a, " ", b) end
			ngx.thread.spawn(f, "x", 2)`, body: "args: x 2\n"},
		{name: "t/093-uthread-spawn.t TEST 12: coroutine status of a running user thread", src: `
			local co
			local function f() co = coroutine.running() ngx.sleep(0.01) end
			local t = ngx.thread.spawn(f)
			ngx.say("status: ", coroutine.status(co), " ", type(t), " ", t == co, " ", tostring(t):sub(1, 8))`,
			body: "status: running thread true thread: \n"},
		{name: "t/093-uthread-spawn.t TEST 13: coroutine status of a dead user thread", src: `
			local co
			local function f() co = coroutine.running() end
			ngx.thread.spawn(f)
			ngx.say("status: ", coroutine.status(co))`, body: "status: zombie\n"},
		{name: "t/093-uthread-spawn.t TEST 14: coroutine status of a \"normal\" user thread", src: `
			local co
			local function g() ngx.sleep(0.01) end
			local function f() co = coroutine.running() local co2 = coroutine.create(g) coroutine.resume(co2) end
			ngx.thread.spawn(f)
			ngx.say("status: ", coroutine.status(co))`, body: "status: normal\n"},
		{name: "t/098-uthread-wait.t TEST 1 (status): zombie until waited, then dead", src: `
			local t = ngx.thread.spawn(function() return "done" end)
			ngx.say("thread created: ", coroutine.status(t))
			ngx.say(select(2, ngx.thread.wait(t)), " ", coroutine.status(t))`, body: "thread created: zombie\ndone dead\n"},
		{name: "t/098-uthread-wait.t TEST 18: entry coroutine waiting on a thread not created by itself", src: `
			local t
			local function f() ngx.sleep(0.01) return "done" end
			local co = coroutine.create(function() t = ngx.thread.spawn(f) end)
			coroutine.resume(co)
			ngx.thread.wait(t)`, result: failed, logs: []string{"only the parent coroutine can wait on the thread"}},
		{name: "a user coroutine waits on the thread it spawned; pcall is its spawner too", src: `
			local co = coroutine.create(function()
				local t = ngx.thread.spawn(function() ngx.sleep(0.001) return "done" end)
				return select(2, pcall(ngx.thread.wait, t))
			end)
			ngx.say(select(2, coroutine.resume(co)))`, body: "truedone\n"},
		{name: "a handle that is not a light thread of the request", src: `
			ngx.thread.wait(coroutine.create(function() end))`, result: failed, logs: []string{"lua thread expected"}},
		{name: "t/098-uthread-wait.t TEST 1: wait without I/O", src: `
			local function f() ngx.say("hello in thread") return "done" end
			local t = ngx.thread.spawn(f)
			ngx.say("thread created")
			local ok, res = ngx.thread.wait(t)
			ngx.say(ok, " ", res)`, body: "hello in thread\nthread created\ntrue done\n"},
		{name: "t/098-uthread-wait.t TEST 2: wait with I/O", src: `
			local function f() ngx.sleep(0.01) return "done" end
			local t = ngx.thread.spawn(f)
			ngx.say(ngx.thread.wait(t))`, body: "truedone\n"},
		{name: "t/098-uthread-wait.t TEST 6: wait with I/O, multiple values", src: `
			local t = ngx.thread.spawn(function() ngx.sleep(0.001) return 1, "b", nil end)
			local ok, a, b, c = ngx.thread.wait(t)
			ngx.say(ok, a, b, c)`, body: "true1bnil\n"},
		{name: "t/098-uthread-wait.t TEST 7: wait without I/O, throw errors", src: `
			local function f() ngx.say("hello in thread") error("bad bad!") end
			local t = ngx.thread.spawn(f)
			local ok, res = ngx.thread.wait(t)
			if not ok then ngx.say("failed to wait thread: ", res) end`,
			body: "hello in thread\nfailed to wait thread: bad bad!\n",
			logs: []string{"lua user thread aborted: runtime error: content_by_lua(nginx.conf:40):2: bad bad!"}},
		{name: "t/098-uthread-wait.t TEST 8: wait with I/O, throw errors", src: `
			local t = ngx.thread.spawn(function() ngx.sleep(0.001) error("bad") end)
			local ok, res = ngx.thread.wait(t)
			ngx.say(ok, " ", res)`, body: "false bad\n"},
		{name: "wait on a failed thread returns what ngx_lua returns (measured on the reference)", src: `
			local function show(name, f)
				local r = {ngx.thread.wait(ngx.thread.spawn(f))}
				local parts = {}
				for i = 1, #r do parts[#parts + 1] = tostring(r[i]) end
				ngx.say(name, ": n=", #r, " ", table.concat(parts, " | "))
			end
			show("lvl1", function() error("bad") end)
			show("lvl0", function() error("bad", 0) end)
			show("nested", function() local function g() error("inner") end g() end)
			show("runtime", function() local x = nil; return x.y end)
			show("caught, then runtime", function() pcall(error, "caught") local x = nil; return x.y end)
			show("ok", function() return 1, 2 end)`,
			body: "lvl1: n=3 false | bad | content_by_lua(nginx.conf:40):8: bad\n" +
				"lvl0: n=2 false | bad\n" +
				"nested: n=3 false | inner | content_by_lua(nginx.conf:40):10: inner\n" +
				"runtime: n=1 false\n" +
				"caught, then runtime: n=1 false\n" +
				"ok: n=3 true | 1 | 2\n"},
		{name: "t/098-uthread-wait.t TEST 9: wait inside a user coroutine", src: `
			local co = coroutine.wrap(function()
				local t = ngx.thread.spawn(function() ngx.sleep(0.001) return "x" end)
				return ngx.thread.wait(t)
			end)
			ngx.say(co())`, body: "truex\n"},
		{name: "t/098-uthread-wait.t TEST 12: waiting on two threads with I/O", src: `
			local t1 = ngx.thread.spawn(function() ngx.sleep(0.03) return "slow" end)
			local t2 = ngx.thread.spawn(function() ngx.sleep(0.005) return "fast" end)
			ngx.say(ngx.thread.wait(t1, t2))
			ngx.say(ngx.thread.wait(t2, t1)) -- a dead thread is skipped unless it is the last argument
			ngx.say(ngx.thread.wait(t1, t2))`, body: "truefast\ntrueslow\nnilalready waited or killed\n"},
		{name: "t/098-uthread-wait.t TEST 3: reversed order of termination", src: `
			local t1 = ngx.thread.spawn(function() ngx.sleep(0.02) return 1 end)
			local t2 = ngx.thread.spawn(function() ngx.sleep(0.005) return 2 end)
			ngx.say(select(2, ngx.thread.wait(t1)))
			ngx.say(select(2, ngx.thread.wait(t2)))`, body: "1\n2\n"},
		{name: "t/098-uthread-wait.t TEST 18: waiting on a thread not created by itself", src: `
			local t = ngx.thread.spawn(function() ngx.sleep(0.001) end)
			ngx.thread.spawn(function() ngx.thread.wait(t) end)
			ngx.say("unreachable?")`, body: "unreachable?\n",
			logs: []string{"only the parent coroutine can wait on the thread"}},
		{name: "t/098-uthread-wait.t TEST 21: waiting on a dead coroutine", src: `
			local t = ngx.thread.spawn(function() return 1 end)
			ngx.thread.wait(t)
			ngx.say(ngx.thread.wait(t))`, body: "nilalready waited or killed\n"},
		{name: "t/098-uthread-wait.t TEST 23: no parameters", src: `ngx.thread.wait()`, result: failed,
			logs: []string{"at least one coroutine should be specified"}},
		{name: "wait on a non-thread", src: `ngx.thread.wait(1)`, result: failed,
			logs: []string{"bad argument #1 to 'wait' (lua thread expected)"}},
		{name: "t/099-uthread-kill: kill a sleeping thread", src: `
			local t = ngx.thread.spawn(function() ngx.sleep(0.05) ngx.say("never") end)
			ngx.say(ngx.thread.kill(t))
			ngx.say(ngx.thread.kill(t))`, body: "1\nnilalready waited or killed\n"},
		{name: "kill a zombie: already terminated", src: `
			local t = ngx.thread.spawn(function() return 1 end)
			ngx.say(ngx.thread.kill(t))`, body: "nilalready terminated\n"},
		{name: "killer not parent", src: `
			local t = ngx.thread.spawn(function() ngx.sleep(0.01) end)
			ngx.thread.spawn(function() ngx.say(ngx.thread.kill(t)) end)`, body: "nilkiller not parent\n"},
		{name: "entry thread error kills light threads", src: `
			ngx.thread.spawn(function() ngx.sleep(0.02) ngx.say("late") end)
			error("entry boom")`, result: failed, logs: []string{"lua entry thread aborted: runtime error: content_by_lua(nginx.conf:40):3: entry boom"}},
		{name: "spawn in log_by_lua", phase: inLog, src: `ngx.thread.spawn(function() end)`, result: failed,
			logs: []string{"API disabled in the context of log_by_lua*"}},
		{name: "light threads in access_by_lua", phase: inAccess, src: `
			local t = ngx.thread.spawn(function() ngx.sleep(0.001) return 7 end)
			local _, v = ngx.thread.wait(t) ngx.ctx.v = v`},
		{name: "plain coroutine.yield at top level resumes next turn", src: `
			ngx.thread.spawn(function() for i = 1, 3 do ngx.say("t", i) coroutine.yield() end end)
			for i = 1, 3 do ngx.say("e", i) coroutine.yield() end`,
			body: "t1\ne1\nt2\ne2\nt3\ne3\n"},
	})
}
