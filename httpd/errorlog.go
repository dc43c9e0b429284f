package httpd

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/luring/luring/conf"
)

// levelNames are nginx's err_levels, indexed by conf.LogLevel: the word
// between brackets on an error-log line (ngx.STDERR prints "[]").
var levelNames = [...]string{"", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

// ErrorLog is the error log shared by every worker loop: one or more
// destinations (files or stderr), each with its own lowest severity, as
// error_log directives give them. Lines have nginx's format:
//
//	2026/11/23 12:00:00 [error] 4242#0: *3 message
//
// where 4242 is the process id, 0 the worker (nginx prints the thread id
// there) and *3 the connection number (left out for messages outside a
// connection). Safe for concurrent use.
//
// Writes are not buffered: each line is one write(2) made under the lock,
// on the caller's thread: error lines are rare, and nginx writes them at
// once too, so a crash loses none. The loops' deliberate blocking file
// I/O is this, the buffered access log (accesslog.go), static files
// (static.go) and Lua code loading (lvm); sockets never block.
type ErrorLog struct {
	mu      sync.Mutex
	targets []logTarget
	files   []*os.File // opened by OpenErrorLog, closed by Close
	pid     int
	max     conf.LogLevel // most verbose level of all targets
	line    []byte        // guarded by mu: the line being built
	now     func() time.Time
}

type logTarget struct {
	w     io.Writer
	level conf.LogLevel
}

// NewErrorLog returns an error log writing lines of level or more severe
// to w.
func NewErrorLog(w io.Writer, level conf.LogLevel) *ErrorLog {
	return &ErrorLog{targets: []logTarget{{w, level}}, pid: os.Getpid(), max: level, now: time.Now}
}

// OpenErrorLog opens the destinations of error_log directives (files are
// created or appended to); with none it logs errors to stderr.
func OpenErrorLog(logs []conf.ErrorLog) (*ErrorLog, error) {
	e := &ErrorLog{pid: os.Getpid(), now: time.Now}
	if len(logs) == 0 {
		logs = []conf.ErrorLog{{Stderr: true, Level: conf.LogError}}
	}
	for _, lg := range logs {
		var w io.Writer = os.Stderr
		if !lg.Stderr {
			f, err := os.OpenFile(lg.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				e.Close()
				return nil, err
			}
			e.files = append(e.files, f)
			w = f
		}
		e.targets = append(e.targets, logTarget{w, lg.Level})
		e.max = max(e.max, lg.Level)
	}
	return e, nil
}

// Enabled reports whether a line of level would be written anywhere; check
// it before formatting an expensive message.
func (e *ErrorLog) Enabled(level conf.LogLevel) bool { return e != nil && level <= e.max }

// Level returns the most verbose level any destination writes.
func (e *ErrorLog) Level() conf.LogLevel { return e.max }

// Log writes msg at level for worker and connection conn (0: none).
func (e *ErrorLog) Log(level conf.LogLevel, worker int, conn uint64, msg string) {
	if !e.Enabled(level) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.now().AppendFormat(e.line[:0], "2006/01/02 15:04:05")
	b = append(b, " ["...)
	if int(level) < len(levelNames) {
		b = append(b, levelNames[level]...)
	}
	b = append(b, "] "...)
	b = strconv.AppendInt(b, int64(e.pid), 10)
	b = append(b, '#')
	b = strconv.AppendInt(b, int64(worker), 10)
	b = append(b, ": "...)
	if conn > 0 {
		b = append(b, '*')
		b = strconv.AppendUint(b, conn, 10)
		b = append(b, ' ')
	}
	b = append(b, msg...)
	b = append(b, '\n')
	e.line = b
	for _, t := range e.targets {
		if level <= t.level {
			_, _ = t.w.Write(b)
		}
	}
}

// Logf is Log with a format.
func (e *ErrorLog) Logf(level conf.LogLevel, worker int, conn uint64, format string, args ...any) {
	if e.Enabled(level) {
		e.Log(level, worker, conn, fmt.Sprintf(format, args...))
	}
}

// Close closes the files OpenErrorLog opened.
func (e *ErrorLog) Close() error {
	var err error
	for _, f := range e.files {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	e.files = nil
	return err
}
