package ngx

import (
	"strings"

	"github.com/luring/luring/httpd"
	"github.com/luring/luring/lvm"

	lua "github.com/yuin/gopher-lua"
)

// defaultMax is the default max_args / max_headers.
const defaultMax = 100

// injectReq adds the ngx.req getters of this slice and returns the
// request magic keys ngx.is_subrequest and ngx.headers_sent.
func (rn *Runner) injectReq(L *lua.LState, ngx *lua.LTable) []magic {
	req := L.NewTable()
	setFuncs(L, req, []binding{
		{"get_headers", rn.reqGetHeaders},
		{"get_method", rn.reqGetMethod},
		{"get_uri_args", rn.reqGetURIArgs},
		{"http_version", rn.reqHTTPVersion},
		{"is_internal", rn.reqIsInternal},
		{"start_time", rn.reqStartTime},
		{"set_header", rn.reqSetHeader},
		{"raw_header", rn.reqRawHeader},
		{"set_method", rn.reqSetMethod},
		{"set_uri_args", rn.reqSetURIArgs},
		{"set_uri", rn.reqSetURI},
		{"clear_header", rn.reqClearHeader},
	})
	rn.injectReqBody(L, req)
	ngx.RawSetString("req", req)

	rn.reqHeadersMeta = L.NewTable()
	rn.reqHeadersMeta.RawSetString("__index", L.NewFunction(reqHeaderIndex))

	return []magic{
		{name: "headers_sent", get: func(L *lua.LState) lua.LValue {
			return lua.LBool(enter(L, errNoRequest, 0).exchange(L).HeadersSent())
		}},
		{name: "is_subrequest", get: func(L *lua.LState) lua.LValue {
			return lua.LBool(enter(L, errNoRequest, 0).exchange(L).IsSubrequest())
		}},
	}
}

// reqGetMethod is ngx.req.get_method(): the method name.
func (rn *Runner) reqGetMethod(L *lua.LState) int {
	L.Push(lua.LString(enter(L, errNoRequest, 0).exchange(L).Method()))
	return 1
}

// reqIsInternal is ngx.req.is_internal(): whether the request came from an
// internal redirect or is a subrequest (luring has no internal redirects
// yet: ngx.exec and error_page come later).
func (rn *Runner) reqIsInternal(L *lua.LState) int {
	L.Push(lua.LBool(enter(L, errNoRequest, 0).exchange(L).Internal()))
	return 1
}

// reqHTTPVersion is ngx.req.http_version(): 0.9, 1.0, 1.1, 2.0, or nil.
func (rn *Runner) reqHTTPVersion(L *lua.LState) int {
	v := enter(L, errNoRequest, 0).exchange(L).HTTPVersion()
	if v == 0 {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LNumber(v))
	return 1
}

// maxArg reads an optional max_args/max_headers argument: nil or negative
// means 100, 0 means no limit.
func maxArg(L *lua.LState, i int) int {
	v := L.Get(i)
	if v == lua.LNil {
		return defaultMax
	}
	n := L.CheckInt(i)
	if n < 0 {
		return defaultMax
	}
	return n
}

// reqGetURIArgs is ngx.req.get_uri_args(max_args?, tab?) (spec §12).
func (rn *Runner) reqGetURIArgs(L *lua.LState) int {
	x := enter(L, errNoRequest, 0).exchange(L)
	limit := maxArg(L, 1)
	var tbl *lua.LTable
	if t, ok := L.Get(2).(*lua.LTable); ok {
		tbl = t
		var keys []lua.LValue
		t.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
		for _, k := range keys {
			t.RawSet(k, lua.LNil)
		}
	} else {
		tbl = L.NewTable()
	}
	truncated := decodeArgs(tbl, x.Args(), limit)
	L.Push(tbl)
	if truncated {
		L.Push(lua.LString(truncatedResult))
		return 2
	}
	return 1
}

// decodeArgs fills tbl from a query string: "&"-separated pairs, first "="
// splits, both sides unescaped ("+" is a space), a bare key is true, an
// empty key is dropped, repeated keys collect into an array. With more
// than limit pairs (limit > 0) only the first limit kept pairs go in and
// it reports truncation.
func decodeArgs(tbl *lua.LTable, s string, limit int) bool {
	if s == "" {
		return false
	}
	truncated := limit > 0 && strings.Count(s, "&")+1 > limit
	kept := 0
	for piece := range strings.SplitSeq(s, "&") {
		if truncated && kept == limit {
			break
		}
		k, v, hasEq := strings.Cut(piece, "=")
		key := unescapeArg(k)
		if key == "" {
			continue
		}
		var val lua.LValue = lua.LTrue
		if hasEq {
			val = lua.LString(unescapeArg(v))
		}
		addMulti(tbl, key, val)
		kept++
	}
	return truncated
}

// addMulti sets tbl[key] = val, turning repeated keys into arrays.
func addMulti(tbl *lua.LTable, key string, val lua.LValue) {
	switch old := tbl.RawGetString(key).(type) {
	case *lua.LNilType:
		tbl.RawSetString(key, val)
	case *lua.LTable:
		old.Append(val)
	default:
		arr := &lua.LTable{}
		arr.Append(old)
		arr.Append(val)
		tbl.RawSetString(key, arr)
	}
}

// unescapeArg decodes %XX and "+"; malformed escapes stay as they are.
func unescapeArg(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// reqGetHeaders is ngx.req.get_headers(max_headers?, raw?) (spec §13):
// lower-case keys (original case with raw), repeated headers as arrays,
// and unless raw a metatable that finds "User-Agent" and "user_agent".
func (rn *Runner) reqGetHeaders(L *lua.LState) int {
	x := enter(L, errNoRequest, 0).exchange(L)
	return rn.pushHeaders(L, x.RequestHeaders(), maxArg(L, 1), lua.LVAsBool(L.Get(2)))
}

// pushHeaders pushes the get_headers table of hs: at most limit entries
// (0: all), keys lower-cased unless raw, repeated names as arrays, and
// unless raw the metatable that finds "User-Agent" and "user_agent";
// then "truncated" when entries were left out. It returns the number of
// results.
func (rn *Runner) pushHeaders(L *lua.LState, hs []httpd.Header, limit int, raw bool) int {
	truncated := limit > 0 && len(hs) > limit
	if truncated {
		hs = hs[:limit]
	}
	tbl := L.CreateTable(0, len(hs))
	for _, h := range hs {
		name := h.Name
		if !raw {
			name = lower(name)
		}
		addMulti(tbl, name, lua.LString(h.Value))
	}
	if !raw {
		tbl.Metatable = rn.reqHeadersMeta
	}
	L.Push(tbl)
	if truncated {
		L.Push(lua.LString(truncatedResult))
		return 2
	}
	return 1
}

// reqHeaderIndex is the __index of get_headers() tables: the key
// lower-cased, then with "_" made "-".
func reqHeaderIndex(L *lua.LState) int {
	t := L.CheckTable(1)
	k, ok := L.Get(2).(lua.LString)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	key := lower(string(k))
	v := t.RawGetString(key)
	if v == lua.LNil && strings.IndexByte(key, '_') >= 0 {
		v = t.RawGetString(strings.ReplaceAll(key, "_", "-"))
	}
	L.Push(v)
	return 1
}

// Error of ngx.req.set_header/clear_header (ngx_lua's).
const errReqHeaderName = "bad 'name' argument: string expected, got %s"

// reqSetHeader is ngx.req.set_header(name, value): value a string (numbers
// and booleans tostring'ed), a table of them (one line each), or nil/{}
// to clear. Unsafe bytes are %-escaped as in response headers.
func (rn *Runner) reqSetHeader(L *lua.LState) int {
	return rn.editReqHeader(L, L.Get(2))
}

// reqClearHeader is ngx.req.clear_header(name).
func (rn *Runner) reqClearHeader(L *lua.LState) int {
	return rn.editReqHeader(L, lua.LNil)
}

func (rn *Runner) editReqHeader(L *lua.LState, v lua.LValue) int {
	nv := L.Get(1)
	if nv == lua.LNil {
		L.RaiseError(errReqHeaderName, "nil")
	}
	c := enter(L, errNoRequest, 0)
	x := c.exchange(L)
	name := escapeHeader(lvm.ToString(L, nv), true)
	var vals []string
	switch t := v.(type) {
	case *lua.LNilType:
	case *lua.LTable:
		for i := 1; i <= t.Len(); i++ {
			vals = append(vals, escapeHeader(lvm.ToString(L, t.RawGetInt(i)), false))
		}
	default:
		vals = []string{escapeHeader(lvm.ToString(L, v), false)}
	}
	if err := x.SetRequestHeader(name, vals); err != nil {
		L.RaiseError("%s", err.Error())
	}
	return 0
}

// reqRawHeader is ngx.req.raw_header(no_request_line?): the head as the
// client sent it (the main request's in a subrequest).
func (rn *Runner) reqRawHeader(L *lua.LState) int {
	x := enter(L, errNoRequest, 0).exchange(L)
	L.Push(lua.LString(x.RawHeader(lua.LVAsBool(L.Get(1)))))
	return 1
}

// Errors of ngx.req.set_method (ngx_lua's).
const (
	errBadMethodNumber   = "bad method number"
	errUnsupportedMethod = "unsupported HTTP method: %d"
)

// reqSetMethod is ngx.req.set_method(ngx.HTTP_*).
func (rn *Runner) reqSetMethod(L *lua.LState) int {
	n, ok := L.Get(1).(lua.LNumber)
	if !ok {
		L.RaiseError("%s", errBadMethodNumber)
	}
	name, ok := methodNames[int(n)]
	if !ok {
		L.RaiseError(errUnsupportedMethod, int(n))
	}
	enter(L, errNoRequest, 0).exchange(L).SetMethod(name)
	return 0
}

// argsEscape are the bytes set_uri_args escapes in a string: controls,
// space and DEL; the rest (%, &, =, bytes >= 0x80) stay, so a string
// already encoded is not encoded twice.
var argsEscape = func() (t [256]bool) {
	for c := 0; c <= 0x20; c++ {
		t[c] = true
	}
	t[0x7f] = true
	return
}()

// reqSetURIArgs is ngx.req.set_uri_args(args): a string (a few bytes
// escaped), a number, or a table (as ngx.encode_args) becomes $args.
func (rn *Runner) reqSetURIArgs(L *lua.LState) int {
	var args string
	switch v := L.Get(1).(type) {
	case lua.LString:
		args = string(v)
		if needsEscape(args, &argsEscape) {
			args = string(appendEscaped(nil, args, &argsEscape))
		}
	case lua.LNumber:
		args, _ = luaString(v)
	case *lua.LTable:
		args = encodeArgs(L, v)
	default:
		argError(L, 1, "string, number, or table expected, but got "+typeName(v))
	}
	x := enter(L, errNoRequest, 0).exchange(L)
	if err := x.SetVar("args", args, false); err != nil {
		L.RaiseError("%s", err.Error())
	}
	return 0
}

// Errors of ngx.req.set_uri (ngx_lua's).
const (
	errSetURIArgs   = "expecting 1, 2 or 3 arguments but seen %d"
	errSetURIEmpty  = "attempt to use zero-length uri"
	errSetURIUnsafe = "unsafe byte \"0x%02x\" in uri \"%s\" (maybe you want to set the 'binary' argument?)"
)

// reqSetURI is ngx.req.set_uri(uri, jump?, binary?).
func (rn *Runner) reqSetURI(L *lua.LState) int {
	n := L.GetTop()
	if n < 1 || n > 3 {
		L.RaiseError(errSetURIArgs, n)
	}
	uri := L.CheckString(1)
	if uri == "" {
		L.RaiseError("%s", errSetURIEmpty)
	}
	jump, binary := false, false
	if n >= 2 {
		jump = L.CheckBool(2)
	}
	if n == 3 {
		binary = L.CheckBool(3)
	}
	if !binary {
		for i := 0; i < len(uri); i++ {
			if c := uri[i]; c <= 0x08 || c >= 0x0a && c <= 0x1f || c == 0x7f {
				L.RaiseError(errSetURIUnsafe, c, escapeControls(uri))
			}
		}
	}
	c := enter(L, errNoRequest, ctxRewrite|ctxAccess|ctxContent)
	if jump && c.rq.ctx != ctxRewrite {
		L.RaiseError(errContextFmt, c.rq.ctx)
	}
	x := c.exchange(L)
	x.SetURI(uri)
	if !jump {
		return 0
	}
	rq := c.rq
	rq.exited = true
	rq.exec = &httpd.PhaseResult{Outcome: httpd.Redirect, URI: uri, Jump: true}
	return c.await(L, nil) // never resumed: the location is matched again
}
