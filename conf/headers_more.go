package conf

import (
	"fmt"
	"strings"
)

// This file reads the directives of the headers-more module
// (headers-more-nginx-module, which OpenResty bundles):
// more_set_headers, more_clear_headers, more_set_input_headers and
// more_clear_input_headers. httpd runs them: the output commands as a
// header filter, the input commands at the end of the rewrite phase.

// MoreCmd is one headers-more directive.
type MoreCmd struct {
	Name     string       // directive name, for logs
	Input    bool         // a request-header command (more_*_input_headers)
	Statuses []int        // -s: only for responses with one of these statuses (output commands)
	Types    []string     // -t: only when the content type is one of these
	Replace  bool         // -r (input commands): only replace headers that are present
	Headers  []MoreHeader // the headers to set or clear, in order
	File     string       // file of the directive
	Line     int          // line of the directive
}

// MoreHeader is one "Name: value" argument of a headers-more directive.
type MoreHeader struct {
	Key      string // header name as written; a wildcard's without its "*"
	Wildcard bool   // the name ended in "*": every header starting with Key
	Value    []Part // the value, split into literals and variables; none clears
	Append   bool   // -a (more_set_headers): add a header, keep the ones present
}

// moreBuiltinOut are the response headers nginx keeps in fields of its
// own; headers-more refuses -a on them.
var moreBuiltinOut = []string{
	"Server", "Date", "Content-Encoding", "Location", "Refresh", "Last-Modified",
	"Content-Range", "Accept-Ranges", "WWW-Authenticate", "Expires", "E-Tag",
	"Content-Length", "Content-Type", "Cache-Control",
}

// moreError is a headers-more configuration error. The module logs these
// itself at the error level, with the directive name first.
func moreError(name, format string, args ...any) *Error {
	return &Error{Level: LevelError, Msg: name + ": " + fmt.Sprintf(format, args...)}
}

// setMore parses a headers-more directive as the module does and appends
// it to the commands of its level.
func setMore(b *builder, d *Directive) error {
	name := d.Name
	cmd := MoreCmd{Name: name, Input: strings.Contains(name, "_input_"), File: d.File, Line: d.Line}
	clear := strings.HasPrefix(name, "more_clear_")
	appendHdr := false
	args := d.Args
	for i := 0; i < len(args); i++ {
		v := args[i].Value
		switch {
		case v == "":
			continue
		case v[0] != '-':
			h, err := parseMoreHeader(name, v, clear)
			if err != nil {
				return err
			}
			cmd.Headers = append(cmd.Headers, h)
			continue
		case v == "-t" || v == "-s" && !cmd.Input:
			if i == len(args)-1 {
				return moreError(name, "option %s takes an argument.", v)
			}
			i++
			if v == "-t" {
				cmd.Types = append(cmd.Types, moreTypes(args[i].Value)...)
				continue
			}
			st, err := moreStatuses(name, args[i].Value)
			if err != nil {
				return err
			}
			cmd.Statuses = append(cmd.Statuses, st...)
			continue
		case v == "-r" && cmd.Input:
			cmd.Replace = true
			continue
		case v == "-a" && name == "more_set_headers":
			appendHdr = true
			continue
		}
		return moreError(name, "invalid option name: \"%s\"", v)
	}
	if appendHdr {
		for i := range cmd.Headers {
			h := &cmd.Headers[i]
			for _, bi := range moreBuiltinOut {
				if strings.EqualFold(h.Key, bi) {
					return moreError(name, "can not append builtin headers \"%s\"", h.Key)
				}
			}
			h.Append = true
		}
	}
	s := b.settings()
	s.set["headers_more"] = true
	s.More = append(s.More, cmd)
	return nil
}

// parseMoreHeader reads "Name: value" (or "Name value", or "Name"): the
// key runs to the first ':' or space, the value starts after the ':'s
// and spaces that follow it.
func parseMoreHeader(name, raw string, clear bool) (MoreHeader, error) {
	i := 0
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	k := i
	for k < len(raw) && raw[k] != ':' && !isSpace(raw[k]) {
		k++
	}
	key := raw[i:k]
	for k < len(raw) && (raw[k] == ':' || isSpace(raw[k])) {
		k++
	}
	value := raw[k:]
	if key == "" {
		return MoreHeader{}, moreError(name, "no key found in the header argument: %s", raw)
	}
	h := MoreHeader{Key: key}
	if strings.HasSuffix(key, "*") {
		if len(key) < 2 {
			return MoreHeader{}, moreError(name, "wildcard key too short: %s", raw)
		}
		h.Key, h.Wildcard = key[:len(key)-1], true
	}
	if clear || value == "" {
		return h, nil
	}
	parts, err := SplitVars(value)
	if err != nil {
		return MoreHeader{}, err
	}
	h.Value = parts
	return h, nil
}

// moreStatuses reads the status list of -s: numbers separated by spaces.
func moreStatuses(name, v string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) }) {
		n := 0
		for j := 0; j < len(f); j++ {
			c := f[j]
			if c < '0' || c > '9' {
				return nil, moreError(name, "invalid digit \"%c\" found in the status code list \"%s\"", c, v)
			}
			n = n*10 + int(c-'0')
		}
		out = append(out, n)
	}
	return out, nil
}

// moreTypes reads the type list of -t: words separated by spaces or ';'.
func moreTypes(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r < 0x80 && isSpace(byte(r)) })
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// mergeMore gives c its parent's commands first, then its own, as
// headers-more's merge does; a level without commands inherits them.
func mergeMore(c, p *Settings) {
	switch {
	case len(c.More) == 0:
		c.More = p.More
	case len(p.More) > 0:
		c.More = append(append(make([]MoreCmd, 0, len(p.More)+len(c.More)), p.More...), c.More...)
	}
	c.MoreInput, c.MoreOutput = false, false
	for i := range c.More {
		if c.More[i].Input {
			c.MoreInput = true
		} else {
			c.MoreOutput = true
		}
	}
}
