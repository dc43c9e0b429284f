package conf

import (
	"runtime"
	"strings"
	"time"
)

// logLevels maps error_log level names to levels.
var logLevels = map[string]LogLevel{
	"stderr": LogStderr, "emerg": LogEmerg, "alert": LogAlert, "crit": LogCrit,
	"error": LogError, "warn": LogWarn, "notice": LogNotice, "info": LogInfo, "debug": LogDebug,
}

// ParseLogLevel returns the level named s ("error", "warn", ...).
func ParseLogLevel(s string) (LogLevel, bool) {
	l, ok := logLevels[s]
	return l, ok && s != "stderr"
}

// isFlag parses an on|off argument as ngx_conf_set_flag_slot does.
func isFlag(d *Directive) (bool, error) {
	v := d.Args[0].Value
	switch {
	case strings.EqualFold(v, "on"):
		return true, nil
	case strings.EqualFold(v, "off"):
		return false, nil
	}
	return false, errorf(msgInvalidFlag, v, d.Name)
}

func setWorkerProcesses(b *builder, d *Directive) error {
	if err := once(b.mainSet, d.Name, d.Name); err != nil {
		return err
	}
	v := d.Args[0].Value
	if v == "auto" {
		b.cfg.Main.WorkerProcesses = runtime.NumCPU()
		b.cfg.Main.WorkerProcessesAuto = true
		return nil
	}
	n, ok := atoi(v)
	if !ok || n == 0 || n > 1<<16 {
		return errorf(msgInvalidValue, d.Name)
	}
	b.cfg.Main.WorkerProcesses = int(n)
	return nil
}

func setErrorLog(b *builder, d *Directive) error {
	el := ErrorLog{Level: LogError}
	switch dest := d.Args[0].Value; {
	case dest == "stderr":
		el.Stderr = true
	case strings.HasPrefix(dest, "memory:"), strings.HasPrefix(dest, "syslog:"):
		return errorf(msgUnsupportedParam, dest, d.Name)
	default:
		el.Path = b.resolve(dest)
	}
	for i, a := range d.Args[1:] {
		if i > 0 || strings.HasPrefix(a.Value, "debug_") {
			if !strings.HasPrefix(a.Value, "debug_") {
				return errorf("invalid log level \"%s\"", a.Value)
			}
			continue
		}
		l, ok := ParseLogLevel(a.Value)
		if !ok {
			return errorf("invalid log level \"%s\"", a.Value)
		}
		el.Level = l
	}
	if b.top().ctx == ctxMain {
		b.cfg.Main.ErrorLogs = append(b.cfg.Main.ErrorLogs, el)
		return nil
	}
	s := b.settings()
	s.set[d.Name] = true
	s.ErrorLogs = append(s.ErrorLogs, el)
	return nil
}

func setPID(b *builder, d *Directive) error {
	if err := once(b.mainSet, d.Name, d.Name); err != nil {
		return err
	}
	b.cfg.Main.PID = b.resolve(d.Args[0].Value)
	return nil
}

func setEnv(b *builder, d *Directive) error {
	name, value, has := strings.Cut(d.Args[0].Value, "=")
	b.cfg.Main.Env = append(b.cfg.Main.Env, Env{Name: name, Value: value, HasValue: has})
	return nil
}

// setFlagNoop accepts an on|off directive luring has no use for.
func setFlagNoop(b *builder, d *Directive) error {
	if _, err := isFlag(d); err != nil {
		return err
	}
	if c := b.top().ctx; c == ctxMain || c == ctxEvents {
		return once(b.mainSet, d.Name, d.Name)
	}
	return nil
}

// setServerTokens checks server_tokens' value (nginx's enum: on, off,
// build); luring names itself without a version whatever it is.
func setServerTokens(_ *builder, d *Directive) error {
	switch d.Args[0].Value {
	case "on", "off", "build":
		return nil
	}
	return errorf("invalid value \"%s\"", d.Args[0].Value)
}

// setNoop accepts a directive luring has no use for.
func setNoop(*builder, *Directive) error { return nil }

func setWorkerConnections(b *builder, d *Directive) error {
	if err := once(b.mainSet, d.Name, d.Name); err != nil {
		return err
	}
	n, ok := atoi(d.Args[0].Value)
	if !ok || n > 1<<30 {
		return errorf("invalid number \"%s\"", d.Args[0].Value)
	}
	b.cfg.Events.WorkerConnections = int(n)
	return nil
}

func setUse(b *builder, d *Directive) error {
	if err := once(b.mainSet, d.Name, d.Name); err != nil {
		return err
	}
	switch v := d.Args[0].Value; v {
	case "epoll", "io_uring":
		b.cfg.Events.Use = v
		return nil
	default:
		return errorf("invalid event type \"%s\"", v)
	}
}

func setAccessLog(b *builder, d *Directive) error {
	s := b.settings()
	s.set[d.Name] = true
	if d.Args[0].Value == "off" {
		if len(d.Args) > 1 {
			return errorf("invalid parameter \"%s\"", d.Args[1].Value)
		}
		s.set["access_log off"] = true
		return nil
	}
	al := AccessLog{Path: d.Args[0].Value, Format: "combined"}
	if HasVars(al.Path) {
		al.Dynamic = true
	} else {
		al.Path = b.resolve(al.Path)
	}
	if len(d.Args) > 1 {
		al.Format = d.Args[1].Value
		if _, ok := b.cfg.HTTP.LogFormats[al.Format]; !ok {
			return errorf("unknown log format \"%s\"", al.Format)
		}
	}
	if len(d.Args) > 2 {
		p, _, _ := strings.Cut(d.Args[2].Value, "=")
		return errorf(msgUnsupportedParam, p, d.Name)
	}
	s.AccessLogs = append(s.AccessLogs, al)
	return nil
}

func setLogFormat(b *builder, d *Directive) error {
	name := d.Args[0].Value
	if _, dup := b.cfg.HTTP.LogFormats[name]; dup {
		return errorf("duplicate \"log_format\" name \"%s\"", name)
	}
	lf := &LogFormat{Name: name, Escape: "default"}
	rest := d.Args[1:]
	if e, ok := strings.CutPrefix(rest[0].Value, "escape="); ok {
		switch e {
		case "default", "json", "none":
			lf.Escape = e
		default:
			return errorf("unknown log format escaping \"%s\"", e)
		}
		rest = rest[1:]
	}
	var sb strings.Builder
	for _, a := range rest {
		sb.WriteString(a.Value)
	}
	lf.Format = sb.String()
	b.cfg.HTTP.LogFormats[name] = lf
	return nil
}

func setDefaultType(b *builder, d *Directive) error {
	s := b.settings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	s.DefaultType = d.Args[0].Value
	return nil
}

func setKeepaliveTimeout(b *builder, d *Directive) error {
	s := b.settings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	t, err := ParseTime(d.Args[0].Value, false)
	if err != nil {
		return errorf(msgInvalidValue, d.Name)
	}
	s.KeepaliveTimeout = t
	if len(d.Args) == 2 {
		h, err := ParseTime(d.Args[1].Value, true)
		if err != nil {
			return errorf(msgInvalidValue, d.Name)
		}
		s.KeepaliveHeader = h
	}
	return nil
}

func setKeepaliveRequests(b *builder, d *Directive) error {
	s := b.settings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	n, ok := atoi(d.Args[0].Value)
	if !ok || n > 1<<31-1 {
		return errorf(msgInvalidNumber, d.Name)
	}
	s.KeepaliveRequests = int(n)
	return nil
}

// sizeSetter builds the setter of a size or offset directive storing into
// the field chosen by field.
func sizeSetter(parse func(string) (int64, error), field func(*Settings) *int64) func(*builder, *Directive) error {
	return func(b *builder, d *Directive) error {
		s := b.settings()
		if err := once(s.set, d.Name, d.Name); err != nil {
			return err
		}
		n, err := parse(d.Args[0].Value)
		if err != nil {
			return errorf(msgInvalidValue, d.Name)
		}
		*field(s) = n
		return nil
	}
}

var (
	setClientMaxBodySize    = sizeSetter(ParseOffset, func(s *Settings) *int64 { return &s.ClientMaxBodySize })
	setClientBodyBufferSize = sizeSetter(ParseSize, func(s *Settings) *int64 { return &s.ClientBodyBufferSize })
	setClientBodyTimeout    = msecSetter(func(s *Settings) *time.Duration { return &s.ClientBodyTimeout })
	setSendTimeout          = msecSetter(func(s *Settings) *time.Duration { return &s.SendTimeout })
)

func msecSetter(field func(*Settings) *time.Duration) func(*builder, *Directive) error {
	return func(b *builder, d *Directive) error {
		s := b.settings()
		if err := once(s.set, d.Name, d.Name); err != nil {
			return err
		}
		t, err := ParseTime(d.Args[0].Value, false)
		if err != nil {
			return errorf(msgInvalidValue, d.Name)
		}
		*field(s) = t
		return nil
	}
}

func setClientBodyTempPath(b *builder, d *Directive) error {
	s := b.settings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	for _, a := range d.Args[1:] {
		if a.Value != "1" && a.Value != "2" {
			return errorf(msgInvalidValue, d.Name)
		}
	}
	s.ClientBodyTempPath = b.resolve(d.Args[0].Value)
	return nil
}

func setLuaCodeCache(b *builder, d *Directive) error {
	s := b.settings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	on, err := isFlag(d)
	s.LuaCodeCache = on
	return err
}

func setClientHeaderBufferSize(b *builder, d *Directive) error {
	s := b.serverSettings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	n, err := ParseSize(d.Args[0].Value)
	if err != nil || n == 0 {
		return errorf(msgInvalidValue, d.Name)
	}
	s.ClientHeaderBufferSize = n
	return nil
}

func setLargeClientHeaderBuffers(b *builder, d *Directive) error {
	s := b.serverSettings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	num, ok := atoi(d.Args[0].Value)
	size, err := ParseSize(d.Args[1].Value)
	if !ok || num == 0 || num > 1<<20 || err != nil || size == 0 {
		return errorf(msgInvalidValue, d.Name)
	}
	s.LargeClientHeaderBuffers = Buffers{Num: int(num), Size: size}
	return nil
}

func setClientHeaderTimeout(b *builder, d *Directive) error {
	s := b.serverSettings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	t, err := ParseTime(d.Args[0].Value, false)
	if err != nil {
		return errorf(msgInvalidValue, d.Name)
	}
	s.ClientHeaderTimeout = t
	return nil
}

func setLuaPackagePath(b *builder, d *Directive) error {
	h := b.cfg.HTTP
	if err := once(h.Settings.set, d.Name, d.Name); err != nil {
		return err
	}
	h.LuaPackagePath = d.Args[0].Value
	return nil
}

func setLuaPackageCPath(b *builder, d *Directive) error {
	h := b.cfg.HTTP
	if err := once(h.Settings.set, d.Name, d.Name); err != nil {
		return err
	}
	h.LuaPackageCPath = d.Args[0].Value
	return nil
}
