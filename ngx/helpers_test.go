package ngx

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/loop"
	"github.com/luring/luring/lvm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// harness is one worker: a real loop, a VM and a Runner made on the
// loop's thread. Lua runs only there.
type harness struct {
	t  testing.TB
	l  *loop.Loop
	vm *lvm.VM
	rn *Runner

	mu   sync.Mutex
	logs []string // lines of the runner's sink (no request)
}

// newHarness starts a worker; cfg may be nil.
func newHarness(t testing.TB, cfg *conf.Config) *harness {
	t.Helper()
	h := &harness{t: t}
	l, err := loop.Start(loop.Options{Log: func(string) {}}, nil)
	require.NoError(t, err)
	h.l = l
	t.Cleanup(func() {
		h.onLoop(func() { h.vm.Close() })
		require.NoError(t, l.Stop())
	})
	var setupErr error
	h.onLoop(func() {
		h.vm, setupErr = lvm.New(lvm.Options{})
		if setupErr != nil {
			return
		}
		h.rn, setupErr = NewRunner(Options{VM: h.vm, Loop: l, Config: cfg, WorkerID: 1, WorkerCount: 2,
			Log: func(level conf.LogLevel, connID uint64, msg string) {
				h.mu.Lock()
				h.logs = append(h.logs, "["+levelNames[level]+"] "+msg)
				h.mu.Unlock()
			}})
	})
	require.NoError(t, setupErr)
	return h
}

// onLoop runs fn on the loop's thread and waits for it.
func (h *harness) onLoop(fn func()) {
	h.t.Helper()
	done := make(chan struct{})
	require.NoError(h.t, h.l.Post(func() { defer close(done); fn() }))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		h.t.Fatal("posted function did not run")
	}
}

// sinkLogs returns and clears the runner's no-request log lines.
func (h *harness) sinkLogs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.logs
	h.logs = nil
	return l
}

// inline makes an inline handler as conf does for a *_by_lua_block at
// nginx.conf:40.
func inline(tag, src string) *conf.LuaCode {
	return &conf.LuaCode{Tag: tag, Source: src, ChunkName: "=" + tag + "(nginx.conf:40)", File: "nginx.conf", Line: 40}
}

// tagOf names a phase's directive.
func phaseTag(p httpd.Phase) string {
	return p.String() + "_by_lua"
}

// run runs code for x in phase on the loop and returns its final result,
// waiting for x.Resume when the handler went Pending.
func (h *harness) run(x *fakeX, phase httpd.Phase, code *conf.LuaCode) httpd.PhaseResult {
	h.t.Helper()
	var res httpd.PhaseResult
	h.onLoop(func() { res = h.rn.Run(x, phase, code) })
	if res.Outcome != httpd.Pending {
		return res
	}
	select {
	case res = <-x.results:
	case <-time.After(10 * time.Second):
		h.t.Fatal("pending handler never resumed")
	}
	select {
	case extra := <-x.results:
		h.t.Fatalf("second Resume: %+v", extra)
	case <-time.After(5 * time.Millisecond):
	}
	return res
}

// spec is one table row: Lua code for a phase and what the response and
// error log must look like afterwards.
type spec struct {
	name    string // behaviour, citing the t/ file and TEST where one pins it
	phase   inPhase
	src     string
	setup   func(x *fakeX)
	body    string
	status  int                // response status after the run (0: not checked)
	result  *httpd.PhaseResult // nil: Next expected
	headers map[string][]string
	logs    []string // substrings, each must appear in some log line
	nologs  []string // substrings no log line may contain
	check   func(t *testing.T, x *fakeX)
}

// runSpecs runs every row twice on the same worker, each time on a fresh
// request (the second one on the first one's recycled state), to catch
// state leaking between requests.
func runSpecs(t *testing.T, h *harness, rows []spec) {
	t.Helper()
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			phase := tt.phase.phase()
			code := inline(phaseTag(phase), tt.src)
			for round := range 2 {
				x := newFakeX(h.l)
				if tt.setup != nil {
					tt.setup(x)
				}
				res := h.run(x, phase, code)
				want := httpd.PhaseResult{Outcome: httpd.Next}
				if tt.result != nil {
					want = *tt.result
				}
				var body string
				var logs []string
				h.onLoop(func() { body, logs = x.body.String(), append([]string(nil), x.logs...) })
				all := strings.Join(logs, "\n")
				assert.Equal(t, want, res, "round %d result; logs:\n%s", round, all)
				assert.Equal(t, tt.body, body, "round %d body; logs:\n%s", round, all)
				if tt.status != 0 {
					assert.Equal(t, tt.status, x.status, "round %d status", round)
				}
				for name, vals := range tt.headers {
					assert.Equal(t, vals, x.ResponseHeader(name), "round %d header %s", round, name)
				}
				for _, want := range tt.logs {
					assert.Contains(t, all, want, "round %d log", round)
				}
				for _, bad := range tt.nologs {
					assert.NotContains(t, all, bad, "round %d log", round)
				}
				if tt.check != nil {
					tt.check(t, x)
				}
				// The request is over, as httpd ends it: the state goes back
				// to the pool, and round 2 runs on it.
				h.onLoop(func() { h.rn.Done(x); x.ctx = nil })
			}
		})
	}
}

// inPhase picks a row's phase; the zero value is content_by_lua.
type inPhase uint8

const (
	inContent inPhase = iota
	inRewrite
	inAccess
	inLog
)

func (p inPhase) phase() httpd.Phase {
	return [...]httpd.Phase{httpd.PhaseContent, httpd.PhaseRewrite, httpd.PhaseAccess, httpd.PhaseLog}[p]
}

// exitWith is the expected result of ngx.exit(status).
func exitWith(status int) *httpd.PhaseResult {
	return &httpd.PhaseResult{Outcome: httpd.Exit, Status: status}
}

// failed is the expected result of an aborted handler.
var failed = &httpd.PhaseResult{Outcome: httpd.Fail}
