package ngx

import "testing"

// Checked against the reference (t/022-redirect.t's behaviours).
func TestRedirect(t *testing.T) {
	h := newHarness(t, nil)
	runSpecs(t, h, []spec{
		{name: "302 by default, the URI as given", src: `ngx.redirect("/foo?a=1")`,
			result: exitWith(302), headers: map[string][]string{"Location": {"/foo?a=1"}}},
		{name: "301, 303, 307, 308", src: `ngx.redirect("http://x.com/", 301)`,
			result: exitWith(301), headers: map[string][]string{"Location": {"http://x.com/"}}},
		{name: "in rewrite", phase: inRewrite, src: `ngx.redirect("/y", ngx.HTTP_SEE_OTHER) ngx.say("unreachable")`, result: exitWith(303)},
		{name: "other statuses are refused", src: `ngx.say(pcall(ngx.redirect, "/x", 200))`,
			body: "falseonly ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed\n"},
		{name: "control bytes are refused", src: `ngx.say(pcall(ngx.redirect, "/x\r\nA: b"))`,
			body: "falseunsafe byte \"0x0d\" in redirect uri \"/x\\x0D\\x0AA: b\"\n"},
		{name: "after the headers", src: `ngx.send_headers() ngx.say(pcall(ngx.redirect, "/x"))`,
			body: "falseattempt to call ngx.redirect after sending out the headers\n"},
	})
}

// t/088-req-method.t: set_method takes the ngx.HTTP_* numbers.
func TestSetMethod(t *testing.T) {
	h := newHarness(t, nil)
	runSpecs(t, h, []spec{
		{name: "a method constant", src: `ngx.req.set_method(ngx.HTTP_PUT) ngx.say(ngx.req.get_method())`, body: "PUT\n"},
		{name: "bad numbers and types", src: `
			ngx.say(pcall(ngx.req.set_method, 3))
			ngx.say(pcall(ngx.req.set_method, "GET"))`,
			body: "falseunsupported HTTP method: 3\nfalsebad method number\n"},
	})
}
