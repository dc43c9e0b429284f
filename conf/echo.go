package conf

import "strings"

// This file reads the directives of the echo module (echo-nginx-module,
// which OpenResty bundles): the content commands of a location, the
// echo_before_body/echo_after_body filters and echo_status. httpd runs
// them. Of the subrequest commands echo_location and echo_location_async
// and echo_exec are here; echo_subrequest and echo_subrequest_async are
// not implemented yet and stay "not supported".

// EchoOp is the opcode of one echo command.
type EchoOp uint8

// Echo commands, named after their directives.
const (
	EchoEcho            EchoOp = iota // echo [-n] [--] args...
	EchoDuplicate                     // echo_duplicate count string
	EchoFlush                         // echo_flush
	EchoSleep                         // echo_sleep seconds (a loop timer)
	EchoBlockingSleep                 // echo_blocking_sleep seconds (blocks the worker's thread)
	EchoResetTimer                    // echo_reset_timer
	EchoReadRequestBody               // echo_read_request_body
	EchoRequestBody                   // echo_request_body
	EchoForeachSplit                  // echo_foreach_split [--] delimiter string
	EchoEnd                           // echo_end
	EchoLocation                      // echo_location uri [args]: a GET subrequest, waited for
	EchoLocationAsync                 // echo_location_async uri [args]: a GET subrequest, its output in order
	EchoExec                          // echo_exec uri [args]: an internal redirect (a named location too)
)

// EchoCmd is one echo directive. Its arguments are split the way the
// module splits them when it runs a command: leading literal arguments
// that start with "-" are options ("--" ends them, and so does the first
// argument that is empty, has a variable or does not start with "-"); the
// rest are the arguments, evaluated per request.
type EchoCmd struct {
	Op   EchoOp   // which command
	Opts []string // options without their leading "-" ("n" for -n), in order
	Args [][]Part // the arguments after the options, split into literals and variables
	File string   // file of the directive
	Line int      // line of the directive
}

// NoNewline reports whether echo (or echo_before_body/after_body) leaves
// out the trailing newline: the module looks at the first option only.
func (c *EchoCmd) NoNewline() bool { return len(c.Opts) > 0 && c.Opts[0] == "n" }

// ContentHandler names what answers a location's requests in the content
// phase. As in nginx, where each module's directive sets the location's
// handler, the last one given wins.
type ContentHandler uint8

// Content handlers.
const (
	HandlerStatic ContentHandler = iota // none given: static files under root
	HandlerLua                          // content_by_lua*
	HandlerEcho                         // the echo module's commands
	HandlerProxy                        // proxy_pass
)

// echoOps maps each content directive to its opcode.
var echoOps = map[string]EchoOp{
	"echo":                   EchoEcho,
	"echo_duplicate":         EchoDuplicate,
	"echo_flush":             EchoFlush,
	"echo_sleep":             EchoSleep,
	"echo_blocking_sleep":    EchoBlockingSleep,
	"echo_reset_timer":       EchoResetTimer,
	"echo_read_request_body": EchoReadRequestBody,
	"echo_request_body":      EchoRequestBody,
	"echo_foreach_split":     EchoForeachSplit,
	"echo_end":               EchoEnd,
	"echo_location":          EchoLocation,
	"echo_location_async":    EchoLocationAsync,
	"echo_exec":              EchoExec,
}

// newEchoCmd splits the directive's arguments into options and
// arguments, as echo's ngx_http_echo_eval_cmd_args does per request (the
// split depends on the literal text only, so it is made once here).
func newEchoCmd(op EchoOp, d *Directive) (EchoCmd, error) {
	cmd := EchoCmd{Op: op, File: d.File, Line: d.Line}
	opts := true
	for _, a := range d.Args {
		v := a.Value
		if opts {
			switch {
			case v == "" || HasVars(v) || len(v) == 1 || v[0] != '-':
				opts = false
			case v[1] == '-':
				opts = false
				continue
			default:
				cmd.Opts = append(cmd.Opts, v[1:])
				continue
			}
		}
		parts, err := SplitVars(v)
		if err != nil {
			return cmd, err
		}
		cmd.Args = append(cmd.Args, parts)
	}
	return cmd, nil
}

// setEchoCmd appends a content command to its location, making echo the
// location's content handler.
func setEchoCmd(b *builder, d *Directive) error {
	cmd, err := newEchoCmd(echoOps[d.Name], d)
	if err != nil {
		return err
	}
	loc := b.top().loc
	if len(loc.Echo) == 0 {
		loc.Handler = HandlerEcho
	}
	loc.Echo = append(loc.Echo, cmd)
	return nil
}

// setEchoFilter appends an echo_before_body or echo_after_body command.
func setEchoFilter(b *builder, d *Directive) error {
	cmd, err := newEchoCmd(EchoEcho, d)
	if err != nil {
		return err
	}
	s := b.settings()
	s.set[d.Name] = true
	if strings.HasSuffix(d.Name, "_before_body") {
		s.EchoBefore = append(s.EchoBefore, cmd)
	} else {
		s.EchoAfter = append(s.EchoAfter, cmd)
	}
	return nil
}

// setEchoStatus is echo_status: the status of the echo handler's
// response (ngx_conf_set_num_slot).
func setEchoStatus(b *builder, d *Directive) error {
	s := b.settings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	n, ok := atoi(d.Args[0].Value)
	if !ok || n > 1<<31-1 {
		return errorf(msgInvalidNumber, d.Name)
	}
	s.EchoStatus = int(n)
	return nil
}
