package lvm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
)

// The frame mirror matches the gopher-lua in go.mod: without it every
// await allocates per frame level (see frames.go).
func TestFramesMirror(t *testing.T) {
	require.True(t, framesOK, "lvm's frame mirror no longer matches gopher-lua's callFrame")
}

// frameAt answers what GetStack answers, level by level, in plain calls,
// Go-called Lua and tail calls.
func TestFrameAtMatchesGetStack(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	var checked int
	L.SetGlobal("probe", L.NewFunction(func(L *lua.LState) int {
		for level := 0; level < 8; level++ {
			dbg, ok := L.GetStack(level)
			f, st := frameAt(topFrame(L), level)
			if st == frameTailCalls {
				assert.True(t, ok, "level %d", level)
				continue
			}
			assert.Equal(t, ok, st == frameFound, "level %d", level)
			if !ok {
				break
			}
			fn, err := L.GetInfo("f", dbg, lua.LNil)
			require.NoError(t, err)
			assert.Same(t, fn.(*lua.LFunction), f.Fn, "level %d", level)
			checked++
		}
		return 0
	}))
	require.NoError(t, L.DoString(`
		local function a() probe() end
		local function b() a() return 1 end
		b()
		table.sort({3, 2, 1}, function(x, y) probe() return x < y end)
		local function tail() return probe() end
		local function viaTail() return tail() end
		viaTail()
		local co = coroutine.wrap(function() b() end)
		co()`))
	assert.Greater(t, checked, 20)
}
