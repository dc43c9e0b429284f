package conf

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// matchConf gives every location a "set $id <label>" so a test can tell
// which one matched.
const matchConf = `events {}
http {
  server {
    location = / { set $id exact-root; }
    location / { set $id root; }
    location /documents/ { set $id documents; }
    location ^~ /images/ { set $id images-noregex; }
    location ~* \.(gif|jpg|jpeg)$ { set $id regex-img; }
    location ~ ^/api/v(\d+)/(?<rest>.*)$ { set $id regex-api; }
    location ~ ^/API/ { set $id regex-API-case; }
    location = /exact { set $id exact; }
    location /exact { set $id exact-prefix; }
    location /a {
      set $id a;
      location /a/b {
        set $id a-b;
        location = /a/b/c { set $id a-b-c-exact; }
      }
      location ~ \.php$ { set $id a-php; }
      location ^~ /a/noregex { set $id a-noregex; }
    }
    location ^~ /static {
      set $id static;
      location ~ \.css$ { set $id static-css; }
    }
    location ~ ^/re/(\w+) {
      set $id re;
      location ~ /x$ { set $id re-x; }
    }
    location /documents/private/ { internal; set $id private; }
    location @fallback { set $id named; }
  }
}
`

func TestServerMatch(t *testing.T) {
	cfg, err := Parse("/p/nginx.conf", []byte(matchConf))
	require.NoError(t, err)
	srv := cfg.HTTP.Servers[0]
	tests := []struct {
		name string
		uri  string
		want string
		caps []string
	}{
		{"exact root wins over prefix", "/", "exact-root", nil},
		{"longest prefix is root", "/index.html", "root", nil},
		{"longer prefix", "/documents/a.html", "documents", nil},
		{"regex beats prefix", "/documents/a.jpg", "regex-img", []string{".jpg", "jpg"}},
		{"caseless regex", "/documents/A.JPG", "regex-img", []string{".JPG", "JPG"}},
		{"noregex prefix skips regexes", "/images/a.gif", "images-noregex", nil},
		{"regex captures with named group", "/api/v2/users/7", "regex-api", []string{"/api/v2/users/7", "2", "users/7"}},
		{"case-sensitive regex no match falls back to longest prefix", "/api/V2/x", "a", nil},
		{"case-sensitive regex match", "/API/x", "regex-API-case", []string{"/API/"}},
		{"regexes in config order: first wins", "/api/v1/x.gif", "regex-img", []string{".gif", "gif"}},
		{"exact beats same-name prefix", "/exact", "exact", nil},
		{"same-name prefix when longer", "/exact/more", "exact-prefix", nil},
		{"prefix is case-sensitive", "/EXACT", "root", nil},
		{"parent prefix", "/a/x", "a", nil},
		{"nested prefix", "/a/b/x", "a-b", nil},
		{"nested exact", "/a/b/c", "a-b-c-exact", nil},
		{"nested regex in parent prefix", "/a/b/x.php", "a-php", []string{".php"}},
		{"nested regex beats outer regex", "/a/x.jpg", "regex-img", []string{".jpg", "jpg"}},
		{"nested noregex does not stop outer regexes", "/a/noregex/x.gif", "regex-img", []string{".gif", "gif"}},
		{"nested noregex", "/a/noregex/x", "a-noregex", nil},
		{"nested regex under noregex parent", "/static/site.css", "static-css", []string{".css"}},
		{"noregex parent blocks outer regex", "/static/x.jpg", "static", nil},
		{"regex location", "/re/abc", "re", []string{"/re/abc", "abc"}},
		{"regex parent when nested regex fails keeps its captures", "/re/abc/y", "re", []string{"/re/abc", "abc"}},
		{"regex nested in regex", "/re/abc/x", "re-x", []string{"/x"}},
		{"internal location still matches", "/documents/private/a", "private", nil},
		{"named never matches", "@fallback", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, caps := srv.Match(tt.uri)
			if tt.want == "" {
				assert.Nil(t, loc)
				assert.Nil(t, caps)
				return
			}
			require.NotNil(t, loc)
			require.NotEmpty(t, loc.Sets)
			assert.Equal(t, tt.want, loc.Sets[0].Value)
			assert.Equal(t, tt.caps, caps)
		})
	}
}

func TestServerMatchNone(t *testing.T) {
	cfg, err := Parse("/p/nginx.conf", []byte("events {}\nhttp { server { location /a { } location = /b { } } }"))
	require.NoError(t, err)
	loc, caps := cfg.HTTP.Servers[0].Match("/c")
	assert.Nil(t, loc)
	assert.Nil(t, caps)
}

func TestFindNamed(t *testing.T) {
	cfg, err := Parse("/p/nginx.conf", []byte(matchConf))
	require.NoError(t, err)
	srv := cfg.HTTP.Servers[0]
	for _, name := range []string{"@fallback", "fallback"} {
		loc := srv.FindNamed(name)
		require.NotNil(t, loc, name)
		assert.Equal(t, MatchNamed, loc.Match)
		assert.Equal(t, "@fallback", loc.Name)
	}
	assert.Nil(t, srv.FindNamed("@nope"))
	private, _ := srv.Match("/documents/private/")
	assert.True(t, private.Internal)
}

const selectConf = `events {}
http {
  server { listen 80; server_name first.test; set $id first; }
  server { listen 80; server_name example.com www.example.com; set $id exact; }
  server { listen 80; server_name *.example.com; set $id lead-short; }
  server { listen 80; server_name *.api.example.com; set $id lead-long; }
  server { listen 80; server_name .example.org; set $id dot; }
  server { listen 80; server_name www.example.*; set $id trail-short; }
  server { listen 80; server_name www.example.co.*; set $id trail-long; }
  server { listen 80; server_name ~^(?<user>\w+)\.users\.test$; set $id regex1; }
  server { listen 80; server_name ~^bob\.; set $id regex2; }
  server { listen 80 default_server; server_name default.test; set $id default; }
  server { listen 80; server_name ""; set $id empty; }
  server { listen 127.0.0.1:8080; set $id other-first; }
  server { listen 127.0.0.1:8080; server_name ~^A\.test$; set $id caseless; }
}
`

func TestSelectServer(t *testing.T) {
	cfg, err := Parse("/p/nginx.conf", []byte(selectConf))
	require.NoError(t, err)
	tests := []struct {
		name   string
		listen string
		host   string
		want   string
		caps   []string
	}{
		{"exact", "0.0.0.0:80", "example.com", "exact", nil},
		{"exact second name", "0.0.0.0:80", "www.example.com", "exact", nil},
		{"exact case and port and trailing dot", "0.0.0.0:80", "WWW.Example.COM.:80", "exact", nil},
		{"leading wildcard", "0.0.0.0:80", "a.example.com", "lead-short", nil},
		{"longest leading wildcard", "0.0.0.0:80", "v1.api.example.com", "lead-long", nil},
		{"leading wildcard any depth", "0.0.0.0:80", "a.b.example.com", "lead-short", nil},
		{"dot form matches bare domain", "0.0.0.0:80", "example.org", "dot", nil},
		{"dot form matches subdomain", "0.0.0.0:80", "x.example.org", "dot", nil},
		{"leading wildcard beats trailing", "0.0.0.0:80", "www.example.com.example.com", "lead-short", nil},
		{"trailing wildcard", "0.0.0.0:80", "www.example.net", "trail-short", nil},
		{"longest trailing wildcard", "0.0.0.0:80", "www.example.co.uk", "trail-long", nil},
		{"regex with captures", "0.0.0.0:80", "alice.users.test", "regex1", []string{"alice.users.test", "alice"}},
		{"first regex in config order", "0.0.0.0:80", "bob.users.test", "regex1", []string{"bob.users.test", "bob"}},
		{"second regex", "0.0.0.0:80", "bob.other", "regex2", []string{"bob."}},
		{"default_server", "0.0.0.0:80", "unknown.test", "default", nil},
		{"empty host matches empty name", "0.0.0.0:80", "", "empty", nil},
		{"first server when no default", "127.0.0.1:8080", "unknown.test", "other-first", nil},
		{"uppercase regex is caseless", "127.0.0.1:8080", "a.test", "caseless", []string{"a.test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, caps := cfg.HTTP.SelectServer(tt.listen, tt.host)
			require.NotNil(t, s)
			assert.Equal(t, tt.want, s.Sets[0].Value)
			assert.Equal(t, tt.caps, caps)
		})
	}
	s, caps := cfg.HTTP.SelectServer("0.0.0.0:9", "example.com")
	assert.Nil(t, s, "no server listens there")
	assert.Nil(t, caps)
}

func TestNormalizeHost(t *testing.T) {
	tests := map[string]string{
		"Example.COM":    "example.com",
		"example.com:80": "example.com",
		"example.com.":   "example.com",
		"[::1]:8080":     "[::1]",
		"[::1]":          "[::1]",
		"":               "",
		"127.0.0.1:1984": "127.0.0.1",
	}
	for in, want := range tests {
		assert.Equal(t, want, normalizeHost(in), in)
	}
}
