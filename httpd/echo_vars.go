package httpd

import (
	"strconv"
	"time"
)

// This file has the echo module's variables ($echo_*) and its body
// filter (echo_before_body, echo_after_body).

// echoVars are the variables of the echo module.
var echoVars = []string{
	"echo_timer_elapsed", "echo_request_method", "echo_client_request_method",
	"echo_request_body", "echo_client_request_headers", "echo_request_uri",
	"echo_cacheable_request_uri", "echo_it", "echo_incr", "echo_response_status",
}

func init() {
	for _, n := range echoVars {
		builtinVars[n] = true
	}
}

// appendEchoVar appends the value of an echo variable (name starts with
// "echo_"); known says whether it is one.
func (t *Txn) appendEchoVar(dst []byte, name string) (out []byte, found, known bool) {
	switch name {
	case "echo_timer_elapsed":
		begin := t.echo.timerMs
		if begin == 0 {
			begin = t.s.startMs
		}
		return appendMillis(dst, max(time.Now().UnixMilli()-begin, 0)), true, true
	case "echo_request_method", "echo_client_request_method":
		return append(dst, t.method()...), true, true
	case "echo_request_uri", "echo_cacheable_request_uri":
		p := t.path()
		return append(dst, p...), len(p) > 0, true
	case "echo_request_body":
		b := t.s.store.data()
		if t.bodyState != bodyDone || t.bodyCb != nil || b == nil {
			return dst, false, true
		}
		return append(dst, b...), true, true
	case "echo_client_request_headers":
		return append(dst, t.req.RawHead(t.buf)...), true, true
	case "echo_it":
		if !t.echo.foreach || t.echo.choice >= len(t.echo.items) {
			return dst, false, true
		}
		return append(dst, t.echo.items[t.echo.choice]...), true, true
	case "echo_incr":
		// One counter per main request, its subrequests included.
		m := t
		for m.sub != nil {
			m = m.sub.parent
		}
		m.echo.counter++
		return strconv.AppendInt(dst, int64(m.echo.counter), 10), true, true
	case "echo_response_status":
		if t.status == 0 {
			return dst, false, true
		}
		return strconv.AppendInt(dst, int64(t.status), 10), true, true
	}
	return dst, false, false
}

// Body filter states of a response (Txn.ef).
const (
	efOff    uint8 = iota // the location has no echo_before_body/echo_after_body
	efBefore              // the before-body output is still to come
	efBody                // the body is going out; the after-body output comes at its end
	efDone                // both were written
)

// echoHeaderFilter is echo's header filter: with echo_before_body or
// echo_after_body in force, the response loses its Content-Length (its
// body changes) and with it range support.
func (t *Txn) echoHeaderFilter() {
	st := t.settings()
	if len(st.EchoBefore) == 0 && len(st.EchoAfter) == 0 {
		return
	}
	t.ef = efBefore
	t.clen, t.noLength = -1, true
	t.dropHeader("accept-ranges")
}

// echoBefore writes the echo_before_body output ahead of the first body
// bytes (or the end of an empty body).
func (t *Txn) echoBefore() {
	t.ef = efBody
	s := t.s
	for i := range t.settings().EchoBefore {
		s.body = t.appendEchoLine(s.body, &t.settings().EchoBefore[i])
	}
}

// echoAfter writes the echo_after_body output at the end of the body.
func (t *Txn) echoAfter() {
	if t.ef == efBefore {
		t.echoBefore()
	}
	t.ef = efDone
	s := t.s
	for i := range t.settings().EchoAfter {
		s.body = t.appendEchoLine(s.body, &t.settings().EchoAfter[i])
	}
}
