package server

import (
	"fmt"
	"path/filepath"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/lvm"
)

// LoadConfig reads the configuration at path (relative to prefix, as nginx
// reads -c relative to -p), or the built-in DefaultConfig when path is "".
// An empty prefix is the current directory. The built-in configuration
// resolves its relative paths (pid, logs) against the prefix too.
func LoadConfig(prefix, path string) (*conf.Config, error) {
	prefix, err := AbsPrefix(prefix)
	if err != nil {
		return nil, err
	}
	if path == "" {
		// conf.Parse takes the directory of the name as the prefix.
		cfg, err := conf.Parse(filepath.Join(prefix, "nginx.conf"), DefaultConfig)
		if err != nil {
			return nil, fmt.Errorf("built-in configuration: %w", err)
		}
		return cfg, nil
	}
	return conf.Load(path, prefix)
}

// AbsPrefix returns prefix made absolute; "" is the current directory.
func AbsPrefix(prefix string) (string, error) {
	if prefix == "" {
		prefix = "."
	}
	return filepath.Abs(prefix)
}

// ConfFile returns the absolute path LoadConfig reads for -c path under
// -p prefix, for messages ("(built-in)" when path is "").
func ConfFile(prefix, path string) string {
	if path == "" {
		return "(built-in)"
	}
	if !filepath.IsAbs(path) {
		p, err := AbsPrefix(prefix)
		if err != nil {
			return path
		}
		path = filepath.Join(p, path)
	}
	return filepath.Clean(path)
}

// eachLuaCode calls fn for every Lua handler of cfg, in config order.
func eachLuaCode(cfg *conf.Config, fn func(*conf.LuaCode) error) error {
	visit := func(c *conf.LuaCode) error {
		if c == nil {
			return nil
		}
		return fn(c)
	}
	h := cfg.HTTP
	if h == nil {
		return nil
	}
	for _, c := range []*conf.LuaCode{h.InitByLua, h.InitWorkerByLua, h.Rewrite, h.Access, h.Log} {
		if err := visit(c); err != nil {
			return err
		}
	}
	var walk func(ls []*conf.Location) error
	walk = func(ls []*conf.Location) error {
		for _, l := range ls {
			for _, c := range []*conf.LuaCode{l.Rewrite, l.Access, l.Content, l.Log} {
				if err := visit(c); err != nil {
					return err
				}
			}
			if err := walk(l.Nested); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range h.Servers {
		for _, c := range []*conf.LuaCode{s.Rewrite, s.Access, s.Log} {
			if err := visit(c); err != nil {
				return err
			}
		}
		if err := walk(s.Locations); err != nil {
			return err
		}
		if err := walk(s.Named); err != nil {
			return err
		}
	}
	return nil
}

// TestConfig checks what `luring -t` checks beyond parsing: every inline Lua
// handler compiles; a syntax error names the configuration file and line as
// ngx_lua does ("failed to load inlined Lua code: ..."). *_by_lua_file
// handlers are loaded when first run, as in ngx_lua.
func TestConfig(cfg *conf.Config) error {
	vm, err := newVM(cfg)
	if err != nil {
		return err
	}
	defer vm.Close()
	return eachLuaCode(cfg, func(c *conf.LuaCode) error {
		if c.IsFile {
			return nil
		}
		if _, err := vm.Compile(c.Source, c.ChunkName); err != nil {
			return &conf.Error{Level: conf.LevelEmerg, Msg: "failed to load inlined Lua code: " + err.Error(), File: c.File, Line: c.Line}
		}
		return nil
	})
}

// newVM makes a worker's Lua VM for cfg.
func newVM(cfg *conf.Config) (*lvm.VM, error) {
	o := lvm.Options{Prefix: cfg.Prefix}
	if cfg.HTTP != nil {
		o.PackagePath = cfg.HTTP.LuaPackagePath
		o.NoCodeCache = !cfg.HTTP.LuaCodeCache
	}
	return lvm.New(o)
}
