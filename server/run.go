package server

import (
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/linux"
)

// RunOptions configure Run.
type RunOptions struct {
	Prefix   string    // -p as given ("" = current directory)
	ConfPath string    // -c as given ("" = built-in configuration)
	Stderr   io.Writer // where failures go before the error log is open
	// Bind maps listen keys to the addresses actually bound (see
	// Options.Bind); it applies to reloaded configurations too.
	Bind map[string]string
	// ServerToken replaces "luring" in the Server header and the error
	// pages' signature (see Options.ServerToken).
	ServerToken string
}

// listenerCloseWait bounds how long a reload waits for the old workers to
// close their listeners before it logs that it is done.
const listenerCloseWait = time.Second

// generation is one configuration being served: its workers and the
// error log they write to.
type generation struct {
	inst *Instance
	elog *errorLog
}

// Run serves cfg until a signal ends it, as the luring process: it writes
// the pid file, starts the workers, and handles TERM and INT (fast stop),
// QUIT (graceful stop), HUP (reload the configuration: new workers take new
// connections, old ones drain) and USR1 (reopen the error log files).
//
// Run returns nil when a signal stopped it, ErrWorkersEnded when every
// worker ended by itself, or the error that kept it from starting.
func Run(cfg *conf.Config, o RunOptions) error {
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if _, _, err := linux.RaiseNoFile(); err != nil {
		fmt.Fprintf(o.Stderr, "luring: [warn] raising RLIMIT_NOFILE: %v\n", err)
	}
	ensureProcs(cfg.Main.WorkerProcesses)
	tuneGC()
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sigs)

	cur, err := startGeneration(cfg, o, nil, nil)
	if err != nil {
		return err
	}
	pid := cfg.Main.PID
	if err := writePid(pid); err != nil {
		cur.inst.Stop()
		<-cur.inst.Done()
		cur.elog.Close()
		return err
	}
	defer removePid(pid)
	cur.elog.Logf(conf.LogNotice, 0, 0, "luring/%s started: %d worker(s) on %s", Version, len(cur.inst.workers), cur.inst.Backend())

	r := &runner{o: o, cur: cur, drained: make(chan *generation), exit: make(chan struct{})}
	defer close(r.exit)
	return r.serve(sigs)
}

// runner is Run's state between signals; the main goroutine only.
type runner struct {
	o        RunOptions
	cur      *generation      // serving new connections
	old      []*generation    // replaced by a reload, still draining
	drained  chan *generation // an old generation's workers all ended
	exit     chan struct{}    // closed when Run returns
	stopping bool             // TERM, INT or QUIT received
}

// serve handles signals until the current generation ends.
func (r *runner) serve(sigs <-chan os.Signal) error {
	for {
		select {
		case <-r.cur.inst.Done():
			if !r.stopping {
				r.cur.elog.Logf(conf.LogAlert, 0, 0, "%v", ErrWorkersEnded)
				r.stopAll(false)
			}
			r.waitOld()
			r.cur.elog.Close()
			if !r.stopping {
				return ErrWorkersEnded
			}
			return nil
		case g := <-r.drained:
			r.forget(g)
		case sig := <-sigs:
			r.signal(sig.(syscall.Signal))
		}
	}
}

// signal acts on one signal.
func (r *runner) signal(sig syscall.Signal) {
	elog := r.cur.elog
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT:
		elog.Logf(conf.LogNotice, 0, 0, "signal %d (%s) received, exiting", int(sig), sigName(sig))
		r.stopping = true
		r.stopAll(false)
	case syscall.SIGQUIT:
		elog.Logf(conf.LogNotice, 0, 0, "signal %d (%s) received, shutting down", int(sig), sigName(sig))
		r.stopping = true
		r.stopAll(true)
	case syscall.SIGUSR1:
		elog.Logf(conf.LogNotice, 0, 0, "signal %d (%s) received, reopening logs", int(sig), sigName(sig))
		for _, g := range append([]*generation{r.cur}, r.old...) {
			if err := g.elog.Reopen(); err != nil {
				elog.Logf(conf.LogAlert, 0, 0, "reopening logs: %v", err)
			}
		}
	case syscall.SIGHUP:
		elog.Logf(conf.LogNotice, 0, 0, "signal %d (%s) received, reconfiguring", int(sig), sigName(sig))
		if r.stopping {
			return
		}
		next, err := r.reload()
		if err != nil {
			logConfError(elog, err)
			elog.Logf(conf.LogNotice, 0, 0, "reload failed, the old configuration keeps serving")
			return
		}
		prev := r.cur
		r.cur = next
		r.old = append(r.old, prev)
		// New connections go to the new workers once the old ones closed
		// their listeners; the notice tells when. A worker busy in Lua
		// for long does not hold the reload up.
		select {
		case <-prev.inst.Quit():
		case <-time.After(listenerCloseWait):
		}
		next.elog.Logf(conf.LogNotice, 0, 0, "reconfigured: %d worker(s) on %s", len(next.inst.workers), next.inst.Backend())
		go r.watchOld(prev)
	}
}

// reload loads and checks the configuration again and starts its workers
// beside the current ones.
func (r *runner) reload() (*generation, error) {
	cfg, err := LoadConfig(r.o.Prefix, r.o.ConfPath)
	if err != nil {
		return nil, err
	}
	if err := TestConfig(cfg); err != nil {
		return nil, err
	}
	// The new workers take over the listening sockets, so connections
	// queued on them are accepted by the new generation, not reset when
	// the old one closes its descriptors (nginx keeps its sockets across
	// reloads the same way).
	inherit, err := r.cur.inst.DupListeners()
	if err != nil {
		inherit = nil
	}
	return startGeneration(cfg, r.o, inherit, r.cur.inst.Hosts())
}

// watchOld reports g on drained once its workers have ended (one goroutine
// per reload, not per connection).
func (r *runner) watchOld(g *generation) {
	<-g.inst.Done()
	select {
	case r.drained <- g:
	case <-r.exit:
	}
}

// forget closes the error log of a drained generation and drops it.
func (r *runner) forget(g *generation) {
	for i, o := range r.old {
		if o == g {
			r.old = append(r.old[:i], r.old[i+1:]...)
			break
		}
	}
	g.elog.Close()
}

// stopAll stops every generation, fast or gracefully.
func (r *runner) stopAll(graceful bool) {
	for _, g := range append([]*generation{r.cur}, r.old...) {
		if graceful {
			g.inst.Quit()
		} else {
			g.inst.Stop()
		}
	}
}

// waitOld waits for the old generations to end and closes their logs.
func (r *runner) waitOld() {
	for len(r.old) > 0 {
		r.forget(<-r.drained)
	}
}

// startGeneration opens cfg's error log (making log directories) and
// starts its workers.
func startGeneration(cfg *conf.Config, o RunOptions, inherit []map[string]int, hosts *resolve.Hosts) (*generation, error) {
	defer CloseInherited(inherit) // what the workers did not adopt
	elog, err := openErrorLog(cfg.Main.ErrorLogs)
	if err != nil {
		return nil, err
	}
	if err := makeLogDirs(cfg); err != nil {
		elog.Close()
		return nil, err
	}
	for _, w := range cfg.Warnings {
		// conf's warnings, worded and placed as nginx logs them.
		elog.Logf(conf.LogWarn, 0, 0, "%s in %s:%d", w.Msg, w.File, w.Line)
	}
	if codeCacheOff(cfg) {
		// ngx_lua's warning, without the position conf does not keep.
		elog.Log(conf.LogAlert, 0, 0, "lua_code_cache is off; this will hurt performance")
	}
	for _, m := range cfg.Main.LoadModules {
		// The line is accepted: the module is built in, nothing to load.
		elog.Logf(conf.LogNotice, 0, 0, "load_module \"%s\": the %s module is built into luring", m, conf.BuiltinModule(m))
	}
	inst, err := Start(cfg, elog.ErrorLog, Options{Bind: o.Bind, Inherit: inherit, ServerToken: o.ServerToken, Hosts: hosts})
	if err != nil {
		elog.Close()
		return nil, err
	}
	return &generation{inst: inst, elog: elog}, nil
}

// codeCacheOff reports whether lua_code_cache is off anywhere in cfg.
func codeCacheOff(cfg *conf.Config) bool {
	h := cfg.HTTP
	if h == nil {
		return false
	}
	off := !h.LuaCodeCache
	var walk func(ls []*conf.Location)
	walk = func(ls []*conf.Location) {
		for _, l := range ls {
			off = off || !l.LuaCodeCache
			walk(l.Nested)
		}
	}
	for _, s := range h.Servers {
		off = off || !s.LuaCodeCache
		walk(s.Locations)
		walk(s.Named)
	}
	return off
}

// logConfError logs a failed reload: a configuration error at its own
// level ("emerg"), as nginx does, anything else at "error".
func logConfError(elog *errorLog, err error) {
	var ce *conf.Error
	if errors.As(err, &ce) {
		msg := ce.Msg
		if ce.File != "" {
			msg = fmt.Sprintf("%s in %s:%d", ce.Msg, ce.File, ce.Line)
		}
		elog.Log(conf.LogEmerg, 0, 0, msg)
		return
	}
	elog.Logf(conf.LogError, 0, 0, "%v", err)
}

// sigName is the signal's name as nginx prints it ("SIGHUP").
func sigName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGUSR1:
		return "SIGUSR1"
	}
	return sig.String()
}

// ensureProcs gives the Go scheduler at least one P more than there are
// workers. A worker's loop thread spends its idle time blocked in the
// kernel (io_uring_enter, epoll_wait); with no spare P, the runtime's
// monitor takes the loop's P away during each wait and the loop pays the
// slow path to get it back, which cost about 10 % of the CPU per request
// when luring was confined to one CPU (bench: hello 0.92x -> 0.98x of
// OpenResty's requests/s at 50 connections, 0.85x -> 1.00x at 256).
func ensureProcs(workers int) {
	if want := workers + 1; runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}

// gcPercent is luring's default GOGC. A worker's live heap is small (about
// 1 MB serving hello) while requests allocate steadily, so Go's default
// of 100 collects about 16 times a second, each cycle marking for ~5 ms on
// the CPU the loop needs: the requests queued meanwhile make the p99. At
// 1000 the same load collects about once a second (bench: hello p99 at 50
// connections 1.41-1.80 ms -> 1.05-1.13 ms; the reference: ~0.9-1.0 ms).
const gcPercent = 1000

// tuneGC applies gcPercent, and a memory limit of a quarter of the
// machine's RAM so that a large live heap is not allowed to grow elevenfold.
// GOGC and GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		var si unix.Sysinfo_t
		if unix.Sysinfo(&si) == nil && si.Totalram > 0 {
			debug.SetMemoryLimit(int64(uint64(si.Totalram) * uint64(si.Unit) / 4))
		}
	}
}
