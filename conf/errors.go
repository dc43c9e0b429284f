package conf

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
)

// Levels of configuration errors, as nginx logs them: most are emerg;
// some modules (headers-more) log their own at error. Warnings
// (Config.Warnings) are at warn.
const (
	LevelEmerg = "emerg"
	LevelError = "error"
	LevelWarn  = "warn"
)

// Error is a configuration error worded as nginx words it. Error() renders
// "[emerg] <Msg> in <File>:<Line>", which is nginx's "nginx: [emerg] ..." line
// without the program prefix. File is empty for errors that nginx reports
// without a position (for example a missing events section); then the
// " in file:line" suffix is left out.
type Error struct {
	Level string // LevelEmerg; LevelError for the module errors nginx logs so; LevelWarn for Config.Warnings
	Msg   string // nginx wording, without level and position
	File  string // configuration file as named to Load/Parse or include; may be empty
	Line  int    // 1-based line nginx would report; 0 when File is empty
}

// Error renders the message like nginx's error log line.
func (e *Error) Error() string {
	if e.File == "" {
		return "[" + e.Level + "] " + e.Msg
	}
	return fmt.Sprintf("[%s] %s in %s:%d", e.Level, e.Msg, e.File, e.Line)
}

// Message formats, each an nginx (or lua-nginx-module) literal. Directive
// setters return them through errorf; the parser adds file and line.
const (
	msgUnknownDirective  = "unknown directive \"%s\""
	msgNotSupported      = "directive \"%s\" is not supported by luring yet"
	msgNotAllowedHere    = "\"%s\" directive is not allowed here"
	msgNotTerminated     = "directive \"%s\" is not terminated by \";\""
	msgNoOpeningBrace    = "directive \"%s\" has no opening \"{\""
	msgInvalidArgCount   = "invalid number of arguments in \"%s\" directive"
	msgUnexpected        = "unexpected \"%s\""
	msgUnexpectedEOF     = "unexpected end of file, expecting \";\" or \"}\""
	msgUnexpectedEOFRBr  = "unexpected end of file, expecting \"}\""
	msgLuaEOF            = "unexpected end of file, expecting terminating characters for lua code block"
	msgLuaLongBracket    = "Lua code block missing the closing long bracket \"%s\", the inlined Lua code may be too long"
	msgDuplicate         = "\"%s\" directive is duplicate"
	msgInvalidValue      = "\"%s\" directive invalid value"
	msgInvalidNumber     = "\"%s\" directive invalid number"
	msgInvalidValueOf    = "invalid value \"%s\" in \"%s\" directive"
	msgInvalidFlag       = "invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\""
	msgOpenFailed        = "open() \"%s\" failed (%s)"
	msgGlobFailed        = "glob() \"%s\" failed (%s)"
	msgNoEvents          = "no \"events\" section in configuration"
	msgIncludeTooDeep    = "include nesting is deeper than %d levels at \"%s\""
	msgUnsupportedParam  = "the \"%s\" parameter of the \"%s\" directive is not supported by luring yet"
	msgDuplicateLocation = "duplicate location \"%s\""

	// ngx_resolver_create
	msgResolverParam     = "invalid parameter: %s"
	msgResolverAddr      = "%s in resolver \"%s\"" // ngx_parse_url's reason, the address
	msgResolverNoServers = "no name servers defined"
	msgResolverNoFamily  = "\"ipv4\" and \"ipv6\" cannot both be \"off\"" // nginx 1.23.1+

	// ngx_http_lua_lowat_check where SO_SNDLOWAT is missing (Linux): a
	// warning, naming the directive by its old name
	msgLowatIgnored = "\"lua_send_lowat\" is not supported, ignored"
)

// errorf builds a positionless *Error; the parser fills File and Line with
// the position nginx would report (the current line of the lexer).
func errorf(format string, args ...any) *Error {
	return &Error{Level: LevelEmerg, Msg: fmt.Sprintf(format, args...)}
}

// at returns a copy of e positioned at file:line.
func (e *Error) at(file string, line int) *Error {
	c := *e
	c.File, c.Line = file, line
	return &c
}

// errnoText renders an OS error as nginx appends errno: "(2: No such file or
// directory)". The text is Go's strerror with the first letter upper-cased,
// which matches glibc for the common cases.
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		return fmt.Sprintf("%d: %s", int(errno), s)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
