package conf

import (
	"net"
	"regexp"
	"strconv"
	"strings"
)

func enterServer(b *builder, d *Directive) error {
	srv := &Server{
		Settings:       Settings{set: setMask{}},
		ServerSettings: ServerSettings{set: setMask{}},
		File:           d.File,
		Line:           d.Line,
		names:          map[string]bool{},
	}
	b.cfg.HTTP.Servers = append(b.cfg.HTTP.Servers, srv)
	b.push(frame{ctx: ctxServer, srv: srv})
	return nil
}

func leaveServer(b *builder, d *Directive) error {
	srv := b.top().srv
	if !srv.hasListen {
		l := newListen(d)
		l.Port = 80
		srv.Listens = append(srv.Listens, l)
	}
	if len(srv.Names) == 0 {
		srv.Names = []ServerName{{Name: "", Kind: NameExact}}
	}
	return leaveBlock(b, d)
}

func newListen(d *Directive) Listen {
	return Listen{Backlog: 511, RcvBuf: -1, SndBuf: -1, File: d.File, Line: d.Line}
}

// Key names the socket a listen denotes, as nginx prints it in messages:
// "0.0.0.0:80", "[::]:80", "127.0.0.1:8080", "localhost:80", "unix:/path".
func (l Listen) Key() string {
	switch {
	case l.Unix:
		return "unix:" + l.Path
	case l.Host == "" && l.IPv6:
		return "[::]:" + strconv.Itoa(l.Port)
	case l.Host == "":
		return "0.0.0.0:" + strconv.Itoa(l.Port)
	}
	return net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

// parseListenAddr reads the address of a listen directive as
// ngx_parse_url does for listening sockets; the error is nginx's u->err.
func parseListenAddr(l *Listen, s string) string {
	if path, ok := strings.CutPrefix(s, "unix:"); ok {
		if path == "" {
			return "no path in the unix domain socket"
		}
		l.Unix, l.Path = true, path
		return ""
	}
	l.Port = 80
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "invalid host"
		}
		ip := net.ParseIP(s[1:end])
		if ip == nil || ip.To4() != nil && !strings.Contains(s[1:end], ":") {
			return "invalid IPv6 address"
		}
		l.IPv6, l.IPv6Only = true, true
		if !ip.IsUnspecified() {
			l.Host = ip.String()
		}
		rest := s[end+1:]
		if rest == "" {
			return ""
		}
		if rest[0] != ':' {
			return "invalid host"
		}
		return parsePort(l, rest[1:])
	}
	if strings.ContainsAny(s, "/?") {
		return "invalid host"
	}
	host, port, hasPort := strings.Cut(s, ":")
	if !hasPort {
		if _, ok := atoi(s); ok {
			return parsePort(l, s)
		}
	} else if msg := parsePort(l, port); msg != "" {
		return msg
	}
	if host == "" {
		return "no host"
	}
	if host != "*" {
		if ip := net.ParseIP(host); ip != nil {
			host = ip.String()
		}
		if host != "0.0.0.0" {
			l.Host = strings.ToLower(host)
		}
	}
	return ""
}

func parsePort(l *Listen, s string) string {
	n, ok := atoi(s)
	if !ok || n < 1 || n > 65535 {
		return "invalid port"
	}
	l.Port = int(n)
	return ""
}

func setListen(b *builder, d *Directive) error {
	srv := b.top().srv
	srv.hasListen = true
	l := newListen(d)
	if msg := parseListenAddr(&l, d.Args[0].Value); msg != "" {
		return errorf("%s in \"%s\" of the \"listen\" directive", msg, d.Args[0].Value)
	}
	for _, a := range d.Args[1:] {
		v := a.Value
		key, val, hasVal := strings.Cut(v, "=")
		switch {
		case v == "default_server" || v == "default":
			l.DefaultServer = true
		case v == "reuseport":
			l.ReusePort, l.optionsSet = true, true
		case v == "bind":
			l.Bind, l.optionsSet = true, true
		case v == "deferred":
			l.Deferred, l.optionsSet = true, true
		case key == "backlog" && hasVal:
			n, ok := atoi(val)
			if !ok || n == 0 || n > 1<<31-1 {
				return errorf("invalid backlog \"%s\"", v)
			}
			l.Backlog, l.optionsSet = int(n), true
		case (key == "rcvbuf" || key == "sndbuf") && hasVal:
			n, err := ParseSize(val)
			if err != nil {
				return errorf("invalid %s \"%s\"", key, v)
			}
			if key == "rcvbuf" {
				l.RcvBuf = n
			} else {
				l.SndBuf = n
			}
			l.optionsSet = true
		case key == "ipv6only" && hasVal:
			switch val {
			case "on":
				l.IPv6Only = true
			case "off":
				l.IPv6Only = false
			default:
				return errorf("invalid ipv6only flags \"%s\"", val)
			}
			l.optionsSet = true
		case v == "ssl" || v == "http2" || v == "quic" || v == "proxy_protocol" ||
			key == "so_keepalive" || key == "fastopen" || key == "accept_filter" || key == "setfib":
			return errorf(msgUnsupportedParam, key, d.Name)
		default:
			return errorf("invalid parameter \"%s\"", v)
		}
	}
	return b.addListen(srv, l)
}

// addListen performs nginx's per-address checks done when a listen is
// added: the same server twice, socket options given twice, two default
// servers.
func (b *builder) addListen(srv *Server, l Listen) error {
	key := l.Key()
	for _, other := range b.cfg.HTTP.Servers {
		for _, o := range other.Listens {
			if o.Key() != key {
				continue
			}
			if other == srv {
				return errorf("a duplicate listen %s", key)
			}
			if l.optionsSet && o.optionsSet {
				return errorf("duplicate listen options for %s", key)
			}
			if l.DefaultServer && o.DefaultServer {
				return errorf("a duplicate default server for %s", key)
			}
		}
	}
	srv.Listens = append(srv.Listens, l)
	return nil
}

func setServerName(b *builder, d *Directive) error {
	srv := b.top().srv
	for _, a := range d.Args {
		v := a.Value
		if v != "" && (v[0] == '*' && (len(v) < 3 || v[1] != '.') || v[0] == '.' && len(v) < 2) {
			return errorf("server name \"%s\" is invalid", v)
		}
		if strings.EqualFold(v, "$hostname") {
			h, err := hostname()
			if err != nil {
				return errorf("gethostname() failed (%s)", errnoText(err))
			}
			v = h
		}
		sn, err := newServerName(v)
		if err != nil {
			return err
		}
		if srv.names[sn.Name] && sn.Kind != NameRegex {
			continue
		}
		srv.names[sn.Name] = true
		srv.Names = append(srv.Names, sn)
	}
	return nil
}

// newServerName classifies one server name.
func newServerName(v string) (ServerName, error) {
	if re, ok := strings.CutPrefix(v, "~"); ok {
		if re == "" {
			return ServerName{}, errorf("empty regex in server name \"%s\"", v)
		}
		caseless := strings.ContainsFunc(re, func(r rune) bool { return r >= 'A' && r <= 'Z' })
		rx, err := compileRegex(re, caseless)
		if err != nil {
			return ServerName{}, err
		}
		return ServerName{Name: re, Kind: NameRegex, Regex: rx}, nil
	}
	v = strings.ToLower(v)
	sn := ServerName{Name: v, Kind: NameExact, match: v}
	switch {
	case strings.HasPrefix(v, "*."):
		sn.Kind, sn.match = NameLeadingWildcard, v[1:]
	case strings.HasPrefix(v, "."):
		sn.Kind, sn.match, sn.dot = NameLeadingWildcard, v, true
	case strings.HasSuffix(v, ".*"):
		sn.Kind, sn.match = NameTrailingWildcard, v[:len(v)-1]
	}
	if strings.Contains(sn.match, "*") {
		return ServerName{}, errorf("invalid server name or wildcard \"%s\"", v)
	}
	return sn, nil
}

// compileRegex compiles an nginx (PCRE) regex with Go's regexp after
// translating the PCRE spellings RE2 lacks but can express: "\Z" (end of
// subject) becomes "\z". Constructs RE2 cannot run (backreferences,
// lookaround, possessive quantifiers) fail with the compile error.
func compileRegex(re string, caseless bool) (*regexp.Regexp, error) {
	src := translatePCRE(re)
	if caseless {
		src = "(?i)" + src
	}
	rx, err := regexp.Compile(src)
	if err != nil {
		msg := err.Error()
		if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "error parsing regexp") {
			msg = msg[i+2:]
		}
		return nil, errorf("regex \"%s\" compilation failed: %s", re, msg)
	}
	return rx, nil
}

func translatePCRE(re string) string {
	if !strings.Contains(re, `\Z`) {
		return re
	}
	var sb strings.Builder
	for i := 0; i < len(re); i++ {
		if re[i] == '\\' && i+1 < len(re) {
			if re[i+1] == 'Z' {
				sb.WriteString(`\z`)
			} else {
				sb.WriteByte(re[i])
				sb.WriteByte(re[i+1])
			}
			i++
			continue
		}
		sb.WriteByte(re[i])
	}
	return sb.String()
}

func setReturn(b *builder, d *Directive) error {
	f := b.top()
	r := &Return{File: d.File, Line: d.Line}
	v := d.Args[0].Value
	if n, ok := atoi(v); ok {
		if n > 999 {
			return errorf("invalid return code \"%s\"", v)
		}
		r.Code = int(n)
		if len(d.Args) == 2 {
			r.Text, r.HasText = d.Args[1].Value, true
		}
	} else if len(d.Args) == 1 && (strings.HasPrefix(v, "http://") ||
		strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "$scheme")) {
		r.Code, r.Text, r.HasText = 302, v, true
	} else {
		return errorf("invalid return code \"%s\"", v)
	}
	if r.HasText {
		if _, err := SplitVars(r.Text); err != nil {
			return err
		}
	}
	if f.loc != nil {
		if f.loc.Return == nil {
			r.AfterSets = len(f.loc.Sets)
			f.loc.Return = r
		}
		return nil
	}
	if f.srv.Return == nil {
		r.AfterSets = len(f.srv.Sets)
		f.srv.Return = r
	}
	return nil
}

func setSet(b *builder, d *Directive) error {
	name := d.Args[0].Value
	if !strings.HasPrefix(name, "$") {
		return errorf("invalid variable name \"%s\"", name)
	}
	parts, err := SplitVars(d.Args[1].Value)
	if err != nil {
		return err
	}
	s := Set{Var: name[1:], Value: d.Args[1].Value, Parts: parts, File: d.File, Line: d.Line}
	if f := b.top(); f.loc != nil {
		f.loc.Sets = append(f.loc.Sets, s)
	} else {
		f.srv.Sets = append(f.srv.Sets, s)
	}
	return nil
}

func setInternal(b *builder, d *Directive) error {
	loc := b.top().loc
	if loc.Internal {
		return errorf(msgDuplicate, d.Name)
	}
	loc.Internal = true
	return nil
}
