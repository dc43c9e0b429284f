package lvm

import (
	_ "embed"
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// glueChunk names glue.lua in positions; tracebacks drop its frames.
const glueChunk = "[lvm]"

//go:embed glue.lua
var glueSrc string

// installGlue compiles glue.lua and replaces pcall, xpcall and coroutine.*.
func (vm *VM) installGlue() error {
	L := vm.L
	co := L.GetGlobal("coroutine").(*lua.LTable)
	h := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"spawn": vm.gSpawn, "xspawn": vm.gXSpawn, "wspawn": vm.gWSpawn,
		"resume": vm.gResume, "ustart": vm.gUStart, "vals": vm.gVals, "raw": vm.gRaw,
		"take": vm.gTake, "args": vm.gArgs, "hook": vm.gHook,
	} {
		h.RawSetString(name, L.NewFunction(fn))
	}
	h.RawSetString("raw_yield", co.RawGetString("yield"))
	h.RawSetString("done", vm.done)

	c, err := vm.compile(glueSrc, glueChunk)
	if err != nil {
		return fmt.Errorf("lvm: glue: %w", err)
	}
	L.Push(c.Fn)
	L.Push(h)
	if err := L.PCall(1, 5, nil); err != nil {
		return fmt.Errorf("lvm: glue: %w", err)
	}
	fns := [5]*lua.LFunction{}
	for i := range fns {
		fns[i] = L.Get(-5 + i).(*lua.LFunction)
	}
	L.Pop(5)
	vm.body = fns[0]
	L.SetGlobal("pcall", fns[1])
	L.SetGlobal("xpcall", fns[2])
	co.RawSetString("resume", fns[3])
	co.RawSetString("wrap", fns[4])
	co.RawSetString("create", L.NewFunction(vm.gCreate))
	co.RawSetString("yield", L.NewFunction(vm.gYield))
	co.RawSetString("status", L.NewFunction(vm.gStatus))
	co.RawSetString("running", L.NewFunction(vm.gRunning))
	co.RawSetString("isyieldable", L.NewFunction(vm.gIsYieldable))
	return nil
}

// callable reports whether v can be called: a function or a value whose
// metatable has __call.
func callable(L *lua.LState, v lua.LValue) bool {
	if v.Type() == lua.LTFunction {
		return true
	}
	return L.GetMetaField(v, "__call").Type() == lua.LTFunction
}

// child prepares a pooled coroutine for one pcall/xpcall/coroutine job,
// linked to the thread running L.
func (vm *VM) child(L *lua.LState, kind threadKind, fn, handler lua.LValue) *Thread {
	parent := vm.threadOf(L)
	th := vm.acquire(kind)
	th.fn = fn
	th.handler = handler
	if parent != nil {
		th.parent = parent
		th.root = parent.root
		vm.adopt(parent.root, th)
	}
	return th
}

// gSpawn(f) → child thread, or false with the call error in vals().
func (vm *VM) gSpawn(L *lua.LState) int {
	f := L.Get(1)
	if !callable(L, f) {
		vm.out = []lua.LValue{lua.LString("attempt to call a " + f.Type().String() + " value")}
		L.Push(lua.LFalse)
		return 1
	}
	L.Push(vm.child(L, kindProtected, f, nil).co)
	return 1
}

// gXSpawn(f, handler) is gSpawn for xpcall.
func (vm *VM) gXSpawn(L *lua.LState) int {
	L.CheckAny(2)
	f := L.Get(1)
	if !callable(L, f) {
		vm.out = []lua.LValue{lua.LString("attempt to call a " + f.Type().String() + " value")}
		L.Push(lua.LFalse)
		return 1
	}
	L.Push(vm.child(L, kindProtected, f, L.Get(2)).co)
	return 1
}

// gWSpawn(f) → thread, generation: the coroutine behind coroutine.wrap.
func (vm *VM) gWSpawn(L *lua.LState) int {
	f := L.CheckFunction(1)
	th := vm.child(L, kindWrap, f, nil)
	L.Push(th.co)
	L.Push(lua.LNumber(th.gen))
	return 2
}

// gCreate is coroutine.create.
func (vm *VM) gCreate(L *lua.LState) int {
	f := L.CheckFunction(1)
	L.Push(vm.child(L, kindCreate, f, nil).co)
	return 1
}

// args collects L's values from index `from` to the top into scratch space.
func (vm *VM) collect(L *lua.LState, from int) []lua.LValue {
	a := vm.argbuf[:0]
	for i := from; i <= L.GetTop(); i++ {
		a = append(a, L.Get(i))
	}
	vm.argbuf = a
	return a
}

// step runs a child and records its outcome for vals()/raw().
func (vm *VM) step(L *lua.LState, th *Thread, args []lua.LValue) int {
	k, out := vm.run(L, th, args)
	switch k {
	case kDone:
		if th.kind == kindCreate {
			vm.discard(th)
		} else {
			vm.recycle(th)
		}
	case kError, kErrorRaw:
		vm.discard(th)
	}
	vm.out = out
	return k
}

// gResume(co, ...) continues a child that passed a yield outward (and
// starts pcall children).
func (vm *VM) gResume(L *lua.LState) int {
	co, _ := L.Get(1).(*lua.LState)
	th := vm.threads[co]
	if th == nil || (th.state != stateSuspended && th.state != stateWaiting) {
		L.RaiseError("lvm: internal: resume of a coroutine that is not suspended")
	}
	L.Push(kindVals[vm.step(L, th, vm.collect(L, 2))])
	return 1
}

// gUStart(co, gen, ...) is the checked resume behind coroutine.resume and
// the wrap closures; gen is nil for coroutine.create threads.
func (vm *VM) gUStart(L *lua.LState) int {
	co, ok := L.Get(1).(*lua.LState)
	if !ok {
		L.Error(lua.LString(L.Where(2)+" bad argument #1 to 'resume' (coroutine expected)"), 0)
	}
	th := vm.threads[co]
	if g, isNum := L.Get(2).(lua.LNumber); th != nil && isNum && uint64(g) != th.gen {
		th = nil
	}
	msg := ""
	switch {
	case th == nil || th.state == stateIdle || th.state == stateDone || th.state == stateDead:
		msg = errDeadCoroutine
	case th.state != stateSuspended:
		msg = errNonSuspended
	}
	if msg != "" {
		vm.out = []lua.LValue{lua.LString(msg)}
		L.Push(kindVals[kBad])
		return 1
	}
	parent := vm.threadOf(L)
	th.parent = parent
	th.root = nil
	if parent != nil {
		th.root = parent.root
	}
	L.Push(kindVals[vm.step(L, th, vm.collect(L, 3))])
	return 1
}

// gVals pushes the last child's values without lvm's marker.
func (vm *VM) gVals(L *lua.LState) int {
	out := vm.out
	vm.out = nil
	if len(out) > 0 && (out[0] == vm.umark || out[0] == vm.tag) {
		out = out[1:]
	}
	for _, v := range out {
		L.Push(v)
	}
	return len(out)
}

// gRaw pushes the last child's values as yielded, marker included, for a
// pass-through re-yield.
func (vm *VM) gRaw(L *lua.LState) int {
	out := vm.out
	vm.out = nil
	for _, v := range out {
		L.Push(v)
	}
	return len(out)
}

// gTake pushes the job function of the running thread (trampoline only).
func (vm *VM) gTake(L *lua.LState) int {
	th := vm.threadOf(L)
	L.Push(th.fn)
	th.fn = nil
	return 1
}

// gArgs pushes the job arguments of the running thread (trampoline only).
func (vm *VM) gArgs(L *lua.LState) int {
	th := vm.threadOf(L)
	for _, v := range th.args {
		L.Push(v)
	}
	n := len(th.args)
	th.args = nil
	return n
}

// gHook installs the thread's error hook; the trampoline calls it once.
func (vm *VM) gHook(L *lua.LState) int {
	L.Panic = vm.threadOf(L).onErr
	return 0
}
