package ngx

import (
	"strings"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// injectHeader adds ngx.header: an empty table whose metatable reads and
// writes the response headers (spec §9; lua-resty-core's response.lua).
func (rn *Runner) injectHeader(L *lua.LState, ngx *lua.LTable) {
	mt := L.NewTable()
	setFuncs(L, mt, []binding{
		{"__index", rn.getHeader},
		{"__newindex", rn.setHeader},
	})
	h := L.NewTable()
	L.SetMetatable(h, mt)
	ngx.RawSetString("header", h)
}

// headerName turns a Lua key into a header name for x: tostring'ed, every
// "_" made "-" unless lua_transform_underscores_in_response_headers is off
// where x runs (t/016-resp-header.t TEST 44-45), unsafe bytes escaped.
func headerName(L *lua.LState, x httpd.Exchange, k lua.LValue) string {
	name := lvm.ToString(L, k)
	if strings.IndexByte(name, '_') >= 0 && transformUnderscores(x) {
		name = strings.ReplaceAll(name, "_", "-")
	}
	return escapeHeader(name, true)
}

// transformUnderscores is lua_transform_underscores_in_response_headers in
// force for x: its location's, else its server's (on by default).
func transformUnderscores(x httpd.Exchange) bool {
	if loc := x.Location(); loc != nil {
		return loc.LuaTransformUnderscores
	}
	if srv := x.Server(); srv != nil {
		return srv.LuaTransformUnderscores
	}
	return true
}

// getHeader is ngx.header.NAME: nil, a string, or an array table when the
// header has several values.
func (rn *Runner) getHeader(L *lua.LState) int {
	x := enter(L, errNoRequest, 0).exchange(L)
	vals := x.ResponseHeader(headerName(L, x, L.Get(2)))
	switch len(vals) {
	case 0:
		L.Push(lua.LNil)
	case 1:
		L.Push(lua.LString(vals[0]))
	default:
		t := L.CreateTable(len(vals), 0)
		for i, v := range vals {
			t.RawSetInt(i+1, lua.LString(v))
		}
		L.Push(t)
	}
	return 1
}

// setHeader is ngx.header.NAME = value: a string (numbers and booleans
// tostring'ed), an array table for several lines, nil or {} to remove.
// After the headers went out it logs and ignores the assignment.
func (rn *Runner) setHeader(L *lua.LState) int {
	c := enter(L, errNoRequest, 0)
	x := c.exchange(L)
	name := headerName(L, x, L.Get(2))
	v := L.Get(3)
	var vals []string
	switch t := v.(type) {
	case *lua.LNilType:
	case *lua.LTable:
		n := t.Len()
		vals = make([]string, 0, n)
		for i := 1; i <= n; i++ {
			vals = append(vals, escapeHeader(lvm.ToString(L, t.RawGetInt(i)), false))
		}
	default:
		vals = []string{escapeHeader(lvm.ToString(L, v), false)}
	}
	if x.HeadersSent() {
		c.rq.logf(conf.LogError, "%s", logHeaderAfterSent)
		return 0
	}
	if len(vals) == 0 {
		vals = nil
	} else if strings.EqualFold(name, "Content-Length") && !decimal(vals[len(vals)-1]) {
		// nginx's ngx_atoof refuses it; ngx_lua raises (t/016 TEST 2).
		L.RaiseError("%s", errSetHeader)
	}
	x.SetResponseHeader(name, vals)
	return 0
}

// decimal reports whether s is a non-empty run of ASCII digits.
func decimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// unsafeName and unsafeValue mark the bytes ngx_lua %-escapes in response
// header names and values (t/016 TEST 87-93).
var unsafeName, unsafeValue [256]bool

func init() {
	for b := 0; b < 256; b++ {
		ctl := b < 0x20 || b == 0x7f
		unsafeValue[b] = ctl && b != '\t'
		unsafeName[b] = ctl || b >= 0x7f || strings.IndexByte(" \"(),/:;<=>?@[\\]{}", byte(b)) >= 0
	}
}

// escapeHeader %-escapes (upper-case hex) the unsafe bytes of a header
// name or value; s is returned as is when it has none.
func escapeHeader(s string, name bool) string {
	unsafe := &unsafeValue
	if name {
		unsafe = &unsafeName
	}
	i := 0
	for i < len(s) && !unsafe[s[i]] {
		i++
	}
	if i == len(s) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		ch := s[i]
		if unsafe[ch] {
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}
