package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
)

// errorLog is the error log of one configuration: the files and stderr its
// error_log directives name, behind one *httpd.ErrorLog that the workers
// share. Reopen (SIGUSR1) swaps the files underneath while the workers keep
// writing to the same *httpd.ErrorLog.
//
// httpd.ErrorLog formats the lines and writes each to one io.Writer, the
// fan-out below, which sends it to every destination whose level admits
// it (the level is read back from the "[level]" of the line).
type errorLog struct {
	*httpd.ErrorLog
	out *logFanout
}

// logFanout writes error-log lines to the destinations of the error_log
// directives. Safe for concurrent use.
type logFanout struct {
	mu    sync.Mutex
	dests []logDest // guarded by mu (the files change on Reopen)
}

// logDest is one error_log destination.
type logDest struct {
	cfg conf.ErrorLog
	f   *os.File // nil for stderr
}

// openErrorLog opens the destinations of logs, making missing directories,
// or stderr at the error level when there are none (httpd.OpenErrorLog's
// default).
func openErrorLog(logs []conf.ErrorLog) (*errorLog, error) {
	if len(logs) == 0 {
		logs = []conf.ErrorLog{{Stderr: true, Level: conf.LogError}}
	}
	out := &logFanout{}
	var maxLevel conf.LogLevel
	for _, lg := range logs {
		d := logDest{cfg: lg}
		if !lg.Stderr {
			f, err := openLogFile(lg.Path)
			if err != nil {
				out.close()
				return nil, err
			}
			d.f = f
		}
		out.dests = append(out.dests, d)
		maxLevel = max(maxLevel, lg.Level)
	}
	return &errorLog{ErrorLog: httpd.NewErrorLog(out, maxLevel), out: out}, nil
}

// openLogFile opens path for appending, making its directory if needed,
// and words a failure as nginx does.
func openLogFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, openFailed("mkdir", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, openFailed("open", path, err)
	}
	return f, nil
}

// openFailed words a failed system call on path as nginx does:
// `open() "/x/error.log" failed (13: Permission denied)`.
func openFailed(call, path string, err error) error {
	return fmt.Errorf("%s() %q failed (%s)", call, path, errnoText(err))
}

// errnoText renders err as nginx appends errno: "2: No such file or
// directory".
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		return fmt.Sprintf("%d: %s", int(errno), s)
	}
	return err.Error()
}

// Write sends one line to every destination whose level admits it.
func (o *logFanout) Write(line []byte) (int, error) {
	level := lineLevel(line)
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range o.dests {
		if level > d.cfg.Level {
			continue
		}
		var w io.Writer = os.Stderr
		if d.f != nil {
			w = d.f
		}
		_, _ = w.Write(line)
	}
	return len(line), nil
}

// lineLevel reads the level of an httpd.ErrorLog line back from its
// "[level]" ("[]" is ngx.STDERR, which every destination writes).
func lineLevel(line []byte) conf.LogLevel {
	i := bytes.IndexByte(line, '[')
	if i < 0 {
		return conf.LogStderr
	}
	j := bytes.IndexByte(line[i:], ']')
	if j < 0 {
		return conf.LogStderr
	}
	if l, ok := conf.ParseLogLevel(string(line[i+1 : i+j])); ok {
		return l
	}
	return conf.LogStderr
}

// Reopen reopens every file destination by its path (after a log rotation
// renamed it). A file that fails to reopen keeps its old descriptor; the
// first failure is returned.
func (e *errorLog) Reopen() error {
	var first error
	o := e.out
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range o.dests {
		d := &o.dests[i]
		if d.f == nil {
			continue
		}
		f, err := openLogFile(d.cfg.Path)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		d.f.Close()
		d.f = f
	}
	return first
}

// Close closes the files; later lines go nowhere.
func (e *errorLog) Close() { e.out.close() }

func (o *logFanout) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range o.dests {
		if o.dests[i].f != nil {
			o.dests[i].f.Close()
			o.dests[i].f = nil
		}
	}
	o.dests = nil
}

// makeLogDirs makes the directories of cfg's access logs (those without
// variables in their paths), which httpd opens in each worker. nginx
// expects them to exist; luring makes them, since a fresh prefix has none.
func makeLogDirs(cfg *conf.Config) error {
	h := cfg.HTTP
	if h == nil {
		return nil
	}
	dirs := map[string]bool{}
	add := func(s *conf.Settings) {
		for _, a := range s.AccessLogs {
			if !a.Dynamic && a.Path != "" {
				dirs[filepath.Dir(a.Path)] = true
			}
		}
	}
	var walk func(ls []*conf.Location)
	walk = func(ls []*conf.Location) {
		for _, l := range ls {
			add(&l.Settings)
			walk(l.Nested)
		}
	}
	add(&h.Settings)
	for _, s := range h.Servers {
		add(&s.Settings)
		walk(s.Locations)
		walk(s.Named)
	}
	for d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return openFailed("mkdir", d, err)
		}
	}
	return nil
}
