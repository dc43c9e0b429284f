package lvm_test

import (
	"testing"

	"github.com/luring/luring/lvm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestYieldAcross is the pcall/xpcall/coroutine matrix: every row runs in
// an entry thread whose sleep() calls are engine waits resumed by the fake
// scheduler. Every row runs twice on the same VM to catch leaking state.
func TestYieldAcross(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		want   string
		awaits int // engine waits per run
	}{
		{"entry: binding results", "local a, b = sleep(1, 2) return a, b", "1,2", 1},
		{"entry: fewer results pad with nil", "local a, b, c = 7, 8, 9; a, b, c = sleep(1); return a, b, c", "1,nil,nil", 1},
		{"pcall: engine yield inside", "return pcall(function() return sleep(1) + 1 end)", "true,2", 1},
		{"pcall: results keep nils", "return pcall(function() sleep() return 1, nil, 3, nil end)", "true,1,nil,3,nil", 1},
		{"pcall: result count with trailing nils", "return select('#', pcall(function() return nil, nil end))", "3", 0},
		{"pcall: no results", "return select('#', pcall(function() end))", "1", 0},
		{"pcall: arguments keep nils", "return pcall(function(...) return select('#', ...), ... end, 1, nil, 3)", "true,3,1,nil,3", 0},
		{"pcall: error after yield", "return pcall(function() sleep(1) error('boom') end)", "false,test:1: boom", 1},
		{"pcall: error object is a table", "local ok, e = pcall(function() sleep() error({code = 7}) end) return ok, type(e), e.code", "false,table,7", 1},
		{"pcall: not callable", "return pcall(nil)", "false,attempt to call a nil value", 0},
		{"pcall: callable table", "return pcall(setmetatable({}, {__call = function(_, x) return sleep(x) end}), 4)", "true,4", 1},
		{"pcall: in pcall, yields at both levels", "return pcall(function() local ok, v = pcall(function() return sleep(2) end) return ok, v, sleep(3) end)", "true,true,2,3", 2},
		{"pcall: inner error caught, outer goes on", "return pcall(function() local ok, e = pcall(error, 'x', 0) sleep() return ok, e end)", "true,false,x", 1},
		{"pcall: error passes the inner pcall's caller", "return pcall(function() pcall(sleep) error('late', 0) end)", "false,late", 1},
		{"xpcall: handler sees the error", "return xpcall(function() sleep() error('bad', 0) end, function(e) return 'h:' .. e end)", "false,h:bad", 1},
		{"xpcall: extra arguments and yield", "return xpcall(function(a, b) return sleep(a + b) end, print, 2, 3)", "true,5", 1},
		{"xpcall: handler gets table errors", "local ok, e = xpcall(function() error({1}) end, function(e) return #e end) return ok, e", "false,1", 0},
		{"xpcall: failing handler", "return xpcall(function() error('x') end, function() error('y') end)", "false,error in error handling", 0},
		{"wrap: iterator with engine yields", "local gen = coroutine.wrap(function(n) for i = 1, n do coroutine.yield(sleep(i * 10)) end end)\nlocal out = {}\nfor v in gen, 3 do out[#out + 1] = v end\nreturn table.concat(out, ' ')", "10 20 30", 3},
		{"wrap: error propagates", "local f = coroutine.wrap(function() sleep() error({why = 'w'}) end) local ok, e = pcall(function() return f() end) return ok, e.why", "false,w", 1},
		{"wrap: dead", "local f = coroutine.wrap(function() end) f() local ok, e = pcall(function() local v = f() return v end) return ok, e", "false,test:1: cannot resume dead coroutine", 0},
		{"create: status through a life", `local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
local s0 = coroutine.status(co)
local ok1, v1 = coroutine.resume(co, 1)
local s1 = coroutine.status(co)
local ok2, v2 = coroutine.resume(co, 5)
local s2 = coroutine.status(co)
local ok3, e3 = coroutine.resume(co)
return s0, ok1, v1, s1, ok2, v2, s2, ok3, e3`, "suspended,true,2,suspended,true,10,dead,false,cannot resume dead coroutine", 0},
		{"create: running and normal", `local outer
outer = coroutine.create(function()
  local inner = coroutine.create(function() return coroutine.status(outer), coroutine.status(coroutine.running()) end)
  return coroutine.status(outer), coroutine.resume(inner)
end)
return coroutine.resume(outer)`, "true,running,true,normal,running", 0},
		{"create: running inside pcall is the enclosing coroutine", "local co = coroutine.running() local ok, same = pcall(function() return coroutine.running() == co end) return ok, same, co ~= nil", "true,true,true", 0},
		{"create: engine yields pass through, user yields stop", `local co = coroutine.create(function(x) local y = sleep(x) local z = coroutine.yield(y + 1) return sleep(z) end)
local ok1, a = coroutine.resume(co, 4)
local ok2, b = coroutine.resume(co, 9)
return ok1, a, ok2, b, coroutine.status(co)`, "true,5,true,9,dead", 2},
		{"create: user yield across pcall reaches the user's resume", `local co = coroutine.create(function()
  local ok, v = pcall(function() local r = coroutine.yield('from-pcall') sleep() return r * 2 end)
  return ok, v
end)
local _, y = coroutine.resume(co)
local ok2, okp, v = coroutine.resume(co, 21)
return y, ok2, okp, v`, "from-pcall,true,true,42", 1},
		{"create: yield of no values", "local co = coroutine.create(function() coroutine.yield() end) return select('#', coroutine.resume(co))", "1", 0},
		{"create: error after engine yield", "local co = coroutine.create(function() sleep() error({x = 1}) end) local ok, e = coroutine.resume(co) return ok, e.x, coroutine.status(co)", "false,1,dead", 1},
		{"create: resume a running coroutine", "local co co = coroutine.create(function() return coroutine.resume(co) end) return coroutine.resume(co)", "true,false,cannot resume non-suspended coroutine", 0},
		{"create: resume the entry thread", "return coroutine.resume(coroutine.running())", "false,cannot resume non-suspended coroutine", 0},
		{"isyieldable", "return coroutine.isyieldable(), pcall(coroutine.isyieldable)", "true,true,true", 0},
		{"nesting: pcall in wrap in pcall", "return pcall(function() local f = coroutine.wrap(function() return pcall(function() return sleep('deep') end) end) return f() end)", "true,true,deep", 1},
		{"nesting: coroutine in coroutine, engine yield at the bottom", `local a = coroutine.wrap(function()
  local b = coroutine.wrap(function() coroutine.yield(sleep('b1')) return sleep('b2') end)
  coroutine.yield(b()) coroutine.yield(b())
end)
return a(), a()`, "b1,b2", 2},
		{"ctx: from every kind of coroutine", "return ctx(), pcall(ctx), coroutine.wrap(ctx)(), coroutine.resume(coroutine.create(ctx))", "req,true,req,true,req", 0},
		{"yield inside table.sort comparator is refused", "local ok, e = pcall(table.sort, {3, 1, 2}, function(a, b) sleep() return a < b end) return ok, e:match('attempt to yield across C%-call boundary') ~= nil", "false,true", 0},
		{"for-in: break and per-iteration locals", "local fs, t = {}, {} for i, v in ipairs({'a', 'b', 'c', 'd'}) do if i == 4 then break end t[#t + 1] = v fs[i] = function() return i end end return table.concat(t), fs[1](), fs[3]()", "abc,1,3", 0},
		{"for-in: pairs over a hash", "local n = 0 for k, v in pairs({a = 1, b = 2, c = 3}) do n = n + v end return n", "6", 0},
	}
	vm, s := newVM(t, lvm.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 {
				s.awaits = 0
				assert.Equal(t, tt.want, eval(t, vm, s, tt.src))
				assert.Equal(t, tt.awaits, s.awaits, "engine waits")
			}
		})
	}
}

func TestXpcallHandlerSeesFailingStack(t *testing.T) {
	vm, s := newVM(t, lvm.Options{})
	got := eval(t, vm, s, `local function inner() sleep() error("deep") end
local ok, tb = xpcall(function() inner() end, debug.traceback)
return ok, tb`)
	assert.Contains(t, got, "false,test:1: deep\nstack traceback:")
	assert.Contains(t, got, "test:1: in function 'inner'")
}

func TestEntryPlainYieldGoesToDriver(t *testing.T) {
	vm, s := newVM(t, lvm.Options{})
	got := eval(t, vm, s, "local v = coroutine.yield(1) sleep() return v == nil, pcall(coroutine.yield)")
	assert.Equal(t, "true,true", got)
	assert.Equal(t, 2, s.yields)
}

func TestYieldOutsideRequest(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"await on the main state", "sleep()", "no request coroutine to yield to"},
		{"await in a coroutine made on the main state", "coroutine.wrap(function() sleep() end)()", "no request coroutine to yield to"},
		{"coroutine.yield on the main state", "coroutine.yield()", "attempt to yield from outside a coroutine"},
		{"coroutine.yield in pcall on the main state", "local ok, e = pcall(coroutine.yield) assert(not ok) error(e, 0)", "attempt to yield from outside a coroutine"},
	}
	vm, _ := newVM(t, lvm.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := vm.DoString(tt.src, "=init")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestTickets(t *testing.T) {
	vm, s := newVM(t, lvm.Options{})
	c, err := vm.Compile("return sleep(1) + sleep(2)", "=t")
	require.NoError(t, err)

	th := vm.Acquire("req")
	r := th.Start(c.Fn)
	require.Equal(t, lvm.StatusWaiting, r.Status)
	require.Len(t, s.q, 1)
	first := s.q[0]
	s.q = s.q[1:]
	assert.Same(t, th, first.tk.Thread())

	r, err = first.tk.Resume(first.vals...)
	require.NoError(t, err)
	require.Equal(t, lvm.StatusWaiting, r.Status)
	_, err = first.tk.Resume(first.vals...)
	assert.ErrorIs(t, err, lvm.ErrStale, "a ticket resumes once")

	second := s.q[0]
	s.q = s.q[1:]
	th.Release() // the request is aborted while waiting
	_, err = second.tk.Resume(second.vals...)
	assert.ErrorIs(t, err, lvm.ErrStale, "release makes pending tickets stale")

	_, err = lvm.Ticket{}.Resume()
	assert.ErrorIs(t, err, lvm.ErrStale)

	th = vm.Acquire("req2")
	_, err = th.Resume()
	assert.ErrorIs(t, err, lvm.ErrNotWaiting, "resume before start")
	r = s.drive(t, th, th.Start(c.Fn))
	require.Equal(t, lvm.StatusDone, r.Status)
	assert.Equal(t, "3", render(vm, r.Values))
	_, err = th.Resume()
	assert.ErrorIs(t, err, lvm.ErrNotWaiting, "resume after the end")
	th.Release()
}
