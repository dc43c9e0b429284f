package ngx

import (
	"strconv"
	"strings"

	"github.com/luring/luring/httpd"
	lua "github.com/yuin/gopher-lua"
)

// ngxLuaVersion is ngx.config.ngx_lua_version: the lua-nginx-module release
// (0.10.26) whose API luring follows, as ngx_lua numbers it.
const ngxLuaVersion = 10026

// injectConfig adds ngx.config: the facts ngx_lua gives about the server,
// plus luring_version and luring_backend.
func (rn *Runner) injectConfig(L *lua.LState, ngx *lua.LTable) {
	c := L.NewTable()
	c.RawSetString("subsystem", lua.LString("http"))
	c.RawSetString("debug", lua.LFalse)
	c.RawSetString("nginx_version", lua.LNumber(versionNumber(httpd.NginxVersion)))
	c.RawSetString("ngx_lua_version", lua.LNumber(ngxLuaVersion))
	c.RawSetString("luring_version", lua.LString(httpd.Version))
	if rn.loop != nil {
		c.RawSetString("luring_backend", lua.LString(rn.loop.Backend()))
	}
	prefix := ""
	if rn.cfg != nil && rn.cfg.Prefix != "" {
		prefix = strings.TrimSuffix(rn.cfg.Prefix, "/") + "/"
	}
	setFuncs(L, c, []binding{
		{"nginx_configure", func(L *lua.LState) int { L.Push(lua.LString("")); return 1 }},
		{"prefix", func(L *lua.LState) int { L.Push(lua.LString(prefix)); return 1 }},
	})
	ngx.RawSetString("config", c)
}

// versionNumber turns "1.27.1" into nginx's 1027001.
func versionNumber(v string) int {
	n := 0
	for _, part := range strings.SplitN(v, ".", 3) {
		d, _ := strconv.Atoi(part)
		n = n*1000 + d
	}
	return n
}
