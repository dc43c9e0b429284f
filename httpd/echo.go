package httpd

import (
	"strings"
	"time"

	"github.com/luring/luring/conf"
)

// This file is the echo module's content handler (echo-nginx-module):
// it runs a location's echo commands (conf.EchoCmd) in order, as the
// module does. Output goes through the same response writer as Lua's, so
// it streams: echo_flush sends what was written so far. echo_sleep waits
// on a loop timer; echo_read_request_body waits for the body reader;
// echo_blocking_sleep blocks the worker's thread for its duration, as in
// nginx (it exists to test exactly that), and is the one blocking call
// here.

// echoState is the echo handler's state of one request. It lives in the
// Txn and is reset with it.
type echoState struct {
	pc      int      // next command
	timerMs int64    // echo_reset_timer's start, unix ms; 0: the request's start
	counter int      // $echo_incr
	foreach bool     // inside an echo_foreach_split loop
	loopPC  int      // the echo_foreach_split command of the loop
	choice  int      // the current item of the loop ($echo_it)
	items   []string // the loop's items, substrings of the evaluated argument
	// pend are the subrequests of echo_location(_async) whose output is not
	// written yet, in the order they were issued; output of the handler made
	// after one waits behind it (nginx's postpone filter keeps that order).
	pend []echoPending
	// syncWait: echo_location waits for the subrequests to drain; endWait:
	// the commands are done and the response ends once they drained.
	syncWait, endWait bool
	// issued numbers the subrequests; shift is how many were drained, so
	// subrequest number k is pend[k-shift].
	issued, shift int
}

// echoPending is one subrequest of echo_location(_async).
type echoPending struct {
	done  bool
	body  []byte // its response body, once done
	after []byte // the handler's output made after it was issued
}

// Messages the echo module logs.
const (
	logEchoBadSize     = "invalid size specified: \"%s\""
	logEchoBadSleep    = "invalid sleep duration \"%s\""
	logEchoForeachArgs = "echo_foreach should take at least two arguments. (if your delimiter starts with \"-\", preceding it with a \"--\".)"
	logEchoNested      = "Nested echo_foreach not supported yet."
	logEchoLoneEnd     = "Found a echo_end that has no corresponding echo_foreach before it."
)

// runEcho starts the echo handler of the location.
func (t *Txn) runEcho() {
	t.echo.pc = 0
	t.echoRun()
}

// echoRun runs commands from the current one until the end, or until one
// waits (the timer or the body reader then calls echoRun again).
func (t *Txn) echoRun() {
	cmds := t.loc.Echo
	for ; t.echo.pc < len(cmds); t.echo.pc++ {
		if !t.active {
			return
		}
		if !t.echoCmd(&cmds[t.echo.pc]) {
			return
		}
	}
	if t.active {
		if len(t.echo.pend) > 0 {
			t.echo.endWait = true
			t.echoWait()
			return
		}
		t.echoHeader()
		t.finishResponse()
	}
}

// echoWrite writes the handler's output, behind the subrequests still
// pending.
func (t *Txn) echoWrite(b []byte) {
	if n := len(t.echo.pend); n > 0 {
		p := &t.echo.pend[n-1]
		p.after = append(p.after, b...)
		return
	}
	t.echoHeader()
	_ = t.Write(b)
}

// echoLocation issues echo_location(_async)'s GET subrequest.
func (t *Txn) echoLocation(cmd *conf.EchoCmd) bool {
	uri, args := t.echoArg(cmd, 0), t.echoArg(cmd, 1)
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		// The module's quirk: an explicit query string replaces the URI's.
		if len(cmd.Args) < 2 {
			args = uri[i+1:]
		}
		uri = uri[:i]
	}
	e := &t.echo
	e.pend = append(e.pend, echoPending{})
	seq := e.issued
	e.issued++
	err := t.Subrequest(SubOptions{URI: uri, Args: args}, func(res *SubResult) {
		i := seq - t.echo.shift
		if !t.active || i < 0 || i >= len(t.echo.pend) {
			return
		}
		p := &t.echo.pend[i]
		p.done, p.body = true, append(p.body[:0], res.Body...)
		t.echoDrain()
	})
	if err != nil {
		e.pend = e.pend[:len(e.pend)-1]
		e.issued--
		t.failRequest(500)
		return false
	}
	if cmd.Op == conf.EchoLocation {
		t.echo.syncWait = true
		t.echoWait()
		return false
	}
	return true
}

// echoDrain writes the finished subrequests at the head of the queue, with
// the output that waited behind each, and goes on when a wait is over.
func (t *Txn) echoDrain() {
	e := &t.echo
	n := 0
	for n < len(e.pend) && e.pend[n].done {
		t.echoHeader()
		_ = t.Write(e.pend[n].body)
		if len(e.pend[n].after) > 0 {
			_ = t.Write(e.pend[n].after)
		}
		n++
	}
	if n == 0 {
		return
	}
	// The later ones move to the front (their numbers shift by n).
	rest := copy(e.pend, e.pend[n:])
	clear(e.pend[rest:])
	e.pend = e.pend[:rest]
	e.shift += n
	if len(e.pend) > 0 || !t.active {
		return
	}
	switch {
	case e.syncWait:
		e.syncWait = false
		t.echoResume()
	case e.endWait:
		e.endWait = false
		t.waitFor(waitNone)
		t.echoHeader()
		t.finishResponse()
	}
}

// echoArg evaluates argument i of cmd ("" when missing) into a string
// that stays valid for the request.
func (t *Txn) echoArg(cmd *conf.EchoCmd, i int) string {
	if i >= len(cmd.Args) {
		return ""
	}
	return t.eval(cmd.Args[i])
}

// echoCmd runs one command. It returns false when the handler must stop
// here: the command waits, or the request ended.
func (t *Txn) echoCmd(cmd *conf.EchoCmd) bool {
	switch cmd.Op {
	case conf.EchoEcho:
		b := t.appendEchoLine(t.s.ebuf[:0], cmd)
		t.s.ebuf = b
		if len(b) > 0 {
			t.echoWrite(b)
		}
	case conf.EchoDuplicate:
		n, ok := echoSize(t.echoArg(cmd, 0))
		if !ok {
			t.logf(conf.LogError, logEchoBadSize, t.echoArg(cmd, 0))
			t.failRequest(500)
			return false
		}
		t.echoHeader()
		t.echoDuplicate(n, t.echoArg(cmd, 1))
	case conf.EchoFlush:
		t.echoHeader()
		t.Flush(false, nil)
	case conf.EchoSleep, conf.EchoBlockingSleep:
		ms, ok := echoMillis(t.echoArg(cmd, 0))
		if !ok {
			t.logf(conf.LogError, logEchoBadSleep, t.echoArg(cmd, 0))
			t.failRequest(400)
			return false
		}
		if cmd.Op == conf.EchoBlockingSleep {
			// Blocks the worker's thread, as echo_blocking_sleep does in
			// nginx: it exists to show what blocking does.
			time.Sleep(time.Duration(ms) * time.Millisecond)
			return true
		}
		t.echoWait()
		t.s.echoTimer().Reset(time.Duration(ms) * time.Millisecond)
		return false
	case conf.EchoResetTimer:
		t.echo.timerMs = time.Now().UnixMilli()
	case conf.EchoReadRequestBody:
		if t.bodyState != bodyUnread {
			return true
		}
		t.echoWait()
		t.ReadBody(t.s.echoBodyFn)
		return false
	case conf.EchoRequestBody:
		if st := &t.s.store; t.bodyState == bodyDone && st.length() > 0 {
			t.echoWrite(st.fileContent(t.s.ebuf[:0]))
		}
	case conf.EchoLocation, conf.EchoLocationAsync:
		return t.echoLocation(cmd)
	case conf.EchoExec:
		uri, args := t.echoArg(cmd, 0), t.echoArg(cmd, 1)
		if i := strings.IndexByte(uri, '?'); i >= 0 && !strings.HasPrefix(uri, "@") {
			if len(cmd.Args) < 2 {
				args = uri[i+1:]
			}
			uri = uri[:i]
		}
		t.internalRedirect(uri, args)
		return false
	case conf.EchoForeachSplit:
		return t.echoForeach(cmd)
	case conf.EchoEnd:
		if !t.echo.foreach {
			t.logf(conf.LogError, logEchoLoneEnd)
			t.closeNoResponse(500)
			return false
		}
		t.echo.choice++
		if t.echo.choice >= len(t.echo.items) {
			t.echo.foreach = false
			return true
		}
		t.echo.pc = t.echo.loopPC
	}
	return true
}

// echoDuplicate writes s n times, up to 16 KiB per write.
func (t *Txn) echoDuplicate(n int64, s string) {
	if s == "" || n <= 0 {
		return
	}
	per := max(int64((16<<10)/len(s)), 1)
	b := t.s.ebuf[:0]
	for i := int64(0); i < min(n, per); i++ {
		b = append(b, s...)
	}
	t.s.ebuf = b
	for n > 0 && t.active {
		k := min(n, per)
		_ = t.Write(b[:k*int64(len(s))])
		n -= k
	}
}

// echoForeach starts an echo_foreach_split loop: the items are the
// non-empty pieces of the second argument between occurrences of the
// first. Without items the loop body is skipped.
func (t *Txn) echoForeach(cmd *conf.EchoCmd) bool {
	if t.echo.foreach {
		t.logf(conf.LogError, logEchoNested)
		t.failRequest(500)
		return false
	}
	if len(cmd.Args) < 2 {
		t.logf(conf.LogError, logEchoForeachArgs)
		t.failRequest(500)
		return false
	}
	delim := t.echoArg(cmd, 0)
	src := t.echoArg(cmd, 1)
	items := t.echo.items[:0]
	for src != "" {
		i := strings.Index(src, delim)
		if delim == "" || i < 0 {
			items = append(items, src)
			break
		}
		if i > 0 {
			items = append(items, src[:i])
		}
		src = src[i+len(delim):]
	}
	t.echo.items = items
	t.echo.foreach, t.echo.loopPC, t.echo.choice = true, t.echo.pc, 0
	if len(items) > 0 {
		return true
	}
	// Skip to the matching echo_end; it ends the loop.
	cmds := t.loc.Echo
	for t.echo.pc+1 < len(cmds) && cmds[t.echo.pc+1].Op != conf.EchoEnd {
		t.echo.pc++
	}
	return true
}

// echoWait marks the handler as waiting for a timer or the body.
func (t *Txn) echoWait() { t.waitFor(waitEcho) }

// echoResume goes on with the next command after a wait.
func (t *Txn) echoResume() {
	if !t.active || t.waitMod != waitEcho {
		return
	}
	t.waitFor(waitNone)
	t.echo.pc++
	t.echoRun()
}

// echoBodyRead is the body reader's callback of echo_read_request_body.
func (t *Txn) echoBodyRead(_ []byte, err error) {
	if err != nil {
		if !t.active || t.waitMod != waitEcho {
			return
		}
		t.waitFor(waitNone)
		code := 400
		if e, ok := err.(*Error); ok {
			code = e.Status
		}
		t.failRequest(code)
		return
	}
	t.echoResume()
}

// failRequest ends the request after a module's handler failed: with a
// status page when nothing was sent yet, else by closing the connection
// (nginx cannot send a status once the header went out).
func (t *Txn) failRequest(code int) {
	if t.committed {
		t.closeNoResponse(code)
		return
	}
	t.special(code)
}

// echoHeader fixes the response head as the echo handler sends it: the
// status of echo_status, the location's content type (unless one is set),
// and no Content-Length, so the output streams.
func (t *Txn) echoHeader() {
	if t.committed {
		return
	}
	st := t.settings()
	t.status = st.EchoStatus
	if t.ctype == "" {
		t.ctype, t.ctypeSet = defaultFileType(unsafeString(t.path()), st.DefaultType), true
	}
	t.clen, t.noLength = -1, true
	t.dropHeader("accept-ranges")
	t.commit()
}

// appendEchoLine appends the output of an echo command: its arguments
// joined by spaces, and a newline unless its first option is -n.
func (t *Txn) appendEchoLine(dst []byte, cmd *conf.EchoCmd) []byte {
	for i, a := range cmd.Args {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = t.appendEval(dst, a)
	}
	if !cmd.NoNewline() {
		dst = append(dst, '\n')
	}
	return dst
}

// echoSize is echo's ngx_http_echo_atosz: decimal digits, '_' ignored.
func echoSize(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
		case c >= '0' && c <= '9':
			if n > (1<<62)/10 {
				return 0, false
			}
			n = n*10 + int64(c-'0')
		default:
			return 0, false
		}
	}
	return n, true
}

// echoMillis is nginx's ngx_atofp(s, 3): seconds with up to three
// decimals, in milliseconds.
func echoMillis(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	dot, frac := false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !dot:
			dot = true
		case c >= '0' && c <= '9':
			if dot {
				if frac == 3 {
					return 0, false
				}
				frac++
			}
			if n > (1<<62)/10 {
				return 0, false
			}
			n = n*10 + int64(c-'0')
		default:
			return 0, false
		}
	}
	for ; frac < 3; frac++ {
		n *= 10
	}
	return n, true
}
