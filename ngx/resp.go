package ngx

import (
	"strings"

	"github.com/luring/luring/conf"
	lua "github.com/yuin/gopher-lua"
)

// injectResp adds ngx.resp.
func (rn *Runner) injectResp(L *lua.LState, ngx *lua.LTable) {
	t := L.NewTable()
	setFuncs(L, t, []binding{
		{"get_headers", rn.respGetHeaders},
	})
	ngx.RawSetString("resp", t)
}

// respGetHeaders is ngx.resp.get_headers(max_headers?, raw?): the
// response headers as a table, with what nginx adds itself first:
// Content-Type and Content-Length when known, Connection always,
// Transfer-Encoding once the body is chunked. Keys are lower-cased (and
// the table's __index also finds h.content_type) unless raw; several
// instances of a header become an array. Over max_headers (100 by
// default, 0 for no limit) the second result is "truncated".
func (rn *Runner) respGetHeaders(L *lua.LState) int {
	c := enter(L, errNoRequest, 0)
	x := c.exchange(L)
	limit := maxArg(L, 1)
	raw := lua.LVAsBool(L.Get(2))
	conn, chunked := x.ResponseFraming()
	hs := x.ResponseHeaders()
	n := len(hs) + 1
	if chunked {
		n++
	}
	tbl := L.CreateTable(0, n)
	count := 0
	add := func(name, value string) bool {
		if limit > 0 && count >= limit {
			return false
		}
		count++
		if !raw {
			name = lower(name)
		}
		addMulti(tbl, name, lua.LString(value))
		return true
	}
	// nginx's order: Content-Type, Content-Length, Connection,
	// Transfer-Encoding, then the header list.
	i := 0
	for ; i < len(hs) && (strings.EqualFold(hs[i].Name, "Content-Type") || strings.EqualFold(hs[i].Name, "Content-Length")); i++ {
		add(hs[i].Name, hs[i].Value)
	}
	ok := add("Connection", conn)
	if ok && chunked {
		ok = add("Transfer-Encoding", "chunked")
	}
	for ; ok && i < len(hs); i++ {
		ok = add(hs[i].Name, hs[i].Value)
	}
	if !raw {
		tbl.Metatable = rn.reqHeadersMeta
	}
	L.Push(tbl)
	if limit > 0 && n > limit {
		c.rq.logf(conf.LogDebug, "lua exceeding response header limit %d > %d", n, limit)
		L.Push(lua.LString(truncatedResult))
		return 2
	}
	return 1
}
