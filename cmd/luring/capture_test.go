package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/luring/luring/internal/testsrv"
)

// ngx.location.capture and capture_multi against the binary: the
// behaviours t/020-subrequest.t and t/027-multi-capture.t pin, in this
// project's words.
const captureLocations = `
        location = /cap {
            content_by_lua_block {
                local res = ngx.location.capture("/sub?a=1", {args = {b = "x y"}})
                ngx.say(res.status, " [", res.body, "] ", type(res.header["X-Multi"]), " ",
                    table.concat(res.header["X-Multi"], ","), " ", res.header["Content-Length"], " ", tostring(res.truncated))
            }
        }
        location = /sub {
            internal;
            add_header X-Multi one;
            add_header X-Multi two;
            return 200 "sub $args";
        }
        location = /multi {
            content_by_lua_block {
                local t0 = ngx.now()
                local a, b, c = ngx.location.capture_multi({{"/sleep?t=0.2"}, {"/sleep?t=0.3"}, {"/sleep?t=0.1"}})
                ngx.say(a.body, b.body, c.body, ngx.now() - t0 < 0.55)
            }
        }
        location = /sleep {
            content_by_lua_block {
                ngx.sleep(tonumber(ngx.var.arg_t))
                ngx.print(ngx.var.arg_t, " ")
            }
        }
        location = /opts {
            content_by_lua_block {
                ngx.req.read_body()
                local r = ngx.location.capture("/echo", {method = ngx.HTTP_PUT, body = "own"})
                ngx.say(r.body)
                r = ngx.location.capture("/echo", {method = ngx.HTTP_POST})
                ngx.say(r.body)
                r = ngx.location.capture("/echo")
                ngx.say(r.body)
                r = ngx.location.capture("/echo", {always_forward_body = true})
                ngx.say(r.body)
                local ctx = {}
                ngx.location.capture("/ctx", {ctx = ctx})
                ngx.say(ctx.set, " ", ngx.ctx.set)
                for _, bad in ipairs({{method = "GET"}, {body = {}}, {args = true}, {ctx = 1}}) do
                    ngx.say(select(2, pcall(ngx.location.capture, "/echo", bad)))
                end
                ngx.say(select(2, pcall(ngx.location.capture_multi, {})))
                ngx.say(select(2, pcall(ngx.location.capture_multi, {"/echo"})))
                ngx.say(select(2, pcall(ngx.location.capture, "/../etc")))
            }
        }
        location = /echo {
            content_by_lua_block {
                ngx.req.read_body()
                ngx.print(ngx.req.get_method(), " ", ngx.req.get_body_data(), " ", ngx.is_subrequest, " ",
                    ngx.req.is_internal(), " ", select(2, pcall(ngx.req.socket)))
            }
        }
        location = /ctx {
            content_by_lua_block { ngx.ctx.set = "in sub" }
        }
        location = /vars {
            set $v parent;
            content_by_lua_block {
                local r = ngx.location.capture("/showvars", {vars = {v = "given"}})
                ngx.say(r.body)
                r = ngx.location.capture("/showvars", {copy_all_vars = true})
                ngx.say(r.body, " ", ngx.var.v)
                r = ngx.location.capture("/showvars", {share_all_vars = true})
                ngx.say(r.body, " ", ngx.var.v)
                r = ngx.location.capture("/showvars", {headers = {["X-H"] = "set"}})
                ngx.say(r.body, " ", tostring(ngx.var.http_x_h))
                ngx.say(select(2, pcall(ngx.location.capture, "/showvars", {vars = {nope = "x"}})))
            }
        }
        location = /showvars {
            content_by_lua_block {
                ngx.print(tostring(ngx.var.v), " ", tostring(ngx.var.http_x_h))
                ngx.var.v = "changed"
            }
        }
        location = /hdr {
            content_by_lua_block {
                ngx.req.set_header("X-A", "one")
                ngx.req.set_header("X-B", {"b1", "b2"})
                ngx.req.set_header("Foo", "new\nvalue")
                ngx.req.set_header("Host", "other.host")
                ngx.req.clear_header("User-Agent")
                ngx.req.set_header("X-Empty", "")
                local h = ngx.req.get_headers()
                ngx.say(h["x-a"], " ", table.concat(h["x-b"], ","), " ", h.foo, " ", ngx.var.host, " ", tostring(h["user-agent"]), " ", tostring(h["x-empty"]))
                local r = ngx.location.capture("/subhdr")
                ngx.say(r.body, " ", tostring(ngx.req.get_headers()["x-sub"]))
                ngx.say(pcall(ngx.req.set_header, nil, "x"))
            }
        }
        location = /subhdr {
            content_by_lua_block {
                ngx.req.set_header("X-Sub", "only here")
                ngx.print(ngx.var.http_x_a, " ", ngx.var.http_x_sub)
            }
        }
        location = /exec { content_by_lua_block { ngx.ctx.x = 1 ngx.exec("/target", {a = 1}) } }
        location = /target { internal; content_by_lua_block { ngx.say("target ", ngx.var.args, " ctx=", tostring(ngx.ctx.x), " ", ngx.req.is_internal(), " ", ngx.var.request_uri) } }
        location = /execnamed { rewrite_by_lua_block { ngx.exec("@named") } }
        location @named { echo "named $uri"; }
        location = /loop { content_by_lua_block { ngx.exec("/loop") } }
        location = /execsent { content_by_lua_block { ngx.say("x") ngx.flush(true) ngx.say(pcall(ngx.exec, "/target")) } }
        location = /ep404 { error_page 404 /epage; content_by_lua_block { ngx.exit(404) } }
        location = /epkeep { error_page 404 = /epage; content_by_lua_block { ngx.exit(404) } }
        location = /ep500 { error_page 500 =200 @fix; return 500; }
        location @fix { echo "fixed $uri"; }
        location = /epage { internal; content_by_lua_block { ngx.say("page ", ngx.var.uri, " ", ngx.status) } }
        location = /raw { content_by_lua_block { ngx.print(ngx.req.raw_header(), "|", ngx.req.raw_header(true), "|", ngx.location.capture("/rawsub").body) } }
        location = /rawsub { content_by_lua_block { ngx.print(#ngx.req.raw_header()) } }
        location = /seturi {
            rewrite_by_lua_block {
                ngx.req.set_uri_args({a = 1})
                ngx.req.set_uri("/newuri")
            }
            content_by_lua_block { ngx.say(ngx.var.uri, " ", ngx.var.args, " ", ngx.var.request_uri, " ", ngx.req.is_internal()) }
        }
        location = /jump {
            rewrite_by_lua_block { ngx.req.set_uri_args("x y") ngx.req.set_uri("/jumped", true) }
        }
        location = /jumped { content_by_lua_block { ngx.say("jumped ", ngx.var.args) } }
        location = /setmethod {
            content_by_lua_block {
                ngx.req.set_method(ngx.HTTP_POST)
                ngx.say(ngx.var.request_method, " ", pcall(ngx.req.set_uri, "/x", true))
                ngx.say(pcall(ngx.req.set_uri, ""))
                ngx.say(pcall(ngx.req.set_uri, "/a\1b"))
                ngx.say(pcall(ngx.req.set_uri_args, nil))
            }
        }
        location = /setlua {
            set $a 32;
            set_by_lua $sum 'return ngx.arg[1] + ngx.arg[2]' $a 10;
            set_by_lua_block $blk { ngx.ctx.x = "ctx" return ngx.get_phase() .. " " .. ngx.var.sum }
            set_by_lua $e 'local ok, e = pcall(ngx.sleep, 1) return e';
            content_by_lua_block { ngx.say(ngx.var.sum, " ", ngx.var.blk, " ", ngx.var.e, " ", ngx.ctx.x) }
        }
        location = /setfail { set_by_lua $x 'error("boom")'; return 200 "no"; }
        location = /echoexec { echo_exec /jumped "q=1"; echo never; }
        location = /echoexecnamed { echo_exec @named; }
        location = /hfilter {
            header_filter_by_lua_block {
                ngx.header["X-Filter"] = ngx.get_phase()
                ngx.header["X-Ctx"] = ngx.ctx.v
                ngx.header["X-Say"] = select(2, pcall(ngx.say, "x"))
                ngx.status = 201
            }
            content_by_lua_block { ngx.ctx.v = "fromcontent" ngx.say("body") }
        }
        location = /hfret {
            header_filter_by_lua 'ngx.header.content_type = "text/x-y"';
            return 200 "ret\n";
        }
        location = /main-flags {
            content_by_lua_block { ngx.say(ngx.is_subrequest, " ", ngx.req.is_internal()) }
        }
`

func TestCapture(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portCapture), Conf: config(portCapture, "", "", captureLocations)})
	assert.Equal(t, "200 [sub a=1&b=x%20y] table one,two 15 false\n", s.Get("/cap").Body)
	assert.Equal(t, "0.2 0.3 0.1 true\n", s.Get("/multi").Body, "capture_multi runs its subrequests at once")
	assert.Equal(t, "false false\n", s.Get("/main-flags").Body)
	assert.Equal(t, "42 set 42 API disabled in the context of set_by_lua* ctx\n", s.Get("/setlua").Body,
		"set_by_lua: ngx.arg, the return value, its own context, ngx.ctx shared with the handlers")
	assert.Equal(t, 500, s.Get("/setfail").Status)
	hres := s.Get("/hfilter")
	assert.Equal(t, 201, hres.Status, "header_filter_by_lua may set the status")
	assert.Equal(t, "header_filter", hres.Header.Get("X-Filter"))
	assert.Equal(t, "fromcontent", hres.Header.Get("X-Ctx"), "and sees the handler's ngx.ctx")
	assert.Equal(t, "API disabled in the context of header_filter_by_lua*", hres.Header.Get("X-Say"))
	assert.Equal(t, "body\n", hres.Body)
	hres = s.Get("/hfret")
	assert.Equal(t, "text/x-y", hres.Header.Get("Content-Type"))
	assert.Equal(t, "ret\n", hres.Body)
	assert.Equal(t, "jumped q=1\n", s.Get("/echoexec").Body)
	assert.Equal(t, "named /echoexecnamed\n", s.Get("/echoexecnamed").Body)
	assert.Equal(t, "/newuri a=1 /seturi true\n", s.Get("/seturi").Body, "set_uri without a jump keeps the location")
	assert.Equal(t, "jumped x%20y\n", s.Get("/jump").Body, "set_uri with a jump matches again, the args kept")
	assert.Equal(t, "POST falseAPI disabled in the context of content_by_lua*\n"+
		"falseattempt to use zero-length uri\n"+
		"falseunsafe byte \"0x01\" in uri \"/a\\x01b\" (maybe you want to set the 'binary' argument?)\n"+
		"falsebad argument #1 to '?' (string, number, or table expected, but got nil)\n", s.Get("/setmethod").Body)
	assert.Equal(t, "target a=1 ctx=nil true /exec\n", s.Get("/exec").Body, "ngx.exec: new URI and args, a fresh ctx, internal")
	assert.Equal(t, "named /execnamed\n", s.Get("/execnamed").Body)
	assert.Equal(t, 500, s.Get("/loop").Status)
	assert.Contains(t, s.ErrorLog(), `rewrite or internal redirection cycle while internally redirecting to "/loop"`)
	assert.Equal(t, "x\nfalseattempt to call ngx.exec after sending out response headers\n", s.Get("/execsent").Body)
	for path, want := range map[string]struct {
		status int
		body   string
	}{"/ep404": {404, "page /epage 404\n"}, "/epkeep": {404, "page /epage 404\n"}, "/ep500": {200, "fixed /ep500\n"}} {
		res := s.Get(path)
		assert.Equal(t, want.status, res.Status, path)
		assert.Equal(t, want.body, res.Body, path)
	}
	raw := exchange(t, s, "GET /raw HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\r\n", 1)[0].Body
	assert.Equal(t, "GET /raw HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\r\n|Host: a\r\nX-A: b\r\n\r\n|38", raw, "raw_header, in a subrequest the main request's")
	assert.Equal(t, "one b1,b2 new%0Avalue other.host nil nil\none only here nil\nfalsebad 'name' argument: string expected, got nil\n",
		s.Get("/hdr").Body, "t/028: set_header, clear_header; a subrequest's edits stay its own")
	assert.Equal(t, "given nil\nparent nil parent\nparent nil changed\nnil set nil\n"+
		`variable "nope" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set $nope '';" in the config file to define it first`+"\n",
		s.Get("/vars").Body)
	res := exchange(t, s, post("/opts", "parent"), 1)
	assert.Equal(t, "PUT own true true attempt to read the request body in a subrequest\n"+
		"POST parent true true attempt to read the request body in a subrequest\n"+
		"GET nil true true attempt to read the request body in a subrequest\n"+
		"GET parent true true attempt to read the request body in a subrequest\n"+
		"in sub nil\n"+
		"Bad http request method\nBad http request body\nBad args option value\n"+
		"Bad ctx option value type number, expected a Lua table\n"+
		"at least one subrequest should be specified\n"+
		"the query argument 0 is not a table, but a string\n"+
		"unsafe uri in argument #1: /../etc\n", res[0].Body)
}
