package lvm

import (
	"errors"

	lua "github.com/yuin/gopher-lua"
)

// Error strings Lua code sees, worded as LuaJIT words them.
const (
	errDeadCoroutine      = "cannot resume dead coroutine"
	errNonSuspended       = "cannot resume non-suspended coroutine"
	errYieldOutside       = "attempt to yield from outside a coroutine"
	errYieldAcrossC       = "attempt to yield across C-call boundary"
	errAwaitOutsideThread = "API disabled in the current context: no request coroutine to yield to"
	errCallNil            = "attempt to call a nil value"
	errErrorHandling      = "error in error handling"
)

// Go-side sentinels.
var (
	// ErrStale is returned by Ticket.Resume when the thread has already been
	// resumed for that wait, released, or discarded: the completion arrived
	// too late and its values are dropped.
	ErrStale = errors.New("lvm: stale ticket")

	// ErrNotWaiting is returned by Thread.Resume when the thread is not
	// stopped in a yield (it is running, finished, failed or was never started).
	ErrNotWaiting = errors.New("lvm: thread is not suspended")
)

// Error is a Lua error that ended a thread: a runtime error or an error()
// call that no pcall caught.
type Error struct {
	// Value is the error object as raised: usually a string with a
	// "chunk:line:" prefix, but any Lua value (tables included).
	Value lua.LValue
	// Message is Value rendered as LuaJIT's tostring renders it.
	Message string
	// Traceback is the Lua stack at the point of the error, starting with
	// "stack traceback:"; empty when the error did not come through the Lua
	// error machinery (a Go panic inside a binding, a call stack overflow).
	Traceback string
	// ErrorCall: Value was raised by a call of error() (not by the VM, as
	// "attempt to index a nil value" is). ErrorArg is then what error()
	// was given, and Positioned says error() prefixed the position to it
	// (a string at level > 0). ngx_lua's ngx.thread.wait shows these: in
	// LuaJIT they are what the dead coroutine's stack holds.
	ErrorCall  bool
	ErrorArg   lua.LValue
	Positioned bool
}

// Error returns the message (without the traceback), as the error log's
// "runtime error: " part wants it.
func (e *Error) Error() string { return e.Message }
