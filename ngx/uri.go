package ngx

import (
	"fmt"
	"strings"

	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// This file is ngx.escape_uri, ngx.unescape_uri, ngx.encode_args,
// ngx.decode_args and ngx.quote_sql_str: string utilities with no request,
// usable in every context (init_by_lua included), each one Go call.

// Error strings of the utilities (ngx_lua's).
const (
	errEscapeTypeNaN   = `"type" is not a number`
	errEscapeTypeRange = `"type" %d out of range`
	errArgsKey         = `attempt to use a non-string key in the "args" option table`
	errArgsValue       = "attempt to use %s as query arg value"
)

// Escape types of ngx.escape_uri (nginx's NGX_ESCAPE_*).
const (
	escapeURI       = 0 // NGX_ESCAPE_URI
	escapeArgs      = 1 // NGX_ESCAPE_ARGS
	escapeComponent = 2 // NGX_ESCAPE_URI_COMPONENT (the default)
	escapeHTML      = 3 // NGX_ESCAPE_HTML
	escapeRefresh   = 4 // NGX_ESCAPE_REFRESH
	escapeMemcached = 5 // NGX_ESCAPE_MEMCACHED
	escapeMailAuth  = 6 // NGX_ESCAPE_MAIL_AUTH
)

// escapeTables are ngx_lua's escape tables (ngx_http_lua_escape_uri), as
// the reference answers them byte by byte: true is a byte that becomes %XX.
var escapeTables [7][256]bool

func init() {
	for c := 0; c < 256; c++ {
		ctl := c <= 0x20         // controls and space: every type
		high := ctl || c >= 0x7f // and DEL and the upper half
		in := func(set string) bool { return strings.IndexByte(set, byte(c)) >= 0 }
		alnum := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		escapeTables[escapeURI][c] = high || in("#%?")
		escapeTables[escapeArgs][c] = high || in("#%+?")
		escapeTables[escapeComponent][c] = !alnum && !in("-._~!*'()")
		escapeTables[escapeHTML][c] = high || in("\"#%'")
		escapeTables[escapeRefresh][c] = high || in("\"'")
		escapeTables[escapeMemcached][c] = ctl || c == '%'
		escapeTables[escapeMailAuth][c] = ctl || c == '%'
	}
}

// injectURI adds the utilities to the ngx table.
func (rn *Runner) injectURI(L *lua.LState, ngx *lua.LTable) {
	setFuncs(L, ngx, []binding{
		{"escape_uri", escapeURIFn},
		{"unescape_uri", unescapeURIFn},
		{"encode_args", encodeArgsFn},
		{"decode_args", decodeArgsFn},
		{"quote_sql_str", quoteSQLStrFn},
	})
}

// appendEscaped appends s with the bytes of table t as upper-case %XX.
func appendEscaped(b []byte, s string, t *[256]bool) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if t[c] {
			b = append(b, '%', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}

// needsEscape reports whether s has a byte of table t.
func needsEscape(s string, t *[256]bool) bool {
	for i := 0; i < len(s); i++ {
		if t[s[i]] {
			return true
		}
	}
	return false
}

// luaString is tostring for the string and number arguments of the
// utilities (nil is ""), or false for another type.
func luaString(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return string(lvm.AppendNumber(nil, float64(v))), true
	case *lua.LNilType:
		return "", true
	}
	return "", false
}

// raiseCore raises an error as lua-resty-core's error(msg, 2) reads under
// LuaJIT: prefixed with the position of the Lua code that made the call,
// even through pcall (a LuaJIT fast function is no level of its own).
func raiseCore(L *lua.LState, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if w := lvm.Where(L); w != "" {
		msg = w + " " + msg
	}
	L.Error(lua.LString(msg), 0)
}

// escapeURIFn is ngx.escape_uri(s, type?).
func escapeURIFn(L *lua.LState) int {
	s, ok := luaString(L.Get(1))
	if !ok {
		argError(L, 1, "string expected, got "+typeName(L.Get(1)))
	}
	typ := escapeComponent
	if v := L.Get(2); v != lua.LNil {
		f, ok := v.(lua.LNumber)
		if !ok {
			raiseCore(L, "%s", errEscapeTypeNaN)
		}
		typ = int(f)
		if typ < escapeURI || typ > escapeMailAuth {
			raiseCore(L, errEscapeTypeRange, typ)
		}
	}
	t := &escapeTables[typ]
	if !needsEscape(s, t) {
		L.Push(lua.LString(s))
		return 1
	}
	L.Push(lua.LString(appendEscaped(make([]byte, 0, len(s)+16), s, t)))
	return 1
}

// unescapeURIFn is ngx.unescape_uri(s): %XX and "+" decoded, malformed
// escapes kept.
func unescapeURIFn(L *lua.LState) int {
	s, ok := luaString(L.Get(1))
	if !ok {
		argError(L, 1, "string expected, got "+typeName(L.Get(1)))
	}
	L.Push(lua.LString(unescapeArg(s)))
	return 1
}

// encodeArgsFn is ngx.encode_args(t).
func encodeArgsFn(L *lua.LState) int {
	t := L.CheckTable(1)
	L.Push(lua.LString(encodeArgs(L, t)))
	return 1
}

// encodeArgs is the query string of t as ngx.encode_args (and the args
// option of subrequests) makes it: keys and values escaped as URI
// components, true a bare key, false left out, arrays repeated keys.
func encodeArgs(L *lua.LState, t *lua.LTable) string {
	comp := &escapeTables[escapeComponent]
	var b []byte
	pair := func(k string, v lua.LValue) {
		switch v := v.(type) {
		case lua.LBool:
			if !v {
				return
			}
			if len(b) > 0 {
				b = append(b, '&')
			}
			b = appendEscaped(b, k, comp)
		case lua.LString, lua.LNumber:
			s, _ := luaString(v)
			if len(b) > 0 {
				b = append(b, '&')
			}
			b = appendEscaped(b, k, comp)
			b = append(b, '=')
			b = appendEscaped(b, s, comp)
		default:
			L.RaiseError(errArgsValue, typeName(v))
		}
	}
	t.ForEach(func(k, v lua.LValue) {
		key, ok := k.(lua.LString)
		if !ok {
			L.RaiseError("%s", errArgsKey)
		}
		if arr, ok := v.(*lua.LTable); ok {
			for i := 1; i <= arr.Len(); i++ {
				pair(string(key), arr.RawGetInt(i))
			}
			return
		}
		pair(string(key), v)
	})
	return string(b)
}

// decodeArgsFn is ngx.decode_args(s, max?).
func decodeArgsFn(L *lua.LState) int {
	s := L.CheckString(1)
	limit := maxArg(L, 2)
	tbl := L.NewTable()
	truncated := decodeArgs(tbl, s, limit)
	L.Push(tbl)
	if truncated {
		L.Push(lua.LString(truncatedResult))
		return 2
	}
	return 1
}

// quoteSQLStrFn is ngx.quote_sql_str(s): MySQL quoting, in single quotes.
func quoteSQLStrFn(L *lua.LState) int {
	s, ok := luaString(L.Get(1))
	if !ok {
		argError(L, 1, "string expected, got "+typeName(L.Get(1)))
	}
	b := make([]byte, 0, len(s)+8)
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			b = append(b, '\\', '0')
		case '\b':
			b = append(b, '\\', 'b')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case 0x1a:
			b = append(b, '\\', 'Z')
		case '\\', '\'', '"':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	b = append(b, '\'')
	L.Push(lua.LString(b))
	return 1
}
