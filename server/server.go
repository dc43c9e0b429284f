// Package server wires a configuration into running workers: one loop per
// worker, each with its own Lua VM, ngx runner and HTTP server with its own
// SO_REUSEPORT listeners. It also owns the process-level parts: signals, the
// pid file, reloads. It is what cmd/luring and embedders start.
//
// Place in the import graph: server imports every other luring package and
// is imported by cmd/luring only.
package server

import (
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"sync"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/loop"
	"github.com/luring/luring/ngx"
	"github.com/luring/luring/ring"
)

// Options tune Start.
type Options struct {
	// Bind maps listen keys to other addresses (tests bind "127.0.0.1:0");
	// see httpd.ServerOptions.Bind.
	Bind map[string]string
	// Inherit lists, per worker index, listening sockets by listen key for
	// that worker to adopt (a reload hands over the old generation's, see
	// Instance.DupListeners). Workers delete what they adopt; Start's
	// caller closes the rest.
	Inherit []map[string]int
	// Backend forces a ring backend over `events { use ...; }`.
	Backend ring.Backend
	// ServerToken is the Server header and the error pages' signature
	// ("luring" when empty): "nginx" makes responses byte-identical to
	// nginx's with server_tokens off, for tools that compare them.
	ServerToken string
	// Hosts is the previous generation's hosts table: Start keeps it when
	// /etc/hosts has not changed since (one stat), else reads the file.
	Hosts *resolve.Hosts
}

// Instance is one generation of workers serving one configuration. A reload
// starts a new Instance beside the old one (SO_REUSEPORT lets both listen on
// the same ports), then quits the old one.
type Instance struct {
	cfg     *conf.Config
	elog    *httpd.ErrorLog
	hosts   *resolve.Hosts // /etc/hosts as the workers' resolvers read it
	workers []*worker
	done    chan struct{} // closed when every worker's loop has ended
}

// worker is one loop with its Lua VM, ngx runner and HTTP server; srv and
// runner are used on the loop's thread only.
type worker struct {
	id     int
	l      *loop.Loop
	srv    *httpd.Server
	runner *ngx.Runner
}

// Start starts cfg's workers and returns once every one of them listens.
// If one fails, those started are stopped and waited for, and the error
// returned.
func Start(cfg *conf.Config, elog *httpd.ErrorLog, o Options) (*Instance, error) {
	n := cfg.Main.WorkerProcesses
	if n < 1 {
		n = 1
	}
	backend := o.Backend
	if backend == ring.BackendAuto {
		backend = backendOf(cfg)
	}
	hosts, err := loadHosts(resolve.DefaultHostsPath, o.Hosts)
	if err != nil {
		elog.Logf(conf.LogWarn, 0, 0, "cosockets resolve without %s: %v", resolve.DefaultHostsPath, err)
	}
	in := &Instance{cfg: cfg, elog: elog, hosts: hosts, done: make(chan struct{})}
	for i := 0; i < n; i++ {
		w := &worker{id: i}
		lopts := loop.Options{
			Backend: backend,
			Log:     func(msg string) { elog.Log(conf.LogNotice, i, 0, msg) },
		}
		l, err := loop.Start(lopts, func(l *loop.Loop) error { return w.setup(l, cfg, elog, in.hosts, o, n) })
		if err != nil {
			in.Stop()
			for _, w := range in.workers {
				<-w.l.Done()
			}
			return nil, fmt.Errorf("worker %d: %w", i, err)
		}
		w.l = l
		in.workers = append(in.workers, w)
	}
	go in.watch()
	return in, nil
}

// setup runs on the worker's loop thread.
func (w *worker) setup(l *loop.Loop, cfg *conf.Config, elog *httpd.ErrorLog, hosts *resolve.Hosts, o Options, count int) error {
	vm, err := newVM(cfg)
	if err != nil {
		return err
	}
	w.runner, err = ngx.NewRunner(ngx.Options{
		VM: vm, Loop: l, Config: cfg, WorkerID: w.id, WorkerCount: count,
		Log:   func(level conf.LogLevel, conn uint64, msg string) { elog.Log(level, w.id, conn, msg) },
		Hosts: hosts,
	})
	if err != nil {
		return err
	}
	if err := w.runner.RunInit(); err != nil {
		return err
	}
	if cfg.HTTP != nil && cfg.HTTP.InitWorkerByLua != nil {
		// As in ngx_lua, a failed init_worker_by_lua is logged (the runner
		// did) and the worker serves anyway.
		_ = w.runner.RunInitWorker(cfg.HTTP.InitWorkerByLua)
	}
	w.srv, err = httpd.NewServer(l, httpd.ServerOptions{
		Config: cfg, Runner: w.runner, ErrorLog: elog, WorkerID: w.id, Bind: o.Bind, Inherit: o.inherit(w.id),
		ServerToken: o.ServerToken,
	})
	if err != nil {
		return err
	}
	w.srv.OnDone(func() { l.StopAsync() })
	return w.srv.Listen()
}

// loadHosts returns the hosts table at path for a new generation: prev
// when the file has not changed since it was read (one stat), else the
// file read again. It runs on the caller's goroutine (start-up, reload),
// never on a loop. A file that cannot be read gives an empty table and
// the error.
func loadHosts(path string, prev *resolve.Hosts) (*resolve.Hosts, error) {
	if prev != nil {
		if changed, err := prev.Changed(); err == nil && !changed {
			return prev, nil
		}
	}
	return resolve.LoadHosts(path)
}

// Hosts returns the hosts table the generation's workers use.
func (in *Instance) Hosts() *resolve.Hosts { return in.hosts }

// watch closes done once every worker's loop has ended.
func (in *Instance) watch() {
	for _, w := range in.workers {
		<-w.l.Done()
	}
	close(in.done)
}

// Done is closed once every worker has ended.
func (in *Instance) Done() <-chan struct{} { return in.done }

// Config is the configuration the instance serves.
func (in *Instance) Config() *conf.Config { return in.cfg }

// Stop stops fast (SIGTERM, SIGINT): listeners close, handlers are aborted,
// connections close now. It returns at once; Done tells the end.
func (in *Instance) Stop() { in.shutdown(false) }

// Quit stops gracefully (SIGQUIT): listeners close, in-flight requests
// finish, idle keep-alive connections close, then the workers end. It
// returns at once with a channel closed once every worker has closed its
// listeners (from then on new connections go to other listeners of the
// same address, such as a reload's new workers); Done tells the end.
func (in *Instance) Quit() <-chan struct{} { return in.shutdown(true) }

// shutdown asks every worker still running to stop and returns a channel
// closed once every worker has closed its listeners (or ended). A worker
// whose loop has ended is skipped: its ring is closed and must not be
// woken.
func (in *Instance) shutdown(graceful bool) <-chan struct{} {
	var wg sync.WaitGroup
	for _, w := range in.workers {
		select {
		case <-w.l.Done():
			continue
		default:
		}
		wg.Add(1)
		posted := make(chan struct{})
		if err := w.l.Post(func() {
			defer close(posted)
			if w.runner != nil {
				w.runner.SetExiting(true)
			}
			w.srv.Shutdown(graceful)
		}); err != nil {
			w.l.StopAsync()
			close(posted)
		}
		go func() {
			defer wg.Done()
			select {
			case <-posted:
			case <-w.l.Done():
			}
		}()
	}
	closed := make(chan struct{})
	go func() {
		wg.Wait()
		close(closed)
	}()
	return closed
}

// Addrs returns the addresses the first worker listens on, by listen key
// (for tests and the status page).
func (in *Instance) Addrs() map[string]string {
	out := map[string]string{}
	if len(in.workers) == 0 {
		return out
	}
	w := in.workers[0]
	var mu sync.Mutex
	done := make(chan struct{})
	if err := w.l.Post(func() {
		mu.Lock()
		for k, a := range w.srv.Addrs() {
			out[k] = a.String()
		}
		mu.Unlock()
		close(done)
	}); err != nil {
		return out
	}
	<-done
	return out
}

// Backend names the ring backend the workers run on.
func (in *Instance) Backend() ring.Backend {
	if len(in.workers) == 0 {
		return ""
	}
	return in.workers[0].l.Backend()
}

// backendOf maps `events { use ...; }` to a ring backend.
func backendOf(cfg *conf.Config) ring.Backend {
	switch cfg.Events.Use {
	case "epoll":
		return ring.BackendEpoll
	case "io_uring":
		return ring.BackendUring
	}
	return ring.BackendAuto
}

// ErrWorkersEnded is returned by Run when every worker ended without a
// signal asking for it (a loop failed).
var ErrWorkersEnded = errors.New("all workers ended unexpectedly")

// Stats sums the HTTP counters of the instance's workers. Safe from any
// goroutine once Start has returned.
func (in *Instance) Stats() httpd.Stats {
	var st httpd.Stats
	for _, w := range in.workers {
		if w.srv == nil {
			continue
		}
		s := w.srv.Stats()
		st.Connections += s.Connections
		st.Accepted += s.Accepted
		st.Requests += s.Requests
		st.Active += s.Active
	}
	return st
}

// inherit returns worker i's sockets to adopt, or nil.
func (o Options) inherit(i int) map[string]int {
	if i < len(o.Inherit) {
		return o.Inherit[i]
	}
	return nil
}

// DupListeners duplicates every worker's listening sockets, for the next
// generation's Options.Inherit: connections queued on them then survive
// this generation's Quit instead of being reset. The caller owns the
// descriptors (CloseInherited closes those not adopted).
func (in *Instance) DupListeners() ([]map[string]int, error) {
	out := make([]map[string]int, len(in.workers))
	for i, w := range in.workers {
		var fds map[string]int
		var err error
		done := make(chan struct{})
		if perr := w.l.Post(func() { fds, err = w.srv.DupListeners(); close(done) }); perr != nil {
			CloseInherited(out)
			return nil, perr
		}
		<-done
		if err != nil {
			CloseInherited(out)
			return nil, err
		}
		out[i] = fds
	}
	return out, nil
}

// CloseInherited closes the descriptors left in inherit.
func CloseInherited(inherit []map[string]int) {
	for _, m := range inherit {
		for key, fd := range m {
			unix.Close(fd)
			delete(m, key)
		}
	}
}
