package ngx

import (
	"strings"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
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
	conn, chunked := x.ResponseFraming()
	hs := x.ResponseHeaders()
	// nginx's order: Content-Type, Content-Length (ResponseHeaders puts
	// them first), Connection, Transfer-Encoding, then the header list.
	n := 0
	for n < len(hs) && (strings.EqualFold(hs[n].Name, "Content-Type") || strings.EqualFold(hs[n].Name, "Content-Length")) {
		n++
	}
	all := make([]httpd.Header, 0, len(hs)+2)
	all = append(all, hs[:n]...)
	all = append(all, httpd.Header{Name: "Connection", Value: conn})
	if chunked {
		all = append(all, httpd.Header{Name: "Transfer-Encoding", Value: "chunked"})
	}
	all = append(all, hs[n:]...)
	if limit > 0 && len(all) > limit {
		c.rq.logf(conf.LogDebug, "lua exceeding response header limit %d > %d", len(all), limit)
	}
	return rn.pushHeaders(L, all, limit, lua.LVAsBool(L.Get(2)))
}
