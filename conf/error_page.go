package conf

import (
	"strconv"
	"strings"
)

// ErrorPage is one error_page directive: the statuses it intercepts, the
// URI (or @name) the request is redirected to internally, and the status
// the answer goes out with.
type ErrorPage struct {
	Codes []int
	// Status is "=code"'s code; 0 with Keep unset: the intercepted status;
	// Keep ("=" alone): the status of the page's own response.
	Status int
	Keep   bool
	URI    []Part // literals and variables; "@name" is a named location
}

// setErrorPage is error_page code ... [=[response]] uri.
func setErrorPage(b *builder, d *Directive) error {
	args := d.Args
	ep := ErrorPage{}
	uri := args[len(args)-1].Value
	codes := args[:len(args)-1]
	if n := len(codes); n > 0 && strings.HasPrefix(codes[n-1].Value, "=") {
		v := codes[n-1].Value[1:]
		codes = codes[:n-1]
		if v == "" {
			ep.Keep = true
		} else {
			code, err := strconv.Atoi(v)
			if err != nil || code < 0 {
				return errorf("invalid value \"%s\"", args[len(args)-2].Value)
			}
			ep.Status = code
		}
	}
	if len(codes) == 0 {
		return errorf("invalid number of arguments in \"%s\" directive", d.Name)
	}
	for _, c := range codes {
		code, err := strconv.Atoi(c.Value)
		if err != nil {
			return errorf("invalid value \"%s\"", c.Value)
		}
		if code == 499 || code < 300 || code > 599 {
			return errorf("value \"%s\" must be between 300 and 599", c.Value)
		}
		ep.Codes = append(ep.Codes, code)
	}
	parts, err := SplitVars(uri)
	if err != nil {
		return err
	}
	ep.URI = parts
	s := b.settings()
	s.set["error_page"] = true
	s.ErrorPages = append(s.ErrorPages, ep)
	return nil
}

// ErrorPageFor returns the error_page of status code among pages, or nil.
func ErrorPageFor(pages []ErrorPage, code int) *ErrorPage {
	for i := range pages {
		for _, c := range pages[i].Codes {
			if c == code {
				return &pages[i]
			}
		}
	}
	return nil
}
