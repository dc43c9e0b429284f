package main

import (
	"bufio"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/luring/luring/internal/testsrv"
)

// TestEchoHeadersMoreLua runs the echo and headers-more modules beside Lua
// in the real binary, with the order between them that the reference
// shows: headers-more's input commands run before rewrite_by_lua, its
// output commands before Lua sees the sent headers, echo's filters around
// whatever the content handler writes (Lua's included), and load_module
// lines of the built-in modules accepted with a notice.
func TestEchoHeadersMoreLua(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portModulesMix),
		Conf: config(portModulesMix, `
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
load_module /usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so;`, `
    more_set_headers 'X-Served-By: luring';`, `
        location = /lua {
            more_set_input_headers 'X-User: $arg_user';
            more_set_headers 'X-Phase: $echo_response_status' -s 201;
            more_clear_headers 'X-Secret*';
            echo_before_body "[$http_x_user]";
            echo_after_body "[done]";
            rewrite_by_lua_block { ngx.ctx.user = ngx.var.http_x_user }
            content_by_lua_block {
                ngx.status = 201
                ngx.header["X-Secret-Token"] = "t"
                ngx.header["X-Kept"] = "k"
                ngx.say("lua sees ", ngx.ctx.user)
                ngx.flush(true)
                ngx.say("lua again")
            }
        }
        location = /echo {
            echo_status 202;
            echo_before_body "before";
            echo "echo $arg_a";
            echo_sleep 0.01;
            echo_duplicate 2 ab;
            echo;
            more_set_headers 'Content-Type: text/x-echo';
        }
        location = /sleepy {
            echo start;
            echo_flush;
            echo_sleep 30;
            echo never;
        }`)})
	assert.Contains(t, s.ErrorLog(), `load_module "/usr/lib/nginx/modules/ngx_http_echo_module.so": the echo module is built into luring`)
	assert.Contains(t, s.ErrorLog(), `the headers-more module is built into luring`)

	res := s.Get("/lua?user=ann")
	assert.Equal(t, 201, res.Status)
	assert.Equal(t, "[ann]\nlua sees ann\nlua again\n[done]\n", res.Body)
	assert.Equal(t, "201", res.Header.Get("X-Phase"))
	assert.Equal(t, "luring", res.Header.Get("X-Served-By"))
	assert.Equal(t, "k", res.Header.Get("X-Kept"))
	assert.Empty(t, res.Header.Values("X-Secret-Token"))
	assert.Empty(t, res.Header.Values("Content-Length"), "echo's filters drop the length")

	res = s.Get("/echo?a=1")
	assert.Equal(t, 202, res.Status)
	assert.Equal(t, "before\necho 1\nabab\n", res.Body)
	assert.Equal(t, "text/x-echo", res.Header.Get("Content-Type"))
	assert.Equal(t, "luring", res.Header.Get("X-Served-By"))

	// echo_sleep waits on the loop: while one request sleeps (its head
	// already sent by echo_flush), the same single worker serves others.
	c := s.Dial()
	sendRequest(t, c, "/sleepy")
	status, _ := readResponseHead(t, bufio.NewReader(c))
	require.Equal(t, "HTTP/1.1 200 OK", status)
	for i := 0; i < 5; i++ {
		assert.Equal(t, "before\necho 2\nabab\n", s.Get("/echo?a=2").Body)
	}
}
