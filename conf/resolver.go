package conf

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"time"
)

// This file reads nginx's resolver and resolver_timeout directives (http,
// server, location), as ngx_http_core_module and ngx_resolver_create read
// them: the name servers ngx.socket.* asks for a host name.

// Resolver is the resolver in force in a location. The resolver directive
// is inherited as a whole by a level without one; resolver_timeout is
// merged on its own, as in nginx.
type Resolver struct {
	// Addrs are the name servers in the order given (port 53 unless
	// written). A host name stands for every address the Go resolver
	// returned for it when the configuration was loaded, as nginx resolves
	// it with getaddrinfo while reading the file. Empty when no resolver
	// is defined: a host name then fails with "no resolver defined to
	// resolve".
	Addrs []netip.AddrPort
	// Valid is valid=: how long answers are cached, instead of their
	// TTLs; whole seconds; 0 (default) = the TTLs.
	Valid time.Duration
	IPv4  bool // ipv4=: ask for A records; default on
	IPv6  bool // ipv6=: ask for AAAA records; default on; off = A records only
	// Timeout is resolver_timeout: how long a name may take to resolve;
	// default 30s.
	Timeout time.Duration
}

// resolverDefaults are nginx's: no name servers, both address families,
// answers kept for their TTLs, 30s to resolve.
func resolverDefaults() Resolver {
	return Resolver{IPv4: true, IPv6: true, Timeout: 30 * time.Second}
}

// lookupHost resolves a name server's host name; replaceable in tests.
var lookupHost = func(host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
}

var setResolverTimeout = msecSetter(func(s *Settings) *time.Duration { return &s.Resolver.Timeout })

// setResolver is "resolver address ... [valid=time] [ipv4=on|off]
// [ipv6=on|off]". Parameters and addresses may come in any order; the
// last valid=, ipv4= or ipv6= wins. ipv4= is read as nginx 1.23.1 and later
// read it (1.22 has no such parameter). A parameter nginx does not know,
// such as status_zone=, is taken for a host name that is not found, which
// is how nginx 1.22 refuses it.
//
// Host names are resolved here, so Load and Parse may wait on DNS: the
// configuration is loaded on the main goroutine, never on a worker loop.
func setResolver(b *builder, d *Directive) error {
	s := b.settings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	r := resolverDefaults()
	for _, a := range d.Args {
		v := a.Value
		switch {
		case strings.HasPrefix(v, "valid="):
			t, err := ParseTime(v[len("valid="):], true)
			if err != nil {
				return errorf(msgResolverParam, v)
			}
			r.Valid = t
		case strings.HasPrefix(v, "ipv4="), strings.HasPrefix(v, "ipv6="):
			family, value := v[:len("ipv4")], v[len("ipv4="):]
			if value != "on" && value != "off" {
				return errorf(msgResolverParam, v)
			}
			if family == "ipv4" {
				r.IPv4 = value == "on"
			} else {
				r.IPv6 = value == "on"
			}
		default:
			addrs, err := parseResolverAddr(v)
			if err != nil {
				return err
			}
			r.Addrs = append(r.Addrs, addrs...)
		}
	}
	if !r.IPv4 && !r.IPv6 {
		return errorf(msgResolverNoFamily)
	}
	if len(r.Addrs) == 0 {
		return errorf(msgResolverNoServers)
	}
	r.Timeout = s.Resolver.Timeout // resolver_timeout is its own directive
	s.Resolver = r
	return nil
}

// parseResolverAddr reads one name server as ngx_parse_url does with
// default port 53 and no URI part: an IPv4 address, an "[IPv6]" literal or
// a host name, each with an optional ":port".
func parseResolverAddr(s string) ([]netip.AddrPort, error) {
	fail := func(why string) ([]netip.AddrPort, error) {
		return nil, errorf(msgResolverAddr, why, s)
	}
	if len(s) >= len("unix:") && strings.EqualFold(s[:len("unix:")], "unix:") {
		if len(s) == len("unix:") {
			return fail("no path in the unix domain socket")
		}
		return nil, errorf(msgUnsupportedParam, s, "resolver")
	}
	port, host := int64(53), s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return fail("invalid host")
		}
		host = s[1:end]
		rest := s[end+1:]
		if strings.IndexByte(rest, '/') >= 0 || rest != "" && rest[0] != ':' {
			return fail("invalid host")
		}
		if rest != "" {
			n, ok := atoi(rest[1:])
			if !ok || n < 1 || n > 65535 {
				return fail("invalid port")
			}
			port = n
		}
		if host == "" {
			return fail("no host")
		}
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return fail("invalid IPv6 address")
		}
		return []netip.AddrPort{netip.AddrPortFrom(a, uint16(port))}, nil
	}
	if strings.ContainsAny(s, "/?") {
		return fail("invalid host")
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		n, ok := atoi(s[i+1:])
		if !ok || n < 1 || n > 65535 {
			return fail("invalid port")
		}
		host, port = s[:i], n
	}
	if host == "" {
		return fail("no host")
	}
	if a, ok := inetAddr(host); ok {
		return []netip.AddrPort{netip.AddrPortFrom(a, uint16(port))}, nil
	}
	if strings.Contains(host, "=") { // a parameter nginx does not know
		return fail("host not found")
	}
	ips, err := lookupHost(host)
	if err != nil || len(ips) == 0 {
		return fail("host not found")
	}
	addrs := make([]netip.AddrPort, len(ips))
	for i, ip := range ips {
		addrs[i] = netip.AddrPortFrom(ip.Unmap(), uint16(port))
	}
	return addrs, nil
}

// inetAddr reads an IPv4 address as ngx_inet_addr does: four dot-separated
// decimal numbers up to 255, leading zeros allowed, an empty one read as 0.
func inetAddr(s string) (netip.Addr, bool) {
	var b [4]byte
	n, octet, dots := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			octet = octet*10 + int(c-'0')
			if octet > 255 {
				return netip.Addr{}, false
			}
		case c == '.' && dots < 3:
			b[n], n, octet = byte(octet), n+1, 0
			dots++
		default:
			return netip.Addr{}, false
		}
	}
	if dots != 3 {
		return netip.Addr{}, false
	}
	b[3] = byte(octet)
	return netip.AddrFrom4(b), true
}

// mergeResolver gives c the resolver of p unless c has its own, and p's
// resolver_timeout unless c sets one.
func mergeResolver(c, p *Settings) {
	if !c.set["resolver"] {
		t := c.Resolver.Timeout
		c.Resolver = p.Resolver
		c.Resolver.Timeout = t
	}
	if !c.set["resolver_timeout"] {
		c.Resolver.Timeout = p.Resolver.Timeout
	}
}

// DefaultResolver is the resolver setting in force without the
// directives: no name servers.
func DefaultResolver() Resolver { return resolverDefaults() }
