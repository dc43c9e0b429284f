package ngx

import (
	"strconv"
	"strings"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// This file is ngx.location.capture and capture_multi: subrequests through
// httpd's phase engine (httpd/subrequest.go), all of one call started at
// once, the calling coroutine resumed with their responses in order once
// the last one ended.

// Error strings of ngx.location.* (ngx_lua's).
const (
	errCaptureArgs      = "expecting one or two arguments"
	errMultiArgs        = "only one argument is expected, but got %d"
	errMultiEmpty       = "at least one subrequest should be specified"
	errMultiHole        = "only array-like tables are allowed"
	errMultiNotTable    = "the query argument %d is not a table, but a %s"
	errMultiQueryArgs   = "query argument %d expecting one or two arguments"
	errMultiOptions     = "expecting table as the 2nd argument for subrequest %d, but got %s"
	errBadMethod        = "Bad http request method"
	errBadBody          = "Bad http request body"
	errBadArgs          = "Bad args option value"
	errBadCtx           = "Bad ctx option value type %s, expected a Lua table"
	errSubIssue         = "failed to issue subrequest: %d"
	errUnsafeURI        = "unsafe uri in argument #1: %s"
	logUnsupportedMetho = "unsupported HTTP method: %d"
	errBadVars          = "Bad vars option value"
	errVarsKey          = `attempt to use a non-string key in the "vars" option table`
	errVarsValue        = "attempt to use bad variable value type %s"
	errBadHeaders       = "Bad headers option value"
	errBadCopyVars      = "Bad copy_all_vars option value"
	errBadShareVars     = "Bad share_all_vars option value"
)

// methodNames are the ngx.HTTP_* method constants' names.
var methodNames = map[int]string{
	2: "GET", 4: "HEAD", 8: "POST", 16: "PUT", 32: "DELETE", 64: "MKCOL", 128: "COPY",
	256: "MOVE", 512: "OPTIONS", 1024: "PROPFIND", 2048: "PROPPATCH", 4096: "LOCK",
	8192: "UNLOCK", 16384: "PATCH", 32768: "TRACE",
}

// injectLocation adds ngx.location.
func (rn *Runner) injectLocation(L *lua.LState, ngx *lua.LTable) {
	t := L.NewTable()
	setFuncs(L, t, []binding{
		{"capture", rn.locationCapture},
		{"capture_multi", rn.locationCaptureMulti},
	})
	ngx.RawSetString("location", t)
}

// subCall is one subrequest of a capture call.
type subCall struct {
	opts httpd.SubOptions
	ctx  *lua.LTable
	vars [][2]string
}

// locationCapture is ngx.location.capture(uri, options?).
func (rn *Runner) locationCapture(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		L.RaiseError("%s", errCaptureArgs)
	}
	c := enter(L, errNoRequest, maskBody)
	x := c.exchange(L)
	call := rn.subCall(L, x, 0, L.Get(1), L.Get(2))
	return rn.capture(L, c, x, []subCall{call})
}

// locationCaptureMulti is ngx.location.capture_multi({{uri, opts?}, ...}).
func (rn *Runner) locationCaptureMulti(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		L.RaiseError(errMultiArgs, n)
	}
	list := L.CheckTable(1)
	c := enter(L, errNoRequest, maskBody)
	x := c.exchange(L)
	n := list.Len()
	if n == 0 {
		L.RaiseError("%s", errMultiEmpty)
	}
	count := 0
	list.ForEach(func(lua.LValue, lua.LValue) { count++ })
	if count != n {
		L.RaiseError("%s", errMultiHole)
	}
	calls := make([]subCall, 0, n)
	for i := 1; i <= n; i++ {
		q, ok := list.RawGetInt(i).(*lua.LTable)
		if !ok {
			L.RaiseError(errMultiNotTable, i-1, typeName(list.RawGetInt(i)))
		}
		if m := q.Len(); m != 1 && m != 2 {
			L.RaiseError(errMultiQueryArgs, i-1)
		}
		calls = append(calls, rn.subCall(L, x, i-1, q.RawGetInt(1), q.RawGetInt(2)))
	}
	return rn.capture(L, c, x, calls)
}

// subCall reads one subrequest's uri and options.
func (rn *Runner) subCall(L *lua.LState, x httpd.Exchange, i int, uriV, optsV lua.LValue) subCall {
	uri, ok := luaString(uriV)
	if !ok || uriV == lua.LNil {
		argError(L, 1, "string expected, got "+typeName(uriV))
	}
	var call subCall
	path, args, _ := strings.Cut(uri, "?")
	if unsafeURI(path) {
		L.RaiseError(errUnsafeURI, uri)
	}
	call.opts.URI, call.opts.Args = path, args
	method := 2
	switch o := optsV.(type) {
	case *lua.LNilType:
	case *lua.LTable:
		if v := o.RawGetString("method"); v != lua.LNil {
			f, ok := v.(lua.LNumber)
			if !ok {
				L.RaiseError("%s", errBadMethod)
			}
			method = int(f)
		}
		switch v := o.RawGetString("body").(type) {
		case *lua.LNilType:
		case lua.LString, lua.LNumber:
			s, _ := luaString(v)
			call.opts.Body, call.opts.HasBody = []byte(s), true
		default:
			L.RaiseError("%s", errBadBody)
		}
		switch v := o.RawGetString("args").(type) {
		case *lua.LNilType:
		case lua.LString, lua.LNumber:
			s, _ := luaString(v)
			call.opts.Args = joinArgs(call.opts.Args, s)
		case *lua.LTable:
			call.opts.Args = joinArgs(call.opts.Args, encodeArgs(L, v))
		default:
			L.RaiseError("%s", errBadArgs)
		}
		switch v := o.RawGetString("ctx").(type) {
		case *lua.LNilType:
		case *lua.LTable:
			call.ctx = v
		default:
			L.RaiseError(errBadCtx, typeName(v))
		}
		switch v := o.RawGetString("vars").(type) {
		case *lua.LNilType:
		case *lua.LTable:
			v.ForEach(func(k, val lua.LValue) {
				key, ok := k.(lua.LString)
				if !ok {
					L.RaiseError("%s", errVarsKey)
				}
				sv, ok := luaString(val)
				if !ok || val == lua.LNil {
					L.RaiseError(errVarsValue, typeName(val))
				}
				call.vars = append(call.vars, [2]string{string(key), sv})
			})
		default:
			L.RaiseError("%s", errBadVars)
		}
		switch v := o.RawGetString("headers").(type) {
		case *lua.LNilType:
		case *lua.LTable:
			v.ForEach(func(k, val lua.LValue) {
				ks, ok1 := luaString(k)
				vs, ok2 := luaString(val)
				if !ok1 || !ok2 {
					L.RaiseError("%s", errBadHeaders)
				}
				call.opts.Headers = append(call.opts.Headers, httpd.Header{Name: ks, Value: vs})
			})
		default:
			L.RaiseError("%s", errBadHeaders)
		}
		call.opts.CopyVars = optBool(L, o, "copy_all_vars", errBadCopyVars)
		call.opts.ShareVars = optBool(L, o, "share_all_vars", errBadShareVars)
		call.opts.ForwardBody = lua.LVAsBool(o.RawGetString("always_forward_body"))
	default:
		L.RaiseError(errMultiOptions, i, typeName(optsV))
	}
	name, ok := methodNames[method]
	if !ok {
		current(L).rq.logf(conf.LogError, logUnsupportedMetho, method)
		L.RaiseError(errSubIssue, -1)
	}
	call.opts.Method = name
	if method == 8 || method == 16 { // POST and PUT forward the parent's body
		call.opts.ForwardBody = true
	}
	return call
}

// optBool reads a boolean option (nil is false), raising msg otherwise.
func optBool(L *lua.LState, o *lua.LTable, name, msg string) bool {
	switch v := o.RawGetString(name).(type) {
	case *lua.LNilType:
		return false
	case lua.LBool:
		return bool(v)
	}
	L.RaiseError("%s", msg)
	return false
}

// joinArgs appends extra to a query string with "&".
func joinArgs(a, extra string) string {
	switch {
	case a == "":
		return extra
	case extra == "":
		return a
	}
	return a + "&" + extra
}

// unsafeURI is nginx's ngx_http_parse_unsafe_uri in short: a path that
// climbs above the root ("/../", a trailing "/..") is refused.
func unsafeURI(p string) bool {
	for i := 0; i+2 < len(p)+1; i++ {
		if strings.HasPrefix(p[i:], "..") && (i == 0 || p[i-1] == '/') && (i+2 == len(p) || p[i+2] == '/') {
			return true
		}
	}
	return false
}

// capture starts the subrequests and waits for all of them. They start
// from the loop's run queue, so none ends before the wait is armed.
func (rn *Runner) capture(L *lua.LState, c *coro, x httpd.Exchange, calls []subCall) int {
	rq := c.rq
	results := make([]lua.LValue, len(calls))
	left := len(calls)
	var tk lvm.Ticket // the wait's, armed below, before any result comes
	for i := range calls {
		call := &calls[i]
		if call.ctx != nil || call.vars != nil {
			ctx, vars := call.ctx, call.vars
			call.opts.Init = func(sx httpd.Exchange) {
				if ctx != nil {
					srq := rn.newRequest(sx)
					sx.SetCtx(srq)
					srq.ctxTable = ctx
				}
				for _, kv := range vars {
					if err := sx.SetVar(kv[0], kv[1], false); err != nil {
						L.RaiseError("%s", err.Error())
					}
				}
			}
		}
		err := x.Subrequest(call.opts, func(res *httpd.SubResult) {
			results[i] = subResultTable(rn.vm.L, res)
			left--
			if left == 0 {
				rq.complete(c, tk, results...)
			}
		})
		if err != nil {
			L.RaiseError(errSubIssue, -1)
		}
	}
	ret := c.await(L, nil) // abandoning the request abandons its subrequests
	tk = c.tk
	return ret
}

// subResultTable is a capture result: status, header, body, truncated.
func subResultTable(L *lua.LState, res *httpd.SubResult) *lua.LTable {
	t := L.CreateTable(0, 4)
	t.RawSetString("status", lvm.Int(res.Status))
	h := L.CreateTable(0, len(res.Headers))
	for _, hd := range res.Headers {
		var v lua.LValue = lua.LString(hd.Value)
		if strings.EqualFold(hd.Name, "Content-Length") {
			if n, err := strconv.ParseInt(hd.Value, 10, 64); err == nil {
				v = lvm.Int(int(n))
			}
		}
		switch old := h.RawGetString(hd.Name).(type) {
		case *lua.LNilType:
			h.RawSetString(hd.Name, v)
		case *lua.LTable:
			old.Append(v)
		default:
			arr := L.CreateTable(2, 0)
			arr.Append(old)
			arr.Append(v)
			h.RawSetString(hd.Name, arr)
		}
	}
	t.RawSetString("header", h)
	t.RawSetString("body", lua.LString(res.Body))
	t.RawSetString("truncated", lua.LBool(res.Truncated))
	return t
}
