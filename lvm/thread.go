package lvm

import (
	"errors"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// threadKind says who owns a coroutine and whether it may be pooled again.
type threadKind uint8

const (
	kindRoot      threadKind = iota // request entry thread, owned by the driver
	kindProtected                   // runs the function of one pcall/xpcall
	kindWrap                        // coroutine.wrap: Lua only holds a closure, so it is pooled
	kindCreate                      // coroutine.create: Lua holds the thread itself, never pooled
)

// threadState is lvm's view of a coroutine, finer than gopher-lua's.
type threadState uint8

const (
	stateIdle      threadState = iota // parked in the pool, no job
	stateSuspended                    // job set, not started, or stopped in a user yield
	stateActive                       // in the chain of coroutines that is running now
	stateWaiting                      // stopped in an engine yield, waiting for its op
	stateDone                         // job returned; parked in the trampoline
	stateDead                         // failed or discarded; never runs again
)

// Status says why Start or Resume returned.
type Status uint8

const (
	// StatusWaiting: a binding called Await; the Ticket it got will resume the thread.
	StatusWaiting Status = iota + 1
	// StatusYielded: a plain coroutine.yield reached the entry thread;
	// ngx_lua resumes such a thread on the next loop tick (Thread.Resume).
	StatusYielded
	// StatusDone: the function returned; Result.Values are its results.
	StatusDone
	// StatusFailed: an error escaped the function; Result.Err says what.
	StatusFailed
)

// String names the status for logs and test failures.
func (s Status) String() string {
	switch s {
	case StatusWaiting:
		return "waiting"
	case StatusYielded:
		return "yielded"
	case StatusDone:
		return "done"
	case StatusFailed:
		return "failed"
	}
	return "invalid"
}

// Result is the outcome of Thread.Start or Thread.Resume.
type Result struct {
	// Status says why the thread stopped.
	Status Status
	// Values are the function's results (StatusDone) or the values given to
	// coroutine.yield (StatusYielded); nil otherwise. The slice belongs to the
	// caller.
	Values []lua.LValue
	// Err is set for StatusFailed only.
	Err *Error
}

// Thread is one pooled coroutine. The driver gets entry threads from
// VM.Acquire; lvm makes the others (pcall, xpcall and user coroutines).
// Loop thread only.
type Thread struct {
	// Ctx is the request context the driver attached in Acquire; lvm never
	// reads it. Bindings reach it with Current(L).Ctx from any coroutine the
	// request runs.
	Ctx any

	vm      *VM
	co      *lua.LState // the gopher-lua coroutine; runs the trampoline forever
	kind    threadKind
	state   threadState
	started bool // trampoline entered once; later jobs resume it
	fresh   bool // a job is set and its first resume has not happened yet
	broken  bool // errored or abandoned: must not be pooled
	escaped bool // Lua holds the coroutine itself (Handle): never pooled again
	handled bool // onError already ran the xpcall handler on the error value
	// inHandler: onError is running the xpcall handler now.
	inHandler bool

	// root is the entry thread engine yields go to; nil for code started on
	// the main state. Set when the thread is resumed.
	root *Thread
	// parent is the thread that resumed this one (nil: the main state);
	// meaningful while the thread is active or waiting.
	parent *Thread
	// owner is the entry thread whose Release discards this thread if it is
	// still out of the pool; nil when created outside any request.
	owner *Thread
	// kids lists threads owned by this entry thread and not yet back in the
	// pool or discarded (intrusive list through prevKid/nextKid).
	kids, prevKid, nextKid *Thread

	fn      lua.LValue   // job function, taken by the trampoline
	args    []lua.LValue // job arguments, taken by the trampoline
	handler lua.LValue   // xpcall message handler; nil for others
	trace   string       // traceback captured by onError (entry threads only)
	// raised is what the last error() call of the request's code raised
	// (entry threads only; see Error.ErrorCall).
	raised raisedError
	want   int          // results the call site of the pending yield expects (0: any)
	pad    []lua.LValue // padResults' scratch for this thread's resumes
	seq    uint64       // bumped on every Await, Resume and Release: tickets compare it
	gen    uint64       // bumped whenever the thread changes jobs: wrap closures compare it
	onErr  func(*lua.LState)
}

// raisedError records one error() call: its argument, and whether error()
// prefixed the position (a string raised at level > 0).
type raisedError struct {
	set        bool
	arg        lua.LValue
	positioned bool
}

// Acquire takes an entry thread from the pool (or makes one) for a request
// phase. ctx is stored in Thread.Ctx. Call Start once, Resume as the Result
// asks, and Release when done with the thread.
func (vm *VM) Acquire(ctx any) *Thread {
	th := vm.acquire(kindRoot)
	th.root = th
	th.Ctx = ctx
	return th
}

// Start runs fn(args...) in the thread until it first yields, returns or fails.
// The args slice is read during the call only.
func (th *Thread) Start(fn *lua.LFunction, args ...lua.LValue) Result {
	if th.kind != kindRoot || th.state != stateSuspended || !th.fresh {
		return Result{Status: StatusFailed, Err: &Error{Value: lua.LString(ErrNotWaiting.Error()), Message: ErrNotWaiting.Error()}}
	}
	th.fn = fn
	return th.result(th.vm.run(th.vm.L, th, args))
}

// Resume continues a thread stopped with StatusWaiting or StatusYielded; vals
// become the return values of the Await-ing binding (or of coroutine.yield).
// Prefer Ticket.Resume for completions, which also rejects stale ones.
func (th *Thread) Resume(vals ...lua.LValue) (Result, error) {
	if th.kind != kindRoot || (th.state != stateWaiting && th.state != stateSuspended) || th.fresh {
		return Result{}, ErrNotWaiting
	}
	th.seq++
	return th.result(th.vm.run(th.vm.L, th, vals)), nil
}

// Ticket returns a ticket for the thread's current stop: the engine wait
// it is in (the ticket Await gave the binding) or the plain yield it
// stopped in (StatusYielded). It is stale once the thread moved on.
func (th *Thread) Ticket() Ticket { return Ticket{th: th, seq: th.seq} }

// Release gives the thread back to the VM. Threads that finished normally
// return to the pool; a thread that failed or is still suspended is
// discarded, together with every pcall child and user coroutine the request
// left suspended. Pending tickets become stale. The Thread must not be used
// after Release.
func (th *Thread) Release() {
	vm := th.vm
	th.seq++
	for k := th.kids; k != nil; {
		next := k.nextKid
		vm.discard(k)
		k = next
	}
	unused := th.state == stateSuspended && th.fresh // acquired, never started
	if (th.state == stateDone || unused) && !th.broken && !th.escaped {
		vm.recycle(th)
	} else {
		vm.discard(th)
	}
}

// Handle returns the thread's coroutine as a Lua value (what
// ngx.thread.spawn returns and coroutine.running gives inside the thread).
// Lua may keep it and compare it after the thread ended, so the thread is
// not pooled again: Release lets it go instead.
func (th *Thread) Handle() *lua.LState {
	th.escaped = true
	return th.co
}

// matches reports whether the error value v is what this error() call
// raised (and not a later error of the VM's own).
func (r raisedError) matches(v lua.LValue) bool {
	if !r.positioned {
		return v == r.arg
	}
	s, ok := v.(lua.LString)
	return ok && strings.HasSuffix(string(s), string(r.arg.(lua.LString)))
}

func (th *Thread) result(k int, vals []lua.LValue) Result {
	switch k {
	case kDone:
		return Result{Status: StatusDone, Values: vals}
	case kEngine:
		return Result{Status: StatusWaiting}
	case kUser:
		return Result{Status: StatusYielded, Values: vals}
	}
	v := vals[0]
	e := &Error{Value: v, Message: ToString(th.co, v), Traceback: th.trace}
	if r := th.raised; r.set && r.matches(v) {
		e.ErrorCall, e.ErrorArg, e.Positioned = true, r.arg, r.positioned
	}
	return Result{Status: StatusFailed, Err: e}
}

// Outcomes of one resume of a child coroutine, as the glue sees them.
const (
	kDone     = iota // job returned; values are its results
	kEngine          // engine yield; values start with the tag
	kUser            // user yield; values start with the user mark
	kError           // error; the value is the error object (xpcall handler applied)
	kErrorRaw        // error that bypassed onError; xpcall's handler has not run
	kBad             // resume refused; the value is the message
)

// kindVals are the outcomes boxed once, so pushing them does not allocate.
var kindVals = [...]lua.LValue{lua.LNumber(kDone), lua.LNumber(kEngine), lua.LNumber(kUser),
	lua.LNumber(kError), lua.LNumber(kErrorRaw), lua.LNumber(kBad)}

// run resumes th from the coroutine `from` and classifies how it stopped.
// The returned values are raw: for kEngine and kUser the marker is still first
// (so that a pass-through re-yield keeps it); callers strip it.
func (vm *VM) run(from *lua.LState, th *Thread, args []lua.LValue) (int, []lua.LValue) {
	var body *lua.LFunction
	if !th.started {
		body = vm.body
		th.started = true
	}
	if th.fresh {
		th.fresh = false
		th.args = args // the trampoline takes them before anything else runs
		args = nil
	}
	if th.want > 0 {
		args = padResults(args, th.want, &th.pad)
		th.want = 0
	}
	prev := vm.cur
	vm.cur = th
	th.state = stateActive
	st, err, vals := from.Resume(th.co, body, args...)
	vm.cur = prev
	clear(th.pad) // hold no values of a finished resume
	if st == lua.ResumeYield && len(vals) > 0 {
		switch vals[0] {
		case vm.done:
			th.state = stateDone
			return kDone, vals[1:]
		case vm.tag:
			th.state = stateWaiting
			return kEngine, vals
		case vm.umark:
			th.state = stateSuspended
			return kUser, vals
		}
	}
	if st == lua.ResumeYield {
		// A Go binding yielded with L.Yield on its own: a user yield.
		th.state = stateSuspended
		return kUser, append([]lua.LValue{vm.umark}, vals...)
	}
	th.state = stateDead
	th.broken = true
	if st == lua.ResumeOK { // the trampoline never returns; be safe
		return kDone, vals
	}
	var obj lua.LValue = lua.LString(err.Error())
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		obj = ae.Object
	}
	if th.handler != nil && !th.handled {
		return kErrorRaw, []lua.LValue{obj}
	}
	return kError, []lua.LValue{obj}
}

// onError is every lvm coroutine's Panic hook: it runs at the error point,
// before the stack unwinds, so an xpcall handler sees the failing stack and
// an entry thread can record its traceback.
//
// The handler runs from Go (no Lua frame marks the boundary), so
// inHandler tells canYield that nothing may yield meanwhile, and an error
// raised while it runs is not handed to it again.
func (th *Thread) onError(L *lua.LState) {
	obj := tidyError(L, L.Get(-1))
	if th.handler != nil && !th.inHandler {
		th.handled = true
		th.inHandler = true
		top := L.GetTop()
		L.Push(th.handler)
		L.Push(obj)
		err := L.PCall(1, 1, nil)
		th.inHandler = false
		switch {
		case err != nil || L.GetTop() <= top:
			obj = lua.LString(errErrorHandling)
		default:
			obj = L.Get(-1)
		}
		L.SetTop(top)
	}
	if th.kind == kindRoot {
		th.trace = th.vm.stackTrace(L)
	}
	panic(&lua.ApiError{Type: lua.ApiErrorRun, Object: obj})
}
