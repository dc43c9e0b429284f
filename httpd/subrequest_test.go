package httpd

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// subConf: /main issues subrequests (its fake handler says which), the
// other locations answer them.
const subConf = `
access_log off;
server {
    listen 8080;
    location = /main { content_by_lua_block { main } }
    location = /ret { internal; add_header X-Sub $request_method; return 200 "ret $args\n"; }
    location = /body { content_by_lua_block { body } }
    location = /wait { content_by_lua_block { wait } }
    location = /deep { content_by_lua_block { deep } }
    location = /close { return 444; }
    location = /denied { return 403; }
}`

// subRunner is a fake runner whose main handler issues subrequests (o) and
// answers what came back.
func subRunner(subs func() []SubOptions) *fakeRunner {
	var r *fakeRunner
	r = newFakeRunner(map[string]handlerFunc{
		"main": func(x Exchange, _ Phase) PhaseResult {
			x.SetCtx("main")
			opts := subs()
			out := make([]string, len(opts))
			left := len(opts)
			for i, o := range opts {
				err := x.Subrequest(o, func(res *SubResult) {
					var hs []string
					for _, h := range res.Headers {
						if h.Name == "X-Sub" {
							hs = append(hs, h.Value)
						}
					}
					out[i] = strings.Join([]string{strconv.Itoa(res.Status), strings.Join(hs, ","), string(res.Body)}, "|")
					left--
					if left == 0 {
						_ = x.WriteString(strings.Join(out, "") + "\n")
						x.Resume(PhaseResult{})
					}
				})
				if err != nil {
					_ = x.WriteString("error: " + err.Error())
					return PhaseResult{}
				}
			}
			return PhaseResult{Outcome: Pending}
		},
		"body": func(x Exchange, _ Phase) PhaseResult {
			x.ReadBody(func(body []byte, err error) {
				_ = x.WriteString(x.Method() + " " + string(body) + " sub=" + boolString(x.IsSubrequest()))
				x.Resume(PhaseResult{})
			})
			return PhaseResult{Outcome: Pending}
		},
		"wait": func(x Exchange, _ Phase) PhaseResult {
			x.SetCtx("waiting") // so that Done is called for it too
			return PhaseResult{Outcome: Pending}
		},
		"deep": func(x Exchange, _ Phase) PhaseResult {
			err := x.Subrequest(SubOptions{URI: "/deep"}, func(res *SubResult) {
				_ = x.WriteString(string(res.Body))
				x.Resume(PhaseResult{})
			})
			if err != nil {
				_ = x.WriteString("depth reached")
				return PhaseResult{}
			}
			return PhaseResult{Outcome: Pending}
		},
	})
	return r
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestSubrequests(t *testing.T) {
	var subs []SubOptions
	ts := startServer(t, subConf, subRunner(func() []SubOptions { return subs }))
	rows := []struct {
		name string
		subs []SubOptions
		req  string
		want string
	}{
		{"an internal location, its headers and args", []SubOptions{{URI: "/ret", Args: "a=1"}},
			"GET /main HTTP/1.1\r\nHost: a\r\n\r\n", "200|GET|ret a=1\n\n"},
		{"several at once, in order", []SubOptions{{URI: "/ret", Args: "n=1"}, {URI: "/nowhere"}, {URI: "/ret", Method: "HEAD"}},
			"GET /main HTTP/1.1\r\nHost: a\r\n\r\n", "200|GET|ret n=1\n404||200|HEAD|\n"},
		{"a body of its own, and the method", []SubOptions{{URI: "/body", Method: "POST", Body: []byte("hello"), HasBody: true}},
			"GET /main HTTP/1.1\r\nHost: a\r\n\r\n", "200||POST hello sub=true\n"},
		{"an error status comes without nginx's page, as ngx_lua takes it", []SubOptions{{URI: "/denied"}},
			"GET /main HTTP/1.1\r\nHost: a\r\n\r\n", "403||\n"},
		{"444 gives the status and no body", []SubOptions{{URI: "/close"}},
			"GET /main HTTP/1.1\r\nHost: a\r\n\r\n", "444||\n"},
		{"nesting stops at 50", []SubOptions{{URI: "/deep"}},
			"GET /main HTTP/1.1\r\nHost: a\r\n\r\n", "200||depth reached\n"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			ts.on(func() { subs = row.subs }) // the handler reads it on the loop
			c := ts.dial()
			c.send(row.req)
			r := c.read("GET")
			assert.Equal(t, 200, r.status)
			assert.Equal(t, row.want, r.body)
		})
	}
	assert.Contains(t, ts.elog.String(), `subrequests cycle while processing "/deep"`)
}

// TestSubrequestClientGone: the client leaves while a subrequest waits:
// the parent and the subrequest are both aborted and done, and the shadow
// session and its request state go back to their pools.
func TestSubrequestClientGone(t *testing.T) {
	runner := subRunner(func() []SubOptions { return []SubOptions{{URI: "/wait"}, {URI: "/wait"}} })
	ts := startServer(t, subConf, runner)
	c := ts.dial()
	c.send("GET /main HTTP/1.1\r\nHost: a\r\n\r\n")
	require.Eventually(t, func() bool {
		runner.mu.Lock()
		defer runner.mu.Unlock()
		return runner.runs == 3
	}, 5*time.Second, time.Millisecond)
	c.c.Close()
	require.Eventually(t, func() bool { return runner.abortCount() == 3 }, 5*time.Second, time.Millisecond, "parent and both subrequests aborted")
	var shadows, works int
	require.Eventually(t, func() bool {
		ts.on(func() { shadows, works = len(ts.srv.shadows), len(ts.srv.works) })
		return shadows == 2 && works == 3
	}, 5*time.Second, time.Millisecond, "shadows %d, works %d", shadows, works)
	runner.mu.Lock()
	assert.Equal(t, 3, runner.dones)
	runner.mu.Unlock()
}
