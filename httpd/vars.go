package httpd

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/luring/luring/conf"
)

// VarError is the error SetVar returns; its text is ngx_lua's message,
// raised as is by ngx.var assignments.
type VarError string

// Error implements error.
func (e VarError) Error() string { return string(e) }

// The variable-assignment messages of ngx_lua (spec/ngx-api.md §5).
const (
	msgVarNotFound      = `variable "%s" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set $%s '';" in the config file to define it first`
	msgVarNotChangeable = `variable "%s" not changeable`
	msgVarNoAssign      = `variable "%s" cannot be assigned a value`
)

var (
	hostname, _ = os.Hostname()
	pidString   = strconv.Itoa(os.Getpid())
)

// builtinVars are the variables with a fixed name luring provides; the
// prefix families (http_, arg_, cookie_, sent_http_) and captures are
// handled apart.
var builtinVars = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`uri document_uri request_uri args query_string is_args
		request_method request scheme server_protocol host hostname remote_addr remote_port
		server_addr server_port server_name status body_bytes_sent bytes_sent request_length
		request_time msec time_local time_iso8601 connection connection_requests
		proxy_host proxy_port proxy_add_x_forwarded_for
		content_length content_type nginx_version pid remote_user request_body limit_rate
		document_root realpath_root request_body_file`) {
		builtinVars[n] = true
	}
}

// declaredVars collects the variables "set" declares anywhere in the http
// block (nginx variables are global to it), lower-cased, to an index.
func declaredVars(h *conf.HTTP) map[string]int {
	m := map[string]int{}
	add := func(sets []conf.Set) {
		for _, st := range sets {
			n := strings.ToLower(st.Var)
			if _, ok := m[n]; !ok && !builtinVars[n] {
				m[n] = len(m)
			}
		}
	}
	var walk func(locs []*conf.Location)
	walk = func(locs []*conf.Location) {
		for _, l := range locs {
			add(l.Sets)
			walk(l.Nested)
		}
	}
	for _, s := range h.Servers {
		add(s.Sets)
		walk(s.Locations)
		walk(s.Named)
	}
	return m
}

// Var implements Exchange.
func (t *Txn) Var(name string) (string, bool) {
	switch name {
	case "uri", "document_uri":
		return t.URI(), true
	case "request_uri":
		return t.RequestURI(), true
	case "args", "query_string":
		return t.Args(), t.argsFound()
	case "request_method":
		return t.Method(), true
	case "request":
		return t.RequestLine(), true
	}
	if idx, ok := t.s.lst.srv.vars[name]; ok {
		if !t.valSet[idx] {
			return "", false
		}
		return t.vals[idx], true
	}
	b, ok := t.appendVar(nil, name)
	if !ok {
		return "", false
	}
	return string(b), true
}

// appendVar appends the value of variable name (lower case, no '$') to
// dst without allocating, and reports whether it is found.
func (t *Txn) appendVar(dst []byte, name string) ([]byte, bool) {
	s, r, b := t.s, t.req, t.buf
	switch name {
	case "uri", "document_uri":
		return append(dst, t.path()...), true
	case "request_uri":
		return append(dst, r.RequestURI(b)...), true
	case "args", "query_string":
		if !t.argsFound() {
			return dst, false
		}
		return append(dst, t.argsBytes()...), true
	case "is_args":
		if len(t.argsBytes()) > 0 {
			dst = append(dst, '?')
		}
		return dst, true
	case "request_method":
		return append(dst, t.method()...), true
	case "request":
		return append(dst, r.RequestLine(b)...), true
	case "scheme":
		return append(dst, "http"...), true
	case "server_protocol":
		switch r.Version() {
		case 9:
			return append(dst, "HTTP/0.9"...), true
		case 1000:
			return append(dst, "HTTP/1.0"...), true
		}
		return append(dst, "HTTP/1.1"...), true
	case "host":
		if h := r.Host(b); len(h) > 0 {
			for _, c := range h {
				dst = append(dst, lower[c])
			}
			return dst, true
		}
		return append(dst, t.serverName()...), true
	case "hostname":
		return append(dst, hostname...), true
	case "remote_addr":
		return append(dst, s.addrs().remoteAddr...), true
	case "remote_port":
		return append(dst, s.addrs().remotePort...), true
	case "server_addr":
		return append(dst, s.addrs().serverAddr...), true
	case "server_port":
		return append(dst, s.addrs().serverPort...), true
	case "server_name":
		return append(dst, t.serverName()...), true
	case "status":
		st := t.status
		if st < 100 {
			dst = append(dst, '0')
			if st < 10 {
				dst = append(dst, '0')
			}
		}
		return strconv.AppendInt(dst, int64(st), 10), true
	case "body_bytes_sent":
		return strconv.AppendInt(dst, t.bodySent, 10), true
	case "bytes_sent":
		return strconv.AppendInt(dst, t.bytesSent, 10), true
	case "request_length":
		return strconv.AppendInt(dst, int64(r.HeaderLen())+s.bodyN, 10), true
	case "request_time":
		ms := max(s.lst.srv.now().ms-s.startMs, 0)
		return appendMillis(dst, ms), true
	case "msec":
		return appendMillis(dst, s.lst.srv.now().ms), true
	case "time_local":
		return append(dst, s.lst.srv.now().local...), true
	case "time_iso8601":
		return append(dst, s.lst.srv.now().iso8601...), true
	case "connection":
		return strconv.AppendUint(dst, s.id, 10), true
	case "connection_requests":
		return strconv.AppendInt(dst, int64(s.requests), 10), true
	case "content_length":
		return appendFound(dst, r.Header(b, "Content-Length"))
	case "content_type":
		return appendFound(dst, r.ContentType(b))
	case "nginx_version":
		return append(dst, NginxVersion...), true
	case "pid":
		return append(dst, pidString...), true
	case "document_root":
		return append(dst, t.settings().Root...), true
	case "realpath_root":
		return append(dst, t.s.lst.srv.realRoot(t.settings().Root)...), true
	case "request_body_file":
		if f := s.store.path; f != "" && t.bodyState == bodyDone {
			return append(dst, f...), true
		}
		return dst, false
	case "request_body":
		if b := s.store.data(); t.bodyState == bodyDone && b != nil && t.bodyCb == nil {
			return append(dst, b...), true
		}
		return dst, false
	case "remote_user", "limit_rate":
		return dst, false
	}
	switch {
	case strings.HasPrefix(name, "echo_"):
		if out, found, known := t.appendEchoVar(dst, name); known {
			return out, found
		}
	case strings.HasPrefix(name, "proxy_"):
		if out, found, known := t.appendProxyVar(dst, name); known {
			return out, found
		}
	case strings.HasPrefix(name, "http_"):
		return appendFound(dst, t.headerUnderscored(name[5:]))
	case strings.HasPrefix(name, "arg_"):
		return appendFound(dst, findArg(t.argsBytes(), name[4:]))
	case strings.HasPrefix(name, "cookie_"):
		return appendFound(dst, t.cookie(name[7:]))
	case strings.HasPrefix(name, "sent_http_"):
		return t.appendSentHeader(dst, name[10:])
	case len(name) == 1 && name[0] >= '0' && name[0] <= '9':
		c, ok := t.Capture(int(name[0] - '0'))
		return append(dst, c...), ok
	}
	if idx, ok := s.lst.srv.vars[name]; ok && t.valSet[idx] {
		return append(dst, t.vals[idx]...), true
	}
	return dst, false
}

func appendFound(dst, v []byte) ([]byte, bool) {
	if v == nil {
		return dst, false
	}
	return append(dst, v...), true
}

// appendMillis formats ms as nginx's "%T.%03M": seconds, '.', 3 digits.
func appendMillis(dst []byte, ms int64) []byte {
	dst = strconv.AppendInt(dst, ms/1000, 10)
	f := ms % 1000
	dst = append(dst, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
	return dst
}

func (t *Txn) serverName() string {
	if t.srv != nil && len(t.srv.Names) > 0 {
		return t.srv.Names[0].Name
	}
	return ""
}

// headerUnderscored finds a request header whose name, lower-cased and
// with '-' as '_', equals name ($http_NAME).
func (t *Txn) headerUnderscored(name string) []byte {
	r := t.req
	for i := range r.NumHeaders() {
		k, v := r.HeaderAt(t.buf, i)
		if underscoreEqual(k, name) {
			return v
		}
	}
	return nil
}

func underscoreEqual[T string | []byte](k T, name string) bool {
	if len(k) != len(name) {
		return false
	}
	for j := range len(name) {
		c := lower[k[j]]
		if c == '-' {
			c = '_'
		}
		if c != lower[name[j]] {
			return false
		}
	}
	return true
}

// ResponseHeaderUnderscored returns the first value of the response
// header matching name as $sent_http_NAME does.
func (t *Txn) ResponseHeaderUnderscored(name string) string {
	switch name {
	case "content_type":
		return t.ctype
	case "content_length":
		if t.clen >= 0 {
			return strconv.FormatInt(t.clen, 10)
		}
		return ""
	}
	for _, h := range t.hdrs {
		if underscoreEqual(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// findArg returns the raw value of the first argument named name (case-
// insensitive, as nginx's ngx_http_arg), nil when absent.
func findArg(args []byte, name string) []byte {
	for len(args) > 0 {
		i := 0
		for i < len(args) && args[i] != '&' {
			i++
		}
		kv := args[:i]
		if i < len(args) {
			args = args[i+1:]
		} else {
			args = nil
		}
		if len(kv) > len(name) && kv[len(name)] == '=' && equalFold(kv[:len(name)], name) {
			return kv[len(name)+1:]
		}
		if len(kv) == len(name) && equalFold(kv, name) {
			return kv[len(kv):]
		}
	}
	return nil
}

// cookie returns the value of the first cookie named name in any Cookie
// header ($cookie_NAME), nil when absent.
func (t *Txn) cookie(name string) []byte {
	r := t.req
	for i := r.HeaderIndex(t.buf, "Cookie", 0); i >= 0; i = r.HeaderIndex(t.buf, "Cookie", i+1) {
		_, v := r.HeaderAt(t.buf, i)
		for len(v) > 0 {
			for len(v) > 0 && (v[0] == ' ' || v[0] == ';' || v[0] == ',') {
				v = v[1:]
			}
			j := 0
			for j < len(v) && v[j] != ';' && v[j] != ',' {
				j++
			}
			kv := v[:j]
			v = v[j:]
			if len(kv) > len(name) && kv[len(name)] == '=' && equalFold(kv[:len(name)], name) {
				return kv[len(name)+1:]
			}
		}
	}
	return nil
}

// Capture implements Exchange.
func (t *Txn) Capture(n int) (string, bool) {
	if n <= 0 || n >= len(t.caps) {
		return "", false
	}
	return t.caps[n], true
}

// SetVar implements Exchange, with ngx_lua's rules: variables declared by
// set and $args are changeable; other built-ins are not; anything else is
// not found for writing.
func (t *Txn) SetVar(name, value string, unset bool) error {
	if name == "args" {
		t.args, t.argsSet, t.argsNil = value, true, unset
		return nil
	}
	if name == "limit_rate" {
		return nil // accepted; rate limiting is not implemented
	}
	if idx, ok := t.s.lst.srv.vars[name]; ok {
		t.vals[idx], t.valSet[idx] = value, !unset
		if unset {
			t.vals[idx] = ""
		}
		return nil
	}
	if builtinVars[name] {
		return VarError(strings.ReplaceAll(msgVarNotChangeable, "%s", name))
	}
	return VarError(strings.ReplaceAll(msgVarNotFound, "%s", name))
}

// realRoot is $realpath_root for root: its symlinks resolved, made
// absolute. The lookups block, so each root is resolved once per worker
// and kept (root has no variables in luring, so the set is the
// configuration's).
func (s *Server) realRoot(root string) string {
	if p, ok := s.realRoots[root]; ok {
		return p
	}
	p := root
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	if a, err := filepath.Abs(p); err == nil {
		p = a
	}
	s.realRoots[root] = p
	return p
}

// returnParts returns the compiled text of a return directive.
func (s *Server) returnParts(r *conf.Return) []conf.Part {
	if p, ok := s.rets[r]; ok {
		return p
	}
	p, err := conf.SplitVars(r.Text)
	if err != nil {
		p = []conf.Part{{Kind: conf.PartLiteral, Text: r.Text}}
	}
	s.rets[r] = p
	return p
}

// appendSentHeader appends $sent_http_NAME: the response header's value,
// several lines of it joined with ", " as nginx 1.23+ does.
func (t *Txn) appendSentHeader(dst []byte, name string) ([]byte, bool) {
	switch name {
	case "content_type", "content_length":
		vs := t.ResponseHeaderUnderscored(name)
		return append(dst, vs...), vs != ""
	case "last_modified":
		if t.lastMod != "" {
			return append(dst, t.lastMod...), true
		}
	}
	found := false
	for _, h := range t.hdrs {
		if underscoreEqual(h.Name, name) {
			if found {
				dst = append(dst, ", "...)
			}
			dst = append(dst, h.Value...)
			found = true
		}
	}
	return dst, found
}

// argsFound reports whether $args is found, as nginx's
// ngx_http_variable_request with a NULL r->args.data: not when the target
// has no query (the reference answers nil for "GET /t?" too), nor once
// set to nil; an empty string assigned is found.
func (t *Txn) argsFound() bool {
	if t.argsSet {
		return !t.argsNil
	}
	return len(t.req.Args(t.buf)) > 0
}
