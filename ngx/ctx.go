package ngx

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// ctxMagic is ngx.ctx, a magic key of the ngx table (spec §6).
func (rn *Runner) ctxMagic() []magic {
	return []magic{
		{name: "ctx", get: rn.getCtx, set: rn.setCtx},
	}
}

// getCtx returns the request's ngx.ctx table, made on first use and kept
// for every phase of the request.
func (rn *Runner) getCtx(L *lua.LState) lua.LValue {
	rq := enter(L, errNoRequest, 0).rq
	if rq.ctxTable == nil {
		rq.ctxTable = L.NewTable()
	}
	return rq.ctxTable
}

// setCtx replaces the request's ngx.ctx with a table.
func (rn *Runner) setCtx(L *lua.LState, v lua.LValue) {
	if _, ok := v.(*lua.LTable); !ok {
		L.RaiseError("%s", fmt.Sprintf(errCtxNotTable, typeName(v)))
	}
	enter(L, errNoRequest, 0).rq.ctxTable = v
}
