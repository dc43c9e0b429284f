package ngx

import (
	"testing"
	"time"

	"github.com/luring/luring/httpd"
	"github.com/luring/luring/lvm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
)

// waitProbe is a test binding, testwait(), standing in for an operation
// such as a socket read: it awaits with a cancel that counts, and the test
// completes it (or not) by hand. Loop thread only.
type waitProbe struct {
	rn      *Runner
	c       *coro
	tk      lvm.Ticket
	cancels int
}

func (p *waitProbe) install(h *harness) {
	h.onLoop(func() {
		h.vm.L.SetGlobal("testwait", h.vm.L.NewFunction(func(L *lua.LState) int {
			c := enter(L, errNoRequest, maskYieldable)
			n := c.await(L, func() { p.cancels++ })
			p.c, p.tk = c, c.tk
			return n
		}))
	})
}

// complete resumes the probe's wait with v, as an operation's callback does.
func (p *waitProbe) complete(v lua.LValue) { p.c.rq.complete(p.c, p.tk, v) }

// startPending runs code, which must end up waiting, and returns once Run
// returned Pending.
func startPending(t *testing.T, h *harness, x *fakeX, src string) {
	t.Helper()
	var res httpd.PhaseResult
	h.onLoop(func() { res = h.rn.Run(x, httpd.PhaseContent, inline("content_by_lua", src)) })
	require.Equal(t, httpd.Pending, res.Outcome)
}

func TestWaitCancelSlot(t *testing.T) {
	h := newHarness(t, nil)
	p := &waitProbe{rn: h.rn}
	p.install(h)

	t.Run("a completed wait is not cancelled", func(t *testing.T) {
		p.cancels = 0
		x := newFakeX(h.l)
		startPending(t, h, x, `ngx.say(testwait())`)
		h.onLoop(func() { p.complete(lua.LString("done")) })
		res := <-x.results
		assert.Equal(t, httpd.Next, res.Outcome)
		assert.Equal(t, "done\n", x.body.String())
		h.onLoop(func() { h.rn.Done(x) })
		assert.Zero(t, p.cancels)
	})

	t.Run("an aborted request cancels its wait once; a late completion is dropped", func(t *testing.T) {
		p.cancels = 0
		x := newFakeX(h.l)
		startPending(t, h, x, `testwait() ngx.say("resumed")`)
		h.onLoop(func() {
			h.rn.Abort(x)
			p.complete(lua.LString("late")) // stale ticket: nothing runs
			h.rn.Done(x)
		})
		assert.Equal(t, 1, p.cancels)
		assert.Empty(t, x.body.String())
		select {
		case res := <-x.results:
			t.Fatalf("an aborted handler resumed: %+v", res)
		case <-time.After(10 * time.Millisecond):
		}
	})

	t.Run("a killed light thread cancels its wait", func(t *testing.T) {
		p.cancels = 0
		x := newFakeX(h.l)
		startPending(t, h, x, `
			local th = ngx.thread.spawn(function() testwait() ngx.say("never") end)
			ngx.sleep(0.001)
			ngx.say(ngx.thread.kill(th))`)
		res := <-x.results
		assert.Equal(t, httpd.Next, res.Outcome)
		assert.Equal(t, "1\n", x.body.String())
		h.onLoop(func() {
			p.complete(lua.LString("late")) // the thread is gone
			h.rn.Done(x)
		})
		assert.Equal(t, 1, p.cancels)
	})

	t.Run("a second completion of one wait is stale", func(t *testing.T) {
		p.cancels = 0
		x := newFakeX(h.l)
		startPending(t, h, x, `ngx.say(testwait()) ngx.say(testwait())`)
		h.onLoop(func() {
			first := p.tk
			p.complete(lua.LString("one"))
			// The coroutine waits again; the first wait's ticket is spent.
			p.c.rq.complete(p.c, first, lua.LString("stale"))
			p.complete(lua.LString("two"))
		})
		<-x.results
		assert.Equal(t, "one\ntwo\n", x.body.String())
		h.onLoop(func() { h.rn.Done(x) })
		assert.Zero(t, p.cancels)
	})
}
