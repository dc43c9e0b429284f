package lvm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Chunk is compiled Lua code, shared read-only by every request that runs it.
type Chunk struct {
	// Name is the chunk name used in error positions, without LuaJIT's
	// leading '=' or '@' (e.g. "content_by_lua(nginx.conf:12)").
	Name string
	// Proto is the compiled function prototype.
	Proto *lua.FunctionProto
	// Fn is the chunk's main function with the VM's globals as environment.
	// Pass it to Thread.Start; one Fn serves any number of threads.
	Fn *lua.LFunction
}

// chunkKey identifies an inline chunk in the cache.
type chunkKey struct{ name, src string }

// SyntaxError is returned by Compile for code that does not parse.
type SyntaxError struct {
	// Chunk is the chunk name.
	Chunk string
	// Line is the 1-based line of the offending token (the last line at EOF).
	Line int
	// Msg is gopher-lua's description, with "near 'tok'" or "near <eof>".
	Msg string
}

// Error renders "chunk:line: msg", the LuaJIT layout.
func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Chunk, e.Line, e.Msg) }

// Compile compiles src once per (chunkName, src) pair and returns the
// cached chunk on later calls. chunkName may carry LuaJIT's '=' or '@'
// prefix; it is stripped.
func (vm *VM) Compile(src, chunkName string) (*Chunk, error) {
	name := strings.TrimLeft(chunkName, "=@")
	key := chunkKey{name, src}
	if c, ok := vm.chunks[key]; ok {
		return c, nil
	}
	c, err := vm.compile(src, name)
	if err != nil {
		return nil, err
	}
	vm.chunks[key] = c
	return c, nil
}

// CompileFile compiles the file at path, named chunkName in errors (empty:
// the path). With the code cache on, the file is read once and the chunk
// cached by path; with Options.NoCodeCache it is re-read on every call. A
// missing file is not cached: a *_by_lua_file path with variables that
// names no file costs one failing open per request, on the loop's thread,
// as in nginx (the blocking file I/O of code loading, see httpd.ErrorLog).
func (vm *VM) CompileFile(path, chunkName string) (*Chunk, error) {
	if !vm.opts.NoCodeCache {
		if c, ok := vm.fileChunks[path]; ok {
			return c, nil
		}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &OpenError{Path: path, Err: err}
	}
	if chunkName == "" {
		chunkName = path
	}
	c, err := vm.compile(skipShebang(src), strings.TrimLeft(chunkName, "=@"))
	if err != nil {
		return nil, err
	}
	if !vm.opts.NoCodeCache {
		vm.fileChunks[path] = c
	}
	return c, nil
}

// skipShebang drops a first line that starts with '#' ("#!/bin/lua"), as
// LuaJIT's file loader does, keeping its newline so line numbers stay.
func skipShebang(src []byte) string {
	if len(src) == 0 || src[0] != '#' {
		return string(src)
	}
	if i := bytes.IndexByte(src, '\n'); i >= 0 {
		return string(src[i:])
	}
	return ""
}

// OpenError is a Lua file that could not be read. Its message is
// LuaJIT's ("cannot open /x.lua: No such file or directory"); errors.Is
// sees the cause (fs.ErrNotExist for a missing file).
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string {
	msg := e.Err.Error()
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		msg = errno.Error() // strerror's words, without Go's "open PATH: "
	}
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:] // C's strerror capitalises
	}
	return fmt.Sprintf("cannot open %s: %s", e.Path, msg)
}

func (e *OpenError) Unwrap() error { return e.Err }

func (vm *VM) compile(src, name string) (*Chunk, error) {
	stmts, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, syntaxError(err, name, src)
	}
	lowerBlock(stmts)
	proto, err := lua.Compile(stmts, name)
	if err != nil {
		return nil, syntaxError(err, name, src)
	}
	return &Chunk{Name: name, Proto: proto, Fn: vm.L.NewFunctionFromProto(proto)}, nil
}

// syntaxError turns gopher-lua's "name line:3(column:5) near 'x':   msg"
// into LuaJIT's "name:3: msg near 'x'".
func syntaxError(err error, name, src string) error {
	var pe *parse.Error
	if errors.As(err, &pe) {
		if pe.Pos.Line == parse.EOF {
			return &SyntaxError{Chunk: name, Line: strings.Count(src, "\n") + 1, Msg: pe.Message + " near <eof>"}
		}
		return &SyntaxError{Chunk: name, Line: pe.Pos.Line, Msg: fmt.Sprintf("%s near '%s'", pe.Message, pe.Token)}
	}
	var ce *lua.CompileError
	if errors.As(err, &ce) {
		return &SyntaxError{Chunk: name, Line: ce.Line, Msg: ce.Message}
	}
	return &SyntaxError{Chunk: name, Line: 1, Msg: strings.TrimSpace(err.Error())}
}
