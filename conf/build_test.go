package conf

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openrestyTestConf is shaped like the config Test::Nginx generates for
// lua-nginx-module's t/ files.
const openrestyTestConf = `worker_processes  1;
daemon off;
master_process off;
error_log /tmp/t/servroot/logs/error.log debug;
pid       logs/nginx.pid;
env MOCKEAGAIN_VERBOSE;
env TEST_NGINX_USE_HUP=1;

events {
    accept_mutex off;
    worker_connections  64;
    use epoll;
}

http {
    access_log logs/access.log;
    default_type text/plain;
    keepalive_timeout  68000ms;
    lua_package_path "/t/lib/?.lua;;";
    lua_package_cpath "/t/lib/?.so;;";
    lua_load_resty_core on;
    client_body_temp_path /tmp/t/servroot/client_body_temp;
    proxy_temp_path /tmp/t/servroot/proxy_temp;
    fastcgi_temp_path /tmp/t/servroot/fastcgi_temp;
    uwsgi_temp_path /tmp/t/servroot/uwsgi_temp;
    scgi_temp_path /tmp/t/servroot/scgi_temp;

    init_by_lua_block {
        require "resty.core"
    }

    server {
        listen          1984;
        server_name     'localhost';
        client_max_body_size 30M;

        location = /t {
            content_by_lua_block {
                ngx.say("hi")
            }
        }

        location / {
            root /tmp/t/servroot/html;
            index index.html index.htm;
        }
    }
}
`

func TestOpenRestyTestConfigRootLocation(t *testing.T) {
	cfg, err := Parse("/tmp/t/servroot/conf/nginx.conf", []byte(openrestyTestConf))
	require.NoError(t, err)
	s := cfg.HTTP.Servers[0]
	root, _ := s.Match("/index.html")
	require.NotNil(t, root)
	assert.Equal(t, "/tmp/t/servroot/html", root.Root)
	assert.Equal(t, []string{"index.html", "index.htm"}, root.Index)
	lua, _ := s.Match("/t")
	assert.Equal(t, "/tmp/t/servroot/conf/html", lua.Root, "default root is html under the prefix")
	assert.Equal(t, []string{"index.html"}, lua.Index)
}

// The inline-string handler forms of lua-nginx-module's t/ files
// (002-content.t TEST 1: content_by_lua 'ngx.say(...)').
func TestInlineLuaHandlers(t *testing.T) {
	cfg, err := Parse("/p/nginx.conf", []byte(`events {}
http {
    init_by_lua 'x = 1';
    server {
        location /t {
            rewrite_by_lua 'ngx.ctx.a = 1';
            access_by_lua "ngx.ctx.b = 2";
            content_by_lua '
                ngx.say(\'hi\')
            ';
            log_by_lua 'print(1)';
        }
    }
}`))
	require.NoError(t, err)
	assert.Equal(t, "x = 1", cfg.HTTP.InitByLua.Source)
	loc := cfg.HTTP.Servers[0].Locations[0]
	require.NotNil(t, loc.Content)
	assert.Equal(t, LuaCode{Tag: "content_by_lua", Source: "\n                ngx.say('hi')\n            ",
		ChunkName: "=content_by_lua(nginx.conf:10)", File: "/p/nginx.conf", Line: 10}, *loc.Content)
	assert.Equal(t, "=rewrite_by_lua(nginx.conf:6)", loc.Rewrite.ChunkName)
	assert.Equal(t, "ngx.ctx.b = 2", loc.Access.Source)
	assert.Equal(t, "=log_by_lua(nginx.conf:11)", loc.Log.ChunkName)

	_, err = Parse("/p/nginx.conf", []byte(`events {}
http { server { location /t { content_by_lua 'a()'; content_by_lua_block { b() } } } }`))
	require.EqualError(t, err, `[emerg] "content_by_lua_block" directive is duplicate in /p/nginx.conf:2`)
}

func TestCoreFlags(t *testing.T) {
	cfg, err := Parse("/p/nginx.conf", []byte(`events {}
http {
    lua_http10_buffering off;
    server {
        absolute_redirect off;
        location /a { lua_use_default_type off; lua_transform_underscores_in_response_headers off; }
        location /b { lua_http10_buffering on; }
    }
}`))
	require.NoError(t, err)
	s := cfg.HTTP.Servers[0]
	a, b := s.Locations[0], s.Locations[1]
	assert.False(t, a.LuaHTTP10Buffering)
	assert.True(t, b.LuaHTTP10Buffering)
	assert.False(t, a.AbsoluteRedirect)
	assert.False(t, b.AbsoluteRedirect)
	assert.False(t, a.LuaUseDefaultType)
	assert.True(t, b.LuaUseDefaultType)
	assert.False(t, a.LuaTransformUnderscores)
	assert.True(t, b.LuaTransformUnderscores)
	assert.True(t, cfg.HTTP.AbsoluteRedirect)

	_, err = Parse("/p/nginx.conf", []byte("events {}\nhttp { lua_use_default_type maybe; }"))
	require.Error(t, err)
}

func TestOpenRestyTestConfig(t *testing.T) {
	src := []byte(openrestyTestConf)
	src = []byte(replaceOnce(string(src), "            root /tmp/t/servroot/html;\n            index index.html index.htm;\n", "            return 200 \"ok\\n\";\n"))
	cfg, err := Parse("/tmp/t/servroot/conf/nginx.conf", src)
	require.NoError(t, err)

	assert.Equal(t, "/tmp/t/servroot/conf", cfg.Prefix)
	assert.Equal(t, 1, cfg.Main.WorkerProcesses)
	assert.Equal(t, []ErrorLog{{Path: "/tmp/t/servroot/logs/error.log", Level: LogDebug}}, cfg.Main.ErrorLogs)
	assert.Equal(t, "/tmp/t/servroot/conf/logs/nginx.pid", cfg.Main.PID)
	assert.Equal(t, []Env{{Name: "MOCKEAGAIN_VERBOSE"}, {Name: "TEST_NGINX_USE_HUP", Value: "1", HasValue: true}}, cfg.Main.Env)
	assert.Equal(t, Events{WorkerConnections: 64, Use: "epoll"}, cfg.Events)

	h := cfg.HTTP
	require.NotNil(t, h)
	assert.Equal(t, 68*time.Second, h.KeepaliveTimeout)
	assert.Equal(t, "/t/lib/?.lua;;", h.LuaPackagePath)
	assert.Equal(t, "/t/lib/?.so;;", h.LuaPackageCPath)
	assert.Equal(t, "/tmp/t/servroot/client_body_temp", h.ClientBodyTempPath)
	require.NotNil(t, h.InitByLua)
	assert.Equal(t, "\n        require \"resty.core\"\n    ", h.InitByLua.Source)
	assert.Equal(t, "=init_by_lua(nginx.conf:28)", h.InitByLua.ChunkName)

	require.Len(t, h.Servers, 1)
	s := h.Servers[0]
	assert.Equal(t, []string{"0.0.0.0:1984"}, listenKeys(s))
	assert.Equal(t, "localhost", s.Names[0].Name)
	assert.Equal(t, int64(30<<20), s.ClientMaxBodySize)
	assert.Equal(t, 68*time.Second, s.KeepaliveTimeout, "inherited from http")

	loc, caps := s.Match("/t")
	require.NotNil(t, loc)
	assert.Nil(t, caps)
	assert.Equal(t, MatchExact, loc.Match)
	require.NotNil(t, loc.Content)
	assert.Equal(t, LuaCode{
		Tag:       "content_by_lua",
		Source:    "\n                ngx.say(\"hi\")\n            ",
		ChunkName: "=content_by_lua(nginx.conf:38)",
		File:      "/tmp/t/servroot/conf/nginx.conf",
		Line:      38,
	}, *loc.Content)
	assert.Equal(t, int64(30<<20), loc.ClientMaxBodySize, "inherited from server")
	assert.Equal(t, []AccessLog{{Path: "/tmp/t/servroot/conf/logs/access.log", Format: "combined"}}, loc.AccessLogs)

	root, _ := s.Match("/index.html")
	require.NotNil(t, root)
	assert.Equal(t, &Return{Code: 200, Text: "ok\n", HasText: true, File: "/tmp/t/servroot/conf/nginx.conf", Line: 44}, root.Return)
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	panic("replaceOnce: not found")
}

func listenKeys(s *Server) []string {
	var out []string
	for _, l := range s.Listens {
		out = append(out, l.Key())
	}
	return out
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse("/p/conf/nginx.conf", []byte("events {}\nhttp { server { location / { } } }"))
	require.NoError(t, err)
	assert.Equal(t, Main{
		WorkerProcesses: 1,
		ErrorLogs:       []ErrorLog{{Path: "/p/conf/logs/error.log", Level: LogError}},
		PID:             "/p/conf/logs/nginx.pid",
	}, cfg.Main)
	assert.Equal(t, Events{WorkerConnections: 512}, cfg.Events)
	loc := cfg.HTTP.Servers[0].Locations[0]
	assert.Equal(t, "text/plain", loc.DefaultType)
	assert.Equal(t, int64(1<<20), loc.ClientMaxBodySize)
	assert.Equal(t, int64(16<<10), loc.ClientBodyBufferSize)
	assert.Equal(t, 60*time.Second, loc.ClientBodyTimeout)
	assert.Equal(t, 75*time.Second, loc.KeepaliveTimeout)
	assert.Equal(t, time.Duration(0), loc.KeepaliveHeader)
	assert.Equal(t, 1000, loc.KeepaliveRequests)
	assert.Equal(t, 60*time.Second, loc.SendTimeout)
	assert.True(t, loc.LuaCodeCache)
	assert.Equal(t, "/p/conf/client_body_temp", loc.ClientBodyTempPath)
	assert.Equal(t, cfg.Main.ErrorLogs, loc.ErrorLogs)
	srv := cfg.HTTP.Servers[0]
	assert.Equal(t, int64(1<<10), srv.ClientHeaderBufferSize)
	assert.Equal(t, Buffers{Num: 4, Size: 8 << 10}, srv.LargeClientHeaderBuffers)
	assert.Equal(t, 60*time.Second, srv.ClientHeaderTimeout)
	assert.Equal(t, []string{"0.0.0.0:80"}, listenKeys(srv))
	assert.Equal(t, 511, srv.Listens[0].Backlog)
	assert.Equal(t, []ServerName{{Name: "", Kind: NameExact}}, srv.Names)
}

func TestNoHTTP(t *testing.T) {
	cfg, err := Parse("/p/nginx.conf", []byte("worker_processes auto;\nevents { }\n"))
	require.NoError(t, err)
	assert.Nil(t, cfg.HTTP)
	assert.Equal(t, runtime.NumCPU(), cfg.Main.WorkerProcesses)
	assert.True(t, cfg.Main.WorkerProcessesAuto)
}

func TestMerge(t *testing.T) {
	src := `events {}
http {
    default_type application/json;
    client_max_body_size 2m;
    keepalive_timeout 10s 5;
    lua_code_cache off;
    rewrite_by_lua_block { http_rewrite() }
    log_by_lua_block { http_log() }
    access_log logs/http.log;
    error_log stderr warn;
    client_header_timeout 5s;
    server {
        client_max_body_size 0;
        access_by_lua_file lua/access.lua;
        access_log off;
        large_client_header_buffers 8 16k;
        location /a {
            default_type text/html;
            rewrite_by_lua_block { a_rewrite() }
            location /a/b {
                lua_code_cache on;
                keepalive_requests 7;
                access_log logs/b.log combined;
            }
        }
        location /c {
            send_timeout 1s;
            client_body_timeout 2s;
            client_body_buffer_size 1k;
            client_body_temp_path /var/tmp 1 2;
            log_by_lua_file /abs/log.lua;
        }
    }
}
`
	cfg, err := Parse("/p/nginx.conf", []byte(src))
	require.NoError(t, err)
	h := cfg.HTTP
	srv := h.Servers[0]
	a, _ := srv.Match("/a/x")
	b, _ := srv.Match("/a/b/x")
	c, _ := srv.Match("/c")
	require.Equal(t, "/a", a.Pattern)
	require.Equal(t, "/a/b", b.Pattern)
	require.Equal(t, "/c", c.Pattern)

	tests := []struct {
		name string
		got  any
		want any
	}{
		{"http default_type", h.DefaultType, "application/json"},
		{"server inherits default_type", srv.DefaultType, "application/json"},
		{"location overrides default_type", a.DefaultType, "text/html"},
		{"nested inherits location default_type", b.DefaultType, "text/html"},
		{"c inherits server default_type", c.DefaultType, "application/json"},
		{"server overrides body size with 0", srv.ClientMaxBodySize, int64(0)},
		{"nested inherits 0", b.ClientMaxBodySize, int64(0)},
		{"keepalive inherited", b.KeepaliveTimeout, 10 * time.Second},
		{"keepalive header inherited", b.KeepaliveHeader, 5 * time.Second},
		{"code cache inherited off", a.LuaCodeCache, false},
		{"code cache nested on", b.LuaCodeCache, true},
		{"keepalive_requests nested", b.KeepaliveRequests, 7},
		{"keepalive_requests default", a.KeepaliveRequests, 1000},
		{"rewrite http", srv.Rewrite.Source, " http_rewrite() "},
		{"rewrite overridden", a.Rewrite.Source, " a_rewrite() "},
		{"rewrite inherited by nested", b.Rewrite.Source, " a_rewrite() "},
		{"rewrite inherited from http", c.Rewrite.Source, " http_rewrite() "},
		{"access file inherited", b.Access.Source, "/p/lua/access.lua"},
		{"access file chunk", b.Access.ChunkName, "@/p/lua/access.lua"},
		{"log http", a.Log.ChunkName, "=log_by_lua(nginx.conf:8)"},
		{"log file override", c.Log.Source, "/abs/log.lua"},
		{"access_log off in server", len(srv.AccessLogs), 0},
		{"access_log off inherited", len(a.AccessLogs), 0},
		{"access_log nested", b.AccessLogs, []AccessLog{{Path: "/p/logs/b.log", Format: "combined"}}},
		{"access_log http", h.AccessLogs, []AccessLog{{Path: "/p/logs/http.log", Format: "combined"}}},
		{"error_log inherited", b.ErrorLogs, []ErrorLog{{Stderr: true, Level: LogWarn}}},
		{"send_timeout", c.SendTimeout, time.Second},
		{"client_body_timeout", c.ClientBodyTimeout, 2 * time.Second},
		{"client_body_buffer_size", c.ClientBodyBufferSize, int64(1 << 10)},
		{"client_body_temp_path", c.ClientBodyTempPath, "/var/tmp"},
		{"header timeout inherited by server", srv.ClientHeaderTimeout, 5 * time.Second},
		{"large buffers server", srv.LargeClientHeaderBuffers, Buffers{Num: 8, Size: 16 << 10}},
		{"large buffers http default", h.LargeClientHeaderBuffers, Buffers{Num: 4, Size: 8 << 10}},
		{"content not inherited", b.Content == nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
}

func TestLuaFileVariables(t *testing.T) {
	cfg, err := Parse("/p/nginx.conf", []byte(`events {}
http { server { location / { content_by_lua_file lua/$uri.lua; } } }`))
	require.NoError(t, err)
	c := cfg.HTTP.Servers[0].Locations[0].Content
	assert.Equal(t, &LuaCode{Tag: "content_by_lua", Source: "lua/$uri.lua", IsFile: true, Dynamic: true,
		Parts:  []Part{{Kind: PartLiteral, Text: "lua/"}, {Kind: PartVar, Text: "uri"}, {Kind: PartLiteral, Text: ".lua"}},
		Prefix: "/p", File: "/p/nginx.conf", Line: 2}, c)
}

func TestLogFormat(t *testing.T) {
	cfg, err := Parse("/p/nginx.conf", []byte(`events {}
http {
    log_format main escape=json '$remote_addr - '
                    "$status" ' $body_bytes_sent';
    log_format plain $request;
    access_log logs/a.log main;
    access_log /var/log/$host.log plain;
}`))
	require.NoError(t, err)
	h := cfg.HTTP
	assert.Equal(t, &LogFormat{Name: "main", Escape: "json", Format: "$remote_addr - $status $body_bytes_sent"}, h.LogFormats["main"])
	assert.Equal(t, &LogFormat{Name: "plain", Escape: "default", Format: "$request"}, h.LogFormats["plain"])
	assert.Contains(t, h.LogFormats["combined"].Format, `"$request" $status`)
	assert.Equal(t, []AccessLog{
		{Path: "/p/logs/a.log", Format: "main"},
		{Path: "/var/log/$host.log", Format: "plain", Dynamic: true},
	}, h.AccessLogs)
}

func TestListen(t *testing.T) {
	tests := []struct {
		arg  string
		want Listen
	}{
		{"80", Listen{Port: 80}},
		{"*:8080", Listen{Port: 8080}},
		{"0.0.0.0:81", Listen{Port: 81}},
		{"127.0.0.1", Listen{Host: "127.0.0.1", Port: 80}},
		{"127.0.0.1:1984 default_server reuseport backlog=1024", Listen{Host: "127.0.0.1", Port: 1984, DefaultServer: true, ReusePort: true, Backlog: 1024}},
		{"localhost:8000", Listen{Host: "localhost", Port: 8000}},
		{"[::]:80", Listen{IPv6: true, IPv6Only: true, Port: 80}},
		{"[::1]:8080 ipv6only=off", Listen{Host: "::1", IPv6: true, Port: 8080}},
		{"[::1]", Listen{Host: "::1", IPv6: true, IPv6Only: true, Port: 80}},
		{"unix:/tmp/x.sock", Listen{Unix: true, Path: "/tmp/x.sock"}},
		{"80 rcvbuf=8k sndbuf=1m bind deferred default", Listen{Port: 80, RcvBuf: 8 << 10, SndBuf: 1 << 20, Bind: true, Deferred: true, DefaultServer: true}},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			cfg, err := Parse("/p/nginx.conf", []byte("events {}\nhttp { server { listen "+tt.arg+"; } }"))
			require.NoError(t, err)
			got := cfg.HTTP.Servers[0].Listens[0]
			got.File, got.Line, got.optionsSet = "", 0, false
			want := tt.want
			if want.Backlog == 0 {
				want.Backlog = 511
			}
			if want.RcvBuf == 0 {
				want.RcvBuf = -1
			}
			if want.SndBuf == 0 {
				want.SndBuf = -1
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestListenKeyAndSockets(t *testing.T) {
	cfg, err := Parse("/p/nginx.conf", []byte(`events {}
http {
    server { listen 80; listen [::]:80; listen unix:/s; }
    server { listen *:80 default_server; listen 127.0.0.1:80 reuseport; }
}`))
	require.NoError(t, err)
	socks := cfg.HTTP.Sockets()
	var keys []string
	for _, s := range socks {
		keys = append(keys, s.Key())
	}
	assert.Equal(t, []string{"0.0.0.0:80", "[::]:80", "unix:/s", "127.0.0.1:80"}, keys)
	assert.True(t, socks[0].DefaultServer)
	assert.True(t, socks[3].ReusePort)
}

func TestChunkName(t *testing.T) {
	tests := []struct {
		name, tag, file, prefix string
		line                    int
		want                    string
	}{
		{"main file", "content_by_lua", "/x/conf/nginx.conf", "/x/conf", 40, "=content_by_lua(nginx.conf:40)"},
		{"any nginx.conf", "content_by_lua", "/elsewhere/nginx.conf", "/x/conf", 7, "=content_by_lua(nginx.conf:7)"},
		{"included relative", "rewrite_by_lua", "/x/conf/sites/a.conf", "/x/conf/", 3, "=rewrite_by_lua(sites/a.conf:3)"},
		{"outside prefix", "log_by_lua", "/other/a.conf", "/x/conf", 3, "=log_by_lua(/other/a.conf:3)"},
		{"truncated", "content_by_lua", "/x/conf/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.conf", "/x/conf", 12,
			"=content_by_lua(...aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.conf:12)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChunkName(tt.tag, tt.file, tt.prefix, tt.line)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, len(got), 60, "LuaJIT keeps at most 60 bytes")
		})
	}
}

func TestServerRewriteDirectives(t *testing.T) {
	cfg, err := Parse("/p/nginx.conf", []byte(`events {}
http { server {
    set $a 1;
    return 301 https://$host$request_uri;
    set $b "x${a}y";
    location /r { return https://example.com/; internal; }
    location /s { set $c $1; return 204; return 500; }
} }`))
	require.NoError(t, err)
	s := cfg.HTTP.Servers[0]
	require.NotNil(t, s.Return)
	assert.Equal(t, 301, s.Return.Code)
	assert.Equal(t, "https://$host$request_uri", s.Return.Text)
	assert.Equal(t, 1, s.Return.AfterSets)
	require.Len(t, s.Sets, 2)
	assert.Equal(t, "b", s.Sets[1].Var)
	assert.Equal(t, []Part{{Kind: PartLiteral, Text: "x"}, {Kind: PartVar, Text: "a"}, {Kind: PartLiteral, Text: "y"}}, s.Sets[1].Parts)
	r, _ := s.Match("/r")
	assert.Equal(t, 302, r.Return.Code)
	assert.Equal(t, "https://example.com/", r.Return.Text)
	assert.True(t, r.Internal)
	sl, _ := s.Match("/s")
	assert.Equal(t, 204, sl.Return.Code, "the first return wins")
	assert.False(t, sl.Return.HasText)
	assert.Equal(t, []Part{{Kind: PartCapture, N: 1}}, sl.Sets[0].Parts)
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	confDir := filepath.Join(dir, "conf")
	require.NoError(t, os.MkdirAll(confDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(confDir, "nginx.conf"), []byte("events {}\npid run/x.pid;\n"), 0o644))

	cfg, err := Load("conf/nginx.conf", dir)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(confDir, "nginx.conf"), cfg.File)
	assert.Equal(t, confDir, cfg.ConfPrefix)
	assert.Equal(t, filepath.Join(dir, "run/x.pid"), cfg.Main.PID)

	_, err = Load(filepath.Join(dir, "missing.conf"), dir)
	assert.EqualError(t, err, `[emerg] open() "`+filepath.Join(dir, "missing.conf")+`" failed (2: No such file or directory)`)
}
