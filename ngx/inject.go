package ngx

import (
	lua "github.com/yuin/gopher-lua"
)

// binding is one entry of a function table: a Lua name and its Go function.
type binding struct {
	name string
	fn   lua.LGFunction
}

// magic is a "magic key" of the ngx table (ngx.status, ngx.ctx, ...): read
// and written through the table's metatable, never stored in it, like
// lua-resty-core's register_ngx_magic_key_getter/setter.
type magic struct {
	name string
	get  func(L *lua.LState) lua.LValue
	set  func(L *lua.LState, v lua.LValue) // nil: read-only (assignments are stored raw)
}

// setFuncs stores a function table into tbl.
func setFuncs(L *lua.LState, tbl *lua.LTable, funcs []binding) {
	for _, b := range funcs {
		tbl.RawSetString(b.name, L.NewFunction(b.fn))
	}
}

// methodsMeta returns a metatable whose __index is a table of funcs: the
// shape of socket objects' metatables.
func methodsMeta(L *lua.LState, funcs []binding) *lua.LTable {
	methods := L.NewTable()
	setFuncs(L, methods, funcs)
	mt := L.NewTable()
	mt.RawSetString("__index", methods)
	return mt
}

// inject builds the global ngx table. Every API area adds itself here, so
// this function is the one place to audit the whole table.
func (rn *Runner) inject(L *lua.LState) {
	ngx := L.NewTable()
	var magics []magic

	rn.injectConst(L, ngx)                                                                                // const.go: ngx.OK ..., HTTP_*, log levels, ngx.null
	rn.injectSay(L, ngx)                                                                                  // say.go: say, print, flush, eof, send_headers
	rn.injectExit(L, ngx)                                                                                 // exit.go: exit
	magics = append(magics, rn.statusMagic()...)                                                          // status.go: ngx.status
	rn.injectHeader(L, ngx)                                                                               // header.go: ngx.header
	rn.injectResp(L, ngx)                                                                                 // resp.go: ngx.resp
	rn.injectSleep(L, ngx)                                                                                // sleep.go: sleep
	rn.injectTime(L, ngx)                                                                                 // time.go: now, time, update_time, today, ...
	rn.injectLog(L, ngx)                                                                                  // log.go: log, and the global print
	rn.injectThread(L, ngx)                                                                               // thread.go: ngx.thread.spawn/wait/kill; abort.go: ngx.on_abort
	setFuncs(L, ngx, []binding{{"get_phase", rn.getPhase}, {"redirect", rn.redirect}, {"exec", rn.exec}}) // phase.go, redirect.go
	rn.injectURI(L, ngx)
	rn.injectLocation(L, ngx)                        // location.go: ngx.location.capture, capture_multi                             // uri.go: escape_uri, unescape_uri, encode_args, decode_args, quote_sql_str
	rn.injectSocket(L, ngx)                          // socket.go, socket_tcp.go, socket_until.go, socket_udp.go: ngx.socket.*
	rn.injectWorker(L, ngx)                          // worker.go: ngx.worker.*
	rn.injectConfig(L, ngx)                          // config.go: ngx.config.*
	rn.injectVar(L, ngx)                             // var.go: ngx.var
	magics = append(magics, rn.ctxMagic()...)        // ctx.go: ngx.ctx
	magics = append(magics, rn.injectReq(L, ngx)...) // req.go: ngx.req.*, is_subrequest, headers_sent; req_body.go, req_socket.go: the body API

	rn.setMagic(L, ngx, magics)
	L.SetGlobal("ngx", ngx)
	if loaded, ok := L.GetField(L.GetGlobal("package"), "loaded").(*lua.LTable); ok {
		loaded.RawSetString("ngx", ngx)
	}
}

// setMagic gives the ngx table the metatable that serves its magic keys.
func (rn *Runner) setMagic(L *lua.LState, ngx *lua.LTable, magics []magic) {
	byName := make(map[string]magic, len(magics))
	for _, m := range magics {
		byName[m.name] = m
	}
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if k, ok := L.Get(2).(lua.LString); ok {
			if m, ok := byName[string(k)]; ok {
				L.Push(m.get(L))
				return 1
			}
		}
		L.Push(lua.LNil)
		return 1
	}))
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		if k, ok := L.Get(2).(lua.LString); ok {
			if m, ok := byName[string(k)]; ok && m.set != nil {
				m.set(L, L.Get(3))
				return 0
			}
		}
		t.RawSet(L.Get(2), L.Get(3))
		return 0
	}))
	L.SetMetatable(ngx, mt)
}
