package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/luring/luring/internal/testsrv"
)

// slowLocations has /slow, whose handler sleeps 300 ms between two halves
// of its body, and /v, which says the text version.
func slowLocations(version string) string {
	return fmt.Sprintf(`
        location = /slow {
            content_by_lua_block {
                ngx.say("first half")
                ngx.flush(true)
                ngx.sleep(0.3)
                ngx.say("second half")
            }
        }
        location = /v {
            content_by_lua_block { ngx.say(%q) }
        }`, version)
}

// sendRequest writes a GET of path on c.
func sendRequest(t *testing.T, c net.Conn, path string) {
	t.Helper()
	_, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path)
	require.NoError(t, err)
}

// readResponse reads one response from r and returns its status line,
// headers (lower-cased names) and body (Content-Length or chunked).
func readResponse(t *testing.T, r *bufio.Reader) (string, map[string]string, string) {
	t.Helper()
	status, hdr := readResponseHead(t, r)
	var body strings.Builder
	if hdr["transfer-encoding"] == "chunked" {
		for {
			line, err := r.ReadString('\n')
			require.NoError(t, err)
			var n int
			_, err = fmt.Sscanf(strings.TrimSpace(line), "%x", &n)
			require.NoError(t, err)
			buf := make([]byte, n+2)
			_, err = io.ReadFull(r, buf)
			require.NoError(t, err)
			if n == 0 {
				break
			}
			body.Write(buf[:n])
		}
	} else if cl := hdr["content-length"]; cl != "" {
		var n int
		_, err := fmt.Sscanf(cl, "%d", &n)
		require.NoError(t, err)
		buf := make([]byte, n)
		_, err = io.ReadFull(r, buf)
		require.NoError(t, err)
		body.Write(buf)
	}
	return status, hdr, body.String()
}

// assertClosed asserts the peer closes c (EOF) before the deadline.
func assertClosed(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(testsrv.ExitTimeout))
	var b [1]byte
	_, err := c.Read(b[:])
	assert.ErrorIs(t, err, io.EOF)
}

func TestFastStop(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		port int
	}{{syscall.SIGTERM, portTerm}, {syscall.SIGINT, portInt}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			s := testsrv.Start(t, testsrv.Options{Addr: addr(tc.port),
				Conf: config(tc.port, "worker_processes 2;", "", slowLocations("v1"))})
			c := s.Dial()
			sendRequest(t, c, "/slow")
			r := bufio.NewReader(c)
			line, err := r.ReadString('\n')
			require.NoError(t, err)
			assert.Equal(t, "HTTP/1.1 200 OK\r\n", line)
			s.Signal(tc.sig)
			assert.Equal(t, 0, s.Wait())
			assert.NoFileExists(t, s.PidFile())
			assert.Contains(t, s.ErrorLog(), fmt.Sprintf("signal %d (%s) received, exiting", int(tc.sig), sigNames[tc.sig]))
			// The request in flight was cut: the second half never came.
			rest, _ := io.ReadAll(r)
			assert.NotContains(t, string(rest), "second half")
		})
	}
}

var sigNames = map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT", syscall.SIGHUP: "SIGHUP"}

func TestGracefulQuit(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portQuit), Conf: config(portQuit, "", "", slowLocations("v1"))})

	idle := s.Dial()
	sendRequest(t, idle, "/v")
	idleR := bufio.NewReader(idle)
	_, _, body := readResponse(t, idleR)
	require.Equal(t, "v1\n", body)

	busy := s.Dial()
	sendRequest(t, busy, "/slow")
	busyR := bufio.NewReader(busy)
	status, _ := readResponseHead(t, busyR)
	require.Equal(t, "HTTP/1.1 200 OK", status)

	s.Signal(syscall.SIGQUIT)
	// The idle keep-alive connection is closed at once, the busy one gets
	// its whole body.
	assertClosed(t, idle)
	rest, err := io.ReadAll(busyR)
	require.NoError(t, err)
	assert.Contains(t, string(rest), "first half\n")
	assert.Contains(t, string(rest), "second half\n")
	assert.Equal(t, 0, s.Wait())
	assert.NoFileExists(t, s.PidFile())
	assert.Contains(t, s.ErrorLog(), "signal 3 (SIGQUIT) received, shutting down")
}

// readResponseHead reads a status line (without CRLF) and the headers
// (lower-cased names) only.
func readResponseHead(t *testing.T, r *bufio.Reader) (string, map[string]string) {
	t.Helper()
	status, err := r.ReadString('\n')
	require.NoError(t, err)
	hdr := map[string]string{}
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		hdr[strings.ToLower(k)] = strings.TrimSpace(v)
	}
	return strings.TrimRight(status, "\r\n"), hdr
}

func TestReload(t *testing.T) {
	text := config(portReload, "worker_processes 2;", "", slowLocations("v1"))
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portReload), Conf: text})
	require.Equal(t, "v1\n", s.Get("/v").Body)

	busy := s.Dial()
	sendRequest(t, busy, "/slow")
	busyR := bufio.NewReader(busy)
	status, _ := readResponseHead(t, busyR)
	require.Equal(t, "HTTP/1.1 200 OK", status)

	s.WriteFile("conf/nginx.conf", strings.Replace(text, `"v1"`, `"v2"`, 1))
	s.Signal(syscall.SIGHUP)
	// Once the reload is logged done, the old workers have closed their
	// listeners: every new connection reaches a new worker.
	s.WaitLog(`reconfigured: 2 worker\(s\)`, testsrv.ExitTimeout)
	for i := 0; i < 20; i++ {
		assert.Equal(t, "v2\n", s.Get("/v").Body)
	}
	rest, err := io.ReadAll(busyR)
	require.NoError(t, err)
	assert.Contains(t, string(rest), "second half\n")
	assert.Contains(t, s.ErrorLog(), "signal 1 (SIGHUP) received, reconfiguring")
	assert.FileExists(t, s.PidFile())
}

func TestReloadInvalid(t *testing.T) {
	text := config(portReloadBad, "", "", slowLocations("v1"))
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portReloadBad), Conf: text})
	bad := strings.Replace(text, "access_log off;", "access_log off;\n    foo;", 1)
	s.WriteFile("conf/nginx.conf", bad)
	s.Signal(syscall.SIGHUP)
	got := s.WaitLog(`\[emerg\] \d+#0: unknown directive "foo" in [^\n]*`, testsrv.ExitTimeout)
	assert.Contains(t, got, fmt.Sprintf(" in %s:%d", s.Conf, lineOf(bad, "foo;")))
	s.WaitLog(`reload failed, the old configuration keeps serving`, testsrv.ExitTimeout)
	for i := 0; i < 5; i++ {
		assert.Equal(t, "v1\n", s.Get("/v").Body)
	}

	// A Lua syntax error is caught before any worker starts too.
	s.WriteFile("conf/nginx.conf", strings.Replace(text, `ngx.say("v1")`, `ngx.say("v2"`, 1))
	s.Signal(syscall.SIGHUP)
	s.WaitLog(`failed to load inlined Lua code`, testsrv.ExitTimeout)
	assert.Equal(t, "v1\n", s.Get("/v").Body)
	assert.False(t, s.Exited())
}

func TestControlFlag(t *testing.T) {
	text := config(portControl, "", "", slowLocations("v1"))
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portControl), Conf: text})

	s.WriteFile("conf/nginx.conf", strings.Replace(text, `"v1"`, `"v2"`, 1))
	res := s.Control("reload")
	require.Equal(t, 0, res.Code, res.Output)
	s.WaitLog(`reconfigured`, testsrv.ExitTimeout)
	require.True(t, testsrv.Until(testsrv.ExitTimeout, func() bool { return s.Get("/v").Body == "v2\n" }))

	res = s.Control("reopen")
	require.Equal(t, 0, res.Code, res.Output)
	s.WaitLog(`signal 10 \(SIGUSR1\) received, reopening logs`, testsrv.ExitTimeout)

	res = s.Control("quit")
	require.Equal(t, 0, res.Code, res.Output)
	assert.Equal(t, 0, s.Wait())
	assert.NoFileExists(t, s.PidFile())

	// No process any more: nginx's wording, exit 1.
	res = s.Control("stop")
	assert.Equal(t, 1, res.Code)
	assert.Equal(t, fmt.Sprintf("luring: [error] open() %q failed (2: No such file or directory)\n", s.PidFile()), res.Output)
}

func TestControlStop(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portControl), Conf: config(portControl, "", "", slowLocations("v1"))})
	res := s.Control("stop")
	require.Equal(t, 0, res.Code, res.Output)
	assert.Equal(t, 0, s.Wait())
	assert.NoFileExists(t, s.PidFile())
	assert.Contains(t, s.ErrorLog(), "signal 15 (SIGTERM) received, exiting")
}

func TestReopen(t *testing.T) {
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portReopen), Conf: config(portReopen, "", "", slowLocations("v1"))})
	require.NoError(t, os.Rename(s.Path("logs/error.log"), s.Path("logs/error.log.1")))
	s.Signal(syscall.SIGUSR1)
	// The notice goes to the renamed file (still open), lines after it to
	// the new one.
	require.True(t, testsrv.Until(testsrv.ExitTimeout, func() bool {
		return strings.Contains(s.ReadFile("logs/error.log.1"), "reopening logs")
	}), s.ReadFile("logs/error.log.1"))
	require.True(t, testsrv.Until(testsrv.ExitTimeout, func() bool {
		_, err := os.Stat(s.Path("logs/error.log"))
		return err == nil
	}))
	s.Signal(syscall.SIGQUIT)
	assert.Equal(t, 0, s.Wait())
	assert.Contains(t, s.ReadFile("logs/error.log"), "received, shutting down")
	assert.NotContains(t, s.ReadFile("logs/error.log.1"), "shutting down")
}

func TestReloadErrorLogChange(t *testing.T) {
	text := config(portReloadLog, "", "", slowLocations("v1"))
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portReloadLog), Conf: text})
	s.WriteFile("conf/nginx.conf", strings.Replace(strings.Replace(text,
		"logs/error.log", "logs2/other.log", 1), `ngx.say("v1")`, `ngx.log(ngx.ERR, "from v2") ngx.say("v2")`, 1))
	s.Signal(syscall.SIGHUP)
	require.True(t, testsrv.Until(testsrv.ExitTimeout, func() bool {
		return strings.Contains(s.ReadFile("logs2/other.log"), "reconfigured")
	}), s.ReadFile("logs2/other.log"))
	require.Equal(t, "v2\n", s.Get("/v").Body)
	require.True(t, testsrv.Until(testsrv.ExitTimeout, func() bool {
		return strings.Contains(s.ReadFile("logs2/other.log"), "from v2")
	}), s.ReadFile("logs2/other.log"))
	assert.Contains(t, s.ReadFile("logs2/other.log"), "reconfigured")
	assert.NotContains(t, s.ErrorLog(), "from v2")
	s.Signal(syscall.SIGTERM)
	assert.Equal(t, 0, s.Wait())
	assert.Contains(t, s.ReadFile("logs2/other.log"), "signal 15 (SIGTERM) received, exiting")
}
