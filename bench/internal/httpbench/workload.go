// Package httpbench runs the HTTP benchmark of luring against the reference
// (nginx with lua-nginx-module, "OpenResty" below): one generated nginx.conf
// per workload that both servers run, wrk as the load generator, CPU, RSS
// and idle keep-alive memory measured from /proc, results as JSON, a
// markdown table and plots.
//
// Place in the import graph: used by bench/cmd/httpbench; imports
// bench/internal/harness (CPU accounting) and gonum.org/v1/plot. It runs
// bin/luring, nginx, wrk and bench/cmd/http-backend as processes and imports
// no luring package.
package httpbench

import (
	"fmt"
	"strings"
)

// Workload is one request shape, served by one location of the generated
// configuration.
type Workload struct {
	Name     string // as in flags and tables: "hello"
	About    string // one line for the table's legend
	Path     string // request URI, query included
	Method   string // "GET" unless set
	Headers  map[string]string
	BodySize int    // request body bytes (POST)
	Expect   string // substring every probe response body must contain
	Backend  bool   // needs bench/cmd/http-backend; its port is {{BACKEND}}
	Location string // the location block(s); {{BACKEND}} is replaced
}

// bodyDelim ends the body-stream request body; the handler reads up to it
// with receiveuntil.
const bodyDelim = "\r\n--luring-bench-end--"

// MiB is the body-stream request size.
const MiB = 1 << 20

// Workloads are all workloads, in table order.
var Workloads = []Workload{
	{
		Name: "hello", About: "`content_by_lua_block { ngx.say(\"hello, world\") }`",
		Path: "/hello", Expect: "hello, world",
		Location: `
        location = /hello {
            content_by_lua_block {
                ngx.say("hello, world")
            }
        }`,
	},
	{
		Name:  "api",
		About: "query args (`ngx.var.arg_*`), request headers (`ngx.req.get_headers()`, `ngx.var.http_*`), `ngx.status`, response headers via `ngx.header`, a small JSON body",
		Path:  "/api?id=42&name=bench&page=3", Headers: map[string]string{"X-Token": "t0k3n", "Accept": "application/json"},
		Expect: `"id":"42"`,
		Location: `
        location = /api {
            content_by_lua_block {
                local h = ngx.req.get_headers()
                local id = ngx.var.arg_id
                ngx.status = 200
                ngx.header["Content-Type"] = "application/json"
                ngx.header["X-Request-Id"] = id
                ngx.header["Cache-Control"] = "no-store"
                ngx.say('{"id":"', id, '","name":"', ngx.var.arg_name,
                        '","page":', tonumber(ngx.var.arg_page) or 0,
                        ',"token":"', ngx.var.http_x_token or "",
                        '","accept":"', h["accept"] or "", '"}')
            }
        }`,
	},
	{
		Name: "echo", About: "`echo \"hello, world\";` (the echo module), no Lua",
		Path: "/echo", Expect: "hello, world",
		Location: `
        location = /echo {
            echo "hello, world";
        }`,
	},
	{
		Name: "static", About: "`return 200 \"hello, world\\n\";`, no Lua: the ceiling",
		Path: "/static", Expect: "hello, world",
		Location: `
        location = /static {
            return 200 "hello, world\n";
        }`,
	},
	{
		Name: "body-stream", About: "1 MiB POST read through `ngx.req.socket()` + `receiveuntil` of a boundary in 8 KiB chunks",
		Path: "/body", Method: "POST", BodySize: MiB, Expect: fmt.Sprint(MiB - len(bodyDelim)),
		Location: `
        location = /body {
            content_by_lua_block {
                local sock, err = ngx.req.socket()
                if not sock then
                    ngx.log(ngx.ERR, "req socket: ", err)
                    return ngx.exit(500)
                end
                local reader = sock:receiveuntil("` + luaEscape(bodyDelim) + `")
                local n = 0
                while true do
                    local data, err = reader(8192)
                    if not data then
                        if err then
                            ngx.log(ngx.ERR, "receiveuntil: ", err)
                            return ngx.exit(500)
                        end
                        break
                    end
                    n = n + #data
                end
                ngx.say(n)
            }
        }`,
	},
	{
		Name: "upstream-keepalive", About: "cosocket request to a local backend (bench/cmd/http-backend) per request, connection kept with `setkeepalive`",
		Path: "/upstream", Expect: "hello from backend", Backend: true,
		Location: `
        location = /upstream {
            content_by_lua_block {
                local sock = ngx.socket.tcp()
                sock:settimeout(5000)
                local ok, err = sock:connect("127.0.0.1", {{BACKEND}})
                if not ok then
                    ngx.log(ngx.ERR, "connect: ", err)
                    return ngx.exit(502)
                end
                local ok, err = sock:send("GET / HTTP/1.1\r\nHost: backend\r\n\r\n")
                if not ok then
                    ngx.log(ngx.ERR, "send: ", err)
                    return ngx.exit(502)
                end
                local len
                while true do
                    local line, err = sock:receive("*l")
                    if not line then
                        ngx.log(ngx.ERR, "receive header: ", err)
                        return ngx.exit(502)
                    end
                    if line == "" then
                        break
                    end
                    local v = line:match("^[Cc]ontent%-[Ll]ength:%s*(%d+)")
                    if v then
                        len = tonumber(v)
                    end
                end
                local body, err = sock:receive(len)
                if not body then
                    ngx.log(ngx.ERR, "receive body: ", err)
                    return ngx.exit(502)
                end
                sock:setkeepalive(60000, 512)
                ngx.print(body)
            }
        }`,
	},
	{
		Name: "capture", About: "`ngx.location.capture` of an internal location that returns a fixed body",
		Path: "/capture", Expect: "hello from subrequest",
		Location: `
        location = /capture {
            content_by_lua_block {
                local res = ngx.location.capture("/sub")
                if res.status ~= 200 then
                    return ngx.exit(500)
                end
                ngx.print(res.body)
            }
        }

        location = /sub {
            internal;
            return 200 "hello from subrequest\n";
        }`,
	},
}

// WorkloadByName returns the workload called name.
func WorkloadByName(name string) (Workload, bool) {
	for _, w := range Workloads {
		if w.Name == name {
			return w, true
		}
	}
	return Workload{}, false
}

// method returns the request method.
func (w Workload) method() string {
	if w.Method == "" {
		return "GET"
	}
	return w.Method
}

// Body returns the request body: BodySize bytes that end with the
// delimiter body-stream reads up to.
func (w Workload) Body() string {
	if w.BodySize == 0 {
		return ""
	}
	return strings.Repeat("x", w.BodySize-len(bodyDelim)) + bodyDelim
}

// luaEscape writes s as the inside of a double-quoted Lua string.
func luaEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", `\r`, "\n", `\n`)
	return r.Replace(s)
}

// ConfParams are the per-run values a configuration is generated with.
type ConfParams struct {
	Port        int  // the server's listening port on 127.0.0.1
	BackendPort int  // http-backend's port, for workloads with Backend
	Reference   bool // add the lines only nginx needs (lua_package_path)
}

// moduleHead loads the reference's dynamic modules. luring has them built
// in and accepts the same lines (with a notice), so both read them.
const moduleHead = `load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
`

// referencePackagePath makes resty.core, which the Debian lua module loads
// at start, findable.
const referencePackagePath = `    lua_package_path "/usr/share/lua/5.1/?.lua;;";
`

// Conf returns the nginx.conf for w. Both servers run the same text except
// for the reference-only lines. One process is one worker (master_process
// off), with room for the idle-connection test's 10,000 connections.
func (w Workload) Conf(p ConfParams) string {
	var b strings.Builder
	b.WriteString("# Generated by bench/cmd/httpbench, workload " + w.Name + ".\n")
	b.WriteString(moduleHead)
	b.WriteString(`daemon off;
master_process off;
worker_processes 1;
error_log logs/error.log warn;
pid logs/nginx.pid;

events {
    worker_connections 20000;
}

http {
`)
	if p.Reference {
		b.WriteString(referencePackagePath)
	}
	fmt.Fprintf(&b, `    access_log off;
    default_type text/plain;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    client_max_body_size 8m;
    client_body_buffer_size 1m;

    server {
        listen 127.0.0.1:%d reuseport;
        server_name localhost;
%s
    }
}
`, p.Port, strings.ReplaceAll(w.Location, "{{BACKEND}}", fmt.Sprint(p.BackendPort)))
	return b.String()
}
