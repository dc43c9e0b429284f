package ngx

import (
	"fmt"
	"strconv"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// injectLog adds ngx.log and replaces the global print (NOTICE level).
func (rn *Runner) injectLog(L *lua.LState, ngx *lua.LTable) {
	setFuncs(L, ngx, []binding{
		{"log", rn.log},
	})
	L.SetGlobal("print", L.NewFunction(rn.print))
}

// log is ngx.log(level, ...).
func (rn *Runner) log(L *lua.LState) int {
	var level int
	switch v := L.Get(1).(type) {
	case lua.LNumber:
		level = int(v)
	default:
		f, ok := toNumber(v)
		if !ok {
			argError(L, 1, "number expected, got "+typeName(v))
		}
		level = int(f)
	}
	if level < int(conf.LogStderr) || level > int(conf.LogDebug) {
		argError(L, 1, fmt.Sprintf(errBadLogLevel, level))
	}
	return rn.logArgs(L, conf.LogLevel(level), 2)
}

// print is Lua's print turned into ngx.log(ngx.NOTICE, ...).
func (rn *Runner) print(L *lua.LState) int {
	return rn.logArgs(L, conf.LogNotice, 1)
}

// logArgs writes "[lua] <source>:<line>: [<func>(): ]<args>" at level when
// the error_log level lets it through; arguments from index first on.
func (rn *Runner) logArgs(L *lua.LState, level conf.LogLevel, first int) int {
	c := current(L)
	enabled := rn.level
	if c != nil {
		enabled = c.rq.logLevel()
	}
	if level > enabled {
		return 0
	}
	buf := append(rn.takeBuf(), "[lua] "...)
	buf = appendCaller(L, buf)
	for i := first; i <= L.GetTop(); i++ {
		arg := i - first + 1
		switch v := L.Get(i).(type) {
		case lua.LString:
			buf = append(buf, v...)
		case lua.LNumber:
			buf = lvm.AppendNumber(buf, float64(v))
		case *lua.LNilType:
			buf = append(buf, "nil"...)
		case lua.LBool:
			buf = appendBool(buf, bool(v))
		case *lua.LTable:
			if L.GetMetaField(v, "__tostring") == lua.LNil {
				argError(L, arg, errLogNoToString)
			}
			buf = append(buf, lvm.ToString(L, v)...)
		case *lua.LUserData:
			if v == rn.null {
				buf = append(buf, "null"...)
			} else {
				argError(L, arg, fmt.Sprintf(errLogBadArg, "userdata"))
			}
		default:
			argError(L, arg, fmt.Sprintf(errLogBadArg, typeName(v)))
		}
	}
	msg := string(buf)
	rn.buf = buf[:0]
	if c != nil && c.rq.x != nil {
		c.rq.x.Logf(level, "%s", msg)
	} else if rn.sink != nil {
		rn.sink(level, 0, msg)
	}
	return 0
}

// appendCaller appends "<source basename>:<line>: " for the Lua function
// that called the logging function, plus "<name>(): " when that function
// has a name.
func appendCaller(L *lua.LState, buf []byte) []byte {
	dbg, ok := L.GetStack(1)
	if !ok {
		return append(buf, "?:0: "...)
	}
	if _, err := L.GetInfo("Snl", dbg, lua.LNil); err != nil {
		return append(buf, "?:0: "...)
	}
	src := dbg.Source
	for i := len(src) - 1; i >= 0; i-- {
		if src[i] == '/' || src[i] == '\\' {
			src = src[i+1:]
			break
		}
	}
	line := dbg.CurrentLine
	if line <= 0 {
		line = dbg.LineDefined
	}
	buf = append(buf, src...)
	buf = append(buf, ':')
	buf = strconv.AppendInt(buf, int64(line), 10)
	buf = append(buf, ": "...)
	// gopher-lua names the main chunk and anonymous functions "<src:line>";
	// LuaJIT gives those no name.
	if dbg.What == "Lua" && dbg.LineDefined > 0 && dbg.Name != "" && dbg.Name[0] != '<' && dbg.Name != "?" {
		buf = append(buf, dbg.Name...)
		buf = append(buf, "(): "...)
	}
	return buf
}
