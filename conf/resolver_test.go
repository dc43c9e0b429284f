package conf

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeLookup answers host names from names for the test's duration, so
// that no test waits on DNS.
func fakeLookup(t *testing.T, names map[string][]netip.Addr) {
	t.Helper()
	old := lookupHost
	lookupHost = func(host string) ([]netip.Addr, error) {
		if a, ok := names[host]; ok {
			return a, nil
		}
		return nil, errors.New("no such host")
	}
	t.Cleanup(func() { lookupHost = old })
}

func resolverOf(t *testing.T, args string) Resolver {
	t.Helper()
	return loc(t, "resolver "+args+";\nlocation / { }", "/").Resolver
}

func TestResolverForms(t *testing.T) {
	fakeLookup(t, map[string][]netip.Addr{
		// LookupNetIP gives IPv4 answers in their IPv4-mapped form
		"ns.example": {netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("2001:db8::1")},
	})
	ap := netip.MustParseAddrPort
	tests := []struct {
		args string
		want Resolver
	}{
		{"127.0.0.1", Resolver{Addrs: []netip.AddrPort{ap("127.0.0.1:53")}, IPv4: true, IPv6: true}},
		{"127.0.0.1:5353 [::1]:53 valid=30s ipv6=off",
			Resolver{Addrs: []netip.AddrPort{ap("127.0.0.1:5353"), ap("[::1]:53")}, Valid: 30 * time.Second, IPv4: true}},
		{"[::1]", Resolver{Addrs: []netip.AddrPort{ap("[::1]:53")}, IPv4: true, IPv6: true}},
		{"[::ffff:1.2.3.4]:54", Resolver{Addrs: []netip.AddrPort{ap("[::ffff:1.2.3.4]:54")}, IPv4: true, IPv6: true}},
		{"ns.example:5300", Resolver{Addrs: []netip.AddrPort{ap("10.0.0.1:5300"), ap("[2001:db8::1]:5300")}, IPv4: true, IPv6: true}},
		{"valid=1y 127.0.0.1", Resolver{Addrs: []netip.AddrPort{ap("127.0.0.1:53")}, Valid: 365 * 24 * time.Hour, IPv4: true, IPv6: true}},
		{"127.0.0.1 valid=30s valid=1m30s", Resolver{Addrs: []netip.AddrPort{ap("127.0.0.1:53")}, Valid: 90 * time.Second, IPv4: true, IPv6: true}},
		{"127.0.0.1 valid=0", Resolver{Addrs: []netip.AddrPort{ap("127.0.0.1:53")}, IPv4: true, IPv6: true}},
		{"127.0.0.1 ipv6=off ipv6=on", Resolver{Addrs: []netip.AddrPort{ap("127.0.0.1:53")}, IPv4: true, IPv6: true}},
		{"127.0.0.1 ipv4=off", Resolver{Addrs: []netip.AddrPort{ap("127.0.0.1:53")}, IPv6: true}},
		{"127.0.0.1 ipv4=on ipv6=off", Resolver{Addrs: []netip.AddrPort{ap("127.0.0.1:53")}, IPv4: true}},
		// ngx_inet_addr: leading zeros and an empty number are read
		{"01.002.3.004", Resolver{Addrs: []netip.AddrPort{ap("1.2.3.4:53")}, IPv4: true, IPv6: true}},
		{"1..2.3", Resolver{Addrs: []netip.AddrPort{ap("1.0.2.3:53")}, IPv4: true, IPv6: true}},
		{"0.0.0.0", Resolver{Addrs: []netip.AddrPort{ap("0.0.0.0:53")}, IPv4: true, IPv6: true}},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			tt.want.Timeout = 30 * time.Second
			assert.Equal(t, tt.want, resolverOf(t, tt.args))
		})
	}
}

// A host name is resolved with the Go resolver when the configuration
// loads (localhost is in /etc/hosts).
func TestResolverHostName(t *testing.T) {
	for _, name := range []string{"localhost", "LOCALHOST", "localhost:5353"} {
		t.Run(name, func(t *testing.T) {
			r := resolverOf(t, name)
			require.NotEmpty(t, r.Addrs)
			port := uint16(53)
			if name == "localhost:5353" {
				port = 5353
			}
			for _, a := range r.Addrs {
				assert.True(t, a.Addr().IsLoopback(), a.String())
				assert.False(t, a.Addr().Is4In6(), "IPv4 answers are unmapped: %s", a)
				assert.Equal(t, port, a.Port())
			}
		})
	}
}

// Every message is the reference nginx 1.22.1's for the same line (nginx -t),
// except where noted.
func TestResolverErrors(t *testing.T) {
	fakeLookup(t, nil)
	tests := []struct{ args, want string }{
		{"127.0.0.1 ipv6=maybe", `invalid parameter: ipv6=maybe`},
		{"127.0.0.1 ipv6=ON", `invalid parameter: ipv6=ON`},
		{"127.0.0.1 valid=x", `invalid parameter: valid=x`},
		{"127.0.0.1 valid=", `invalid parameter: valid=`},
		{"127.0.0.1 valid=100ms", `invalid parameter: valid=100ms`},
		{"valid=30s", `no name servers defined`},
		{"ipv6=off", `no name servers defined`},
		{"127.0.0.1:0", `invalid port in resolver "127.0.0.1:0"`},
		{"127.0.0.1:65536", `invalid port in resolver "127.0.0.1:65536"`},
		{"127.0.0.1:", `invalid port in resolver "127.0.0.1:"`},
		{"127.0.0.1:x", `invalid port in resolver "127.0.0.1:x"`},
		{":53", `no host in resolver ":53"`},
		{"::1", `invalid port in resolver "::1"`},
		{"[::1", `invalid host in resolver "[::1"`},
		{"[::1]x", `invalid host in resolver "[::1]x"`},
		{"[::1]:", `invalid port in resolver "[::1]:"`},
		{"[::1]:0", `invalid port in resolver "[::1]:0"`},
		{"[]", `no host in resolver "[]"`},
		{"[zz]", `invalid IPv6 address in resolver "[zz]"`},
		{"[1.2.3.4]", `invalid IPv6 address in resolver "[1.2.3.4]"`},
		{"[fe80::1%eth0]", `invalid IPv6 address in resolver "[fe80::1%eth0]"`},
		{"127.0.0.1/x", `invalid host in resolver "127.0.0.1/x"`},
		{"127.0.0.1?x", `invalid host in resolver "127.0.0.1?x"`},
		{"[::1]/x", `invalid host in resolver "[::1]/x"`},
		{"no-such-host.invalid", `host not found in resolver "no-such-host.invalid"`},
		{"256.0.0.1", `host not found in resolver "256.0.0.1"`},
		{"unix:", `no path in the unix domain socket in resolver "unix:"`},
		// nginx 1.22 takes a parameter it does not know for a host name
		{"127.0.0.1 status_zone=z", `host not found in resolver "status_zone=z"`},
		// the address comes before the families are checked, as in nginx
		{"[zz] ipv4=off ipv6=off", `invalid IPv6 address in resolver "[zz]"`},
		// not the reference's: ipv4= is read as nginx 1.23.1+ reads it
		{"127.0.0.1 ipv4=maybe", `invalid parameter: ipv4=maybe`},
		{"127.0.0.1 ipv4=off ipv6=off", `"ipv4" and "ipv6" cannot both be "off"`},
		// nginx accepts a resolver on a unix socket; luring does not
		{"unix:/tmp/dns.sock", `the "unix:/tmp/dns.sock" parameter of the "resolver" directive is not supported by luring yet`},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			_, err := Parse(testConf, []byte(srv("resolver "+tt.args+";")))
			require.Error(t, err)
			assert.Equal(t, "[emerg] "+tt.want+" in /abs/conf/nginx.conf:4", err.Error())
		})
	}
}

func TestResolverDirectiveErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"arg count", srv("resolver;"), `invalid number of arguments in "resolver" directive in /abs/conf/nginx.conf:4`},
		{"duplicate", srv("resolver 127.0.0.1;\nresolver 127.0.0.2;"), `"resolver" directive is duplicate in /abs/conf/nginx.conf:5`},
		{"duplicate before the value", srv("resolver 127.0.0.1; resolver [zz];"), `"resolver" directive is duplicate in /abs/conf/nginx.conf:4`},
		{"reported at the ;", srv("resolver 127.0.0.1\n  [zz]\n  ;"), `invalid IPv6 address in resolver "[zz]" in /abs/conf/nginx.conf:6`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(testConf, []byte(tt.src))
			require.Error(t, err)
			assert.Equal(t, "[emerg] "+tt.want, err.Error())
		})
	}
}

func TestInetAddr(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = not an address
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"255.255.255.255", "255.255.255.255"},
		{"01.02.03.04", "1.2.3.4"},
		{"1.2.3.", "1.2.3.0"},
		{"...", "0.0.0.0"},
		{"256.0.0.1", ""},
		{"1.2.3", ""},
		{"1.2.3.4.5", ""},
		{"1.2.3.x", ""},
		{"-1.2.3.4", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, ok := inetAddr(tt.in)
			if tt.want == "" {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tt.want, a.String())
		})
	}
}
