package httpd

import (
	"strings"

	"github.com/luring/luring/conf"
)

// Steps of the phase engine, in nginx's order: server rewrite (set and
// return of the server block), find location (with the internal check
// and client_max_body_size), location rewrite (set, return, then
// headers-more's input commands), then rewrite_by_lua, the access module
// (allow, deny), access_by_lua and the content handler.
const (
	stepServerRewrite uint8 = iota
	stepFindLocation
	stepLocationRewrite
	stepMoreInput
	stepRewriteLua
	stepAccessRules
	stepAccessLua
	stepContent
	stepDone
)

// run advances the phases until the request ends or a handler waits.
func (t *Txn) run() {
	for t.active && !t.pending && t.step < stepDone {
		step := t.step
		t.step++
		switch step {
		case stepServerRewrite:
			t.rewrite(t.srv.Sets, t.srv.Return)
		case stepFindLocation:
			t.findLocation()
		case stepLocationRewrite:
			t.rewrite(t.loc.Sets, t.loc.Return)
		case stepMoreInput:
			t.moreInput()
		case stepRewriteLua:
			if code := t.loc.Rewrite; code != nil {
				t.runLua(PhaseRewrite, code)
			}
		case stepAccessRules:
			t.checkAccess()
		case stepAccessLua:
			if code := t.loc.Access; code != nil {
				t.runLua(PhaseAccess, code)
			}
		case stepContent:
			switch t.loc.Handler {
			case conf.HandlerLua:
				t.runLua(PhaseContent, t.loc.Content)
			case conf.HandlerEcho:
				t.runEcho()
				return
			case conf.HandlerProxy:
				t.runProxy()
				return
			default:
				t.serveStatic()
				return
			}
		}
	}
	if t.active && !t.pending && t.step == stepDone {
		t.finishResponse()
	}
}

func (t *Txn) findLocation() {
	path := unsafeString(t.path())
	if t.srv.AutoRedirect[path] {
		// nginx's auto_redirect: "location /t/" proxies, "/t" is sent there.
		t.redirectSlash(path)
		return
	}
	loc, caps := t.srv.Match(path)
	if loc == nil {
		t.special(404)
		return
	}
	t.loc = loc
	if caps != nil {
		t.caps = cloneStrings(caps)
	}
	if loc.Internal && t.sub == nil && !t.internal {
		t.special(404)
		return
	}
	if max := loc.ClientMaxBodySize; max > 0 && t.req.ContentLength() > max {
		t.logf(conf.LogError, "client intended to send too large body: %d bytes", t.req.ContentLength())
		t.special(413)
	}
}

// redirectSlash answers 301 to path with a slash (and the arguments).
func (t *Txn) redirectSlash(path string) {
	l := path + "/"
	if a := t.Args(); a != "" {
		l += "?" + a
	}
	t.loc, _ = t.srv.Match(path + "/")
	t.setLocation(l)
	t.special(301)
}

// rewrite runs set directives in order and a return, as nginx's rewrite
// module does: sets written after the return never run.
func (t *Txn) rewrite(sets []conf.Set, ret *conf.Return) {
	n := len(sets)
	if ret != nil {
		n = min(ret.AfterSets, n)
	}
	for i := range sets[:n] {
		t.setDirective(&sets[i])
		if !t.active || t.step == stepDone {
			return // a set_by_lua failed: the request ended
		}
	}
	if ret != nil {
		t.doReturn(ret)
	}
}

func (t *Txn) setDirective(st *conf.Set) {
	idx, ok := t.s.lst.srv.vars[st.Var]
	if !ok {
		idx, ok = t.s.lst.srv.vars[strings.ToLower(st.Var)]
	}
	var v string
	if st.Lua != nil {
		sr, _ := t.s.lst.srv.runner.(SetRunner)
		if sr == nil {
			t.special(500)
			return
		}
		args := make([]string, len(st.LuaArgs))
		for i, a := range st.LuaArgs {
			args[i] = t.eval(a)
		}
		var ok bool
		if v, ok = sr.RunSet(t, st.Lua, args); !ok {
			t.special(500)
			return
		}
	} else {
		v = t.eval(st.Parts)
	}
	if st.Var == "args" {
		t.args, t.argsSet = v, true
		return
	}
	if ok {
		t.vals[idx], t.valSet[idx] = v, true
	}
}

// Eval implements Exchange.
func (t *Txn) Eval(parts []conf.Part) string { return t.eval(parts) }

// eval evaluates a value with variables into a new string.
func (t *Txn) eval(parts []conf.Part) string {
	if len(parts) == 1 && parts[0].Kind == conf.PartLiteral {
		return parts[0].Text
	}
	s := t.s
	s.hbuf = t.appendEval(s.hbuf[:0], parts)
	return string(s.hbuf)
}

// appendEval appends the value of parts to dst without allocating.
func (t *Txn) appendEval(dst []byte, parts []conf.Part) []byte {
	for _, p := range parts {
		switch p.Kind {
		case conf.PartLiteral:
			dst = append(dst, p.Text...)
		case conf.PartVar:
			dst, _ = t.appendVar(dst, strings.ToLower(p.Text))
		case conf.PartCapture:
			if c, ok := t.Capture(p.N); ok {
				dst = append(dst, c...)
			}
		}
	}
	return dst
}

// doReturn is nginx's return directive.
func (t *Txn) doReturn(r *conf.Return) {
	t.step = stepDone
	code := r.Code
	if code == StatusClose {
		t.closeNoResponse(StatusClose)
		return
	}
	text := ""
	if r.HasText {
		text = t.eval(t.s.lst.srv.returnParts(r))
	}
	switch {
	case r.HasText && (code == 301 || code == 302 || code == 303 || code == 307 || code == 308):
		t.setLocation(text)
		t.special(code)
	case code < 400 || r.HasText:
		t.status, t.fixedLen = code, true
		if text != "" {
			_ = t.WriteString(text)
		}
		t.finishResponse()
	default:
		t.special(code)
	}
}

// absoluteURL prefixes a local redirect with scheme, host and port, as
// nginx's absolute_redirect on, server_name_in_redirect off and
// port_in_redirect on do.
func (t *Txn) absoluteURL(path string) string {
	host := string(t.req.Host(t.buf))
	if host == "" && len(t.srv.Names) > 0 {
		host = t.srv.Names[0].Name
	}
	port := ""
	if p := t.s.addrs().serverPort; p != "" && p != "80" {
		port = ":" + p
	}
	return "http://" + strings.ToLower(host) + port + path
}

// runLua runs one Lua handler through the Runner.
func (t *Txn) runLua(phase Phase, code *conf.LuaCode) {
	rn := t.s.lst.srv.runner
	if rn == nil {
		t.logf(conf.LogError, "no Lua runner for %s", code.Tag)
		t.special(500)
		return
	}
	t.phase = phase
	res := rn.Run(t, phase, code)
	if res.Outcome == Pending {
		t.pending = true
		return
	}
	t.handle(res)
}

// Resume implements Exchange: the final result of a Pending handler. A
// Resume for a request that is not waiting (it was aborted, the runner
// resumed twice, or, against the LuaRunner contract, it came from inside
// Run) is ignored.
func (t *Txn) Resume(res PhaseResult) {
	if !t.active || !t.pending {
		return
	}
	t.pending = false
	t.handle(res)
	t.run()
}

// handle applies a handler's result.
func (t *Txn) handle(res PhaseResult) {
	switch res.Outcome {
	case Exit:
		t.exit(res.Status)
	case Fail:
		if !t.committed {
			t.special(500)
			return
		}
		t.closeNoResponse(500)
	case Redirect:
		if res.Jump {
			t.jump(res.URI)
			return
		}
		t.internalRedirect(res.URI, res.Args)
	}
}

// jump is ngx.req.set_uri(uri, true): the location is matched again for
// uri (query string kept), as after nginx's "rewrite ... last".
func (t *Txn) jump(uri string) {
	t.redirects++
	if t.redirects > maxRedirects {
		t.logf(conf.LogError, "rewrite or internal redirection cycle while processing \"%s\"", uri)
		t.errPage = true
		t.special(500)
		return
	}
	t.releaseCtx()
	t.SetURI(uri)
	t.caps, t.loc, t.pending = nil, nil, false
	t.step = stepFindLocation
	t.run()
}

// SetURI implements Exchange.
func (t *Txn) SetURI(uri string) {
	t.uri, t.uriSet, t.internal = uri, true, true
	t.have &^= 1 << lzURI
}

// maxRedirects is nginx's limit of internal redirects of a request
// (NGX_HTTP_MAX_URI_CHANGES).
const maxRedirects = 10

// internalRedirect restarts the request at uri ("@name": a named
// location) with args as its query string: error_page and ngx.exec. The
// Lua context starts fresh; the request counts as internal from now on.
func (t *Txn) internalRedirect(uri, args string) {
	t.redirects++
	if t.redirects > maxRedirects {
		t.logf(conf.LogError, "rewrite or internal redirection cycle while internally redirecting to \"%s\"", uri)
		t.errPage = true // this 500 is not redirected again
		t.special(500)
		return
	}
	t.releaseCtx()
	t.internal = true
	t.caps = nil
	t.pending = false
	t.have &^= 1<<lzURI | 1<<lzArgs
	if strings.HasPrefix(uri, "@") {
		loc := t.srv.FindNamed(uri)
		if loc == nil {
			t.logf(conf.LogError, "could not find named location \"%s\"", uri)
			t.errPage = true
			t.special(500)
			return
		}
		t.loc = loc
		t.step = stepLocationRewrite
	} else {
		if path, q, ok := strings.Cut(uri, "?"); ok {
			uri, args = path, q
		}
		t.uri, t.uriSet = uri, true
		t.args, t.argsSet, t.argsNil = args, true, false
		t.loc = nil
		t.step = stepServerRewrite
	}
	t.run()
}

// exit is ngx.exit(status) with status >= 200 or 444.
func (t *Txn) exit(status int) {
	t.step = stepDone
	switch {
	case status == StatusClose:
		t.closeNoResponse(StatusClose)
	case t.committed:
		t.finishResponse()
	case status >= 300:
		t.status = status // as ngx.exit sets the response status (an error_page with "=" keeps it)
		t.special(status)
	case status >= 200:
		t.status = status
		t.finishResponse()
	default:
		t.step = stepDone
	}
}

// noKeepalive are the statuses after which nginx closes the connection.
func noKeepalive(code int) bool {
	switch code {
	case 400, 413, 414, 494, 495, 496, 497, 500, 501:
		return true
	}
	return false
}

// special sends nginx's response for code when no header was sent yet:
// the default error page for codes that have one (text/html), an empty
// body otherwise; then the request ends.
func (t *Txn) special(code int) {
	t.step = stepDone
	if code == StatusClose {
		t.closeNoResponse(code)
		return
	}
	if t.committed {
		t.finishResponse()
		return
	}
	if t.errorPage(code) {
		return
	}
	t.status, t.fixedLen = code, true
	if noKeepalive(code) {
		t.linger = true
	}
	page := t.s.lst.srv.pages.Page(code)
	if t.sub != nil {
		// ngx_lua takes a subrequest's result when it is finalized, before
		// nginx makes the error page: the parent gets the status alone.
		page = nil
	}
	t.ctypeSet = true
	t.ctype = ""
	t.clen = -1
	if page != nil {
		t.ctype = "text/html"
	}
	if code < 300 {
		t.ctypeSet = false
	}
	t.s.body = t.s.body[:0]
	if page != nil {
		_ = t.Write(page)
		if code >= 400 && t.req.Version() >= 1000 && NeedsPadding(t.req.UserAgent(t.buf)) {
			_ = t.WriteString(MSIEPadding)
		}
	} else {
		t.commit()
	}
	t.finishResponse()
}

// errorPage applies the error_page for code, if one is in force and the
// request was not redirected by one already (recursive_error_pages off):
// an internal redirect, the response's status the page's setting; an
// absolute URL is a 302 to it instead, as in nginx.
func (t *Txn) errorPage(code int) bool {
	if t.errPage || t.sub != nil || t.srv == nil {
		return false
	}
	ep := conf.ErrorPageFor(t.settings().ErrorPages, code)
	if ep == nil {
		return false
	}
	t.errPage = true
	uri := t.eval(ep.URI)
	if strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
		t.SetResponseHeader("Location", []string{uri})
		status := 302
		if ep.Status >= 301 && ep.Status <= 308 {
			status = ep.Status
		}
		t.special(status)
		return true
	}
	// "=code" fixes the page's status, "=" lets the page's handler answer
	// with its own (or the status a handler set before, as ngx.exit sets
	// it), and otherwise the error's status stays.
	switch {
	case ep.Keep:
		t.errStatus = 0
	case ep.Status > 0:
		t.errStatus, t.status = ep.Status, ep.Status
	default:
		t.errStatus = code
	}
	t.internalRedirect(uri, "")
	return true
}

// finishResponse ends the body, runs the log phase and ends the request.
func (t *Txn) finishResponse() {
	t.step = stepDone
	_ = t.EOF()
	t.end()
}

// end runs log_by_lua and the access log, then hands the connection back
// to the session.
func (t *Txn) end() {
	if !t.active {
		return
	}
	if t.sub != nil {
		t.subEnd()
		return
	}
	t.abandonSubs()
	t.logPhase()
	t.accessLog()
	t.releaseCtx()
	t.s.store.release()
	t.active = false
	t.s.endRequest(t.keepalive, t.linger)
}

// releaseCtx hands the runner's per-request state back (LuaRunner.Done).
func (t *Txn) releaseCtx() {
	if t.ctx == nil {
		return
	}
	if rn := t.s.lst.srv.runner; rn != nil {
		rn.Done(t)
	}
	t.ctx = nil
}

// closeNoResponse ends the request without (more of) a response and closes
// the connection once the responses queued before it are sent: 444, and a
// handler failing after its headers were sent.
func (t *Txn) closeNoResponse(status int) {
	s := t.s
	if t.sub != nil {
		// A subrequest has no connection of its own: its parent gets the
		// status and no body (444 included).
		t.step = stepDone
		t.cancelWaits()
		t.finished = true
		if t.committed && t.status != 0 {
			// The response had begun (an upstream that went away mid-body):
			// its status and the body so far, marked truncated.
			t.sub.res.Truncated = true
		} else {
			t.status = status
			s.body = s.body[:0]
		}
		t.subEnd()
		return
	}
	t.abandon(status)
	s.close()
}

// abandon ends the request early: a waiting handler is aborted (exactly
// once), the log phase and the access log run with status (unless a
// response went out), and the connection is left to the caller to close.
func (t *Txn) abandon(status int) {
	if !t.active {
		return
	}
	t.step = stepDone
	t.abandonSubs()
	t.cancelWaits()
	if t.bytesSent == 0 {
		t.status = status
	}
	t.finished = true
	t.logPhase()
	t.accessLog()
	t.releaseCtx()
	t.s.store.release()
	t.active = false
	t.s.lst.srv.active.Add(-1)
}

// cancelWaits drops what the request waits for: a body read's outcome, and
// a waiting handler (aborted exactly once).
func (t *Txn) cancelWaits() {
	t.bodyCb = nil
	if w := t.s.work; w != nil {
		w.bodyNow.cb, w.bodyNow.body, w.bodyNow.err = nil, nil, nil
	}
	if t.pending {
		t.pending = false
		switch t.waitMod {
		case waitEcho:
			t.s.echoTimer().Stop()
		case waitProxy:
			t.proxyRelease()
		default:
			if rn := t.s.lst.srv.runner; rn != nil {
				rn.Abort(t)
			}
		}
		t.waitMod = waitNone
	}
}

// logPhase runs log_by_lua, which cannot wait.
func (t *Txn) logPhase() {
	rn := t.s.lst.srv.runner
	code := t.settings().Log
	if rn == nil || code == nil || t.req == nil || t.req.line.n == 0 {
		return
	}
	t.phase = PhaseLog
	res := rn.Run(t, PhaseLog, code)
	if res.Outcome == Pending {
		t.logf(conf.LogAlert, "log_by_lua handler yielded, which it cannot do; aborted")
		rn.Abort(t)
	}
}
