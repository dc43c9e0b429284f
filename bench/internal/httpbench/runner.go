package httpbench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Options are what one benchmark session measures.
type Options struct {
	Workloads     []Workload
	Conns         []int         // wrk connection counts
	Runs          int           // measured runs per point (median and spread over them)
	Warmup        time.Duration // wrk run before each measured window, not recorded
	Duration      time.Duration // measured window
	IdleConns     int           // connections of the idle keep-alive test; 0 skips it
	IdleWorkloads []string      // workloads the idle test runs on
	MaxDisturbed  float64       // retry a window whose steal + other load exceeds this share of the two CPUs
	MinBusy       float64       // retry a window where neither server nor wrk used this share of its CPU
	Retries       int           // retries per run; the least disturbed attempt is kept
	ConfDir       string        // when set, the generated configurations are copied here
	Logf          func(format string, args ...any)
}

// maxFailed is the share of failed requests above which a luring point
// counts as not supported (it fails at run time).
const maxFailed = 0.01

// Bench measures every point of o into rep: run 1 of every point, then run
// 2, and so on, so that slow drift of the machine spreads over all points
// alike. A luring workload whose configuration is rejected, whose probe
// request fails, or whose requests fail under load is marked unsupported
// and skipped from then on; the reference failing is an error.
func (e *Env) Bench(o Options, rep *Report) error {
	for _, wl := range o.Workloads {
		for _, s := range Servers {
			conf := wl.Conf(ConfParams{Port: 8080, BackendPort: 8081, Reference: s.Reference})
			if o.ConfDir != "" {
				if err := os.WriteFile(filepath.Join(o.ConfDir, wl.Name+"."+s.Name+".conf"), []byte(conf), 0o644); err != nil {
					return err
				}
			}
			if err := e.TestConf(s, conf); err != nil {
				if s.Reference {
					return err
				}
				e.unsupported(o, rep, wl, s, err.Error())
			}
		}
	}
	for run := 1; run <= o.Runs; run++ {
		for _, wl := range o.Workloads {
			for _, c := range o.Conns {
				for _, s := range Servers {
					p := rep.Point(wl.Name, s.Name, c)
					if p.Unsupported != "" {
						continue
					}
					r, err := e.measurePoint(o, wl, s, c, run)
					var unsup *unsupportedError
					if errors.As(err, &unsup) && !s.Reference {
						e.unsupported(o, rep, wl, s, unsup.msg)
						continue
					}
					if err != nil {
						return fmt.Errorf("%s %s c%d: %w", s.Name, wl.Name, c, err)
					}
					p.Runs = append(p.Runs, r)
				}
			}
		}
		if o.IdleConns > 0 {
			if err := e.idleRound(o, rep, run); err != nil {
				return err
			}
		}
	}
	return nil
}

// unsupported marks every point of wl on s as not supported, with why.
func (e *Env) unsupported(o Options, rep *Report, wl Workload, s Server, why string) {
	o.Logf("%s: %s is not supported yet: %s", s.Name, wl.Name, oneLine(why, 400))
	for _, c := range o.Conns {
		p := rep.Point(wl.Name, s.Name, c)
		p.Unsupported, p.Runs = why, nil
	}
}

// unsupportedError is a server failing the workload itself (probe or
// requests), as opposed to the benchmark failing.
type unsupportedError struct{ msg string }

func (u *unsupportedError) Error() string { return u.msg }

// measurePoint runs one measured window (with retries for a disturbed
// machine) on a freshly started server.
func (e *Env) measurePoint(o Options, wl Workload, s Server, conns, run int) (Run, error) {
	var best Run
	for try := 0; try <= o.Retries; try++ {
		r, err := e.measureOnce(o, wl, s, conns)
		if err != nil {
			return r, err
		}
		r.Tries = try + 1
		o.Logf("run %d/%d %-9s %-18s c%-4d %9.0f req/s  p50 %6.2f p99 %6.2f p99.9 %6.2f ms  srv CPU %3.0f%%  wrk CPU %3.0f%%  %8.0f req/CPU-s  RSS %5.1f MiB  failed %d  steal %4.1f%% other %4.1f%%%s",
			run, o.Runs, s.Name, wl.Name, conns, r.RPS, r.Latency(50), r.Latency(99), r.Latency(99.9),
			100*r.ServerCPU, 100*r.ClientCPU, r.ReqPerCPUSec, float64(r.RSSKiB)/1024, r.Errors+r.Non2xx,
			100*r.Steal, 100*r.Foreign, backendNote(wl, r))
		if try == 0 || better(r, best, o.MaxDisturbed) {
			best = r
		}
		if r.Disturbed() <= o.MaxDisturbed && r.busy() >= o.MinBusy {
			break
		}
		if try < o.Retries {
			o.Logf("  window disturbed (steal + other %.1f%%, server %.0f%%, wrk %.0f%%): retrying", 100*r.Disturbed(), 100*r.ServerCPU, 100*r.ClientCPU)
			time.Sleep(2 * time.Second)
		}
	}
	return best, nil
}

// better reports whether attempt a is a fairer measurement than b: one
// within the disturbance limit beats one outside it; among those within,
// the busier one (something held the other back); among those outside,
// the less disturbed one.
func better(a, b Run, limit float64) bool {
	aq, bq := a.Disturbed() <= limit, b.Disturbed() <= limit
	switch {
	case aq != bq:
		return aq
	case aq:
		return a.busy() > b.busy()
	default:
		return a.Disturbed() < b.Disturbed()
	}
}

// backendNote is the log suffix for upstream workloads.
func backendNote(wl Workload, r Run) string {
	if !wl.Backend {
		return ""
	}
	return fmt.Sprintf("  backend: %d new conns, CPU %.0f%%", r.BackendConns, 100*r.BackendCPUSec/r.Seconds)
}

// measureOnce starts the server (and backend), probes, warms up, measures
// and stops.
func (e *Env) measureOnce(o Options, wl Workload, s Server, conns int) (Run, error) {
	var backend *Proc
	bport := 0
	if wl.Backend {
		var err error
		if backend, err = e.StartBackend(); err != nil {
			return Run{}, err
		}
		defer backend.Stop()
		bport = backend.Port
	}
	port, err := FreePort()
	if err != nil {
		return Run{}, err
	}
	srv, err := e.StartServer(s, wl.Conf(ConfParams{Port: port, BackendPort: bport, Reference: s.Reference}), port)
	if err != nil {
		return Run{}, err
	}
	defer func() {
		srv.Stop()
		os.RemoveAll(srv.Prefix)
	}()
	if err := Probe(port, wl); err != nil {
		return Run{}, &unsupportedError{fmt.Sprintf("%v; error log: %s", err, srv.FirstError())}
	}
	script, err := writeScript(e.WorkDir, wl)
	if err != nil {
		return Run{}, err
	}
	if err := e.Warm(srv, wl, script, conns, o.Warmup); err != nil {
		return Run{}, &unsupportedError{fmt.Sprintf("%v; error log: %s", err, srv.FirstError())}
	}
	r, err := e.Measure(srv, backend, wl, script, conns, o.Duration)
	if err != nil {
		return r, err
	}
	if failed := r.Errors + r.Non2xx; r.Requests == 0 || float64(failed) > maxFailed*float64(r.Requests) {
		msg := fmt.Sprintf("%d of %d requests failed under load (socket errors %d, status >= 400: %d); error log: %s",
			failed, r.Requests, r.Errors, r.Non2xx, srv.FirstError())
		if s.Reference {
			return r, errors.New(msg)
		}
		return r, &unsupportedError{msg}
	}
	return r, nil
}

// idleRound runs the idle keep-alive test once per idle workload and
// server.
func (e *Env) idleRound(o Options, rep *Report, run int) error {
	for _, name := range o.IdleWorkloads {
		wl, ok := WorkloadByName(name)
		if !ok {
			return fmt.Errorf("unknown idle workload %q", name)
		}
		for _, s := range Servers {
			if p := rep.find(wl.Name, s.Name, o.Conns[0]); p != nil && p.Unsupported != "" {
				continue
			}
			port, err := FreePort()
			if err != nil {
				return err
			}
			var backend *Proc
			bport := 0
			if wl.Backend {
				if backend, err = e.StartBackend(); err != nil {
					return err
				}
				bport = backend.Port
			}
			srv, err := e.StartServer(s, wl.Conf(ConfParams{Port: port, BackendPort: bport, Reference: s.Reference}), port)
			if err != nil {
				return err
			}
			ir, err := Idle(srv, wl, o.IdleConns, time.Second)
			srv.Stop()
			os.RemoveAll(srv.Prefix)
			if backend != nil {
				backend.Stop()
			}
			if err != nil {
				return fmt.Errorf("idle %s %s: %w", s.Name, wl.Name, err)
			}
			o.Logf("idle %d/%d %-9s %-18s %d conns: VmRSS %.1f → %.1f MiB = %.0f B/conn",
				run, o.Runs, s.Name, wl.Name, ir.Conns, float64(ir.RSSBeforeKiB)/1024, float64(ir.RSSAfterKiB)/1024, ir.BytesPerConn)
			p := rep.IdlePointFor(wl.Name, s.Name)
			p.Runs = append(p.Runs, ir)
		}
	}
	return nil
}
