package lvm_test

import (
	"fmt"

	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// A binding that waits for the engine, and a driver loop that resumes the
// request when the "operation" completes. The wait passes through pcall.
func Example() {
	vm, err := lvm.New(lvm.Options{})
	if err != nil {
		panic(err)
	}
	defer vm.Close()

	var completions []lvm.Ticket // stands in for the event loop's queue
	vm.L.SetGlobal("fetch", vm.L.NewFunction(func(L *lua.LState) int {
		tk, n := lvm.Await(L)
		completions = append(completions, tk)
		return n
	}))

	chunk, err := vm.Compile(`
		local ok, body = pcall(function() return fetch() end)
		return ok, body, tostring(1e15)
	`, "=content_by_lua(nginx.conf:12)")
	if err != nil {
		panic(err)
	}

	th := vm.Acquire("request context")
	defer th.Release()
	r := th.Start(chunk.Fn)
	for r.Status == lvm.StatusWaiting {
		tk := completions[0]
		completions = completions[1:]
		r, _ = tk.Resume(lua.LString("hello")) // the op's result
	}
	fmt.Println(r.Status, r.Values)
	// Output: done [true hello 1e+15]
}
