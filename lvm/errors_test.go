package lvm_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/luring/luring/lvm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const confChunk = "=content_by_lua(nginx.conf:12)"

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unexpected token", "x = = 2", "content_by_lua(nginx.conf:12):1: syntax error near '='"},
		{"token on a later line", "local a = 1\n\nfor i = 1 do end", "content_by_lua(nginx.conf:12):3: syntax error near 'do'"},
		{"eof counts lines", "local a = 1\nlocal b = x x\n", "content_by_lua(nginx.conf:12):3: parse error near <eof>"},
		{"unterminated string", "local s = 'abc", "content_by_lua(nginx.conf:12):1: unterminated string near <eof>"},
	}
	vm, _ := newVM(t, lvm.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := vm.Compile(tt.src, confChunk)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			var se *lvm.SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "content_by_lua(nginx.conf:12)", se.Chunk)
		})
	}
}

func TestRuntimeErrors(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		message   string
		traceback []string // lines the traceback must contain
	}{
		{
			name:      "error() after a wait, in a function",
			src:       "local x = 1\nlocal function f()\n  sleep()\n  error('boom')\nend\nf()\n",
			message:   "content_by_lua(nginx.conf:12):4: boom",
			traceback: []string{"stack traceback:", "\t[C]: in function 'error'", "\tcontent_by_lua(nginx.conf:12):4: in function 'f'", "\tcontent_by_lua(nginx.conf:12):6: in main chunk"},
		},
		{
			name:      "vm error",
			src:       "local t = nil\nreturn t.x",
			message:   "content_by_lua(nginx.conf:12):2: attempt to index a non-table object(nil) with key 'x'",
			traceback: []string{"stack traceback:\n\tcontent_by_lua(nginx.conf:12):2: in main chunk"},
		},
		{
			name:      "error object with __tostring",
			src:       "error(setmetatable({}, {__tostring = function() return 'custom' end}))",
			message:   "custom",
			traceback: []string{"stack traceback:"},
		},
		{
			name:      "error inside pcall'd code rethrown",
			src:       "local ok, e = pcall(function() sleep() error('inner', 0) end)\nerror(e, 0)",
			message:   "inner",
			traceback: []string{"\tcontent_by_lua(nginx.conf:12):2: in main chunk"},
		},
	}
	vm, s := newVM(t, lvm.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := vm.Compile(tt.src, confChunk)
			require.NoError(t, err)
			th := vm.Acquire("req")
			r := s.drive(t, th, th.Start(c.Fn))
			th.Release()
			require.Equal(t, lvm.StatusFailed, r.Status)
			require.NotNil(t, r.Err)
			assert.Equal(t, tt.message, r.Err.Message)
			assert.Equal(t, tt.message, r.Err.Error())
			for _, line := range tt.traceback {
				assert.Contains(t, r.Err.Traceback, line)
			}
			assert.NotContains(t, r.Err.Traceback, "[lvm]", "glue frames are hidden")
		})
	}
}

func TestCompileCache(t *testing.T) {
	vm, _ := newVM(t, lvm.Options{})
	a, err := vm.Compile("return 1", "=a")
	require.NoError(t, err)
	b, err := vm.Compile("return 1", "@a")
	require.NoError(t, err)
	c, err := vm.Compile("return 2", "=a")
	require.NoError(t, err)
	assert.Same(t, a, b, "same name and source: one chunk")
	assert.NotSame(t, a, c)
	assert.Equal(t, "a", a.Name)
}

func TestCompileFile(t *testing.T) {
	tests := []struct {
		name    string
		noCache bool
		want    []string // results after each rewrite of the file
	}{
		{"code cache on: read once", false, []string{"1", "1"}},
		{"code cache off: read every time", true, []string{"1", "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vm, s := newVM(t, lvm.Options{NoCodeCache: tt.noCache})
			path := filepath.Join(t.TempDir(), "content.lua")
			for i, want := range tt.want {
				require.NoError(t, os.WriteFile(path, []byte("return "+string(rune('1'+i))), 0o644))
				c, err := vm.CompileFile(path, "")
				require.NoError(t, err)
				assert.Equal(t, path, c.Name)
				th := vm.Acquire("req")
				r := s.drive(t, th, th.Start(c.Fn))
				th.Release()
				assert.Equal(t, want, render(vm, r.Values))
			}
		})
	}
	// t/002-content.t TEST 41: a first line starting with '#' is skipped,
	// and line numbers still count it.
	vm, s := newVM(t, lvm.Options{})
	shebang := filepath.Join(t.TempDir(), "shebang.lua")
	require.NoError(t, os.WriteFile(shebang, []byte("#!/bin/lua\n\nreturn debug.getinfo(1).currentline"), 0o644))
	c, err := vm.CompileFile(shebang, "")
	require.NoError(t, err)
	th := vm.Acquire("req")
	r := s.drive(t, th, th.Start(c.Fn))
	th.Release()
	assert.Equal(t, "3", render(vm, r.Values))

	missing := filepath.Join(t.TempDir(), "missing.lua")
	_, err = vm.CompileFile(missing, "")
	assert.ErrorIs(t, err, os.ErrNotExist)
	// LuaJIT's words, as ngx_lua logs them.
	assert.EqualError(t, err, "cannot open "+missing+": No such file or directory")
}
