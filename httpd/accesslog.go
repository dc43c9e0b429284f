package httpd

import (
	"os"
	"strings"
	"sync"
	"time"

	"github.com/luring/luring/conf"
)

// accessBufferSize is how many bytes of access-log lines a file buffers
// before writing them (nginx's access_log buffer=); the server also writes
// them out a second after the first buffered line, and at shutdown.
const accessBufferSize = 64 << 10

// accessFlushDelay bounds how long a line waits in the buffer.
const accessFlushDelay = time.Second

// Escaping modes of log_format.
const (
	escDefault uint8 = iota
	escJSON
	escNone
)

// logFormat is a compiled log_format.
type logFormat struct {
	parts  []conf.Part
	escape uint8
}

// logFile is one access-log file shared by every worker writing to the
// same path. Lines are appended to buf under mu and written by the
// worker that fills it or by a flush: the write(2) blocks the loop thread,
// which nginx accepts for its logs too; buffering makes it one write per
// 64 KiB instead of per request.
type logFile struct {
	mu   sync.Mutex
	f    *os.File
	buf  []byte
	refs int // servers using it; guarded by logFilesMu
}

var (
	logFilesMu sync.Mutex
	logFiles   = map[string]*logFile{}
)

func openLogFile(path string) (*logFile, error) {
	logFilesMu.Lock()
	defer logFilesMu.Unlock()
	if lf, ok := logFiles[path]; ok {
		lf.refs++
		return lf, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	lf := &logFile{f: f, buf: make([]byte, 0, accessBufferSize), refs: 1}
	logFiles[path] = lf
	return lf, nil
}

func (lf *logFile) flush() {
	lf.mu.Lock()
	lf.flushLocked()
	lf.mu.Unlock()
}

func (lf *logFile) flushLocked() {
	if len(lf.buf) > 0 {
		_, _ = lf.f.Write(lf.buf)
		lf.buf = lf.buf[:0]
	}
}

// accessTarget is one access_log of a location: a file (or a path with
// variables, opened per request) and a format.
type accessTarget struct {
	file   *logFile
	path   []conf.Part // for a Dynamic path
	format *logFormat
}

// accessLogs is a server's compiled access_log configuration.
type accessLogs struct {
	bySettings map[*conf.Settings][]accessTarget
	files      []*logFile // every file this server opened
	dynamic    map[string]*logFile
	timer      bool // a flush is scheduled
}

func newAccessLogs(h *conf.HTTP) (*accessLogs, error) {
	a := &accessLogs{bySettings: map[*conf.Settings][]accessTarget{}, dynamic: map[string]*logFile{}}
	formats := map[string]*logFormat{}
	for name, lf := range h.LogFormats {
		parts, err := conf.SplitVars(lf.Format)
		if err != nil {
			return nil, err
		}
		f := &logFormat{parts: parts}
		switch lf.Escape {
		case "json":
			f.escape = escJSON
		case "none":
			f.escape = escNone
		}
		for i := range f.parts {
			if f.parts[i].Kind == conf.PartVar {
				f.parts[i].Text = strings.ToLower(f.parts[i].Text)
			}
		}
		formats[name] = f
	}
	add := func(st *conf.Settings) error {
		var ts []accessTarget
		for _, al := range st.AccessLogs {
			t := accessTarget{format: formats[al.Format]}
			if t.format == nil {
				t.format = formats["combined"]
			}
			if t.format == nil {
				continue
			}
			if al.Dynamic {
				parts, err := conf.SplitVars(al.Path)
				if err != nil {
					return err
				}
				t.path = parts
			} else {
				f, err := openLogFile(al.Path)
				if err != nil {
					return err
				}
				a.files = append(a.files, f)
				t.file = f
			}
			ts = append(ts, t)
		}
		a.bySettings[st] = ts
		return nil
	}
	var walk func(locs []*conf.Location) error
	walk = func(locs []*conf.Location) error {
		for _, l := range locs {
			if err := add(&l.Settings); err != nil {
				return err
			}
			if err := walk(l.Nested); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range h.Servers {
		if err := add(&s.Settings); err != nil {
			return nil, err
		}
		if err := walk(s.Locations); err != nil {
			return nil, err
		}
		if err := walk(s.Named); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (a *accessLogs) flush() {
	for _, f := range a.files {
		f.flush()
	}
	for _, f := range a.dynamic {
		f.flush()
	}
}

// accessLog writes the request's access-log lines.
func (t *Txn) accessLog() {
	if t.srv == nil {
		return
	}
	srv := t.s.lst.srv
	targets := srv.logs.bySettings[t.settings()]
	for i := range targets {
		tg := &targets[i]
		f := tg.file
		if f == nil {
			path := t.eval(tg.path)
			f = srv.logs.dynamic[path]
			if f == nil {
				var err error
				if f, err = openLogFile(path); err != nil {
					t.logf(conf.LogError, "open() \"%s\" failed (%v)", path, err)
					continue
				}
				srv.logs.dynamic[path] = f
			}
		}
		f.mu.Lock()
		f.buf = t.appendLogLine(f.buf, tg.format)
		if len(f.buf) >= accessBufferSize {
			f.flushLocked()
		}
		f.mu.Unlock()
	}
	if len(targets) > 0 && !srv.logs.timer {
		srv.logs.timer = true
		srv.l.AfterFunc(accessFlushDelay, func() {
			srv.logs.timer = false
			srv.logs.flush()
		})
	}
}

// appendLogLine formats one line with nginx's escaping: a variable not
// found is "-" (nothing with escape=json).
func (t *Txn) appendLogLine(dst []byte, f *logFormat) []byte {
	for _, p := range f.parts {
		switch p.Kind {
		case conf.PartLiteral:
			dst = append(dst, p.Text...)
			continue
		case conf.PartCapture:
			c, _ := t.Capture(p.N)
			dst = appendEscaped(dst, c, f.escape)
			continue
		}
		start := len(dst)
		var ok bool
		dst, ok = t.appendVar(dst, p.Text)
		if !ok {
			dst = dst[:start]
			if f.escape != escJSON {
				dst = append(dst, '-')
			}
			continue
		}
		dst = escapeTail(dst, start, f.escape)
	}
	return append(dst, '\n')
}

func appendEscaped(dst []byte, v string, esc uint8) []byte {
	start := len(dst)
	dst = append(dst, v...)
	return escapeTail(dst, start, esc)
}

const hexDigits = "0123456789ABCDEF"

// escapeTail escapes dst[start:] in place as nginx's log module does:
// default escaping writes '"', '\\', control bytes and bytes >= 0x7f as
// \xXX; json escaping uses JSON escapes.
func escapeTail(dst []byte, start int, esc uint8) []byte {
	if esc == escNone {
		return dst
	}
	need := false
	for _, c := range dst[start:] {
		if c == '"' || c == '\\' || c < 0x20 || (esc == escDefault && c >= 0x7f) {
			need = true
			break
		}
	}
	if !need {
		return dst
	}
	v := append([]byte(nil), dst[start:]...)
	dst = dst[:start]
	for _, c := range v {
		switch {
		case esc == escJSON && (c == '"' || c == '\\'):
			dst = append(dst, '\\', c)
		case esc == escJSON && c < 0x20:
			switch c {
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
		case esc == escDefault && (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f):
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
