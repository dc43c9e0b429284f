package lvm

import (
	"errors"
	"os"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// installModules sets package.path from Options.PackagePath and wraps the
// file searcher so ResetModules knows which modules came from files.
func (vm *VM) installModules() error {
	L := vm.L
	pkg := L.GetGlobal("package").(*lua.LTable)
	if vm.opts.PackagePath != "" {
		def := lua.LVAsString(pkg.RawGetString("path"))
		pkg.RawSetString("path", lua.LString(PackagePath(vm.opts.PackagePath, def, vm.opts.Prefix)))
	}
	loaders, ok := pkg.RawGetString("loaders").(*lua.LTable)
	if !ok {
		return errors.New("lvm: package.loaders missing")
	}
	loaders.RawSetInt(2, L.NewFunction(vm.searchFile))
	return nil
}

// searchFile replaces gopher-lua's file searcher (package.loaders[2]): it
// compiles through the VM (generic-for lowering, chunk cache honouring
// lua_code_cache) and records the module so ResetModules can forget it.
func (vm *VM) searchFile(L *lua.LState) int {
	name := L.CheckString(1)
	path := lua.LVAsString(L.GetField(L.GetGlobal("package"), "path"))
	fname := strings.ReplaceAll(name, ".", "/")
	var tried strings.Builder
	for _, tmpl := range strings.Split(path, ";") {
		if tmpl == "" {
			continue
		}
		file := strings.ReplaceAll(tmpl, "?", fname)
		if _, err := os.Stat(file); err != nil {
			tried.WriteString("\n\tno file '" + file + "'")
			continue
		}
		c, err := vm.CompileFile(file, file)
		if err != nil {
			L.RaiseError("error loading module '%s' from file '%s':\n\t%s", name, file, err.Error())
		}
		vm.fileModules[name] = struct{}{}
		L.Push(c.Fn)
		return 1
	}
	L.Push(lua.LString(tried.String()))
	return 1
}

// PackagePath expands a lua_package_path value: $prefix and ${prefix}
// become prefix, and every ";;" becomes ";" + def + ";" (the default path),
// as ngx_lua does. Empty templates at the ends are dropped.
func PackagePath(path, def, prefix string) string {
	path = strings.ReplaceAll(path, "${prefix}", prefix)
	path = strings.ReplaceAll(path, "$prefix", prefix)
	path = strings.ReplaceAll(path, ";;", ";"+def+";")
	return strings.Trim(path, ";")
}

// ResetModules forgets every module that require loaded from a file, so
// the next require reads the file again: lua_code_cache off between
// requests. Built-in and preloaded modules stay.
func (vm *VM) ResetModules() {
	loaded, ok := vm.L.GetField(vm.L.GetGlobal("package"), "loaded").(*lua.LTable)
	if !ok {
		return
	}
	for name := range vm.fileModules {
		loaded.RawSetString(name, lua.LNil)
		delete(vm.fileModules, name)
	}
}
