package lvm_test

import (
	"testing"

	"github.com/luring/luring/lvm"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
)

// BenchmarkNewThread is the cost lvm's pool avoids: a fresh gopher-lua
// coroutine per request, running a function with one yield/resume.
func BenchmarkNewThread(b *testing.B) {
	bench := func(b *testing.B, L *lua.LState) {
		L.SetGlobal("y", L.NewFunction(func(L *lua.LState) int { return L.Yield(lua.LTrue) }))
		require.NoError(b, L.DoString("f = function() local v = y() return v end"))
		fn := L.GetGlobal("f").(*lua.LFunction)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			co, _ := L.NewThread()
			if st, _, _ := L.Resume(co, fn); st != lua.ResumeYield {
				b.Fatal("no yield")
			}
			if st, _, _ := L.Resume(co, nil, lua.LTrue); st != lua.ResumeOK {
				b.Fatal("not done")
			}
		}
	}
	b.Run("gopher-default-options", func(b *testing.B) {
		L := lua.NewState()
		defer L.Close()
		bench(b, L)
	})
	b.Run("lvm-options", func(b *testing.B) {
		vm, err := lvm.New(lvm.Options{})
		require.NoError(b, err)
		defer vm.Close()
		bench(b, vm.L)
	})
}

// BenchmarkPooledThread is one request's coroutine life on lvm: acquire,
// start, one engine wait, resume, finish, release.
func BenchmarkPooledThread(b *testing.B) {
	vm, err := lvm.New(lvm.Options{})
	require.NoError(b, err)
	defer vm.Close()
	var tk lvm.Ticket
	vm.L.SetGlobal("wait", vm.L.NewFunction(func(L *lua.LState) int {
		var n int
		tk, n = lvm.Await(L)
		return n
	}))
	c, err := vm.Compile("local v = wait() return v", "=bench")
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		th := vm.Acquire(nil)
		if r := th.Start(c.Fn); r.Status != lvm.StatusWaiting {
			b.Fatal(r.Status)
		}
		if r, _ := tk.Resume(lua.LTrue); r.Status != lvm.StatusDone {
			b.Fatal(r.Status)
		}
		th.Release()
	}
}

// BenchmarkPcall compares a protected call with a plain one, per call.
func BenchmarkPcall(b *testing.B) {
	loop := func(b *testing.B, L *lua.LState, body string) {
		require.NoError(b, L.DoString("local function f(a) return a end\nbench = function(n) for i = 1, n do "+body+" end end"))
		fn := L.GetGlobal("bench")
		b.ReportAllocs()
		b.ResetTimer()
		require.NoError(b, L.CallByParam(lua.P{Fn: fn, NRet: 0, Protect: true}, lua.LNumber(b.N)))
	}
	b.Run("plain-call", func(b *testing.B) {
		vm, err := lvm.New(lvm.Options{})
		require.NoError(b, err)
		defer vm.Close()
		loop(b, vm.L, "f(i)")
	})
	b.Run("lvm-pcall", func(b *testing.B) {
		vm, err := lvm.New(lvm.Options{})
		require.NoError(b, err)
		defer vm.Close()
		loop(b, vm.L, "pcall(f, i)")
	})
	b.Run("gopher-pcall", func(b *testing.B) {
		L := lua.NewState()
		defer L.Close()
		loop(b, L, "pcall(f, i)")
	})
}

func BenchmarkFormatNumber(b *testing.B) {
	for _, bc := range []struct {
		name string
		f    float64
	}{{"small-int", 42}, {"large-int", 1234567890}, {"fraction", 1.0 / 3}, {"exponent", 1e15}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = lvm.FormatNumber(bc.f)
			}
		})
		b.Run(bc.name+"-append", func(b *testing.B) {
			buf := make([]byte, 0, 32)
			b.ReportAllocs()
			for b.Loop() {
				buf = lvm.AppendNumber(buf[:0], bc.f)
			}
		})
	}
}
