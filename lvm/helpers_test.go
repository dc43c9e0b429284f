package lvm_test

import (
	"strings"
	"testing"

	"github.com/luring/luring/lvm"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
)

// pending is one engine wait queued by a fake binding.
type pending struct {
	tk   lvm.Ticket
	vals []lua.LValue
}

// fakeSched emulates the loop: bindings queue their tickets, and drive
// resumes them in FIFO order, as completions would arrive.
type fakeSched struct {
	q      []pending
	awaits int // engine waits seen
	yields int // plain yields that reached the entry thread
}

// newVM makes a VM with two fake bindings:
//
//	sleep(...)  waits once for the engine and returns its arguments;
//	ctx()       returns the request context of the calling coroutine.
func newVM(t testing.TB, opts lvm.Options) (*lvm.VM, *fakeSched) {
	t.Helper()
	vm, err := lvm.New(opts)
	require.NoError(t, err)
	t.Cleanup(vm.Close)
	s := &fakeSched{}
	vm.L.SetGlobal("sleep", vm.L.NewFunction(func(L *lua.LState) int {
		vals := make([]lua.LValue, 0, L.GetTop())
		for i := 1; i <= L.GetTop(); i++ {
			vals = append(vals, L.Get(i))
		}
		tk, n := lvm.Await(L)
		s.q = append(s.q, pending{tk, vals})
		return n
	}))
	vm.L.SetGlobal("ctx", vm.L.NewFunction(func(L *lua.LState) int {
		th := lvm.Current(L)
		if th == nil {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LString(th.Ctx.(string)))
		return 1
	}))
	return vm, s
}

// drive runs a started thread to its end, resuming engine waits from the
// queue and plain yields immediately.
func (s *fakeSched) drive(t testing.TB, th *lvm.Thread, r lvm.Result) lvm.Result {
	t.Helper()
	for r.Status == lvm.StatusWaiting || r.Status == lvm.StatusYielded {
		var err error
		if r.Status == lvm.StatusYielded {
			s.yields++
			r, err = th.Resume()
			require.NoError(t, err)
			continue
		}
		require.NotEmpty(t, s.q, "thread waits but nothing is pending")
		p := s.q[0]
		s.q = s.q[1:]
		s.awaits++
		r, err = p.tk.Resume(p.vals...)
		require.NoError(t, err)
	}
	require.Empty(t, s.q, "pending waits left after the thread ended")
	return r
}

// run compiles src, runs it in a fresh entry thread and releases it.
func (s *fakeSched) run(t testing.TB, vm *lvm.VM, src string) lvm.Result {
	t.Helper()
	c, err := vm.Compile(src, "=test")
	require.NoError(t, err)
	th := vm.Acquire("req")
	defer th.Release()
	return s.drive(t, th, th.Start(c.Fn))
}

// render joins values as LuaJIT's tostring shows them.
func render(vm *lvm.VM, vals []lua.LValue) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = lvm.ToString(vm.L, v)
	}
	return strings.Join(parts, ",")
}

// eval runs src (which must end in a return) and returns its rendered results.
func eval(t testing.TB, vm *lvm.VM, s *fakeSched, src string) string {
	t.Helper()
	r := s.run(t, vm, src)
	if r.Status == lvm.StatusFailed {
		require.Failf(t, "lua error", "%s\n%s", r.Err.Message, r.Err.Traceback)
	}
	require.Equal(t, lvm.StatusDone, r.Status)
	return render(vm, r.Values)
}
