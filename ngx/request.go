package ngx

import (
	"fmt"
	"strings"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/loop"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// request is the Lua API's state of one request, kept in Exchange.Ctx
// across its phases. Loop thread only.
type request struct {
	rn *Runner
	// x is the request; nil for a fake request (init_worker_by_lua).
	x httpd.Exchange
	// ctx is the context of the handler running now (one bit).
	ctx context
	// ctxTable is ngx.ctx: nil until first used, then kept for every phase.
	ctxTable lua.LValue

	// entry is the entry thread of the phase handler running now; embedded
	// so a phase costs no allocation for it. Reset by begin.
	entry coro
	// threads are the light threads the running handler spawned and that
	// are not reaped yet (running or zombie).
	threads []*coro
	// posted are coroutines to resume once the resume in progress is over,
	// in order: a coroutine that spawns a light thread takes its place
	// here before the thread runs, as in ngx_lua, so nested spawns go on
	// outermost first. draining: drain is running them.
	posted   []postedResume
	draining bool
	// handles finds a light thread by its handle, for as long as the
	// request lives (a dead thread's handle still says "dead"); nil until
	// the first spawn.
	handles map[*lua.LState]*coro
	// running counts Start/Resume calls on the Go stack (a spawn nests
	// one); the handler's end is decided only when it is back to 0.
	running int
	// onAbort is ngx.on_abort's function, run as a light thread when the
	// client goes away (lua_check_client_abort on); nil when none.
	onAbort *lua.LFunction
	// active: a handler runs (begin called, result not yet decided).
	active bool
	// pending: Run returned Pending, so the result goes to x.Resume.
	pending bool
	// result is the handler's result once active went false.
	result httpd.PhaseResult

	// gen numbers the requests this state served (recycle bumps it), so a
	// socket made by an earlier request is told apart ("bad request").
	gen uint64
	// sockets are the sockets the request made; closed when it ends.
	sockets []closer

	exited   bool // ngx.exit was called; exitCode says with what
	exitCode int
	// exec is ngx.exec's target when it ended the handler (exited too).
	exec *httpd.PhaseResult
	// setResult is what a set_by_lua handler returned.
	setResult lua.LValue
	failed    bool // the entry thread died of an error
	seenBody  bool // ngx.say/print wrote body bytes (ngx.flush's "nothing to flush")
}

// postedResume is one entry of request.posted; c nil: cancelled. It
// resumes c's stop tk: a plain coroutine.yield (yielded), or a wait that
// completes with val.
type postedResume struct {
	c       *coro
	tk      lvm.Ticket
	val     lua.LValue
	yielded bool
}

// reservePost takes the next place in the posted queue; fill it before
// the binding that reserved it returns.
func (rq *request) reservePost() int {
	rq.posted = append(rq.posted, postedResume{})
	return len(rq.posted) - 1
}

// drain resumes the posted coroutines in order, including those posted
// meanwhile. Called when no resume is in progress.
func (rq *request) drain() {
	if rq.draining {
		return
	}
	rq.draining = true
	yields := 0
	for i := 0; i < len(rq.posted); i++ {
		p := rq.posted[i]
		rq.posted[i] = postedResume{}
		switch {
		case p.c == nil:
		case p.yielded && yields == maxYieldResumes:
			rq.resumeNextTurn(p.c, p.tk)
		case p.yielded:
			yields++
			rq.complete(p.c, p.tk)
		default:
			rq.complete(p.c, p.tk, p.val)
		}
	}
	rq.posted = rq.posted[:0]
	rq.draining = false
}

// coStatus is a coroutine's state as the request scheduler sees it.
type coStatus uint8

const (
	coRunning coStatus = iota // started, not finished: running, waiting or yielded
	coZombie                  // a light thread that ended; its results wait for ngx.thread.wait
	coDead                    // ended and reaped, killed, or never started
)

// coro is one entry thread or light thread of a request: the lvm thread
// plus what the scheduler needs to resume it. lvm.Thread.Ctx points here.
type coro struct {
	rq *request
	// th is the lvm thread; nil once released.
	th *lvm.Thread
	// parent is the coroutine that spawned this light thread; nil for the
	// entry thread.
	parent *coro
	status coStatus
	// tk is the ticket of the coroutine's current wait (set by await).
	// Completions carry the ticket of the wait they complete, and lvm
	// refuses a stale one: that is the only staleness check.
	tk lvm.Ticket
	// cancel is the current wait's cleanup, given by the binding that
	// awaited: called once if the wait is abandoned (the coroutine is
	// killed or released, the request aborted), dropped when the wait
	// completes. nil when the wait needs none.
	cancel func()
	// timer serves ngx.sleep; made on first use, on the request's loop,
	// with stopSleep (its cancel) bound once beside it.
	timer     *loop.Timer
	stopSleep func()
	// waitedBy: the parent waits for this light thread in ngx.thread.wait.
	waitedBy bool
	// waiting lists the light threads this coroutine waits on.
	waiting []*coro
	// results are a zombie's values for ngx.thread.wait: true, values...
	// or false, error.
	results []lua.LValue
	// handle is a light thread's coroutine, as Lua sees it (type "thread").
	handle *lua.LState
	// spawner is the coroutine, as Lua sees it, that spawned this light
	// thread: the entry or a light thread, or a user coroutine of theirs.
	// Only it may wait on or kill the thread.
	spawner *lua.LState
}

// begin prepares rq for a new phase handler in context cx. The entry
// coroutine keeps its sleep timer; a completion armed by an earlier
// handler (or an earlier request, rq being recycled) carries a ticket of a
// thread released since, and lvm refuses it.
func (rq *request) begin(cx context) {
	rq.entry = coro{rq: rq, timer: rq.entry.timer, stopSleep: rq.entry.stopSleep}
	rq.ctx = cx
	rq.threads = rq.threads[:0]
	rq.running = 0
	rq.active = true
	rq.pending = false
	rq.result = httpd.PhaseResult{}
	rq.exited, rq.exitCode, rq.failed = false, 0, false
	rq.exec = nil
	rq.onAbort = nil
}

// recycle makes a finished request's state ready for another request:
// only what outlives requests stays (the runner, the entry coroutine's
// timer and seq, the storage of threads).
func (rq *request) recycle() {
	rq.killAll()
	rq.closeSockets()
	clear(rq.handles)
	clear(rq.posted)
	*rq = request{
		gen:     rq.gen + 1,
		sockets: rq.sockets[:0],
		posted:  rq.posted[:0],
		rn:      rq.rn,
		entry:   coro{rq: rq, timer: rq.entry.timer, stopSleep: rq.entry.stopSleep, status: coDead},
		threads: rq.threads[:0],
		handles: rq.handles,
	}
}

// start runs fn(args...) in c's fresh thread until it first stops, then
// handles how it stopped.
func (rq *request) start(c *coro, fn *lua.LFunction, args ...lua.LValue) {
	rq.running++
	res := c.th.Start(fn, args...)
	rq.running--
	rq.handle(c, res)
}

// await suspends c's coroutine in a binding: the binding returns n, and
// its operation's completion calls complete(c, c.tk, values...) (the
// operation keeps the ticket). cancel, which may be nil, is called once if
// the wait is abandoned instead; it must stop the operation. The
// completion never comes inside the binding (lvm's contract).
func (c *coro) await(L *lua.LState, cancel func()) int {
	tk, n := lvm.Await(L)
	c.tk = tk
	c.cancel = cancel
	return n
}

// complete resumes c from the stop tk names, a wait or a plain yield:
// vals become the return values of the binding that waited (or of
// coroutine.yield). A completion for a stop c is no longer in (the
// coroutine was resumed by something else, killed, or released) carries a
// stale ticket and is dropped.
func (rq *request) complete(c *coro, tk lvm.Ticket, vals ...lua.LValue) {
	if !rq.active || c.status != coRunning || !tk.Valid() {
		return
	}
	c.cancel = nil
	rq.running++
	res, err := tk.Resume(vals...)
	rq.running--
	if err != nil {
		return
	}
	rq.handle(c, res)
}

// handle acts on how c's coroutine stopped, then settles the handler.
func (rq *request) handle(c *coro, res lvm.Result) {
	switch res.Status {
	case lvm.StatusWaiting:
		// A binding armed a completion, or ngx.exit stopped the coroutine.
	case lvm.StatusYielded:
		rq.later(c)
	case lvm.StatusDone:
		rq.end(c, nil, res.Values)
	case lvm.StatusFailed:
		rq.end(c, res.Err, nil)
	}
	rq.settle()
	if rq.running == 0 && len(rq.posted) > 0 {
		rq.drain()
	}
}

// later queues a coroutine that yielded with a plain coroutine.yield at
// its top level behind the other posted coroutines, as ngx_lua does: the
// entry thread and light threads take turns (t/093 TEST 16-17).
func (rq *request) later(c *coro) {
	rq.posted = append(rq.posted, postedResume{c: c, tk: c.th.Ticket(), yielded: true})
}

// resumeNextTurn resumes c from its plain yield tk on the next loop turn
// (a zero timer runs after the turn's I/O): a drain that already resumed
// maxYieldResumes yields leaves the rest to the loop, so code that yields
// forever cannot hold the worker.
func (rq *request) resumeNextTurn(c *coro, tk lvm.Ticket) {
	rq.loop().AfterFunc(0, func() { rq.complete(c, tk) })
}

// maxYieldResumes bounds the plain yields one drain resumes in place.
const maxYieldResumes = 1000

// end records that c's function returned (e == nil) or failed, releases
// its thread, and passes a light thread's results to its waiting parent
// or keeps them as a zombie.
func (rq *request) end(c *coro, e *lvm.Error, vals []lua.LValue) {
	rq.release(c)
	rq.reapZombies(c)
	if c == &rq.entry {
		if e != nil {
			rq.logf(conf.LogError, logEntryAborted, e.Message, traceback(e))
			rq.failed = true
		} else if rq.ctx == ctxSet && len(vals) > 0 {
			rq.setResult = vals[0]
		}
		return
	}
	var results []lua.LValue
	if e != nil {
		rq.logf(conf.LogError, logUserAborted, e.Message, traceback(e))
		results = failedThreadResults(e)
	} else {
		results = make([]lua.LValue, 0, len(vals)+1)
		results = append(results, lua.LTrue)
		results = append(results, vals...)
	}
	p := c.parent
	switch {
	case p.status != coRunning:
		// The parent is gone: nobody can wait for the results.
	case c.waitedBy:
		for _, w := range p.waiting {
			w.waitedBy = false
		}
		p.waiting = p.waiting[:0]
		rq.complete(p, p.tk, results...)
	default:
		c.status = coZombie
		c.results = results
	}
}

// failedThreadResults is what ngx.thread.wait returns for a light thread
// that died of e, as ngx_lua returns it (it moves what LuaJIT left on the
// dead coroutine's stack): after error("msg"), false, "msg" and the
// message with its position; after error(v, 0) or error(table), false
// and v; after an error of the VM itself, false alone.
func failedThreadResults(e *lvm.Error) []lua.LValue {
	switch {
	case !e.ErrorCall:
		return []lua.LValue{lua.LFalse}
	case e.Positioned:
		return []lua.LValue{lua.LFalse, e.ErrorArg, e.Value}
	}
	return []lua.LValue{lua.LFalse, e.Value}
}

// release marks c dead, cancels the wait it is in and gives its thread
// back to lvm (suspended threads are discarded with their pcall children;
// the tickets of their waits go stale).
func (rq *request) release(c *coro) {
	c.status = coDead
	if fn := c.cancel; fn != nil {
		c.cancel = nil
		fn()
	}
	if c.th != nil {
		c.th.Release()
		c.th = nil
	}
}

// reapZombies forgets the zombie light threads of a coroutine that ended.
func (rq *request) reapZombies(parent *coro) {
	for _, t := range rq.threads {
		if t.parent == parent && t.status == coZombie {
			t.status = coDead
			t.results = nil
		}
	}
}

// settle decides the handler's result once no coroutine runs: a failure,
// ngx.exit, or the entry thread and every light thread done.
func (rq *request) settle() {
	if rq.running > 0 || !rq.active {
		return
	}
	var res httpd.PhaseResult
	switch {
	case rq.failed:
		res = httpd.PhaseResult{Outcome: httpd.Fail}
	case rq.exited:
		res = rq.exitResult()
	case rq.entry.status == coRunning || rq.liveThreads():
		return
	default:
		res = rq.doneResult()
	}
	rq.finish(res)
}

// liveThreads reports whether a light thread still runs, dropping the
// reaped ones from the list.
func (rq *request) liveThreads() bool {
	live := false
	kept := rq.threads[:0]
	for _, t := range rq.threads {
		if t.status == coDead {
			continue
		}
		kept = append(kept, t)
		if t.status == coRunning {
			live = true
		}
	}
	clear(rq.threads[len(kept):])
	rq.threads = kept
	return live
}

// exitResult maps ngx.exit's code to the phase result: ngx.OK (and other
// codes below 200) go on, ngx.ERROR closes the connection like 444.
func (rq *request) exitResult() httpd.PhaseResult {
	if rq.exec != nil {
		return *rq.exec
	}
	switch code := rq.exitCode; {
	case code == -1:
		if rq.x != nil && rq.x.IsSubrequest() {
			// NGX_ERROR finalizes a subrequest with 500 for its parent.
			return httpd.PhaseResult{Outcome: httpd.Exit, Status: 500}
		}
		return httpd.PhaseResult{Outcome: httpd.Exit, Status: 444}
	case code >= 200:
		return httpd.PhaseResult{Outcome: httpd.Exit, Status: code}
	}
	return httpd.PhaseResult{Outcome: httpd.Next}
}

// doneResult is the result of a handler whose threads all returned. A
// rewrite or access handler that already sent the response headers ends
// the request (ngx_lua: later phases must not respond again).
func (rq *request) doneResult() httpd.PhaseResult {
	if x := rq.x; x != nil && rq.ctx&(ctxRewrite|ctxAccess) != 0 && x.HeadersSent() {
		if !x.Finished() {
			_ = x.EOF()
		}
		st := x.Status()
		if st == 0 {
			st = 200
		}
		return httpd.PhaseResult{Outcome: httpd.Exit, Status: st}
	}
	return httpd.PhaseResult{Outcome: httpd.Next}
}

// finish ends the handler with res: every coroutine still alive is
// killed, and a Pending handler's result is delivered.
func (rq *request) finish(res httpd.PhaseResult) {
	rq.killAll()
	rq.active = false
	rq.result = res
	if rq.pending {
		rq.pending = false
		rq.x.Resume(res)
	}
}

// killAll releases the entry thread and every light thread.
func (rq *request) killAll() {
	for _, t := range rq.threads {
		if t.status != coDead {
			rq.release(t)
			t.results = nil
		}
	}
	clear(rq.threads)
	rq.threads = rq.threads[:0]
	if rq.entry.status != coDead || rq.entry.th != nil {
		rq.release(&rq.entry)
	}
}

// loop is the loop the request runs on.
func (rq *request) loop() *loop.Loop {
	if rq.x != nil {
		return rq.x.Loop()
	}
	return rq.rn.loop
}

// sleepTimer returns c's sleep timer, made on first use: it completes the
// wait c is in (ngx.sleep's; stopSleep cancels it otherwise).
func (rq *request) sleepTimer(c *coro) *loop.Timer {
	if c.timer == nil {
		c.timer = rq.loop().NewTimer(func() { rq.complete(c, c.tk) })
		c.stopSleep = func() { c.timer.Stop() }
	}
	return c.timer
}

// logLevel is the most verbose level the request's error logs take.
func (rq *request) logLevel() conf.LogLevel {
	if rq.x != nil {
		if loc := rq.x.Location(); loc != nil && len(loc.ErrorLogs) > 0 {
			return maxLevel(loc.ErrorLogs)
		}
	}
	return rq.rn.level
}

// logf writes an error-log line for the request when level passes its
// error_log level.
func (rq *request) logf(level conf.LogLevel, format string, args ...any) {
	if level > rq.logLevel() {
		return
	}
	if rq.x != nil {
		rq.x.Logf(level, format, args...)
		return
	}
	rq.rn.logMsg(level, fmt.Sprintf(format, args...))
}

// maxLevel is the most verbose level among logs (nginx keeps its logs
// sorted so the first one has it).
func maxLevel(logs []conf.ErrorLog) conf.LogLevel {
	lv := conf.LogStderr
	for _, l := range logs {
		lv = max(lv, l.Level)
	}
	return lv
}

// traceback renders an error's stack as ngx_lua's thread traceback does:
// "stack traceback:\ncoroutine 0:\n\t...".
func traceback(e *lvm.Error) string {
	tb := e.Traceback
	if tb == "" {
		return "stack traceback:\ncoroutine 0:"
	}
	rest, ok := strings.CutPrefix(tb, "stack traceback:")
	if !ok {
		return tb
	}
	return "stack traceback:\ncoroutine 0:" + rest
}
