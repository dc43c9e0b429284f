package main

import (
	"bufio"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/luring/luring/internal/testsrv"
)

func TestServe(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portServe), Conf: config(portServe, "", "", `
        location = /hello {
            content_by_lua_block {
                ngx.say("hello, ", ngx.var.arg_name)
            }
        }`)})
	for i := 0; i < 2; i++ {
		res := s.Get("/hello?name=luring")
		assert.Equal(t, 200, res.Status)
		assert.Equal(t, "hello, luring\n", res.Body)
	}
	assert.Equal(t, 404, s.Get("/none").Status)
	if b := backendWanted(); b != "" {
		assert.Contains(t, s.ErrorLog(), "[notice] ")
		assert.Contains(t, s.ErrorLog(), " on "+b)
	}
}

// workerIDs requests /id on new connections until workers 0 and 1 of n
// both answered, or limit requests were made, and counts the answers.
func workerIDs(s *testsrv.Server, n, limit int) map[string]int {
	seen := map[string]int{}
	want0, want1 := fmt.Sprintf("0/%d", n), fmt.Sprintf("1/%d", n)
	for i := 0; i < limit && (seen[want0] == 0 || seen[want1] == 0); i++ {
		res := s.Get("/id")
		seen[strings.TrimSpace(res.Body)]++
	}
	return seen
}

const idLocation = `
        location = /id {
            content_by_lua_block {
                ngx.say(ngx.worker.id(), "/", ngx.worker.count())
            }
        }`

func TestWorkers(t *testing.T) {
	for _, tc := range []struct {
		name string
		port int
		n    string
		want int
	}{{"two", portWorkers2, "2", 2}, {"auto", portWorkersAuto, "auto", runtime.NumCPU()}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want < 2 {
				t.Skip("one CPU: worker_processes auto starts one worker")
			}
			s := testsrv.Start(t, testsrv.Options{Addr: addr(tc.port),
				Conf: config(tc.port, "worker_processes "+tc.n+";", "", idLocation)})
			// SO_REUSEPORT spreads connections by a hash of the client
			// port: 200 connections all on one worker would be a bug.
			seen := workerIDs(s, tc.want, 200)
			assert.Contains(t, seen, fmt.Sprintf("0/%d", tc.want), seen)
			assert.Contains(t, seen, fmt.Sprintf("1/%d", tc.want), seen)
			assert.Contains(t, s.ErrorLog(), fmt.Sprintf("started: %d worker(s)", tc.want))
		})
	}
}

func TestLuaRuntimeError(t *testing.T) {
	text := config(portLuaError, "", "", `
        location = /boom {
            content_by_lua_block {
                local x = 1
                error("boom")
            }
        }
        location = /ok {
            content_by_lua_block { ngx.say("ok") }
        }`)
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portLuaError), Conf: text})
	line := lineOf(text, "content_by_lua_block {\n                local")

	// One worker: the request after the failure is served by the worker
	// whose handler failed.
	res := s.Get("/boom")
	assert.Equal(t, 500, res.Status)
	assert.Equal(t, "text/html", res.Header.Get("Content-Type"))
	assert.Equal(t, errorPage500, res.Body)

	got := s.WaitLog(`\[error\] \d+#\d+: \*\d+ lua entry thread aborted: runtime error: [^\n]*`, 5*time.Second)
	assert.Contains(t, got, fmt.Sprintf("content_by_lua(nginx.conf:%d):3: boom", line))
	assert.Contains(t, s.ErrorLog(), "stack traceback:")
	assert.Regexp(t, regexp.MustCompile(`request: "GET /boom HTTP/1.1"`), s.ErrorLog())

	res = s.Get("/ok")
	assert.Equal(t, 200, res.Status)
	assert.Equal(t, "ok\n", res.Body)
	require.Equal(t, 200, s.Get("/ok").Status)
}

// errorPage500 is nginx's default 500 page with luring's signature.
const errorPage500 = "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n" +
	"<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n" +
	"<hr><center>luring</center>\r\n</body>\r\n</html>\r\n"

const sleepLocations = `
        location = /forever {
            content_by_lua_block {
                ngx.say("sleeping")
                ngx.flush(true)
                ngx.sleep(3600)
                ngx.say("woke")
            }
        }
        location = /fast {
            content_by_lua_block { ngx.say("fast ", ngx.worker.id()) }
        }`

func TestClientGoneDuringSleep(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portDisconnect), Conf: config(portDisconnect, "", "", sleepLocations)})
	for i := 0; i < 3; i++ {
		c := s.Dial()
		sendRequest(t, c, "/forever")
		status, _ := readResponseHead(t, bufio.NewReader(c))
		require.Equal(t, "HTTP/1.1 200 OK", status)
		c.Close()
		assert.Equal(t, "fast 0\n", s.Get("/fast").Body)
	}
	// Nothing is left behind: a graceful quit waits for requests in
	// flight, so it ends promptly only if the abandoned handlers were
	// dropped with their connections.
	s.Signal(syscall.SIGQUIT)
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("graceful quit waits for the requests of gone clients:\n%s", s.Output())
	}
	assert.Equal(t, 0, s.Wait())
}

func TestSleepersDoNotBlock(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portConcurrent), Conf: config(portConcurrent, "", "", sleepLocations)})
	var sleepers []*bufio.Reader
	for i := 0; i < 5; i++ {
		c := s.Dial()
		sendRequest(t, c, "/forever")
		r := bufio.NewReader(c)
		status, _ := readResponseHead(t, r)
		require.Equal(t, "HTTP/1.1 200 OK", status)
		sleepers = append(sleepers, r)
	}
	// One worker, five handlers asleep: others are served meanwhile.
	start := time.Now()
	for i := 0; i < 20; i++ {
		assert.Equal(t, "fast 0\n", s.Get("/fast").Body)
	}
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Len(t, sleepers, 5)
}
