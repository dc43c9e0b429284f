package ngx

import (
	"fmt"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/loop"
	"github.com/luring/luring/lvm"
)

// A worker runs a content handler that sleeps on the loop and then
// answers; the phase engine gets Pending first and the result later
// through Exchange.Resume. (The Exchange here is the tests' fake.)
func Example() {
	l, _ := loop.Start(loop.Options{Log: func(string) {}}, nil)
	defer l.Stop()
	code := &conf.LuaCode{Tag: "content_by_lua", ChunkName: "=content_by_lua(nginx.conf:40)",
		Source: `ngx.sleep(0.001) ngx.say("hello, ", ngx.var.arg_name)`}
	x := newFakeX(l)
	x.vars["arg_name"] = "luring"

	ran := make(chan httpd.PhaseResult, 1)
	_ = l.Post(func() {
		vm, _ := lvm.New(lvm.Options{})
		rn, _ := NewRunner(Options{VM: vm, Loop: l, WorkerCount: 1})
		ran <- rn.Run(x, httpd.PhaseContent, code)
	})
	fmt.Println((<-ran).Outcome == httpd.Pending)
	fmt.Println((<-x.results).Outcome == httpd.Next)
	done := make(chan string)
	_ = l.Post(func() { done <- x.body.String() })
	fmt.Print(<-done)
	// Output:
	// true
	// true
	// hello, luring
}
