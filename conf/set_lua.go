package conf

import (
	"strconv"
	"strings"
)

// chunkNameMax is lua-nginx-module's LJ_CHUNKNAME_MAX_LEN: LuaJIT keeps 60
// bytes of a chunk name, minus the fixed "=(:)".
const chunkNameMax = 56

// ChunkName builds the chunk name lua-nginx-module gives an inline handler:
// "=<tag>(<file>:<line>)". The file is shown as "nginx.conf" when its base
// name is nginx.conf, else relative to confPrefix when inside it, else in
// full; a name too long for LuaJIT keeps its tail after "...".
func ChunkName(tag, file, confPrefix string, line int) string {
	lineStr := strconv.Itoa(line)
	reserve := len(tag) + len(lineStr)
	name, pre := file, ""
	cp := confPrefix
	if cp != "" && !strings.HasSuffix(cp, "/") {
		cp += "/"
	}
	switch {
	case len(file) >= len("/nginx.conf") && strings.HasSuffix(file, "/nginx.conf"):
		name = "nginx.conf"
	case cp != "" && len(cp) < len(file) && strings.HasPrefix(file, cp):
		name = file[len(cp):]
		fallthrough
	default:
		if len(name)+reserve > chunkNameMax {
			name, pre = name[len(name)-(chunkNameMax-reserve-3):], "..."
		}
	}
	return "=" + tag + "(" + pre + name + ":" + lineStr + ")"
}

// setLuaHandler stores a *_by_lua_block, *_by_lua_file or *_by_lua
// (inline string) handler in its phase slot. The inline form's chunk is
// named after the line of its terminating ";", as lua-nginx-module names
// it from the parser's position when the directive is applied. A second handler for the same slot at the same level is a
// duplicate, as in lua-nginx-module.
func setLuaHandler(b *builder, d *Directive) error {
	tag, isFile := strings.CutSuffix(d.Name, "_file")
	if !isFile {
		tag = strings.TrimSuffix(tag, "_block")
	}
	code := &LuaCode{Tag: tag, IsFile: isFile, File: d.File, Line: d.Line}
	if isFile {
		path := d.Args[0].Value
		if HasVars(path) && tag != "init_by_lua" && tag != "init_worker_by_lua" {
			parts, err := SplitVars(path)
			if err != nil {
				return err
			}
			code.Source, code.Dynamic, code.Parts, code.Prefix = path, true, parts, b.cfg.Prefix
		} else {
			code.Source = b.resolve(path)
			code.ChunkName = "@" + code.Source
		}
	} else if d.Lua == nil {
		code.Source, code.Line = d.Args[0].Value, d.termLine
		code.ChunkName = ChunkName(tag, d.File, b.cfg.ConfPrefix, code.Line)
	} else {
		code.Source, code.Line = d.Lua.Source, d.Lua.Line
		code.ChunkName = ChunkName(tag, d.File, b.cfg.ConfPrefix, code.Line)
	}
	var slot **LuaCode
	var set setMask
	f := b.top()
	switch tag {
	case "init_by_lua":
		slot, set = &b.cfg.HTTP.InitByLua, b.cfg.HTTP.Settings.set
	case "init_worker_by_lua":
		slot, set = &b.cfg.HTTP.InitWorkerByLua, b.cfg.HTTP.Settings.set
	case "content_by_lua":
		slot, set = &f.loc.Content, f.loc.set
		f.loc.Handler = HandlerLua
	case "rewrite_by_lua":
		slot, set = &b.settings().Rewrite, b.settings().set
	case "access_by_lua":
		slot, set = &b.settings().Access, b.settings().set
	case "log_by_lua":
		slot, set = &b.settings().Log, b.settings().set
	case "header_filter_by_lua":
		slot, set = &b.settings().HeaderFilter, b.settings().set
	}
	if err := once(set, tag, d.Name); err != nil {
		return err
	}
	*slot = code
	return nil
}

// setSetByLua is set_by_lua $var 'code' [args...], set_by_lua_block $var
// { code } and set_by_lua_file $var path [args...]: a set directive whose
// value the Lua code returns, run in order with the other sets of its
// level.
func setSetByLua(b *builder, d *Directive) error {
	name := d.Args[0].Value
	if !strings.HasPrefix(name, "$") {
		return errorf("invalid variable name \"%s\"", name)
	}
	isFile := strings.HasSuffix(d.Name, "_file")
	code := &LuaCode{Tag: "set_by_lua", IsFile: isFile, File: d.File, Line: d.Line}
	rest := d.Args[1:]
	switch {
	case d.Lua != nil:
		code.Source, code.Line = d.Lua.Source, d.Lua.Line
		code.ChunkName = ChunkName(code.Tag, d.File, b.cfg.ConfPrefix, code.Line)
	case len(rest) == 0:
		return errorf("invalid number of arguments in \"%s\" directive", d.Name)
	case isFile:
		code.Source = b.resolve(rest[0].Value)
		code.ChunkName = "@" + code.Source
		rest = rest[1:]
	default:
		code.Source, code.Line = rest[0].Value, d.termLine
		code.ChunkName = ChunkName(code.Tag, d.File, b.cfg.ConfPrefix, code.Line)
		rest = rest[1:]
	}
	st := Set{Var: name[1:], Lua: code, File: d.File, Line: d.Line}
	for _, a := range rest {
		parts, err := SplitVars(a.Value)
		if err != nil {
			return err
		}
		st.LuaArgs = append(st.LuaArgs, parts)
	}
	if f := b.top(); f.loc != nil {
		f.loc.Sets = append(f.loc.Sets, st)
	} else {
		f.srv.Sets = append(f.srv.Sets, st)
	}
	return nil
}
