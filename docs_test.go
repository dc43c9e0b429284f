package luring_test

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/lvm"
	"github.com/luring/luring/ngx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
)

// compatDoc is docs/compatibility.md, which must stay true.
func compatDoc(t *testing.T) string {
	b, err := os.ReadFile("docs/compatibility.md")
	require.NoError(t, err)
	return string(b)
}

// TestCompatibilityListsEveryDirective fails when a directive luring
// accepts has no row in docs/compatibility.md.
func TestCompatibilityListsEveryDirective(t *testing.T) {
	doc := compatDoc(t)
	var missing []string
	for _, name := range conf.Directives() {
		if !strings.Contains(doc, "`"+name+"`") {
			missing = append(missing, name)
		}
	}
	assert.Empty(t, missing, "directives without a row in docs/compatibility.md")
}

// TestCompatibilityListsEveryNgxFunction fails when the ngx table has a
// function or sub-table that docs/compatibility.md does not name.
func TestCompatibilityListsEveryNgxFunction(t *testing.T) {
	vm, err := lvm.New(lvm.Options{})
	require.NoError(t, err)
	defer vm.Close()
	_, err = ngx.NewRunner(ngx.Options{VM: vm, WorkerCount: 1})
	require.NoError(t, err)
	var names []string
	var walk func(prefix string, tbl *lua.LTable, depth int)
	walk = func(prefix string, tbl *lua.LTable, depth int) {
		tbl.ForEach(func(k, v lua.LValue) {
			key, ok := k.(lua.LString)
			if !ok {
				return
			}
			name := prefix + "." + string(key)
			switch v := v.(type) {
			case *lua.LFunction:
				names = append(names, name)
			case *lua.LTable:
				if depth < 2 {
					walk(name, v, depth+1)
				}
			}
		})
	}
	walk("ngx", vm.L.GetGlobal("ngx").(*lua.LTable), 0)
	sort.Strings(names)
	require.NotEmpty(t, names)
	doc := compatDoc(t)
	var missing []string
	for _, name := range names {
		if !strings.Contains(doc, "`"+name+"`") {
			missing = append(missing, name)
		}
	}
	assert.Empty(t, missing, "ngx functions without a row in docs/compatibility.md")
}
