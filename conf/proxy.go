package conf

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// This file reads the directives of nginx's proxy module that luring
// implements: proxy_pass to an HTTP upstream given by address (no
// upstream blocks, no https), the request it sends (proxy_set_header,
// proxy_http_version, proxy_pass_request_headers/_body), the response
// headers it keeps (proxy_hide_header, proxy_pass_header,
// proxy_redirect) and its timeouts. httpd runs it.

// ProxyPass is a location's proxy_pass.
type ProxyPass struct {
	URL   string // as written
	Parts []Part // URL split into literals and variables
	// Static is set when the URL has no variables: the upstream address
	// and URI are then known at load time.
	Static bool
	Addr   string // "ip:port", or a unix socket path; with Static
	Unix   bool   // Addr is a unix socket path
	Host   string // $proxy_host: the host (and the port unless 80) as written; with Static
	URI    string // the URI part, "" when none; with Static
	HasURI bool   // the URL has a URI part (even "/"); with Static
}

// ProxySettings are the proxy module's per-location directives.
type ProxySettings struct {
	Headers         []ProxyHeader // proxy_set_header in order
	HTTPVersion     string        // proxy_http_version; default "1.0"
	PassHeaders     bool          // proxy_pass_request_headers; default on
	PassBody        bool          // proxy_pass_request_body; default on
	Buffering       bool          // proxy_buffering; default on (off: each read is sent on at once)
	InterceptErrors bool          // proxy_intercept_errors: an upstream status >= 300 with an error_page goes to it
	ConnectTimeout  time.Duration // proxy_connect_timeout; default 60s
	ReadTimeout     time.Duration // proxy_read_timeout; default 60s
	SendTimeout     time.Duration // proxy_send_timeout; default 60s
	Hide            []string      // proxy_hide_header: response headers not passed (besides nginx's list)
	Pass            []string      // proxy_pass_header: headers of nginx's list passed anyway
	RedirectOff     bool          // proxy_redirect off
}

// ProxyHeader is one proxy_set_header: a value that evaluates empty
// leaves the header out.
type ProxyHeader struct {
	Name  string
	Value []Part
}

// setProxyPass is proxy_pass: it makes the proxy the location's content
// handler.
func setProxyPass(b *builder, d *Directive) error {
	loc := b.top().loc
	if loc.ProxyPass != nil {
		return errorf(msgDuplicate, d.Name)
	}
	url := d.Args[0].Value
	parts, err := SplitVars(url)
	if err != nil {
		return err
	}
	p := &ProxyPass{URL: url, Parts: parts}
	if !HasVars(url) {
		if err := p.parseStatic(); err != nil {
			return err
		}
		if p.HasURI && (loc.Regex != nil || loc.Match == MatchNamed) {
			return errorf("\"proxy_pass\" cannot have URI part in location given by regular expression, " +
				"or inside named location, or inside \"if\" statement, or inside \"limit_except\" block")
		}
	}
	loc.ProxyPass, loc.Handler = p, HandlerProxy
	return nil
}

// parseStatic reads a URL without variables: http://host[:port][/uri] or
// http://unix:/path[:/uri]. A host name is resolved now, as nginx resolves
// it when it reads the configuration.
func (p *ProxyPass) parseStatic() error {
	addr, uri, unix, err := SplitProxyURL(p.URL)
	if err != nil {
		return err
	}
	p.Static, p.Unix, p.URI, p.HasURI = true, unix, uri, uri != ""
	if unix {
		p.Addr, p.Host = addr, "localhost"
		return nil
	}
	host, port, _ := net.SplitHostPort(addr)
	p.Host = addr
	if port == "80" {
		p.Host = host
		if strings.Contains(host, ":") {
			p.Host = "[" + host + "]"
		}
	}
	if net.ParseIP(host) == nil {
		ips, err := net.LookupHost(host)
		if err != nil || len(ips) == 0 {
			return errorf("host not found in upstream \"%s\"", strings.TrimPrefix(p.URL, "http://"))
		}
		// The first address, IPv4 preferred (nginx would try them in turn).
		host = ips[0]
		for _, ip := range ips {
			if !strings.Contains(ip, ":") {
				host = ip
				break
			}
		}
	}
	p.Addr = net.JoinHostPort(host, port)
	return nil
}

// SplitProxyURL splits an evaluated proxy_pass URL into the upstream
// address ("host:port", port 80 when none; or a unix socket path) and the
// URI part ("" when none). Only http:// is supported.
func SplitProxyURL(url string) (addr, uri string, unix bool, err error) {
	rest, ok := strings.CutPrefix(url, "http://")
	if !ok {
		if strings.HasPrefix(url, "https://") {
			return "", "", false, errorf("https upstreams are not supported by luring yet in \"%s\"", url)
		}
		return "", "", false, errorf("invalid URL prefix in \"%s\"", url)
	}
	if path, ok := strings.CutPrefix(rest, "unix:"); ok {
		sock, u, _ := strings.Cut(path, ":")
		if sock == "" {
			return "", "", false, errorf("no path in the unix domain socket in \"%s\"", url)
		}
		return sock, u, true, nil
	}
	host := rest
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		host, uri = rest[:i], rest[i:]
	}
	if host == "" {
		return "", "", false, errorf("no host in \"%s\"", url)
	}
	h, port := host, "80"
	if j := strings.LastIndexByte(host, ':'); j >= 0 && !strings.HasSuffix(host, "]") {
		h, port = host[:j], host[j+1:]
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return "", "", false, errorf("invalid port in upstream \"%s\"", rest)
		}
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return net.JoinHostPort(h, port), uri, false, nil
}

func setProxySetHeader(b *builder, d *Directive) error {
	parts, err := SplitVars(d.Args[1].Value)
	if err != nil {
		return err
	}
	s := b.settings()
	s.set[d.Name] = true
	s.Proxy.Headers = append(s.Proxy.Headers, ProxyHeader{Name: d.Args[0].Value, Value: parts})
	return nil
}

func setProxyHTTPVersion(b *builder, d *Directive) error {
	s := b.settings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	switch v := d.Args[0].Value; v {
	case "1.0", "1.1":
		s.Proxy.HTTPVersion = v
		return nil
	}
	return errorf(msgInvalidValueOf, d.Args[0].Value, d.Name)
}

// setProxyHeaderList is proxy_hide_header and proxy_pass_header.
func setProxyHeaderList(b *builder, d *Directive) error {
	s := b.settings()
	s.set[d.Name] = true
	if d.Name == "proxy_hide_header" {
		s.Proxy.Hide = append(s.Proxy.Hide, d.Args[0].Value)
	} else {
		s.Proxy.Pass = append(s.Proxy.Pass, d.Args[0].Value)
	}
	return nil
}

// setProxyRedirect takes "default" and "off"; rewriting rules of one's
// own are not implemented.
func setProxyRedirect(b *builder, d *Directive) error {
	s := b.settings()
	s.set[d.Name] = true
	switch {
	case len(d.Args) == 1 && d.Args[0].Value == "off":
		s.Proxy.RedirectOff = true
	case len(d.Args) == 1 && d.Args[0].Value == "default":
		s.Proxy.RedirectOff = false
	default:
		return errorf(msgUnsupportedParam, d.Args[0].Value, d.Name)
	}
	return nil
}

var (
	setProxyConnectTimeout = msecSetter(func(s *Settings) *time.Duration { return &s.Proxy.ConnectTimeout })
	setProxyReadTimeout    = msecSetter(func(s *Settings) *time.Duration { return &s.Proxy.ReadTimeout })
	setProxySendTimeout    = msecSetter(func(s *Settings) *time.Duration { return &s.Proxy.SendTimeout })
)

// proxyDefaults are nginx's.
var proxyDefaults = ProxySettings{
	HTTPVersion: "1.0", PassHeaders: true, PassBody: true, Buffering: true,
	ConnectTimeout: 60 * time.Second, ReadTimeout: 60 * time.Second, SendTimeout: 60 * time.Second,
}

// mergeProxy fills what c does not set from p. As in nginx, the list
// directives (proxy_set_header, proxy_hide_header, proxy_pass_header) are
// inherited only by a level that has none of its own.
func mergeProxy(c, p *Settings) {
	inherit := func(key string) bool { return !c.set[key] }
	cp, pp := &c.Proxy, &p.Proxy
	if inherit("proxy_set_header") {
		cp.Headers = pp.Headers
	}
	if inherit("proxy_http_version") {
		cp.HTTPVersion = pp.HTTPVersion
	}
	if inherit("proxy_pass_request_headers") {
		cp.PassHeaders = pp.PassHeaders
	}
	if inherit("proxy_pass_request_body") {
		cp.PassBody = pp.PassBody
	}
	if inherit("proxy_buffering") {
		cp.Buffering = pp.Buffering
	}
	if inherit("proxy_intercept_errors") {
		cp.InterceptErrors = pp.InterceptErrors
	}
	if inherit("proxy_connect_timeout") {
		cp.ConnectTimeout = pp.ConnectTimeout
	}
	if inherit("proxy_read_timeout") {
		cp.ReadTimeout = pp.ReadTimeout
	}
	if inherit("proxy_send_timeout") {
		cp.SendTimeout = pp.SendTimeout
	}
	if inherit("proxy_hide_header") {
		cp.Hide = pp.Hide
	}
	if inherit("proxy_pass_header") {
		cp.Pass = pp.Pass
	}
	if inherit("proxy_redirect") {
		cp.RedirectOff = pp.RedirectOff
	}
}

// proxyRedirects collects, for nginx's auto_redirect, the URIs one slash
// short of a location served by proxy_pass whose name ends in "/" (a
// request for "/t" is redirected to "/t/" when "location /t/" proxies),
// unless a location of that very name exists.
func proxyRedirects(srv *Server) map[string]bool {
	var m map[string]bool
	names := map[string]bool{}
	var walk func(ls []*Location)
	walk = func(ls []*Location) {
		for _, l := range ls {
			if l.Regex == nil {
				names[l.Pattern] = true
				if l.Handler == HandlerProxy && len(l.Pattern) > 1 && strings.HasSuffix(l.Pattern, "/") {
					if m == nil {
						m = map[string]bool{}
					}
					m[strings.TrimSuffix(l.Pattern, "/")] = true
				}
			}
			walk(l.Nested)
		}
	}
	walk(srv.Locations)
	for k := range m {
		if names[k] {
			delete(m, k)
		}
	}
	return m
}
