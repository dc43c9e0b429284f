package ngx

import "testing"

// The rows were checked against the reference (nginx 1.22 + ngx_lua
// 0.10.23, lua-resty-core): same outputs, same errors.
func TestURIUtilities(t *testing.T) {
	h := newHarness(t, nil)
	runSpecs(t, h, []spec{
		{name: "escape_uri: a URI component by default", src: `ngx.say(ngx.escape_uri("a b/c?d=e&f#g~h!*'()é"))`,
			body: "a%20b%2Fc%3Fd%3De%26f%23g~h!*'()%C3%A9\n"},
		{name: "escape_uri: type 0 keeps the URI's own punctuation", src: `ngx.say(ngx.escape_uri("/a b?c#d%e&f", 0))`,
			body: "/a%20b%3Fc%23d%25e&f\n"},
		{name: "escape_uri: type 1 (args) also escapes +", src: `ngx.say(ngx.escape_uri("a+b&c", 1))`, body: "a%2Bb&c\n"},
		{name: "escape_uri: types 3-6", src: `ngx.say(ngx.escape_uri("<'\"%>", 3), " ", ngx.escape_uri("'\"%", 4), " ", ngx.escape_uri("a %\127", 5), " ", ngx.escape_uri("+ %", 6))`,
			body: "<%27%22%25> %27%22% a%20%25\x7f +%20%25\n"},
		{name: "escape_uri: nil and numbers", src: `ngx.say("[", ngx.escape_uri(nil), "] ", ngx.escape_uri(3.5))`, body: "[] 3.5\n"},
		{name: "escape_uri: bad types raise with the caller's position", src: `
			ngx.say(pcall(ngx.escape_uri, "a", "x"))
			ngx.say(pcall(ngx.escape_uri, "a", 7))`,
			body: "falsecontent_by_lua(nginx.conf:40):2: \"type\" is not a number\nfalsecontent_by_lua(nginx.conf:40):3: \"type\" 7 out of range\n"},
		{name: "unescape_uri: %XX and +, malformed escapes kept", src: `ngx.say(ngx.unescape_uri("a+b%20c%zz%4"), "|", ngx.unescape_uri(nil))`,
			body: "a b c%zz%4|\n"},
		{name: "encode_args: escaped pairs, true bare, false left out, arrays repeated", src: `
			ngx.say(ngx.encode_args({["x y"] = {1, true, false, "&"}}))
			ngx.say(ngx.encode_args({a = "b c"}))`,
			body: "x%20y=1&x%20y&x%20y=%26\na=b%20c\n"},
		{name: "encode_args: bad keys and values", src: `
			ngx.say(pcall(ngx.encode_args, {[1] = "a"}))
			ngx.say(pcall(ngx.encode_args, {a = {}}))
			ngx.say(pcall(ngx.encode_args, {a = print}))`,
			body: "falseattempt to use a non-string key in the \"args\" option table\ntrue\nfalseattempt to use function as query arg value\n"},
		{name: "decode_args: get_uri_args' decoding and limit", src: `
			local t, err = ngx.decode_args("a=1&b&a=2", 2)
			ngx.say(t.a[1], t.a[2], " ", t.b, " ", err)
			ngx.say(ngx.decode_args("a=%20")["a"], "|")`,
			body: "nilnil true truncated\n |\n"},
		{name: "quote_sql_str: MySQL quoting", src: `ngx.say(ngx.quote_sql_str("a'b\"c\\d\n\r\t\0\26e"))`,
			body: "'a\\'b\\\"c\\\\d\\n\\r\\t\\0\\Ze'\n"},
	})
}

func TestGetPhaseAndStartTime(t *testing.T) {
	h := newHarness(t, nil)
	runSpecs(t, h, []spec{
		{name: "get_phase in content", src: `ngx.say(ngx.get_phase())`, body: "content\n"},
		{name: "get_phase in rewrite", phase: inRewrite, src: `ngx.say(ngx.get_phase())`, body: "rewrite\n", result: exitWith(200)},
		{name: "start_time is the request's first byte, with ms", src: `ngx.say(string.format("%.3f", ngx.req.start_time()))`, body: "1700000000.123\n"},
	})
}
