package ngx

import (
	lua "github.com/yuin/gopher-lua"
)

// constant is one numeric ngx.* constant.
type constant struct {
	name  string
	value int
}

// constants are ngx_lua's core, HTTP method, HTTP status and log-level
// constants (spec ngx-api.md §2), sorted by name.
var constants = []constant{
	{"AGAIN", -2},
	{"ALERT", 2},
	{"CRIT", 3},
	{"DEBUG", 8},
	{"DECLINED", -5},
	{"DONE", -4},
	{"EMERG", 1},
	{"ERR", 4},
	{"ERROR", -1},
	{"HTTP_ACCEPTED", 202},
	{"HTTP_BAD_GATEWAY", 502},
	{"HTTP_BAD_REQUEST", 400},
	{"HTTP_CLOSE", 444},
	{"HTTP_CONFLICT", 409},
	{"HTTP_CONTINUE", 100},
	{"HTTP_COPY", 128},
	{"HTTP_CREATED", 201},
	{"HTTP_DELETE", 32},
	{"HTTP_FORBIDDEN", 403},
	{"HTTP_GATEWAY_TIMEOUT", 504},
	{"HTTP_GET", 2},
	{"HTTP_GONE", 410},
	{"HTTP_HEAD", 4},
	{"HTTP_ILLEGAL", 451},
	{"HTTP_INSUFFICIENT_STORAGE", 507},
	{"HTTP_INTERNAL_SERVER_ERROR", 500},
	{"HTTP_LOCK", 4096},
	{"HTTP_METHOD_NOT_IMPLEMENTED", 501},
	{"HTTP_MKCOL", 64},
	{"HTTP_MOVE", 256},
	{"HTTP_MOVED_PERMANENTLY", 301},
	{"HTTP_MOVED_TEMPORARILY", 302},
	{"HTTP_NOT_ACCEPTABLE", 406},
	{"HTTP_NOT_ALLOWED", 405},
	{"HTTP_NOT_FOUND", 404},
	{"HTTP_NOT_IMPLEMENTED", 501},
	{"HTTP_NOT_MODIFIED", 304},
	{"HTTP_NO_CONTENT", 204},
	{"HTTP_OK", 200},
	{"HTTP_OPTIONS", 512},
	{"HTTP_PARTIAL_CONTENT", 206},
	{"HTTP_PATCH", 16384},
	{"HTTP_PAYMENT_REQUIRED", 402},
	{"HTTP_PERMANENT_REDIRECT", 308},
	{"HTTP_POST", 8},
	{"HTTP_PROPFIND", 1024},
	{"HTTP_PROPPATCH", 2048},
	{"HTTP_PUT", 16},
	{"HTTP_REQUEST_TIMEOUT", 408},
	{"HTTP_SEE_OTHER", 303},
	{"HTTP_SERVICE_UNAVAILABLE", 503},
	{"HTTP_SPECIAL_RESPONSE", 300},
	{"HTTP_SWITCHING_PROTOCOLS", 101},
	{"HTTP_TEMPORARY_REDIRECT", 307},
	{"HTTP_TOO_MANY_REQUESTS", 429},
	{"HTTP_TRACE", 32768},
	{"HTTP_UNAUTHORIZED", 401},
	{"HTTP_UNLOCK", 8192},
	{"HTTP_UPGRADE_REQUIRED", 426},
	{"HTTP_VERSION_NOT_SUPPORTED", 505},
	{"INFO", 7},
	{"NOTICE", 6},
	{"OK", 0},
	{"STDERR", 0},
	{"WARN", 5},
}

// injectConst adds the constants and ngx.null: one userdata shared by
// every request, truthy, rendered as "null" by ngx.say/print/log.
func (rn *Runner) injectConst(L *lua.LState, ngx *lua.LTable) {
	for _, c := range constants {
		ngx.RawSetString(c.name, lua.LNumber(c.value))
	}
	rn.null = L.NewUserData()
	mt := L.NewTable()
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("userdata: NULL"))
		return 1
	}))
	rn.null.Metatable = mt
	ngx.RawSetString("null", rn.null)
}
