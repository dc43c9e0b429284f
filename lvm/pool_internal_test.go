package lvm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
)

// runOnce runs src in an entry thread; engine waits (await()) are resumed
// at once with no values.
func runOnce(t *testing.T, vm *VM, src string) Result {
	t.Helper()
	c, err := vm.Compile(src, "=pool")
	require.NoError(t, err)
	th := vm.Acquire(nil)
	defer th.Release()
	r := th.Start(c.Fn)
	for r.Status == StatusWaiting {
		r, err = th.Resume()
		require.NoError(t, err)
	}
	return r
}

func newPoolVM(t *testing.T, opts Options) *VM {
	vm, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(vm.Close)
	vm.L.SetGlobal("await", vm.L.NewFunction(func(L *lua.LState) int {
		_, n := Await(L)
		return n
	}))
	return vm
}

func TestPoolReuse(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		status  Status
		threads int // live threads after each run: all back in the pool
	}{
		{"entry only", "await() return 1", StatusDone, 1},
		{"pcall child returns to the pool", "return pcall(function() await() end)", StatusDone, 2},
		{"wrap returns to the pool", "local f = coroutine.wrap(function() await() return 1 end) return f()", StatusDone, 2},
		{"nested pcall in wrap", "return coroutine.wrap(function() return pcall(pcall, await) end)()", StatusDone, 4},
		{"create is never pooled again", "local co = coroutine.create(function() await() end) return coroutine.resume(co)", StatusDone, 1},
		{"abandoned wrap is discarded at release", "local f = coroutine.wrap(function() coroutine.yield(1) end) f() return 1", StatusDone, 1},
		{"failed child is discarded", "return pcall(function() await() error('x') end)", StatusDone, 1},
		{"failed entry is discarded", "await() error('x')", StatusFailed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vm := newPoolVM(t, Options{})
			for range 5 {
				r := runOnce(t, vm, tt.src)
				require.Equal(t, tt.status, r.Status)
				assert.Len(t, vm.threads, tt.threads, "live threads")
				assert.Len(t, vm.pool, tt.threads, "idle threads")
				for _, th := range vm.pool {
					assert.Equal(t, stateIdle, th.state)
					assert.Nil(t, th.kids)
					assert.Nil(t, th.owner)
				}
			}
		})
	}
}

func TestPoolSizeCap(t *testing.T) {
	vm := newPoolVM(t, Options{PoolSize: 2})
	r := runOnce(t, vm, "return pcall(pcall, pcall, pcall, function() await() return 1 end)")
	require.Equal(t, StatusDone, r.Status)
	assert.Len(t, vm.pool, 2)
	assert.Len(t, vm.threads, 2, "threads beyond the cap are let go")
}

func TestCallSiteResults(t *testing.T) {
	vm := newPoolVM(t, Options{})
	var got []int
	vm.L.SetGlobal("probe", vm.L.NewFunction(func(L *lua.LState) int {
		got = append(got, callSiteResults(L))
		return 0
	}))
	require.NoError(t, vm.DoString("probe() local a = probe() local b, c, d = probe() local t = {probe()}", "=probe"))
	assert.Equal(t, []int{0, 1, 3, 0}, got)
}
