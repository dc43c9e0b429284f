package lvm_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/luring/luring/lvm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPackagePath(t *testing.T) {
	tests := []struct {
		name, path, want string
	}{
		{"default in the middle", "/a/?.lua;;/b/?.lua", "/a/?.lua;D1;D2;/b/?.lua"},
		{"default at the end", "/a/?.lua;;", "/a/?.lua;D1;D2"},
		{"default only", ";;", "D1;D2"},
		{"no default", "/a/?.lua", "/a/?.lua"},
		{"prefix forms", "$prefix/lua/?.lua;${prefix}/lib/?.lua", "/srv/lua/?.lua;/srv/lib/?.lua"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, lvm.PackagePath(tt.path, "D1;D2", "/srv"))
		})
	}
}

// writeModule writes dir/name.lua (dots become directories).
func writeModule(t *testing.T, dir, file, src string) {
	t.Helper()
	path := filepath.Join(dir, file)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
}

func TestRequire(t *testing.T) {
	tests := []struct {
		name    string
		noCache bool
		want    []string // result of each request; the module file is rewritten before each
	}{
		{"code cache on: loaded once per VM", false, []string{"v1,1", "v1,1"}},
		{"code cache off: reloaded after ResetModules", true, []string{"v1,1", "v2,2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			vm, s := newVM(t, lvm.Options{PackagePath: "$prefix/lib/?.lua;;", Prefix: dir, NoCodeCache: tt.noCache})
			require.NoError(t, vm.DoString("loads = 0", "=init"))
			for i, want := range tt.want {
				writeModule(t, dir, "lib/my/mod.lua", "loads = loads + 1\nlocal M = {}\nfunction M.v() return 'v"+string(rune('1'+i))+"' end\nreturn M")
				assert.Equal(t, want, eval(t, vm, s, "local m = require('my.mod') assert(require('my.mod') == m) return m.v(), loads"))
				if tt.noCache {
					vm.ResetModules()
				}
			}
		})
	}
}

func TestRequireErrors(t *testing.T) {
	dir := t.TempDir()
	writeModule(t, dir, "bad.lua", "local x = = 1")
	vm, s := newVM(t, lvm.Options{PackagePath: dir + "/?.lua"})
	got := eval(t, vm, s, "local ok, e = pcall(require, 'bad') return ok, e")
	assert.Contains(t, got, "false,")
	assert.Contains(t, got, "error loading module 'bad' from file '"+dir+"/bad.lua'")
	assert.Contains(t, got, dir+"/bad.lua:1: syntax error near '='")

	got = eval(t, vm, s, "local ok, e = pcall(require, 'nope') return ok, e")
	assert.Contains(t, got, "module nope not found")
	assert.Contains(t, got, "no file '"+dir+"/nope.lua'")
}

func TestRequireYieldingIteratorInModuleFunction(t *testing.T) {
	dir := t.TempDir()
	writeModule(t, dir, "iter.lua", `local M = {}
function M.sum(n)
  local gen = coroutine.wrap(function() for i = 1, n do coroutine.yield(sleep(i)) end end)
  local total = 0
  for v in gen do total = total + v end
  return total
end
return M`)
	vm, s := newVM(t, lvm.Options{PackagePath: dir + "/?.lua"})
	assert.Equal(t, "6", eval(t, vm, s, "return require('iter').sum(3)"))
}
