package conf

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProxyPass(t *testing.T) {
	tests := []struct {
		url  string
		want ProxyPass
	}{
		{"http://127.0.0.1:8080/b/", ProxyPass{Static: true, Addr: "127.0.0.1:8080", Host: "127.0.0.1:8080", URI: "/b/", HasURI: true}},
		{"http://127.0.0.1", ProxyPass{Static: true, Addr: "127.0.0.1:80", Host: "127.0.0.1"}},
		{"http://127.0.0.1:80/", ProxyPass{Static: true, Addr: "127.0.0.1:80", Host: "127.0.0.1", URI: "/", HasURI: true}},
		{"http://[::1]:81", ProxyPass{Static: true, Addr: "[::1]:81", Host: "[::1]:81"}},
		{"http://localhost:81/x", ProxyPass{Static: true, Addr: "127.0.0.1:81", Host: "localhost:81", URI: "/x", HasURI: true}},
		{"http://unix:/tmp/s.sock:/u", ProxyPass{Static: true, Unix: true, Addr: "/tmp/s.sock", Host: "localhost", URI: "/u", HasURI: true}},
		{"http://127.0.0.1:$server_port/p", ProxyPass{}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			l := loc(t, "location /a/ {\nproxy_pass "+tt.url+";\n}", "/a/")
			require.NotNil(t, l.ProxyPass)
			got := *l.ProxyPass
			got.URL, got.Parts = "", nil
			assert.Equal(t, tt.want, got)
			assert.Equal(t, HandlerProxy, l.Handler)
		})
	}
}

func TestProxyErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{"location ~ /r { proxy_pass http://127.0.0.1/x; }", `"proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block`},
		{"location /a { proxy_pass https://127.0.0.1/; }", `https upstreams are not supported by luring yet in "https://127.0.0.1/"`},
		{"location /a { proxy_pass ftp://x/; }", `invalid URL prefix in "ftp://x/"`},
		{"location /a { proxy_pass http://127.0.0.1:99999/; }", `invalid port in upstream "127.0.0.1:99999/"`},
		{"location /a { proxy_pass http://no-such-host.invalid/; }", `host not found in upstream "no-such-host.invalid/"`},
		{"location /a { proxy_pass http://127.0.0.1/; proxy_pass http://127.0.0.1/; }", `"proxy_pass" directive is duplicate`},
		{"location /a { proxy_http_version 2; }", `invalid value "2" in "proxy_http_version" directive`},
		{"location /a { proxy_redirect http://a/ /b/; }", `the "http://a/" parameter of the "proxy_redirect" directive is not supported by luring yet`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Parse(testConf, []byte(srv(tt.body)))
			require.Error(t, err)
			assert.Equal(t, "[emerg] "+tt.want+" in /abs/conf/nginx.conf:4", err.Error())
		})
	}
}

func TestProxySettingsMerge(t *testing.T) {
	cfg, err := Parse(testConf, []byte(`events {}
http {
  proxy_set_header X-A a;
  proxy_read_timeout 5s;
  server {
    location /a { proxy_pass http://127.0.0.1/; }
    location /b { proxy_set_header X-B b; proxy_http_version 1.1; proxy_pass http://127.0.0.1/; }
    location /c/ { proxy_pass http://127.0.0.1; }
    location /d/ { proxy_pass http://127.0.0.1; }
    location = /d { }
  }
}`))
	require.NoError(t, err)
	s := cfg.HTTP.Servers[0]
	a, _ := s.Match("/a")
	require.Len(t, a.Proxy.Headers, 1)
	assert.Equal(t, "X-A", a.Proxy.Headers[0].Name)
	assert.Equal(t, 5*time.Second, a.Proxy.ReadTimeout)
	assert.Equal(t, 60*time.Second, a.Proxy.ConnectTimeout)
	assert.Equal(t, "1.0", a.Proxy.HTTPVersion)
	assert.True(t, a.Proxy.PassHeaders && a.Proxy.PassBody && a.Proxy.Buffering)
	b, _ := s.Match("/b")
	require.Len(t, b.Proxy.Headers, 1, "a level with its own proxy_set_header inherits none")
	assert.Equal(t, "X-B", b.Proxy.Headers[0].Name)
	assert.Equal(t, "1.1", b.Proxy.HTTPVersion)
	assert.Equal(t, map[string]bool{"/c": true}, s.AutoRedirect, "/d has a location of its own")
}
