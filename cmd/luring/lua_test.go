package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/luring/luring/internal/testsrv"
)

func TestPackagePath(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portModules),
		Conf: config(portModules, "", `    lua_package_path "$prefix/lua/?.lua;;";`, `
        location = /m {
            content_by_lua_block {
                local greet = require("app.greet")
                ngx.say(greet.hello("luring"), " ", greet.loads)
            }
        }`),
		Files: map[string]string{"lua/app/greet.lua": `
local M = {loads = 0}
M.loads = M.loads + 1
function M.hello(who) return "hello, " .. who end
return M
`}})
	for i := 0; i < 3; i++ {
		res := s.Get("/m")
		assert.Equal(t, 200, res.Status, s.Output())
		// Loaded once per worker: package.loaded keeps the module.
		assert.Equal(t, "hello, luring 1\n", res.Body)
	}
}

func TestCodeCacheOff(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portCodeCache),
		Conf: config(portCodeCache, "", "    lua_code_cache off;", `
        location = /f {
            content_by_lua_file lua/handler.lua;
        }`),
		Files: map[string]string{"lua/handler.lua": `ngx.say("one")`}})
	assert.Equal(t, "one\n", s.Get("/f").Body)
	s.WriteFile("lua/handler.lua", `ngx.say("two")`)
	assert.Equal(t, "two\n", s.Get("/f").Body)
	assert.Contains(t, s.ErrorLog(), "[alert] ")
	assert.Contains(t, s.ErrorLog(), "lua_code_cache is off; this will hurt performance")
}

func TestCodeCacheOn(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portCodeCache),
		Conf: config(portCodeCache, "", "", `
        location = /f {
            content_by_lua_file lua/handler.lua;
        }`),
		Files: map[string]string{"lua/handler.lua": `ngx.say("one")`}})
	assert.Equal(t, "one\n", s.Get("/f").Body)
	s.WriteFile("lua/handler.lua", `ngx.say("two")`)
	assert.Equal(t, "one\n", s.Get("/f").Body)
}

// TestLuaFiles: *_by_lua_file as ngx_lua serves it: a path with variables
// is evaluated per request (relative to the prefix), a missing file is a
// 404 and a file that does not compile a 500, each with LuaJIT's words in
// the error log.
func TestLuaFiles(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portLuaFiles),
		Conf: config(portLuaFiles, "", "", `
        location /missing { content_by_lua_file lua/nope.lua; }
        location /dyn { content_by_lua_file lua/$arg_name.lua; }
        location /syntax { content_by_lua_file lua/bad.lua; }`),
		Files: map[string]string{
			"lua/ok.lua":  `ngx.say("hi ", ngx.var.arg_name)`,
			"lua/bad.lua": `ngx.say(`,
		}})
	res := s.Get("/dyn?name=ok")
	assert.Equal(t, 200, res.Status, s.ErrorLog())
	assert.Equal(t, "hi ok\n", res.Body)

	for _, tt := range []struct {
		uri, file, why string
		status         int
	}{
		{"/missing", "lua/nope.lua", "No such file or directory", 404},
		{"/dyn?name=zzz", "lua/zzz.lua", "No such file or directory", 404},
		{"/syntax", "lua/bad.lua", "", 500},
	} {
		res := s.Get(tt.uri)
		assert.Equal(t, tt.status, res.Status, tt.uri)
		assert.Contains(t, res.Body, fmt.Sprintf("<title>%d ", tt.status), tt.uri)
		assert.Contains(t, s.ErrorLog(), fmt.Sprintf(`failed to load external Lua file "%s/%s": `, strings.TrimSuffix(s.Prefix, "/"), tt.file), tt.uri)
		if tt.why != "" {
			assert.Contains(t, s.ErrorLog(), fmt.Sprintf("cannot open %s/%s: %s", strings.TrimSuffix(s.Prefix, "/"), tt.file, tt.why), tt.uri)
		}
	}
}

func TestInitByLua(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portInit),
		Conf: config(portInit, "worker_processes 2;", `
    init_by_lua_block {
        greeting = "set by init"
    }`, `
        location = /g {
            content_by_lua_block { ngx.say(greeting) }
        }`)})
	for i := 0; i < 4; i++ {
		assert.Equal(t, "set by init\n", s.Get("/g").Body)
	}
}

func TestInitWorkerByLua(t *testing.T) {
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := testsrv.Start(t, testsrv.Options{Addr: addr(portInitWorker),
				Conf: config(portInitWorker, fmt.Sprintf("worker_processes %d;", n), `
    init_worker_by_lua_block {
        ngx.log(ngx.NOTICE, "init worker ", ngx.worker.id())
        started_by = ngx.worker.id()
    }`, `
        location = /w {
            content_by_lua_block { ngx.say(started_by, "=", ngx.worker.id()) }
        }`)})
			got := regexp.MustCompile(`init worker \d`).FindAllString(s.ErrorLog(), -1)
			assert.Len(t, got, n, s.ErrorLog())
			for i := 0; i < n; i++ {
				assert.Contains(t, got, fmt.Sprintf("init worker %d", i))
			}
			res := s.Get("/w")
			id, same, _ := strings.Cut(strings.TrimSpace(res.Body), "=")
			assert.Equal(t, id, same, res.Body)
		})
	}
}

func TestInitWorkerError(t *testing.T) {
	// As in ngx_lua, a failing init_worker_by_lua is logged and the
	// worker serves anyway.
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portWorkerFail),
		Conf: config(portWorkerFail, "worker_processes 2;", `
    init_worker_by_lua_block {
        if ngx.worker.id() == 1 then error("no luck") end
    }`, idLocation)})
	s.WaitLog(`\[error\] \d+#\d: init_worker_by_lua error: [^\n]*no luck`, 5*time.Second)
	seen := workerIDs(s, 2, 200)
	assert.Contains(t, seen, "0/2", seen)
	assert.Contains(t, seen, "1/2", seen)
}

func TestInitError(t *testing.T) {
	// A failing init_by_lua keeps the server from starting, as in nginx.
	s := testsrv.Prepare(t, testsrv.Options{Addr: addr(portWorkerFail),
		Conf: config(portWorkerFail, "worker_processes 2;", `
    init_by_lua_block {
        error("bad init")
    }`, idLocation)})
	s.Launch()
	assert.Equal(t, 1, s.Wait())
	assert.Contains(t, s.Stderr(), "bad init")
	assert.Contains(t, s.Stderr(), "luring: [emerg] ")
	assert.NoFileExists(t, s.PidFile())
	require.False(t, portOpen(addr(portWorkerFail)), "a worker still listens")
}
