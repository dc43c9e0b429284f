package ngx

import "errors"

// Error strings Lua code sees, worded exactly as ngx_lua (C module or
// lua-resty-core, whichever OpenResty users meet) words them.
const (
	// No request at all (init_by_lua, or code on the main state).
	errNoRequest       = "no request found"        // resty.core functions, ngx.sleep, ngx.thread.*
	errNoRequestObject = "no request object found" // C functions: ngx.say, ngx.print, ngx.eof
	// A fake request (init_worker_by_lua, timers): no client connection.
	errFakeRequest = "API disabled in the current context"
	// errContextFmt is raised by the phase-mask check; %s is a context name.
	errContextFmt = "API disabled in the context of %s"

	// ngx.say / ngx.print.
	errEchoBadArg       = "string, number, boolean, nil, ngx.null, or array table expected, but got %s"
	errNonArrayTable    = "non-array table found"
	errBadDataType      = "bad data type %s found"
	errHeaderOnly       = "header only"
	errSeenEOF          = "seen eof"
	errOutputFilter     = "nginx output filter error"
	errNothingToFlush   = "nothing to flush"
	errBuffering        = "buffering"
	errClientAborted    = "client aborted"
	errFlushArgs        = "attempt to pass %d arguments, but accepted 0 or 1"
	errNoArgumentExpect = "no argument is expected"

	// ngx.exit.
	errExitAgainDone = "bad argument to 'ngx.exit': does not accept NGX_AGAIN or NGX_DONE"
	errExitNotInt    = "bad argument #1 to 'exit' (number expected, got %s)" // LuaJIT FFI: cannot convert
	logExitAfterSent = "attempt to set status %d via ngx.exit after sending out the response status %d"

	// ngx.status.
	logStatusAfterSent = "attempt to set ngx.status after sending out response headers"
	logStatusInvalid   = "invalid HTTP status code %d"
	errStatusNotNumber = "bad argument #1 to 'status' (number expected, got %s)" // LuaJIT FFI: cannot convert

	// ngx.header.
	logHeaderAfterSent = "attempt to set ngx.header.HEADER after sending out response headers"

	// ngx.sleep.
	errSleepArgs     = "attempt to pass %d arguments, but accepted 1"
	errSleepDuration = "invalid sleep duration \"%d\""

	// ngx.log.
	errBadLogLevel     = "bad log level: %d"
	errLogNoToString   = "expected table to have __tostring metamethod"
	errLogBadArg       = "string, number, boolean, or nil expected, got %s"
	errTimeNumberOnly  = "number argument only"
	errTimeStringOnly  = "string argument only"
	errBadVariableName = "bad variable name"

	// ngx.ctx.
	errCtxNotTable = "ctx should be a table while getting a %s"

	// ngx.thread.
	errSetHeader         = "failed to set header"
	errThreadNoArgs      = "at least one coroutine should be specified"
	errThreadExpected    = "lua thread expected"
	errThreadNotParent   = "only the parent coroutine can wait on the thread"
	errThreadWaited      = "already waited or killed"
	errThreadTerminated  = "already terminated"
	errThreadKillerOther = "killer not parent"

	// Error-log lines for aborted coroutines and handlers that do not load.
	logEntryAborted = "lua entry thread aborted: runtime error: %s\n%s"
	logUserAborted  = "lua user thread aborted: runtime error: %s\n%s"
	logLoadInline   = "failed to load inlined Lua code: %s"
	logLoadFile     = "failed to load external Lua file \"%s\": %s"
	logInitError    = "%s error: %s"
	truncatedResult = "truncated" // second result of get_uri_args/get_headers over their limit
)

// Go-side errors.
var (
	// ErrNoVM is returned by NewRunner when Options.VM is nil.
	ErrNoVM = errors.New("ngx: Options.VM is nil")
	// ErrInstalled is returned by NewRunner when the VM already carries the
	// ngx table of another Runner (one Runner per VM).
	ErrInstalled = errors.New("ngx: the VM already has a Runner")
)
