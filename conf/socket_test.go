package conf

import (
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSocketAndResolverDefaults(t *testing.T) {
	cfg, err := Parse(testConf, []byte(srv("location / { }")))
	require.NoError(t, err)
	l, _ := cfg.HTTP.Servers[0].Match("/")
	assert.Equal(t, SocketSettings{
		ConnectTimeout:   60 * time.Second,
		SendTimeout:      60 * time.Second,
		ReadTimeout:      60 * time.Second,
		SendLowat:        0,
		BufferSize:       int64(os.Getpagesize()),
		PoolSize:         30,
		KeepaliveTimeout: 60 * time.Second,
		LogErrors:        true,
	}, l.Socket)
	assert.Equal(t, Resolver{IPv4: true, IPv6: true, Timeout: 30 * time.Second}, l.Resolver,
		"no name servers: host names are not resolved")
	assert.Empty(t, cfg.Warnings)
}

// levelConf places line at one level of a config with a location /a, a
// nested /a/b and a sibling /c.
func levelConf(level, line string) string {
	at := func(l string) string {
		if l == level {
			return line + ";"
		}
		return ""
	}
	return "events {}\nhttp {\n" + at("http") + "\nserver {\n" + at("server") +
		"\nlocation /a {\n" + at("location") + "\nlocation /a/b { }\n}\nlocation /c { }\n}\n}\n"
}

// Each directive given at each level: that level and the ones inside it
// have the value, the others keep the default.
func TestSocketDirectivesAtEachLevel(t *testing.T) {
	page := int64(os.Getpagesize())
	tests := []struct {
		line      string
		get       func(*Settings) any
		want, def any
	}{
		{"lua_socket_connect_timeout 100ms", func(s *Settings) any { return s.Socket.ConnectTimeout }, 100 * time.Millisecond, 60 * time.Second},
		{"lua_socket_send_timeout 3s", func(s *Settings) any { return s.Socket.SendTimeout }, 3 * time.Second, 60 * time.Second},
		{"lua_socket_read_timeout 2m", func(s *Settings) any { return s.Socket.ReadTimeout }, 2 * time.Minute, 60 * time.Second},
		{"lua_socket_read_timeout 5", func(s *Settings) any { return s.Socket.ReadTimeout }, 5 * time.Second, 60 * time.Second},
		{"lua_socket_buffer_size 16k", func(s *Settings) any { return s.Socket.BufferSize }, int64(16 << 10), page},
		{"lua_socket_buffer_size 1M", func(s *Settings) any { return s.Socket.BufferSize }, int64(1 << 20), page},
		{"lua_socket_pool_size 100", func(s *Settings) any { return s.Socket.PoolSize }, 100, 30},
		{"lua_socket_pool_size 0", func(s *Settings) any { return s.Socket.PoolSize }, 0, 30},
		{"lua_socket_keepalive_timeout 10s", func(s *Settings) any { return s.Socket.KeepaliveTimeout }, 10 * time.Second, 60 * time.Second},
		{"lua_socket_keepalive_timeout 0", func(s *Settings) any { return s.Socket.KeepaliveTimeout }, time.Duration(0), 60 * time.Second},
		{"lua_socket_log_errors off", func(s *Settings) any { return s.Socket.LogErrors }, false, true},
		{"lua_socket_log_errors OFF", func(s *Settings) any { return s.Socket.LogErrors }, false, true},
		{"resolver_timeout 5s", func(s *Settings) any { return s.Resolver.Timeout }, 5 * time.Second, 30 * time.Second},
		{"resolver 127.0.0.1", func(s *Settings) any { return s.Resolver.Addrs },
			[]netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:53")}, []netip.AddrPort(nil)},
		{"resolver 127.0.0.1 ipv6=off", func(s *Settings) any { return s.Resolver.IPv6 }, false, true},
	}
	levels := []string{"http", "server", "location"}
	for _, tt := range tests {
		for i, level := range levels {
			t.Run(tt.line+" in "+level, func(t *testing.T) {
				cfg, err := Parse(testConf, []byte(levelConf(level, tt.line)))
				require.NoError(t, err)
				srv := cfg.HTTP.Servers[0]
				a, _ := srv.Match("/a")
				b, _ := srv.Match("/a/b")
				c, _ := srv.Match("/c")
				require.Equal(t, "/a/b", b.Pattern)
				pick := func(set bool) any {
					if set {
						return tt.want
					}
					return tt.def
				}
				assert.Equal(t, pick(i == 0), tt.get(&cfg.HTTP.Settings), "http")
				assert.Equal(t, pick(i <= 1), tt.get(&srv.Settings), "server")
				assert.Equal(t, tt.want, tt.get(&a.Settings), "location /a")
				assert.Equal(t, tt.want, tt.get(&b.Settings), "nested /a/b inherits")
				assert.Equal(t, pick(i <= 1), tt.get(&c.Settings), "sibling /c")
			})
		}
	}
}

// An inner level's own value wins over the outer one; resolver and
// resolver_timeout are merged apart, as in nginx.
func TestSocketAndResolverOverride(t *testing.T) {
	cfg, err := Parse(testConf, []byte(`events {}
http {
    lua_socket_read_timeout 1s;
    lua_socket_pool_size 5;
    resolver 127.0.0.1;
    resolver_timeout 3s;
    server {
        lua_socket_read_timeout 2s;
        resolver [::1] valid=10s;
        location /a {
            lua_socket_read_timeout 3s;
            lua_socket_log_errors off;
            resolver_timeout 1s;
        }
        location /b {
            resolver_timeout 2s;
            resolver 127.0.0.2:5353 ipv6=off;
            lua_socket_pool_size 6;
        }
    }
    server {
        location /d { }
    }
}`))
	require.NoError(t, err)
	s1, s2 := cfg.HTTP.Servers[0], cfg.HTTP.Servers[1]
	a, _ := s1.Match("/a")
	b, _ := s1.Match("/b")
	d, _ := s2.Match("/d")
	ap := netip.MustParseAddrPort
	tests := []struct {
		name      string
		got, want any
	}{
		{"location read timeout", a.Socket.ReadTimeout, 3 * time.Second},
		{"sibling read timeout from server", b.Socket.ReadTimeout, 2 * time.Second},
		{"other server read timeout from http", d.Socket.ReadTimeout, time.Second},
		{"pool size from http", a.Socket.PoolSize, 5},
		{"pool size of its own", b.Socket.PoolSize, 6},
		{"log errors off", a.Socket.LogErrors, false},
		{"log errors default", b.Socket.LogErrors, true},
		{"server's resolver with the location's timeout", a.Resolver,
			Resolver{Addrs: []netip.AddrPort{ap("[::1]:53")}, Valid: 10 * time.Second, IPv4: true, IPv6: true, Timeout: time.Second}},
		{"own resolver with own timeout", b.Resolver,
			Resolver{Addrs: []netip.AddrPort{ap("127.0.0.2:5353")}, IPv4: true, Timeout: 2 * time.Second}},
		{"server resolver with http's timeout", s1.Resolver,
			Resolver{Addrs: []netip.AddrPort{ap("[::1]:53")}, Valid: 10 * time.Second, IPv4: true, IPv6: true, Timeout: 3 * time.Second}},
		{"other server inherits http's resolver", d.Resolver,
			Resolver{Addrs: []netip.AddrPort{ap("127.0.0.1:53")}, IPv4: true, IPv6: true, Timeout: 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
}

// Linux has no SO_SNDLOWAT for TCP: nginx checks the size, then warns
// (at the line of the ";") and keeps 0.
func TestSocketSendLowatIgnored(t *testing.T) {
	cfg, err := Parse(testConf, []byte(srv("lua_socket_send_lowat\n  1k\n  ;\nlocation / { }")))
	require.NoError(t, err)
	l, _ := cfg.HTTP.Servers[0].Match("/")
	assert.Equal(t, int64(0), l.Socket.SendLowat)
	assert.Equal(t, []*Error{{Level: LevelWarn, Msg: `"lua_send_lowat" is not supported, ignored`, File: testConf, Line: 6}}, cfg.Warnings)
	assert.Equal(t, `[warn] "lua_send_lowat" is not supported, ignored in /abs/conf/nginx.conf:6`, cfg.Warnings[0].Error())
}

// Every message is the reference nginx 1.22.1's for the same line (nginx -t
// with lua-nginx-module loaded).
func TestSocketErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{"lua_socket_connect_timeout x;", `"lua_socket_connect_timeout" directive invalid value`},
		{"lua_socket_send_timeout 1y;", `"lua_socket_send_timeout" directive invalid value`},
		{"lua_socket_keepalive_timeout 1M;", `"lua_socket_keepalive_timeout" directive invalid value`},
		{"lua_socket_read_timeout 100ms; lua_socket_read_timeout 1s;", `"lua_socket_read_timeout" directive is duplicate`},
		{"lua_socket_read_timeout 1s; lua_socket_read_timeout x;", `"lua_socket_read_timeout" directive is duplicate`},
		{"lua_socket_read_timeout 1 2;", `invalid number of arguments in "lua_socket_read_timeout" directive`},
		{"lua_socket_read_timeout;", `invalid number of arguments in "lua_socket_read_timeout" directive`},
		{"lua_socket_send_lowat 1x;", `"lua_socket_send_lowat" directive invalid value`},
		{"lua_socket_send_lowat 1g;", `"lua_socket_send_lowat" directive invalid value`},
		{"lua_socket_send_lowat 1k; lua_socket_send_lowat 2k;", `"lua_socket_send_lowat" directive is duplicate`},
		{"lua_socket_buffer_size 1g;", `"lua_socket_buffer_size" directive invalid value`},
		{"lua_socket_buffer_size 1k; lua_socket_buffer_size 1k;", `"lua_socket_buffer_size" directive is duplicate`},
		{"lua_socket_pool_size -1;", `"lua_socket_pool_size" directive invalid number`},
		{"lua_socket_pool_size 1k;", `"lua_socket_pool_size" directive invalid number`},
		{"lua_socket_pool_size 99999999999999999999;", `"lua_socket_pool_size" directive invalid number`},
		{"lua_socket_pool_size 3; lua_socket_pool_size 3;", `"lua_socket_pool_size" directive is duplicate`},
		{"lua_socket_log_errors maybe;", `invalid value "maybe" in "lua_socket_log_errors" directive, it must be "on" or "off"`},
		{"lua_socket_log_errors on; lua_socket_log_errors maybe;", `"lua_socket_log_errors" directive is duplicate`},
		{"lua_socket_log_errors on off;", `invalid number of arguments in "lua_socket_log_errors" directive`},
		{"resolver_timeout x;", `"resolver_timeout" directive invalid value`},
		{"resolver_timeout 1s; resolver_timeout 1s;", `"resolver_timeout" directive is duplicate`},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			_, err := Parse(testConf, []byte(srv(tt.body)))
			require.Error(t, err)
			assert.Equal(t, "[emerg] "+tt.want+" in /abs/conf/nginx.conf:4", err.Error())
		})
	}
}

func TestSocketDirectivesNotAllowedHere(t *testing.T) {
	for _, name := range []string{
		"lua_socket_connect_timeout 1s", "lua_socket_send_timeout 1s", "lua_socket_read_timeout 1s",
		"lua_socket_send_lowat 0", "lua_socket_buffer_size 4k", "lua_socket_pool_size 3",
		"lua_socket_keepalive_timeout 1s", "lua_socket_log_errors on", "resolver 127.0.0.1", "resolver_timeout 1s",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(testConf, []byte("events {}\n"+name+";\n"))
			require.Error(t, err)
			d, _, _ := strings.Cut(name, " ")
			assert.Equal(t, `[emerg] "`+d+`" directive is not allowed here in /abs/conf/nginx.conf:2`, err.Error())
		})
	}
}
