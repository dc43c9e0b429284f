package server

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/internal/testsrv"
)

// Ports of this package's tests (cmd/luring uses 19700-19729).
const (
	portStats = 19730
	portBench = 19731
)

func TestLoadConfigBuiltinPrefix(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LoadConfig(dir, "")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "logs", "luring.pid"), cfg.Main.PID)
	assert.Equal(t, dir, cfg.Prefix)
	assert.NoError(t, TestConfig(cfg))
}

func TestConfFile(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	assert.Equal(t, "(built-in)", ConfFile("/p", ""))
	assert.Equal(t, "/p/conf/x.conf", ConfFile("/p", "conf/x.conf"))
	assert.Equal(t, "/abs/x.conf", ConfFile("/p", "/abs/x.conf"))
	assert.Equal(t, filepath.Join(wd, "x.conf"), ConfFile("", "x.conf"))
}

func TestLineLevel(t *testing.T) {
	for line, want := range map[string]conf.LogLevel{
		"2026/01/02 03:04:05 [warn] 1#0: x\n":      conf.LogWarn,
		"2026/01/02 03:04:05 [emerg] 1#0: [x]\n":   conf.LogEmerg,
		"2026/01/02 03:04:05 [debug] 1#0: *3 x\n":  conf.LogDebug,
		"2026/01/02 03:04:05 [] 1#0: ngx.STDERR\n": conf.LogStderr,
		"no brackets\n": conf.LogStderr,
	} {
		assert.Equal(t, want, lineLevel([]byte(line)), line)
	}
}

func TestErrorLogLevelsAndReopen(t *testing.T) {
	dir := t.TempDir()
	errPath := filepath.Join(dir, "a", "error.log")
	infoPath := filepath.Join(dir, "b", "info.log")
	el, err := openErrorLog([]conf.ErrorLog{{Path: errPath, Level: conf.LogError}, {Path: infoPath, Level: conf.LogInfo}})
	require.NoError(t, err)
	defer el.Close()
	el.Log(conf.LogError, 0, 0, "an error")
	el.Log(conf.LogInfo, 1, 7, "some info")
	el.Log(conf.LogDebug, 1, 7, "debugging")
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
	assert.Contains(t, read(errPath), "[error] ")
	assert.NotContains(t, read(errPath), "some info")
	assert.Contains(t, read(infoPath), "an error")
	assert.Contains(t, read(infoPath), "#1: *7 some info\n")
	assert.NotContains(t, read(infoPath), "debugging")

	require.NoError(t, os.Rename(errPath, errPath+".1"))
	require.NoError(t, el.Reopen())
	el.Log(conf.LogError, 0, 0, "after reopen")
	assert.Contains(t, read(errPath), "after reopen")
	assert.NotContains(t, read(errPath+".1"), "after reopen")
}

func TestOpenErrorLogFailure(t *testing.T) {
	_, err := openErrorLog([]conf.ErrorLog{{Path: "/proc/luring-no/x.log", Level: conf.LogError}})
	require.Error(t, err)
	assert.Regexp(t, `^(mkdir|open)\(\) "/proc/luring-no[^"]*" failed \(\d+: .+\)$`, err.Error())
}

func TestWritePidFailure(t *testing.T) {
	err := writePid("/proc/luring-no/x.pid")
	require.Error(t, err)
	assert.Regexp(t, `^(mkdir|open)\(\) "/proc/luring-no[^"]*" failed \(\d+: .+\)$`, err.Error())
}

func TestSendSignalNoPidFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "none.pid")
	err := SendSignal(p, "stop")
	assert.EqualError(t, err, fmt.Sprintf("open() %q failed (2: No such file or directory)", p))
	assert.ErrorIs(t, SendSignal(p, "bogus"), ErrBadSignal)
}

// TestNoLeakAfterClientGone: a handler asleep for an hour whose client
// went away leaves no connection nor active request behind.
func TestNoLeakAfterClientGone(t *testing.T) {
	address := fmt.Sprintf("127.0.0.1:%d", portStats)
	cfg, err := conf.Parse(filepath.Join(t.TempDir(), "nginx.conf"), []byte(fmt.Sprintf(`
events {}
http {
    access_log off;
    server {
        listen %s reuseport;
        location = /forever {
            content_by_lua_block {
                ngx.say("sleeping")
                ngx.flush(true)
                ngx.sleep(3600)
            }
        }
    }
}`, address)))
	require.NoError(t, err)
	var logBuf strings.Builder
	elog := httpd.NewErrorLog(&lockedWriter{w: &logBuf}, conf.LogError)
	in, err := Start(cfg, elog, Options{})
	require.NoError(t, err)
	defer func() {
		in.Stop()
		<-in.Done()
	}()

	for i := 0; i < 3; i++ {
		c, err := net.DialTimeout("tcp", address, 5*time.Second)
		require.NoError(t, err)
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = fmt.Fprintf(c, "GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		line, err := bufio.NewReader(c).ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "HTTP/1.1 200 OK\r\n", line)
		c.Close()
	}
	assert.True(t, testsrv.Until(5*time.Second, func() bool {
		st := in.Stats()
		return st.Connections == 0 && st.Active == 0
	}), "%+v", in.Stats())
	assert.Equal(t, int64(3), in.Stats().Accepted)
}

// lockedWriter is a strings.Builder safe for the workers' threads.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
