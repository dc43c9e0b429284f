package lvm

import (
	lua "github.com/yuin/gopher-lua"
)

// Ticket names one stop of an entry thread: an engine wait (the binding
// that called Await hands it to its operation, and the completion resumes
// the thread with it) or a plain yield (Thread.Ticket after StatusYielded).
// A ticket resumes at most once; after that, or after the thread is
// released, it is stale: this is the one staleness check of a completion,
// so a driver keeps no sequence numbers of its own. The zero Ticket is
// always stale. Tickets are small values: compare them with ==.
type Ticket struct {
	th  *Thread
	seq uint64
}

// Thread returns the entry thread the ticket resumes (nil for the zero
// Ticket). Its Ctx is the request's context.
func (t Ticket) Thread() *Thread { return t.th }

// Resume continues the thread from the stop the ticket names; vals become
// the return values of the binding call that awaited (or of
// coroutine.yield). It returns ErrStale, and does nothing, when the ticket
// was already used or the thread moved on.
func (t Ticket) Resume(vals ...lua.LValue) (Result, error) {
	if !t.Valid() {
		return Result{}, ErrStale
	}
	return t.th.Resume(vals...)
}

// Valid reports whether the ticket would resume its thread now.
func (t Ticket) Valid() bool {
	th := t.th
	return th != nil && th.seq == t.seq && !th.fresh &&
		(th.state == stateWaiting || th.state == stateSuspended)
}

// Await suspends the calling coroutine until its operation completes. A Go
// binding calls it last, after setting its operation up with the returned
// ticket, and returns the int it gives:
//
//	func sleep(L *lua.LState) int {
//		tk, n := lvm.Await(L)
//		timers.After(d, func() { driver.Wake(tk) }) // later: tk.Resume(...)
//		return n
//	}
//
// The yield passes through every pcall, xpcall and user coroutine up to the
// request's entry thread, whose Start or Resume returns StatusWaiting. When
// L cannot yield to a request (main state, or a Go function such as
// table.sort between the binding and the entry thread), Await raises a Lua
// error instead and does not return.
func Await(L *lua.LState) (Ticket, int) {
	vm := vmOf(L)
	if vm == nil {
		L.RaiseError(errAwaitOutsideThread)
	}
	if msg := vm.canYield(L, true); msg != "" {
		L.RaiseError("%s", msg)
	}
	th := vm.threadOf(L)
	th.want = callSiteResults(L)
	root := th.root
	root.seq++
	return Ticket{th: root, seq: root.seq}, L.Yield(vm.tag)
}

// Current returns the entry thread of the request whose code runs as L
// (L may be a pcall child or a user coroutine of it), or nil when L runs
// outside any request (the main state during init).
func Current(L *lua.LState) *Thread {
	vm := vmOf(L)
	if vm == nil {
		return nil
	}
	th := vm.threadOf(L)
	if th == nil {
		return nil
	}
	return th.root
}

// canYield says why L cannot yield ("" when it can). An engine yield must
// reach an entry thread; a user yield the nearest user coroutine or entry
// thread. No Go frame may sit between the yield and that target.
func (vm *VM) canYield(L *lua.LState, engine bool) string {
	outside := errYieldOutside
	if engine {
		outside = errAwaitOutsideThread
	}
	for t := vm.threadOf(L); t != nil; t = t.parent {
		if t.inHandler || vm.hasGoFrame(t.co) {
			return errYieldAcrossC
		}
		if t.kind == kindRoot || (!engine && t.kind != kindProtected) {
			return ""
		}
	}
	return outside
}

// hasGoFrame reports whether a Go function sits between the top of co's
// stack (level 0, the Go function yielding or resuming) and the trampoline.
func (vm *VM) hasGoFrame(co *lua.LState) bool {
	if !framesOK {
		return vm.hasGoFrameSlow(co)
	}
	top := topFrame(co)
	for level := 1; level <= vm.opts.CallStackSize+1; level++ {
		f, st := frameAt(top, level)
		switch st {
		case frameNone:
			return false
		case frameTailCalls:
			return vm.hasGoFrameSlow(co) // GetStack's answer for this is odd; ask it
		}
		if f.Fn == nil || f.Fn == vm.body {
			return false
		}
		if f.Fn.IsG {
			return true
		}
	}
	return false
}

// hasGoFrameSlow is hasGoFrame through gopher-lua's API.
func (vm *VM) hasGoFrameSlow(co *lua.LState) bool {
	for level := 1; level <= vm.opts.CallStackSize+1; level++ {
		dbg, ok := co.GetStack(level)
		if !ok {
			return false
		}
		fn, err := co.GetInfo("f", dbg, lua.LNil)
		if err != nil {
			return false
		}
		f, _ := fn.(*lua.LFunction)
		if f == nil || f == vm.body {
			return false
		}
		if f.IsG {
			return true
		}
	}
	return false
}

// visible returns the coroutine Lua code sees as "current" for th: pcall
// children are invisible, so it is their nearest non-pcall ancestor.
func visible(th *Thread) *Thread {
	for th != nil && th.kind == kindProtected {
		th = th.parent
	}
	return th
}

// gYield is coroutine.yield: a user yield, marked so its value count survives.
func (vm *VM) gYield(L *lua.LState) int {
	if msg := vm.canYield(L, false); msg != "" {
		L.RaiseError("%s", msg)
	}
	vm.threadOf(L).want = callSiteResults(L)
	L.Insert(vm.umark, 1)
	return -1
}

// gStatus is coroutine.status, with ngx_lua's view of engine waits: a
// coroutine waiting for an operation of its own is "running"; one that
// resumed a coroutine still in progress is "normal". A coroutine lvm no
// longer knows is "dead", unless the StatusOf hook says otherwise.
func (vm *VM) gStatus(L *lua.LState) int {
	co := L.CheckThread(1)
	th := vm.threads[co]
	status := "dead"
	switch {
	case th == nil:
		if co == vm.L {
			status = "normal"
			if vm.cur == nil {
				status = "running"
			}
		} else if vm.StatusOf != nil {
			if s, ok := vm.StatusOf(L, co); ok {
				status = s
			}
		}
	case th.state == stateSuspended:
		status = "suspended"
	case th.state == stateActive:
		status = "normal"
		if visible(vm.threadOf(L)) == th {
			status = "running"
		}
	case th.state == stateWaiting:
		status = "running"
		if vm.resumedInProgress(th) {
			status = "normal"
		}
	}
	L.Push(lua.LString(status))
	return 1
}

// resumedInProgress reports whether th resumed a user coroutine that has
// not finished (pcall children are th itself, as far as Lua can tell).
func (vm *VM) resumedInProgress(th *Thread) bool {
	root := th.root
	if root == nil {
		return false
	}
	for k := root.kids; k != nil; k = k.nextKid {
		if k.kind == kindProtected || (k.state != stateActive && k.state != stateWaiting) {
			continue
		}
		if visible(k.parent) == th {
			return true
		}
	}
	return false
}

// gRunning is coroutine.running: the current coroutine, nil on the main state.
func (vm *VM) gRunning(L *lua.LState) int {
	if co := Running(L); co != nil {
		L.Push(co)
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// Running is the coroutine Lua code running as L sees as itself
// (coroutine.running): pcall and xpcall children are their caller. nil on
// the main state.
func Running(L *lua.LState) *lua.LState {
	vm := vmOf(L)
	if vm == nil {
		return nil
	}
	if th := visible(vm.threadOf(L)); th != nil {
		return th.co
	}
	return nil
}

// gIsYieldable is coroutine.isyieldable.
func (vm *VM) gIsYieldable(L *lua.LState) int {
	L.Push(lua.LBool(vm.canYield(L, false) == ""))
	return 1
}
