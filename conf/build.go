package conf

import (
	"os"
	"path/filepath"
)

// frame is one open block while building the typed config.
type frame struct {
	ctx ctxMask   // context the block opens
	srv *Server   // server of a server or location frame
	loc *Location // location of a location frame
}

// builder turns directives into the typed Config as the parser reads them
// (it implements hooks).
type builder struct {
	cfg     *Config
	stack   []frame
	mainSet setMask // main/events directives already given
	events  bool    // an events block was seen
}

// Load reads the configuration file at path. A relative path is taken
// relative to prefix, as nginx takes -c relative to -p. prefix is the server
// prefix that relative paths inside directives (pid, logs, Lua files)
// resolve against; includes resolve against the directory of the file.
//
// Host names in proxy_pass and resolver are resolved while loading, as
// nginx resolves them while reading the file, so Load (and Parse) may wait
// on DNS: call them from the main goroutine, never from a worker loop.
func Load(path, prefix string) (*Config, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(prefix, path)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	src, rerr := readConf(path)
	if rerr != nil {
		return nil, rerr
	}
	return build(path, prefix, src)
}

// Parse builds a Config from src as if it were the file name (used in
// error messages, chunk names, and as the base of includes). The server
// prefix is the directory of name.
func Parse(name string, src []byte) (*Config, error) {
	return build(name, filepath.Dir(name), src)
}

func build(name, prefix string, src []byte) (*Config, error) {
	cfg := &Config{File: name, Prefix: prefix, ConfPrefix: filepath.Dir(name)}
	b := &builder{cfg: cfg, stack: []frame{{ctx: ctxMain}}, mainSet: setMask{}}
	p := &parser{confPrefix: cfg.ConfPrefix, h: b}
	if _, err := p.parseSource(name, src); err != nil {
		return nil, err
	}
	if err := b.finish(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (b *builder) top() *frame { return &b.stack[len(b.stack)-1] }

func (b *builder) push(f frame) { b.stack = append(b.stack, f) }

// begin performs nginx's ngx_conf_handler checks, in its order: name,
// context, terminator, argument count; then opens a block.
func (b *builder) begin(d *Directive, end stmtEnd) error {
	sp, ok := directives[d.Name]
	if !ok {
		if Known(d.Name) {
			return errorf(msgNotSupported, d.Name)
		}
		return errorf(msgUnknownDirective, d.Name)
	}
	if sp.ctx&b.top().ctx == 0 {
		return errorf(msgNotAllowedHere, d.Name)
	}
	if !sp.block && end != endSemi {
		return errorf(msgNotTerminated, d.Name)
	}
	if sp.block && end != endOpen {
		return errorf(msgNoOpeningBrace, d.Name)
	}
	if n := len(d.Args); n < sp.min || (sp.max != argsAny && n > sp.max) {
		return errorf(msgInvalidArgCount, d.Name)
	}
	if sp.enter != nil {
		return sp.enter(b, d)
	}
	return nil
}

// end applies a simple directive or Lua body, or closes a block.
func (b *builder) end(d *Directive) error {
	sp := directives[d.Name]
	if sp.leave != nil {
		return sp.leave(b, d)
	}
	if sp.set != nil {
		return sp.set(b, d)
	}
	return nil
}

func leaveBlock(b *builder, _ *Directive) error {
	b.stack = b.stack[:len(b.stack)-1]
	return nil
}

func enterEvents(b *builder, d *Directive) error {
	if b.events {
		return errorf(msgDuplicate, d.Name)
	}
	b.events = true
	b.push(frame{ctx: ctxEvents})
	return nil
}

func enterHTTP(b *builder, d *Directive) error {
	if b.cfg.HTTP != nil {
		return errorf(msgDuplicate, d.Name)
	}
	b.cfg.HTTP = &HTTP{
		Settings:       Settings{set: setMask{}},
		ServerSettings: ServerSettings{set: setMask{}},
		LogFormats: map[string]*LogFormat{
			"combined": {Name: "combined", Escape: "default", Format: combinedFormat},
		},
	}
	b.push(frame{ctx: ctxHTTP})
	return nil
}

// combinedFormat is nginx's predefined "combined" log format.
const combinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`

// settings returns the per-location settings of the innermost block.
func (b *builder) settings() *Settings {
	f := b.top()
	switch {
	case f.loc != nil:
		return &f.loc.Settings
	case f.srv != nil:
		return &f.srv.Settings
	default:
		return &b.cfg.HTTP.Settings
	}
}

// serverSettings returns the per-server settings of the innermost block.
func (b *builder) serverSettings() *ServerSettings {
	if f := b.top(); f.srv != nil {
		return &f.srv.ServerSettings
	}
	return &b.cfg.HTTP.ServerSettings
}

// warn records a warning nginx would log for d, at the line of its
// terminating ";" as nginx reports it.
func (b *builder) warn(d *Directive, msg string) {
	b.cfg.Warnings = append(b.cfg.Warnings, &Error{Level: LevelWarn, Msg: msg, File: d.File, Line: d.termLine})
}

// once marks key as given in m and reports "is duplicate" when it was.
func once(m setMask, key, name string) error {
	if m[key] {
		return errorf(msgDuplicate, name)
	}
	m[key] = true
	return nil
}

// resolve makes a relative path absolute against the server prefix, as
// nginx's ngx_conf_full_name with the prefix does.
func (b *builder) resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(b.cfg.Prefix, path)
}

// finish checks what nginx checks after parsing and applies defaults and
// merging.
func (b *builder) finish() error {
	if !b.events {
		return errorf(msgNoEvents)
	}
	m := &b.cfg.Main
	if !b.mainSet["worker_processes"] {
		m.WorkerProcesses = 1
	}
	if len(m.ErrorLogs) == 0 {
		m.ErrorLogs = []ErrorLog{{Path: b.resolve("logs/error.log"), Level: LogError}}
	}
	if m.PID == "" {
		m.PID = b.resolve("logs/nginx.pid")
	}
	if b.cfg.Events.WorkerConnections == 0 && !b.mainSet["worker_connections"] {
		b.cfg.Events.WorkerConnections = 512
	}
	if b.cfg.HTTP == nil {
		return nil
	}
	return b.finishHTTP()
}

// hostname is os.Hostname, replaceable in tests.
var hostname = os.Hostname
