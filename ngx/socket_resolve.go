package ngx

import (
	"fmt"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/cosocket"
)

// resolverFor returns the resolver connect uses for host names in rq's
// location, nil when none is defined (connect then fails with "no resolver
// defined to resolve"). Locations that inherit one resolver block (each
// holds its own copy of the settings) share one cosocket.DNS and so one
// cache, as nginx's levels share the resolver they inherit; it is made on
// first use and found by the settings' address afterwards.
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
		rn.resolversByConf = make(map[string]*cosocket.DNS)
	}
	key := fmt.Sprint(rs.Addrs, rs.Valid, rs.IPv4, rs.IPv6, rs.Timeout)
	d := rn.resolversByConf[key]
	if d == nil || d.Closed() {
		d = rn.sockets.NewDNS(dnsConfig(rs))
		rn.resolversByConf[key] = d
	}
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
