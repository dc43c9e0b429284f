package conf

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loc parses a server body and returns the location matching uri.
func loc(t *testing.T, body, uri string) *Location {
	t.Helper()
	cfg, err := Parse(testConf, []byte(srv(body)))
	require.NoError(t, err)
	l, _ := cfg.HTTP.Servers[0].Match(uri)
	require.NotNil(t, l)
	return l
}

func lit(s string) []Part { return []Part{{Kind: PartLiteral, Text: s}} }

// The option split of echo's ngx_http_echo_eval_cmd_args, made at load
// time (echo-nginx-module t/echo.t TEST 13-20, 26).
func TestEchoOptions(t *testing.T) {
	tests := []struct {
		name  string
		args  string
		opts  []string
		args2 [][]Part
		noNL  bool
	}{
		{"plain", `hello world`, nil, [][]Part{lit("hello"), lit("world")}, false},
		{"-n", `-n hello`, []string{"n"}, [][]Part{lit("hello")}, true},
		{"a -n (TEST 14)", `a -n hello`, nil, [][]Part{lit("a"), lit("-n"), lit("hello")}, false},
		{"-n in a var (TEST 15)", `$opt hello`, nil, [][]Part{{{Kind: PartVar, Text: "opt"}}, lit("hello")}, false},
		{"-n only (TEST 16)", `-n`, []string{"n"}, nil, true},
		{"-n empty (TEST 17)", `-n ""`, []string{"n"}, [][]Part{nil}, true},
		{"-- -n (TEST 18)", `-- -n hello`, nil, [][]Part{lit("-n"), lit("hello")}, false},
		{"-n -n (TEST 19)", `-n -n hello`, []string{"n", "n"}, [][]Part{lit("hello")}, true},
		{"-n -- -n (TEST 20)", `-n -- -n hello`, []string{"n"}, [][]Part{lit("-n"), lit("hello")}, true},
		{"first option counts", `-x -n hello`, []string{"x", "n"}, [][]Part{lit("hello")}, false},
		{"lone dash is an argument", `- x`, nil, [][]Part{lit("-"), lit("x")}, false},
		{"empty ends options", `"" -n`, nil, [][]Part{nil, lit("-n")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := loc(t, "location /e {\necho "+tt.args+";\n}", "/e")
			require.Len(t, l.Echo, 1)
			c := l.Echo[0]
			assert.Equal(t, EchoEcho, c.Op)
			assert.Equal(t, tt.opts, c.Opts)
			assert.Equal(t, tt.args2, c.Args)
			assert.Equal(t, tt.noNL, c.NoNewline())
			assert.Equal(t, HandlerEcho, l.Handler)
		})
	}
}

func TestEchoDirectives(t *testing.T) {
	l := loc(t, `location /e {
echo_before_body -n before;
echo_status 404;
echo_duplicate 3 ab;
echo_flush;
echo_sleep 0.5;
echo_blocking_sleep 0.1;
echo_reset_timer;
echo_read_request_body;
echo_request_body;
echo_foreach_split -- -a- $arg_list;
echo $echo_it;
echo_end;
echo_after_body after;
location /e/nested { }
}`, "/e")
	var ops []EchoOp
	for _, c := range l.Echo {
		ops = append(ops, c.Op)
	}
	assert.Equal(t, []EchoOp{EchoDuplicate, EchoFlush, EchoSleep, EchoBlockingSleep, EchoResetTimer,
		EchoReadRequestBody, EchoRequestBody, EchoForeachSplit, EchoEcho, EchoEnd}, ops)
	assert.Equal(t, [][]Part{lit("-a-"), {{Kind: PartVar, Text: "arg_list"}}}, l.Echo[7].Args)
	assert.Equal(t, 404, l.EchoStatus)
	require.Len(t, l.EchoBefore, 1)
	assert.True(t, l.EchoBefore[0].NoNewline())
	require.Len(t, l.EchoAfter, 1)
	assert.Equal(t, [][]Part{lit("after")}, l.EchoAfter[0].Args)

	n := l.Nested[0]
	assert.Empty(t, n.Echo, "content commands are not inherited")
	assert.Equal(t, HandlerStatic, n.Handler)
	assert.Len(t, n.EchoAfter, 1, "filters are inherited")
	assert.Equal(t, 404, n.EchoStatus)

	d := loc(t, "location /d { echo hi; }", "/d")
	assert.Equal(t, 200, d.EchoStatus, "echo_status default")
	assert.Empty(t, d.EchoBefore)
}

// The last content directive given decides the location's handler, as
// in nginx where each sets the location's handler.
func TestContentHandlerOrder(t *testing.T) {
	l := loc(t, "location /a { content_by_lua_block { } echo hi; }", "/a")
	assert.Equal(t, HandlerEcho, l.Handler)
	l = loc(t, "location /a { echo hi; content_by_lua_block { } }", "/a")
	assert.Equal(t, HandlerLua, l.Handler)
	l = loc(t, "location /a { echo hi; content_by_lua_block { } echo again; }", "/a")
	assert.Equal(t, HandlerLua, l.Handler, "only echo's first command sets the handler")
	l = loc(t, "location /a { }", "/a")
	assert.Equal(t, HandlerStatic, l.Handler)
}

func TestMoreHeaders(t *testing.T) {
	v := func(s string) []Part { p, _ := SplitVars(s); return p }
	tests := []struct {
		name string
		dir  string
		want MoreCmd
	}{
		{"one", `more_set_headers 'X-Foo: Blah';`, MoreCmd{Headers: []MoreHeader{{Key: "X-Foo", Value: lit("Blah")}}}},
		{"two and a missing semicolon (sanity.t TEST 3)", "more_set_headers 'X-Foo: Blah'\nmore_set_headers 'X-Bar: hi';",
			MoreCmd{Headers: []MoreHeader{{Key: "X-Foo", Value: lit("Blah")}, {Key: "more_set_headers"}, {Key: "X-Bar", Value: lit("hi")}}}},
		{"no colon", `more_set_headers 'content-type';`, MoreCmd{Headers: []MoreHeader{{Key: "content-type"}}}},
		{"space separator", `more_set_headers 'A  b c';`, MoreCmd{Headers: []MoreHeader{{Key: "A", Value: lit("b c")}}}},
		{"colons and spaces", `more_set_headers ' A:: : b';`, MoreCmd{Headers: []MoreHeader{{Key: "A", Value: lit("b")}}}},
		{"clear ignores value", `more_clear_headers 'Content-Type: blah';`, MoreCmd{Headers: []MoreHeader{{Key: "Content-Type"}}}},
		{"wildcard", `more_clear_headers 'X-Hidden-*';`, MoreCmd{Headers: []MoreHeader{{Key: "X-Hidden-", Wildcard: true}}}},
		{"variables in the value only (vars.t TEST 2)", `more_set_headers '$val: $val';`,
			MoreCmd{Headers: []MoreHeader{{Key: "$val", Value: v("$val")}}}},
		{"statuses", `more_set_headers -s ' 404  413 ' -s 500 'X: y';`,
			MoreCmd{Statuses: []int{404, 413, 500}, Headers: []MoreHeader{{Key: "X", Value: lit("y")}}}},
		{"types", `more_set_headers -t ' text/javascript  text/plain' -t 'text/html; charset=utf-8' 'X: y';`,
			MoreCmd{Types: []string{"text/javascript", "text/plain", "text/html", "charset=utf-8"}, Headers: []MoreHeader{{Key: "X", Value: lit("y")}}}},
		{"append", `more_set_headers -a 'Set-Cookie: a=b';`, MoreCmd{Headers: []MoreHeader{{Key: "Set-Cookie", Value: lit("a=b"), Append: true}}}},
		{"input replace", `more_set_input_headers -r 'X-Foo: howdy';`, MoreCmd{Input: true, Replace: true, Headers: []MoreHeader{{Key: "X-Foo", Value: lit("howdy")}}}},
		{"input types", `more_set_input_headers -t 'text/plain text/css' 'X-Blah:yay';`,
			MoreCmd{Input: true, Types: []string{"text/plain", "text/css"}, Headers: []MoreHeader{{Key: "X-Blah", Value: lit("yay")}}}},
		{"input clear several", `more_clear_input_headers R Q;`, MoreCmd{Input: true, Headers: []MoreHeader{{Key: "R"}, {Key: "Q"}}}},
		{"empty args skipped", `more_set_headers '' 'A: b';`, MoreCmd{Headers: []MoreHeader{{Key: "A", Value: lit("b")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := loc(t, "location /a {\n"+tt.dir+"\n}", "/a")
			require.Len(t, l.More, 1)
			got := l.More[0]
			got.Name, got.File, got.Line = "", "", 0
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMoreErrors(t *testing.T) {
	tests := []struct {
		dir, want string
	}{
		{`more_set_headers -x 'A: b';`, `more_set_headers: invalid option name: "-x"`},
		{`more_clear_headers -a 'A';`, `more_clear_headers: invalid option name: "-a"`},
		{`more_set_input_headers -s 200 'A: b';`, `more_set_input_headers: invalid option name: "-s"`},
		{`more_set_headers -r 'A: b';`, `more_set_headers: invalid option name: "-r"`},
		{`more_set_headers -s 4x0 'A: b';`, `more_set_headers: invalid digit "x" found in the status code list "4x0"`},
		{`more_set_headers 'A: b' -t;`, `more_set_headers: option -t takes an argument.`},
		{`more_set_headers 'A: b' -s;`, `more_set_headers: option -s takes an argument.`},
		{`more_set_headers ' : b';`, `more_set_headers: no key found in the header argument:  : b`},
		{`more_clear_headers '*';`, `more_clear_headers: wildcard key too short: *`},
		{`more_set_headers -a "Server: myServer";`, `more_set_headers: can not append builtin headers "Server"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Parse(testConf, []byte(srv("location /a {\n"+tt.dir+"\n}")))
			require.Error(t, err)
			assert.Equal(t, "[error] "+tt.want+" in /abs/conf/nginx.conf:5", err.Error())
		})
	}
}

// headers-more's merge: the enclosing levels' commands first, then the
// level's own (sanity.t TEST 27-30).
func TestMoreMerge(t *testing.T) {
	cfg, err := Parse(testConf, []byte(`events {}
http {
  more_set_headers 'H: 1';
  server {
    more_set_input_headers 'S: 2';
    location /a { more_set_headers 'L: 3'; location /a/b { } }
    location /c { }
  }
}`))
	require.NoError(t, err)
	keys := func(l *Location) (out []string) {
		for _, c := range l.More {
			out = append(out, c.Headers[0].Key)
		}
		return out
	}
	s := cfg.HTTP.Servers[0]
	a, _ := s.Match("/a")
	assert.Equal(t, []string{"H", "S", "L"}, keys(a))
	assert.True(t, a.MoreInput)
	assert.True(t, a.MoreOutput)
	b, _ := s.Match("/a/b")
	assert.Equal(t, []string{"H", "S", "L"}, keys(b))
	c, _ := s.Match("/c")
	assert.Equal(t, []string{"H", "S"}, keys(c))
	assert.False(t, cfg.HTTP.MoreInput)
	assert.True(t, cfg.HTTP.MoreOutput)
}

func TestAccessRules(t *testing.T) {
	l := loc(t, "location /a {\nallow 127.0.0.1;\nallow 10.1.2.3/8;\nallow ::1;\nallow unix:;\ndeny all;\n}", "/a")
	require.Len(t, l.AccessRules, 5)
	assert.Equal(t, netip.MustParsePrefix("127.0.0.1/32"), l.AccessRules[0].Prefix)
	assert.Equal(t, netip.MustParsePrefix("10.0.0.0/8"), l.AccessRules[1].Prefix)
	assert.True(t, l.AccessRules[3].Unix)
	assert.True(t, l.AccessRules[4].Deny && l.AccessRules[4].All)

	ip := netip.MustParseAddr
	assert.True(t, l.AccessRules[0].Matches(ip("127.0.0.1"), false))
	assert.True(t, l.AccessRules[0].Matches(ip("::ffff:127.0.0.1"), false), "v4-mapped")
	assert.False(t, l.AccessRules[0].Matches(ip("127.0.0.2"), false))
	assert.True(t, l.AccessRules[1].Matches(ip("10.200.0.1"), false))
	assert.True(t, l.AccessRules[2].Matches(ip("::1"), false))
	assert.False(t, l.AccessRules[2].Matches(netip.Addr{}, true))
	assert.True(t, l.AccessRules[3].Matches(netip.Addr{}, true))

	inherited := loc(t, "deny all;\nlocation /b { }\nlocation /c { allow all; }", "/b")
	require.Len(t, inherited.AccessRules, 1)
	own := loc(t, "deny all;\nlocation /b { }\nlocation /c { allow all; }", "/c")
	require.Len(t, own.AccessRules, 1)
	assert.False(t, own.AccessRules[0].Deny)

	_, err := Parse(testConf, []byte(srv("allow 1.2.3;")))
	require.EqualError(t, err, `[emerg] invalid parameter "1.2.3" in /abs/conf/nginx.conf:4`)
}

func TestLoadModule(t *testing.T) {
	cfg, err := Parse(testConf, []byte(`load_module modules/ngx_http_echo_module.so;
load_module /usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so;
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
events {}`))
	require.NoError(t, err)
	require.Len(t, cfg.Main.LoadModules, 4)
	assert.Equal(t, "echo", BuiltinModule(cfg.Main.LoadModules[0]))
	assert.Equal(t, "headers-more", BuiltinModule(cfg.Main.LoadModules[1]))

	_, err = Parse(testConf, []byte("load_module modules/ngx_http_geoip_module.so;\nevents {}"))
	require.EqualError(t, err, `[emerg] dynamic module "modules/ngx_http_geoip_module.so" is not built into luring in /abs/conf/nginx.conf:1`)
	_, err = Parse(testConf, []byte("events {}\nhttp { load_module x.so; }"))
	require.EqualError(t, err, `[emerg] "load_module" directive is not allowed here in /abs/conf/nginx.conf:2`)
}

func TestPostponeOutput(t *testing.T) {
	_, err := Parse(testConf, []byte(srv("postpone_output 1;")))
	require.NoError(t, err)
	_, err = Parse(testConf, []byte(srv("postpone_output x;")))
	require.EqualError(t, err, `[emerg] "postpone_output" directive invalid value in /abs/conf/nginx.conf:4`)
}
