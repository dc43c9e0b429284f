package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/luring/luring/internal/testsrv"
	"github.com/luring/luring/server"
)

func TestBuiltinConfig(t *testing.T) {
	// The built-in configuration listens on 127.0.0.1:8080; LURING_BIND
	// moves it into this package's port range.
	const port = 19721
	s := testsrv.Start(t, testsrv.Options{Addr: addr(port),
		Env: []string{"LURING_BIND=127.0.0.1:8080=" + addr(port)}})
	res := s.Get("/")
	assert.Equal(t, 200, res.Status)
	assert.Equal(t, "hello from luring\n", res.Body)

	res = s.Get("/status")
	assert.Equal(t, 200, res.Status)
	assert.Contains(t, res.Body, "version: "+server.Version+"\n")
	assert.Regexp(t, `backend: (io_uring|epoll)\n`, res.Body)
	if b := backendWanted(); b != "" {
		assert.Contains(t, res.Body, "backend: "+b+"\n")
	}
	assert.Contains(t, res.Body, "workers: 1\n")
	// The pid file is under the prefix, where -s looks for it.
	assert.FileExists(t, s.Path("logs/luring.pid"))
	assert.Contains(t, s.Stderr(), "started: 1 worker(s)")
	res2 := s.Control("stop")
	assert.Equal(t, 0, res2.Code, res2.Output)
	assert.Equal(t, 0, s.Wait())
}

func TestBadBind(t *testing.T) {
	dir := t.TempDir()
	cmdRes := execEnv(t, dir, []string{"LURING_BIND=nonsense"}, "-p", dir)
	assert.Equal(t, 1, cmdRes.Code)
	assert.Contains(t, cmdRes.Output, `luring: [emerg] LURING_BIND: "nonsense": want listen=address pairs`)
}

// execEnv is testsrv.Exec with more environment variables.
func execEnv(t *testing.T, dir string, env []string, args ...string) testsrv.Result {
	t.Helper()
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		t.Setenv(k, v)
	}
	return testsrv.Exec(t, dir, args...)
}

// errorLogLine is nginx's error-log line: date, time, [level], pid#tid:,
// *connection (optional), message.
var errorLogLine = regexp.MustCompile(`^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[(emerg|alert|crit|error|warn|notice|info|debug)\] (\d+)#(\d+): (\*\d+ )?\S`)

// combinedLine is a combined-format access-log line.
var combinedLine = regexp.MustCompile(`^127\.0\.0\.1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET (/\S*) HTTP/1\.1" (\d{3}) (\d+) "-" "([^"]*)"$`)

func TestLogFiles(t *testing.T) {
	text := strings.Replace(config(portLogs, "", "", `
        location = /a {
            content_by_lua_block {
                ngx.log(ngx.WARN, "warned")
                ngx.say("a")
            }
        }`), "access_log off;", "access_log logs/access.log;", 1)
	s := testsrv.Start(t, testsrv.Options{Addr: addr(portLogs), Conf: text})
	for i := 0; i < 3; i++ {
		require.Equal(t, 200, s.Get("/a").Status)
	}
	require.Equal(t, 404, s.Get("/missing").Status)
	require.True(t, testsrv.Until(5*time.Second, func() bool {
		return strings.Count(s.ReadFile("logs/access.log"), "\n") == 4
	}), s.ReadFile("logs/access.log"))

	lines := strings.Split(strings.TrimSuffix(s.ReadFile("logs/access.log"), "\n"), "\n")
	require.Len(t, lines, 4)
	for i, l := range lines {
		m := combinedLine.FindStringSubmatch(l)
		require.NotNil(t, m, "not combined format: %q", l)
		if i < 3 {
			assert.Equal(t, []string{"/a", "200", "2", "Go-http-client/1.1"}, m[1:])
		} else {
			assert.Equal(t, "/missing", m[1])
			assert.Equal(t, "404", m[2])
		}
	}

	warned := s.WaitLog(`[^\n]*warned[^\n]*`, 5*time.Second)
	m := errorLogLine.FindStringSubmatch(warned)
	require.NotNil(t, m, "not nginx's error-log format: %q", warned)
	assert.Equal(t, "warn", m[1])
	assert.Equal(t, fmt.Sprint(s.Pid()), m[2])
	assert.NotEmpty(t, m[4], "a request's line names its connection")
	assert.Contains(t, warned, `[lua] content_by_lua(nginx.conf:`)
	for _, l := range strings.Split(strings.TrimSuffix(s.ErrorLog(), "\n"), "\n") {
		if strings.HasPrefix(l, "stack traceback") || strings.HasPrefix(l, "\t") {
			continue
		}
		assert.Regexp(t, errorLogLine, l)
	}
}

func TestMissingLogDirs(t *testing.T) {
	// A fresh prefix without logs/: the directories of the pid file and
	// the logs are made.
	text := strings.Replace(config(portPidDir, "", "", idLocation), "access_log off;", "access_log var/access/a.log;", 1)
	text = strings.Replace(text, "pid logs/nginx.pid;", "pid run/sub/luring.pid;", 1)
	text = strings.Replace(text, "error_log logs/error.log info;", "error_log var/log/error.log info;", 1)
	s := testsrv.Prepare(t, testsrv.Options{Addr: addr(portPidDir), Conf: text,
		PidFile: "run/sub/luring.pid", ErrorLog: "var/log/error.log"})
	require.NoError(t, os.RemoveAll(s.Path("logs")))
	s.Launch()
	s.WaitReady()
	assert.Equal(t, 200, s.Get("/id").Status)
	assert.Contains(t, s.ErrorLog(), "started")
	s.Control("stop")
	assert.Equal(t, 0, s.Wait())
	assert.FileExists(t, s.Path("var/access/a.log"))
	assert.NoFileExists(t, s.PidFile())
}

func TestUnwritableErrorLog(t *testing.T) {
	text := strings.Replace(config(portPidDir, "", "", idLocation),
		"error_log logs/error.log info;", "error_log /proc/luring-no/error.log;", 1)
	s := testsrv.Prepare(t, testsrv.Options{Addr: addr(portPidDir), Conf: text})
	s.Launch()
	assert.Equal(t, 1, s.Wait())
	assert.Regexp(t, `luring: \[emerg\] (mkdir|open)\(\) "/proc/luring-no[^"]*" failed \(\d+: [^)]+\)`, s.Stderr())
	assert.False(t, portOpen(addr(portPidDir)))
}

func TestListenFailure(t *testing.T) {
	// A listen address the host does not have: exit 1 with the reason,
	// no pid file.
	text := strings.Replace(config(portWorkerFail, "worker_processes 2;", "", idLocation),
		"listen "+addr(portWorkerFail)+" reuseport;", "listen "+addr(portWorkerFail)+" reuseport;\n        listen 192.0.2.1:19722;", 1)
	s := testsrv.Prepare(t, testsrv.Options{Addr: addr(portWorkerFail), Conf: text})
	s.Launch()
	assert.Equal(t, 1, s.Wait())
	assert.Contains(t, s.Stderr(), "luring: [emerg] worker 0: ")
	assert.Contains(t, s.Stderr(), "cannot assign requested address")
	assert.NoFileExists(t, s.PidFile())
}

func TestSecondWorkerFails(t *testing.T) {
	// Each worker binds its own socket; for a unix socket the second bind
	// fails (EADDRINUSE). Worker 0 is running by then: it must be stopped
	// and the process exit, not hang.
	sock := t.TempDir() + "/luring.sock"
	text := strings.Replace(config(portWorkerFail, "worker_processes 2;", "", idLocation),
		"listen "+addr(portWorkerFail)+" reuseport;", "listen "+addr(portWorkerFail)+" reuseport;\n        listen unix:"+sock+";", 1)
	s := testsrv.Prepare(t, testsrv.Options{Addr: addr(portWorkerFail), Conf: text})
	s.Launch()
	started := func() bool { _, err := os.Stat(s.PidFile()); return err == nil }
	require.True(t, testsrv.Until(testsrv.ExitTimeout, func() bool { return s.Exited() || started() }),
		"luring hangs after worker 1 failed:\n%s", s.Output())
	if started() {
		t.Skip("both workers listen on one unix socket: nothing fails here")
	}
	assert.Equal(t, 1, s.Wait())
	assert.Contains(t, s.Stderr(), "luring: [emerg] worker 1: ")
	assert.NoFileExists(t, s.PidFile())
	assert.False(t, portOpen(addr(portWorkerFail)), "worker 0 still listens")
}

// LURING_SERVER_TOKEN replaces "luring" in the Server header and in the
// error pages' signature.
func TestServerTokenFromEnvironment(t *testing.T) {
	const port = 19726
	s := testsrv.Start(t, testsrv.Options{Addr: addr(port),
		Env: []string{"LURING_BIND=127.0.0.1:8080=" + addr(port), "LURING_SERVER_TOKEN=nginx"}})
	res := s.Get("/")
	assert.Equal(t, "nginx", res.Header.Get("Server"))
	res = s.Get("/no-such-page")
	assert.Equal(t, 404, res.Status)
	assert.Contains(t, res.Body, "<hr><center>nginx</center>")
	assert.Equal(t, 0, s.Control("stop").Code)
	assert.Equal(t, 0, s.Wait())
}
