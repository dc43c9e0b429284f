package ngx

import (
	"testing"

	"github.com/luring/luring/httpd"
)

// BenchmarkRunSay measures one content handler run: ngx.say("hello, world")
// compiled once, each iteration a new request on a reused fake exchange,
// ended with Done as httpd ends it (pooled request state and coroutine).
// It runs on the loop's thread.
func BenchmarkRunSay(b *testing.B) {
	h := newHarness(b, nil)
	code := inline("content_by_lua", `ngx.say("hello, world")`)
	x := newFakeX(h.l)
	h.onLoop(func() {
		if res := h.rn.Run(x, httpd.PhaseContent, code); res.Outcome != httpd.Next || x.body.String() != "hello, world\n" {
			b.Fatalf("warm-up: %+v %q %v", res, x.body.String(), x.logs)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			x.sent, x.status = false, 0
			x.body.Reset()
			if res := h.rn.Run(x, httpd.PhaseContent, code); res.Outcome != httpd.Next {
				b.Fatalf("run: %+v", res)
			}
			h.rn.Done(x)
			x.ctx = nil
		}
		b.StopTimer()
	})
}

// BenchmarkRunSleep0 is a handler that waits once (ngx.sleep(0)) and is
// resumed by its loop timer: the await/resume round trip.
func BenchmarkRunSleep0(b *testing.B) {
	h := newHarness(b, nil)
	code := inline("content_by_lua", `ngx.sleep(0) ngx.say("hello, world")`)
	x := newFakeX(h.l)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		x.ctx, x.sent, x.status = nil, false, 0
		x.body.Reset()
		h.onLoop(func() { h.rn.Run(x, httpd.PhaseContent, code) })
		<-x.results
	}
}
