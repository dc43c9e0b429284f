package lvm

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// newThread makes a coroutine. It is started lazily: its first run enters
// the trampoline, which then serves one job after another.
func (vm *VM) newThread() *Thread {
	co, _ := vm.L.NewThread()
	th := &Thread{vm: vm, co: co}
	th.onErr = th.onError
	vm.threads[co] = th
	return th
}

// acquire returns an idle thread ready for one job of the given kind.
func (vm *VM) acquire(kind threadKind) *Thread {
	var th *Thread
	if n := len(vm.pool); n > 0 {
		th = vm.pool[n-1]
		vm.pool[n-1] = nil
		vm.pool = vm.pool[:n-1]
	} else {
		th = vm.newThread()
	}
	th.kind = kind
	th.state = stateSuspended
	th.fresh = true
	th.gen++
	return th
}

// adopt links a child thread into its owner's list so that the owner's
// Release can discard it if the request leaves it suspended.
func (vm *VM) adopt(owner, th *Thread) {
	if owner == nil {
		return
	}
	th.owner = owner
	th.nextKid = owner.kids
	if owner.kids != nil {
		owner.kids.prevKid = th
	}
	owner.kids = th
}

func (vm *VM) unlink(th *Thread) {
	o := th.owner
	if o == nil {
		return
	}
	if th.prevKid != nil {
		th.prevKid.nextKid = th.nextKid
	} else {
		o.kids = th.nextKid
	}
	if th.nextKid != nil {
		th.nextKid.prevKid = th.prevKid
	}
	th.owner, th.prevKid, th.nextKid = nil, nil, nil
}

// clear drops every reference a finished job left in the Thread.
func (th *Thread) clear() {
	th.Ctx = nil
	th.root, th.parent = nil, nil
	th.fn, th.args, th.handler = nil, nil, nil
	th.handled = false
	th.trace = ""
	th.raised = raisedError{}
	th.kids = nil
	th.gen++
}

// recycle parks a thread whose job returned normally back in the pool (or
// lets it go when the pool is full).
func (vm *VM) recycle(th *Thread) {
	vm.unlink(th)
	th.clear()
	th.state = stateIdle
	if len(vm.pool) < vm.opts.PoolSize {
		vm.pool = append(vm.pool, th)
		return
	}
	delete(vm.threads, th.co)
}

// discard forgets a thread for good: it failed, was abandoned mid-job, or
// is a coroutine.create thread whose identity Lua may still hold.
func (vm *VM) discard(th *Thread) {
	if th.state == stateIdle {
		return // already back in the pool through another path
	}
	vm.unlink(th)
	th.clear()
	th.state = stateDead
	th.broken = true
	th.seq++
	delete(vm.threads, th.co)
}

// stackTrace renders L's stack as LuaJIT's debug.traceback does, without
// lvm's own glue frames.
func (vm *VM) stackTrace(L *lua.LState) string {
	L.Push(vm.traceback)
	L.Call(0, 1)
	tb := L.Get(-1).String()
	L.Pop(1)
	lines := strings.Split(tb, "\n")
	keep := lines[:0]
	for _, ln := range lines {
		if strings.Contains(ln, glueChunk) || ln == "\t[G]: ?" {
			continue
		}
		if rest, ok := strings.CutPrefix(ln, "\t[G]:"); ok {
			ln = "\t[C]:" + rest // LuaJIT's name for frames of C (here Go) functions
		}
		if strings.HasSuffix(ln, ":0>") {
			if i := strings.LastIndex(ln, " in function <"); i >= 0 {
				ln = ln[:i] + " in main chunk" // a chunk's function is defined at line 0
			}
		}
		keep = append(keep, ln)
	}
	return strings.Join(keep, "\n")
}

// InUse is how many coroutines are out of the pool: entry threads, light
// threads, pcall children and user coroutines that have not finished or
// been released. For tests and status pages.
func (vm *VM) InUse() int { return len(vm.threads) - len(vm.pool) }
