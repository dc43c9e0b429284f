package ngx

import (
	"math"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// injectTime adds the time API. Times come from the loop's per-turn clock,
// like nginx's time cache: every call in one loop turn sees the same time
// until ngx.update_time() refreshes it.
func (rn *Runner) injectTime(L *lua.LState, ngx *lua.LTable) {
	setFuncs(L, ngx, []binding{
		{"cookie_time", rn.cookieTime},
		{"http_time", rn.httpTime},
		{"localtime", rn.localtime},
		{"now", rn.now},
		{"parse_http_time", rn.parseHTTPTime},
		{"time", rn.time},
		{"today", rn.today},
		{"update_time", rn.updateTime},
		{"utctime", rn.utctime},
	})
}

// clock is the cached time: the loop turn's start, or the last
// ngx.update_time() when that is later.
func (rn *Runner) clock(L *lua.LState) time.Time {
	var t time.Time
	switch {
	case current(L) != nil && current(L).rq.x != nil:
		t = current(L).rq.x.Loop().Now()
	case rn.loop != nil:
		t = rn.loop.Now()
	default:
		t = time.Now()
	}
	if rn.updated.After(t) {
		return rn.updated
	}
	return t
}

// now is ngx.now(): seconds with millisecond precision.
func (rn *Runner) now(L *lua.LState) int {
	L.Push(lua.LNumber(float64(rn.clock(L).UnixMilli()) / 1000))
	return 1
}

// time is ngx.time(): whole seconds.
func (rn *Runner) time(L *lua.LState) int {
	L.Push(lua.LNumber(rn.clock(L).Unix()))
	return 1
}

// updateTime is ngx.update_time(): refresh the cached time now.
func (rn *Runner) updateTime(L *lua.LState) int {
	rn.updated = time.Now().Truncate(time.Millisecond)
	return 0
}

// today is ngx.today(): "2010-11-19", local time.
func (rn *Runner) today(L *lua.LState) int {
	L.Push(lua.LString(rn.clock(L).Local().Format("2006-01-02")))
	return 1
}

// localtime is ngx.localtime(): "2010-11-19 20:56:31", local time.
func (rn *Runner) localtime(L *lua.LState) int {
	L.Push(lua.LString(rn.clock(L).Local().Format(time.DateTime)))
	return 1
}

// utctime is ngx.utctime(): "2010-11-19 20:56:31", UTC.
func (rn *Runner) utctime(L *lua.LState) int {
	L.Push(lua.LString(rn.clock(L).UTC().Format(time.DateTime)))
	return 1
}

// secArg is a time function's number argument, truncated like the FFI's
// long conversion.
func secArg(L *lua.LState) time.Time {
	f, ok := L.Get(1).(lua.LNumber)
	if !ok {
		L.RaiseError("%s", errTimeNumberOnly)
	}
	return time.Unix(int64(math.Trunc(float64(f))), 0).UTC()
}

// httpTime is ngx.http_time(sec): "Thu, 18 Nov 2010 11:27:35 GMT".
func (rn *Runner) httpTime(L *lua.LState) int {
	L.Push(lua.LString(secArg(L).Format(httpTimeLayout)))
	return 1
}

// cookieTime is ngx.cookie_time(sec): "Thu, 18-Nov-10 11:27:35 GMT", with
// a four-digit year after 2037 as nginx writes it.
func (rn *Runner) cookieTime(L *lua.LState) int {
	t := secArg(L)
	layout := "Mon, 02-Jan-06 15:04:05 GMT"
	if t.Year() > 2037 {
		layout = "Mon, 02-Jan-2006 15:04:05 GMT"
	}
	L.Push(lua.LString(t.Format(layout)))
	return 1
}

// httpTimeLayout is nginx's ngx_http_time.
const httpTimeLayout = "Mon, 02 Jan 2006 15:04:05 GMT"

// httpDateLayouts are the forms nginx's ngx_parse_http_time accepts:
// RFC 1123, RFC 850 and asctime.
var httpDateLayouts = []string{
	time.RFC1123,
	"Monday, 02-Jan-06 15:04:05 MST",
	time.ANSIC,
}

// parseHTTPTime is ngx.parse_http_time(str): seconds, or nil.
func (rn *Runner) parseHTTPTime(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if !ok {
		L.RaiseError("%s", errTimeStringOnly)
	}
	str := strings.TrimSpace(string(s))
	for _, layout := range httpDateLayouts {
		if t, err := time.Parse(layout, str); err == nil {
			L.Push(lua.LNumber(t.Unix()))
			return 1
		}
	}
	L.Push(lua.LNil)
	return 1
}
