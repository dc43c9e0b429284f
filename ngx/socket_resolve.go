package ngx

import (
	"github.com/luring/luring/conf"
	"github.com/luring/luring/cosocket"
)

// resolverFor returns the resolver connect uses for host names in rq's
// location, nil when none is defined (connect then fails with "no resolver
// defined to resolve"). Each resolver block of the configuration gets one
// cosocket.DNS, with its own cache, created on first use, as nginx has one
// resolver per directive.
func (rn *Runner) resolverFor(rq *request) cosocket.Resolver {
	rs := rq.resolverSettings()
	if len(rs.Addrs) == 0 || rn.sockets == nil {
		return nil
	}
	if d := rn.resolvers[rs]; d != nil && !d.Closed() {
		return d
	}
	if rn.resolvers == nil {
		rn.resolvers = make(map[*conf.Resolver]*cosocket.DNS)
	}
	d := rn.sockets.NewDNS(dnsConfig(rs))
	rn.resolvers[rs] = d
	return d
}

// dnsConfig is the cosocket resolver configuration of a resolver block.
func dnsConfig(rs *conf.Resolver) cosocket.DNSConfig {
	return cosocket.DNSConfig{
		Servers: rs.Addrs,
		Valid:   rs.Valid,
		IPv4:    rs.IPv4,
		IPv6:    rs.IPv6,
		Timeout: rs.Timeout,
	}
}
