package conf

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testConf = "/abs/conf/nginx.conf"

// srv wraps server-level lines in the minimal config around them; the
// server block's first inner line is line 4.
func srv(body string) string {
	return "events {}\nhttp {\n  server {\n" + body + "\n  }\n}\n"
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		// syntax (ngx_conf_read_token / ngx_conf_parse)
		{"unexpected close", "events {}\n}\n", `unexpected "}" in /abs/conf/nginx.conf:2`},
		{"unexpected semicolon", "events {}\n;", `unexpected ";" in /abs/conf/nginx.conf:2`},
		{"unexpected open", "events {}\n\n{", `unexpected "{" in /abs/conf/nginx.conf:3`},
		{"close after words", "events { a }", `unexpected "}" in /abs/conf/nginx.conf:1`},
		{"char after quote", "events {}\npid \"a\"b;", `unexpected "b" in /abs/conf/nginx.conf:2`},
		{"eof after words", "events {}\npid x", `unexpected end of file, expecting ";" or "}" in /abs/conf/nginx.conf:2`},
		{"eof in quotes", "events {}\npid \"x;\n", `unexpected end of file, expecting ";" or "}" in /abs/conf/nginx.conf:3`},
		{"eof in block", "events {}\nhttp {\n", `unexpected end of file, expecting "}" in /abs/conf/nginx.conf:3`},
		{"lua eof", "events {}\nhttp {\nserver {\nlocation / {\ncontent_by_lua_block {\n  local t = {\n\n", `unexpected end of file, expecting terminating characters for lua code block in /abs/conf/nginx.conf:6`},
		{"lua eof in string", srv("location / {\ncontent_by_lua_block {\n  ngx.say(\"}) }\n}\n"), `unexpected end of file, expecting terminating characters for lua code block in /abs/conf/nginx.conf:5`},
		{"lua long bracket", srv("location / {\ncontent_by_lua_block {\n  ngx.say([[hello\")\n}\n}"), `Lua code block missing the closing long bracket "]]", the inlined Lua code may be too long in /abs/conf/nginx.conf:6`},
		{"lua long comment level", srv("location / {\ncontent_by_lua_block { --[==[ ]] }\n}"), `Lua code block missing the closing long bracket "]==]", the inlined Lua code may be too long in /abs/conf/nginx.conf:5`},

		// ngx_conf_handler
		{"unknown directive", "events {}\nfoo bar;", `unknown directive "foo" in /abs/conf/nginx.conf:2`},
		{"unknown lua block", "events {}\nhttp { foo_lua_block { } }", `unknown directive "foo_lua_block" in /abs/conf/nginx.conf:2`},
		{"not supported", srv("location / {\nfastcgi_pass 127.0.0.1:9000;\n}"), `directive "fastcgi_pass" is not supported by luring yet in /abs/conf/nginx.conf:5`},
		{"not supported lua block", srv("location / {\nbody_filter_by_lua_block { ngx.arg[1] = 1 }\n}"), `directive "body_filter_by_lua_block" is not supported by luring yet in /abs/conf/nginx.conf:5`},
		{"not supported shared dict", "events {}\nhttp {\nlua_shared_dict d 1m;\n}", `directive "lua_shared_dict" is not supported by luring yet in /abs/conf/nginx.conf:3`},
		{"not supported upstream", "events {}\nhttp {\nupstream u {\n}\n}", `directive "upstream" is not supported by luring yet in /abs/conf/nginx.conf:3`},
		{"not supported if", srv("if ($a) {\n}"), `directive "if" is not supported by luring yet in /abs/conf/nginx.conf:4`},
		{"not supported lua_ssl", srv("lua_ssl_verify_depth 2;"), `directive "lua_ssl_verify_depth" is not supported by luring yet in /abs/conf/nginx.conf:4`},
		{"not allowed here", "events {}\nserver {\n}", `"server" directive is not allowed here in /abs/conf/nginx.conf:2`},
		{"content not allowed in server", srv("content_by_lua_block { }"), `"content_by_lua_block" directive is not allowed here in /abs/conf/nginx.conf:4`},
		{"listen not allowed in http", "events {}\nhttp {\nlisten 80;\n}", `"listen" directive is not allowed here in /abs/conf/nginx.conf:3`},
		{"not terminated", "events {}\nworker_processes 1 {", `directive "worker_processes" is not terminated by ";" in /abs/conf/nginx.conf:2`},
		{"no opening brace", "events;", `directive "events" has no opening "{" in /abs/conf/nginx.conf:1`},
		{"lua block without brace", srv("location / {\ncontent_by_lua_block;\n}"), `directive "content_by_lua_block" has no opening "{" in /abs/conf/nginx.conf:5`},
		{"arg count", "events {}\nworker_processes\n  1 2;", `invalid number of arguments in "worker_processes" directive in /abs/conf/nginx.conf:3`},
		{"arg count block", "events {}\nhttp x {\n}", `invalid number of arguments in "http" directive in /abs/conf/nginx.conf:2`},
		{"arg count lua block", srv("location / {\ncontent_by_lua_block x { }\n}"), `invalid number of arguments in "content_by_lua_block" directive in /abs/conf/nginx.conf:5`},
		{"include arg count", "include;", `invalid number of arguments in "include" directive in /abs/conf/nginx.conf:1`},
		{"no events", "worker_processes 1;", `no "events" section in configuration`},

		// setters
		{"duplicate", "events {}\nworker_processes 1;\nworker_processes 2;", `"worker_processes" directive is duplicate in /abs/conf/nginx.conf:3`},
		{"duplicate events", "events {}\nevents {}", `"events" directive is duplicate in /abs/conf/nginx.conf:2`},
		{"duplicate http", "events {}\nhttp {}\nhttp {}", `"http" directive is duplicate in /abs/conf/nginx.conf:3`},
		{"duplicate lua handler", srv("location / {\ncontent_by_lua_block { }\ncontent_by_lua_file x.lua;\n}"), `"content_by_lua_file" directive is duplicate in /abs/conf/nginx.conf:6`},
		{"duplicate lua block reported at its end", srv("rewrite_by_lua_block { }\nrewrite_by_lua_block {\n}"), `"rewrite_by_lua_block" directive is duplicate in /abs/conf/nginx.conf:6`},
		{"duplicate keepalive_timeout", srv("keepalive_timeout 1;\nkeepalive_timeout 2;"), `"keepalive_timeout" directive is duplicate in /abs/conf/nginx.conf:5`},
		{"invalid worker_processes", "events {}\nworker_processes x;", `"worker_processes" directive invalid value in /abs/conf/nginx.conf:2`},
		{"invalid keepalive_timeout", srv("keepalive_timeout x;"), `"keepalive_timeout" directive invalid value in /abs/conf/nginx.conf:4`},
		{"keepalive_timeout no years", srv("keepalive_timeout 1y;"), `"keepalive_timeout" directive invalid value in /abs/conf/nginx.conf:4`},
		{"invalid size", srv("client_max_body_size 1x;"), `"client_max_body_size" directive invalid value in /abs/conf/nginx.conf:4`},
		{"buffer size has no g", "events {}\nhttp { client_body_buffer_size 1g; }", `"client_body_buffer_size" directive invalid value in /abs/conf/nginx.conf:2`},
		{"invalid keepalive_requests", srv("keepalive_requests -1;"), `"keepalive_requests" directive invalid number in /abs/conf/nginx.conf:4`},
		{"invalid buffers", "events {}\nhttp { large_client_header_buffers 0 8k; }", `"large_client_header_buffers" directive invalid value in /abs/conf/nginx.conf:2`},
		{"invalid flag", srv("lua_code_cache maybe;"), `invalid value "maybe" in "lua_code_cache" directive, it must be "on" or "off" in /abs/conf/nginx.conf:4`},
		{"duplicate flag before its value", srv("lua_use_default_type on;\nlua_use_default_type maybe;"), `"lua_use_default_type" directive is duplicate in /abs/conf/nginx.conf:5`},
		{"invalid daemon flag", "daemon yes;\nevents {}", `invalid value "yes" in "daemon" directive, it must be "on" or "off" in /abs/conf/nginx.conf:1`},
		{"invalid worker_connections", "events { worker_connections lots; }", `invalid number "lots" in /abs/conf/nginx.conf:1`},
		{"invalid event type", "events {\nuse kqueue;\n}", `invalid event type "kqueue" in /abs/conf/nginx.conf:2`},
		{"invalid log level", "events {}\nerror_log logs/e.log loud;", `invalid log level "loud" in /abs/conf/nginx.conf:2`},
		{"unknown log format", "events {}\nhttp {\naccess_log logs/a.log main;\n}", `unknown log format "main" in /abs/conf/nginx.conf:3`},
		{"duplicate log format", "events {}\nhttp {\nlog_format combined x;\n}", `duplicate "log_format" name "combined" in /abs/conf/nginx.conf:3`},
		{"access_log off with params", srv("access_log off x;"), `invalid parameter "x" in /abs/conf/nginx.conf:4`},
		{"listen invalid port", srv("listen 70000;"), `invalid port in "70000" of the "listen" directive in /abs/conf/nginx.conf:4`},
		{"listen invalid port after host", srv("listen 127.0.0.1:x;"), `invalid port in "127.0.0.1:x" of the "listen" directive in /abs/conf/nginx.conf:4`},
		{"listen no host", srv("listen :80;"), `no host in ":80" of the "listen" directive in /abs/conf/nginx.conf:4`},
		{"listen bad ipv6", srv("listen [zz]:80;"), `invalid IPv6 address in "[zz]:80" of the "listen" directive in /abs/conf/nginx.conf:4`},
		{"listen no unix path", srv("listen unix:;"), `no path in the unix domain socket in "unix:" of the "listen" directive in /abs/conf/nginx.conf:4`},
		{"listen invalid parameter", srv("listen 80 fast;"), `invalid parameter "fast" in /abs/conf/nginx.conf:4`},
		{"listen invalid backlog", srv("listen 80 backlog=0;"), `invalid backlog "backlog=0" in /abs/conf/nginx.conf:4`},
		{"listen ssl unsupported", srv("listen 443 ssl;"), `the "ssl" parameter of the "listen" directive is not supported by luring yet in /abs/conf/nginx.conf:4`},
		{"listen duplicate", srv("listen 80;\nlisten *:80;"), `a duplicate listen 0.0.0.0:80 in /abs/conf/nginx.conf:5`},
		{"listen duplicate default", "events {}\nhttp {\nserver { listen 80 default_server; }\nserver {\nlisten 80 default_server;\n}\n}", `a duplicate default server for 0.0.0.0:80 in /abs/conf/nginx.conf:5`},
		{"listen duplicate options", "events {}\nhttp {\nserver { listen 80 backlog=10; }\nserver { listen 80 reuseport; }\n}", `duplicate listen options for 0.0.0.0:80 in /abs/conf/nginx.conf:4`},
		{"server name invalid", srv("server_name *x;"), `server name "*x" is invalid in /abs/conf/nginx.conf:4`},
		{"server name wildcard in middle", srv("server_name www.*.com;"), `invalid server name or wildcard "www.*.com" in /abs/conf/nginx.conf:4`},
		{"server name empty regex", srv("server_name ~;"), `empty regex in server name "~" in /abs/conf/nginx.conf:4`},
		{"server name bad regex", srv("server_name ~(a;"), `regex "(a" compilation failed: missing closing ): ` + "`(a`" + ` in /abs/conf/nginx.conf:4`},
		{"location bad modifier", srv("location ~~ /a {\n}"), `invalid location modifier "~~" in /abs/conf/nginx.conf:4`},
		{"location bad regex", srv("location ~ (?=x) {\n}"), "regex \"(?=x)\" compilation failed: invalid or unsupported Perl syntax: `(?=` in /abs/conf/nginx.conf:4"},
		{"location outside", srv("location /a {\nlocation /b {\n}\n}"), `location "/b" is outside location "/a" in /abs/conf/nginx.conf:5`},
		{"prefix inside regex must start with the regex text", srv("location ~ ^/re {\nlocation /re/x {\n}\n}"), `location "/re/x" is outside location "^/re" in /abs/conf/nginx.conf:5`},
		{"location inside exact", srv("location = /a {\nlocation /a/b {\n}\n}"), `location "/a/b" cannot be inside the exact location "/a" in /abs/conf/nginx.conf:5`},
		{"location inside named", srv("location @a {\nlocation /a {\n}\n}"), `location "/a" cannot be inside the named location "@a" in /abs/conf/nginx.conf:5`},
		{"named nested", srv("location /a {\nlocation @b {\n}\n}"), `named location "@b" can be on the server level only in /abs/conf/nginx.conf:5`},
		{"duplicate location", srv("location /a {\n}\nlocation ^~ /a\n{\n}"), `duplicate location "/a" in /abs/conf/nginx.conf:7`},
		{"return invalid code", srv("return abc;"), `invalid return code "abc" in /abs/conf/nginx.conf:4`},
		{"return code too big", srv("return 1000;"), `invalid return code "1000" in /abs/conf/nginx.conf:4`},
		{"set invalid variable", srv("set a b;"), `invalid variable name "a" in /abs/conf/nginx.conf:4`},
		{"set bad value", srv("set $a ${b;"), `the closing bracket in "b" variable is missing in /abs/conf/nginx.conf:4`},
		{"internal duplicate", srv("location / {\ninternal;\ninternal;\n}"), `"internal" directive is duplicate in /abs/conf/nginx.conf:6`},
		{"internal arg count", srv("location / {\ninternal x;\n}"), `invalid number of arguments in "internal" directive in /abs/conf/nginx.conf:5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(testConf, []byte(tt.src))
			require.Error(t, err)
			assert.Equal(t, "[emerg] "+tt.want, err.Error())
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, LevelEmerg, e.Level)
		})
	}
}

func TestErrorFields(t *testing.T) {
	_, err := Parse(testConf, []byte("events {}\n\nfoo;"))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, Error{Level: LevelEmerg, Msg: `unknown directive "foo"`, File: testConf, Line: 3}, *e)
}

func TestErrorOrderFollowsFile(t *testing.T) {
	// nginx handles directives as it reads them: the unknown directive on
	// line 2 is reported although the file is also broken further down.
	_, err := Parse(testConf, []byte("events {}\nfoo;\nhttp {\n"))
	require.EqualError(t, err, `[emerg] unknown directive "foo" in /abs/conf/nginx.conf:2`)
}
