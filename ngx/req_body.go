package ngx

import (
	"strings"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	lua "github.com/yuin/gopher-lua"
)

// This file is the ngx.req body API: read_body, discard_body,
// get_body_data, get_body_file, set_body_data, set_body_file, init_body,
// append_body, finish_body, get_post_args, and lua_need_request_body. The
// body itself lives in httpd (its reader and its store, memory or temp
// file); these bindings check their arguments and contexts as ngx_lua's
// do and make one call each.

// Error strings of the body API (ngx_lua's).
const (
	errReadBodyArgs     = "expecting 0 arguments but seen %d"
	errGetBodyDataArgs  = "expecting 0 or 1 arguments but seen %d"
	errSetBodyDataArgs  = "expecting 1 arguments but seen %d"
	errSetBodyFileArgs  = "expecting 1 or 2 arguments but seen %d"
	errInitBodyArgs     = "expecting 0 or 1 argument but seen %d"
	errAppendBodyArgs   = "expecting 1 arguments but seen %d"
	errFinishBodyArgs   = "expecting 0 argument but seen %d"
	errPostArgsArgs     = "expecting 0 or 1 arguments but seen %d"
	errBadSize          = "bad size argument: %d"
	errDiscardFailed    = "failed to discard request body"
	errNoBodyFound      = "no request body found; maybe you should turn on lua_need_request_body?"
	errBodyInFile       = "request body in temp file not supported"
	errRequestNotFound  = "request object not found"
	errBodyDiscardedNow = "request body already discarded asynchronously"
	errBodyNotRead      = "request body not read yet"
	errBodyNotInit      = "request_body not initialized"
	errBodyFileWrite    = "fail to write file"
)

// injectReqBody adds the body functions to ngx.req.
func (rn *Runner) injectReqBody(L *lua.LState, req *lua.LTable) {
	setFuncs(L, req, []binding{
		{"socket", rn.reqSocket},
		{"read_body", rn.reqReadBody},
		{"discard_body", rn.reqDiscardBody},
		{"get_body_data", rn.reqGetBodyData},
		{"get_body_file", rn.reqGetBodyFile},
		{"set_body_data", rn.reqSetBodyData},
		{"set_body_file", rn.reqSetBodyFile},
		{"init_body", rn.reqInitBody},
		{"append_body", rn.reqAppendBody},
		{"finish_body", rn.reqFinishBody},
		{"get_post_args", rn.reqGetPostArgs},
	})
}

// reqReadBody is ngx.req.read_body(): it waits until the whole body is
// read (memory or temp file). A body too large or badly framed ends the
// handler with nginx's status (413, 400), as ngx_lua finalizes the
// request; a client that goes away or times out aborts it.
func (rn *Runner) reqReadBody(L *lua.LState) int {
	if n := L.GetTop(); n != 0 {
		L.RaiseError(errReadBodyArgs, n)
	}
	c := enter(L, errRequestNotFound, maskBody)
	x := c.exchange(L)
	switch x.BodyState() {
	case httpd.BodyAbsent:
		x.ReadBody(nil) // records the empty body, as ngx_lua does
		return 0
	case httpd.BodyUnread:
	default:
		return 0
	}
	ret := c.await(L, nil) // the body read ends with the request: a late outcome is not delivered
	rq, tk := c.rq, c.tk
	x.ReadBody(func(_ []byte, err error) {
		if err != nil {
			rq.bodyFailed(err)
			return
		}
		rq.complete(c, tk)
	})
	return ret
}

// bodyFailed ends the handler after a failed body read with the status
// nginx finalizes the request with.
func (rq *request) bodyFailed(err error) {
	if res, ok := bodyFailure(err); ok && rq.active {
		rq.finish(res)
	}
}

// bodyFailure is the handler's end after a failed body read: the status
// nginx finalizes with (413, 400, ...), or false when the client is gone
// or timed out, where httpd ends the request without a response.
func bodyFailure(err error) (httpd.PhaseResult, bool) {
	e, ok := err.(*httpd.Error)
	if !ok || e.Status == httpd.StatusRequestTimeout {
		return httpd.PhaseResult{}, false
	}
	return httpd.PhaseResult{Outcome: httpd.Exit, Status: e.Status}, true
}

// needBody runs before a rewrite, access or content handler of a location
// with lua_need_request_body on: it reads the body first and then runs
// the handler (Pending), or returns false when there is nothing to read.
func (rn *Runner) needBody(x httpd.Exchange, phase httpd.Phase, code *conf.LuaCode) bool {
	if phase == httpd.PhaseLog || x.Location() == nil || !x.Location().NeedRequestBody {
		return false
	}
	if x.BodyState() != httpd.BodyUnread {
		return false
	}
	x.ReadBody(func(_ []byte, err error) {
		if err != nil {
			if res, ok := bodyFailure(err); ok {
				x.Resume(res)
			}
			return
		}
		if res := rn.Run(x, phase, code); res.Outcome != httpd.Pending {
			x.Resume(res)
		}
	})
	return true
}

// reqDiscardBody is ngx.req.discard_body().
func (rn *Runner) reqDiscardBody(L *lua.LState) int {
	if n := L.GetTop(); n != 0 {
		L.RaiseError(errReadBodyArgs, n)
	}
	c := enter(L, errRequestNotFound, 0)
	c.exchange(L).DiscardBody()
	return 0
}

// reqGetBodyData is ngx.req.get_body_data(max_bytes?): the body in
// memory, nil when none is kept or it is in a file.
func (rn *Runner) reqGetBodyData(L *lua.LState) int {
	n := L.GetTop()
	if n > 1 {
		L.RaiseError(errGetBodyDataArgs, n)
	}
	max := L.OptInt(1, 0)
	x := enter(L, errRequestNotFound, 0).exchange(L)
	data, file := x.RequestBody()
	if file != "" || len(data) == 0 {
		L.Push(lua.LNil)
		return 1
	}
	if max > 0 && max < len(data) {
		data = data[:max]
	}
	L.Push(lua.LString(data))
	return 1
}

// reqGetBodyFile is ngx.req.get_body_file(): the temp file's name, or nil.
func (rn *Runner) reqGetBodyFile(L *lua.LState) int {
	if n := L.GetTop(); n != 0 {
		L.RaiseError(errReadBodyArgs, n)
	}
	x := enter(L, errRequestNotFound, 0).exchange(L)
	if _, file := x.RequestBody(); file != "" {
		L.Push(lua.LString(file))
		return 1
	}
	L.Push(lua.LNil)
	return 1
}

// raiseBodyErr raises an install refusal in ngx_lua's words.
func raiseBodyErr(L *lua.LState, err error) {
	switch err {
	case nil:
		return
	case httpd.ErrBodyDiscardedNow:
		L.RaiseError("%s", errBodyDiscardedNow)
	case httpd.ErrBodyNotRead:
		L.RaiseError("%s", errBodyNotRead)
	case httpd.ErrBodyNotInit:
		L.RaiseError("%s", errBodyNotInit)
	case httpd.ErrBodyFileWrite:
		L.RaiseError("%s", errBodyFileWrite)
	}
	L.RaiseError("%s", err.Error())
}

// reqSetBodyData is ngx.req.set_body_data(data).
func (rn *Runner) reqSetBodyData(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		L.RaiseError(errSetBodyDataArgs, n)
	}
	data := L.CheckString(1)
	x := enter(L, errRequestNotFound, maskBody).exchange(L)
	raiseBodyErr(L, x.SetRequestBody([]byte(data)))
	return 0
}

// reqSetBodyFile is ngx.req.set_body_file(path, auto_clean?).
func (rn *Runner) reqSetBodyFile(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		L.RaiseError(errSetBodyFileArgs, n)
	}
	path := L.CheckString(1)
	clean := false
	if n == 2 {
		clean = L.CheckBool(2)
	}
	x := enter(L, errRequestNotFound, maskBody).exchange(L)
	raiseBodyErr(L, x.SetRequestBodyFile(path, clean))
	return 0
}

// reqInitBody is ngx.req.init_body(buffer_size?).
func (rn *Runner) reqInitBody(L *lua.LState) int {
	n := L.GetTop()
	if n > 1 {
		L.RaiseError(errInitBodyArgs, n)
	}
	size := int64(-1)
	if n == 1 && L.Get(1) != lua.LNil {
		v := L.CheckInt(1)
		if v < 0 {
			L.RaiseError(errBadSize, v)
		}
		size = int64(v)
	}
	x := enter(L, errRequestNotFound, maskBody).exchange(L)
	raiseBodyErr(L, x.InitBody(size))
	return 0
}

// reqAppendBody is ngx.req.append_body(data).
func (rn *Runner) reqAppendBody(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		L.RaiseError(errAppendBodyArgs, n)
	}
	data := L.CheckString(1)
	x := enter(L, errRequestNotFound, maskBody).exchange(L)
	raiseBodyErr(L, x.AppendBody([]byte(data)))
	return 0
}

// reqFinishBody is ngx.req.finish_body().
func (rn *Runner) reqFinishBody(L *lua.LState) int {
	if n := L.GetTop(); n != 0 {
		L.RaiseError(errFinishBodyArgs, n)
	}
	x := enter(L, errRequestNotFound, maskBody).exchange(L)
	raiseBodyErr(L, x.FinishBody())
	return 0
}

// reqGetPostArgs is ngx.req.get_post_args(max_args?).
func (rn *Runner) reqGetPostArgs(L *lua.LState) int {
	n := L.GetTop()
	if n > 1 {
		L.RaiseError(errPostArgsArgs, n)
	}
	limit := L.OptInt(1, defaultMax)
	x := enter(L, errRequestNotFound, 0).exchange(L)
	switch x.BodyState() {
	case httpd.BodyDiscarded:
		L.Push(L.NewTable())
		return 1
	case httpd.BodyUnread, httpd.BodyReading:
		L.RaiseError("%s", errNoBodyFound)
	}
	data, file := x.RequestBody()
	if file != "" {
		return pushErr(L, errBodyInFile)
	}
	tbl := L.NewTable()
	truncated := decodePostArgs(tbl, string(data), limit)
	L.Push(tbl)
	if truncated {
		L.Push(lua.LString(truncatedResult))
		return 2
	}
	return 1
}

// decodePostArgs is decodeArgs with ngx_lua's counting for post args: a
// pair counts once an "&" ends it (a dropped empty key too), and parsing
// stops, truncated, when the count reaches limit (> 0). The last pair,
// with no "&" after it, never truncates.
func decodePostArgs(tbl *lua.LTable, s string, limit int) bool {
	count := 0
	for s != "" {
		piece, rest, more := strings.Cut(s, "&")
		k, v, hasEq := strings.Cut(piece, "=")
		if key := unescapeArg(k); key != "" {
			var val lua.LValue = lua.LTrue
			if hasEq {
				val = lua.LString(unescapeArg(v))
			}
			addMulti(tbl, key, val)
		}
		if !more {
			break
		}
		count++
		if limit > 0 && count >= limit {
			return true
		}
		s = rest
	}
	return false
}
