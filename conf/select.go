package conf

import (
	"net"
	"strings"
)

// SelectServer picks the virtual server for a request that arrived on the
// listening socket named listen (a Listen.Key such as "0.0.0.0:80") with
// the given Host, in nginx's order: exact name, longest leading wildcard
// ("*.example.com", ".example.com"), longest trailing wildcard
// ("www.example.*"), first matching regex in config order, then the
// default_server of that socket or else the first server declared on it.
// host is lower-cased and loses a ":port" and a trailing dot before
// matching; "" matches servers named "". captures holds the deciding
// regex's submatches, nil otherwise. The server is nil when no server
// listens on listen.
func (h *HTTP) SelectServer(listen, host string) (*Server, []string) {
	host = normalizeHost(host)
	var (
		candidates []*Server
		def        *Server
	)
	for _, s := range h.Servers {
		for _, l := range s.Listens {
			if l.Key() != listen {
				continue
			}
			candidates = append(candidates, s)
			if l.DefaultServer && def == nil {
				def = s
			}
			break
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	var lead, trail *Server
	leadLen, trailLen := -1, -1
	for _, s := range candidates {
		for _, n := range s.Names {
			switch n.Kind {
			case NameExact:
				if n.match == host {
					return s, nil
				}
			case NameLeadingWildcard:
				if len(n.match) > leadLen && (strings.HasSuffix(host, n.match) || n.dot && host == n.match[1:]) {
					lead, leadLen = s, len(n.match)
				}
			case NameTrailingWildcard:
				if len(n.match) > trailLen && strings.HasPrefix(host, n.match) && len(host) > len(n.match) {
					trail, trailLen = s, len(n.match)
				}
			}
		}
	}
	if lead != nil {
		return lead, nil
	}
	if trail != nil {
		return trail, nil
	}
	for _, s := range candidates {
		for _, n := range s.Names {
			if n.Kind != NameRegex {
				continue
			}
			if m := n.Regex.FindStringSubmatch(host); m != nil {
				return s, m
			}
		}
	}
	if def != nil {
		return def, nil
	}
	return candidates[0], nil
}

// normalizeHost lower-cases a Host value and strips a port and a trailing
// dot; an IPv6 literal keeps its brackets.
func normalizeHost(host string) string {
	host = strings.ToLower(host)
	if strings.HasPrefix(host, "[") {
		if end := strings.IndexByte(host, ']'); end >= 0 {
			host = host[:end+1]
		}
	} else if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if i := strings.IndexByte(host, ':'); i >= 0 && strings.Count(host, ":") == 1 {
		host = host[:i]
	}
	return strings.TrimSuffix(host, ".")
}

// Sockets returns the distinct listening sockets of all servers, in order
// of first declaration, each with the socket options of the listen that
// set them (or of the first listen for it).
func (h *HTTP) Sockets() []Listen {
	var out []Listen
	idx := map[string]int{}
	for _, s := range h.Servers {
		for _, l := range s.Listens {
			k := l.Key()
			i, seen := idx[k]
			if !seen {
				idx[k] = len(out)
				out = append(out, l)
				continue
			}
			if l.optionsSet && !out[i].optionsSet {
				def := out[i].DefaultServer
				out[i] = l
				out[i].DefaultServer = def
			}
			if l.DefaultServer {
				out[i].DefaultServer = true
			}
		}
	}
	return out
}
