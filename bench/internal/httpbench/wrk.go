package httpbench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/luring/luring/bench/internal/harness"
)

// Percentiles are the latency percentiles measured, in table order.
var Percentiles = []float64{50, 75, 90, 99, 99.9}

// Run is one measured wrk window against one server.
type Run struct {
	Requests      int64     `json:"requests"`      // completed requests
	Seconds       float64   `json:"seconds"`       // wrk's measured duration
	RPS           float64   `json:"rps"`           // requests per second
	LatencyMs     []float64 `json:"latency_ms"`    // at Percentiles
	Errors        int64     `json:"errors"`        // connect+read+write+timeout errors
	Non2xx        int64     `json:"non_2xx"`       // responses with status >= 400 (wrk's "status" errors)
	ServerCPU     float64   `json:"server_cpu"`    // server CPU use during the window, 1 = one CPU
	ClientCPU     float64   `json:"client_cpu"`    // wrk's CPU use
	ReqPerCPUSec  float64   `json:"req_per_cpu_s"` // requests per second of server CPU time
	RSSKiB        int64     `json:"rss_kib"`       // server VmRSS in the middle of the window
	Steal         float64   `json:"steal"`         // hypervisor steal on the two CPUs (0..1)
	Foreign       float64   `json:"foreign"`       // other processes on the two CPUs (0..1)
	BackendConns  int       `json:"backend_conns"` // connections http-backend accepted (upstream workloads)
	BackendCPUSec float64   `json:"backend_cpu_s"` // http-backend's CPU seconds in the window
	Tries         int       `json:"tries"`         // attempts made for this run (quiet-window retries)
	Started       time.Time `json:"started"`       // start of the window
	scriptOutput  []string  // wrk's raw lines, for error messages
	clientRusage  float64   // wrk's CPU seconds (rusage)
}

// Disturbed is the share of the two CPUs that neither the server nor the
// client side had: steal plus other processes.
func (r Run) Disturbed() float64 { return r.Steal + r.Foreign }

// ClientSideCPU is the CPU use of everything on the client CPU that works
// for the benchmark: wrk plus, for upstream workloads, http-backend.
func (r Run) ClientSideCPU() float64 {
	if r.Seconds == 0 {
		return r.ClientCPU
	}
	return r.ClientCPU + r.BackendCPUSec/r.Seconds
}

// busy is the CPU use of the busier side, server or client.
func (r Run) busy() float64 { return max(r.ServerCPU, r.ClientSideCPU()) }

// Latency returns the latency at percentile p (one of Percentiles) in ms.
func (r Run) Latency(p float64) float64 {
	for i, q := range Percentiles {
		if q == p && i < len(r.LatencyMs) {
			return r.LatencyMs[i]
		}
	}
	return 0
}

// writeScript writes the wrk Lua script for w: request method, headers and
// body, and a done() that prints the summary and the percentiles (p99.9
// included, which --latency does not print) in a form parseWrk reads.
func writeScript(dir string, w Workload) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = %q\n", w.method())
	keys := make([]string, 0, len(w.Headers))
	for k := range w.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "wrk.headers[%q] = %q\n", k, w.Headers[k])
	}
	if w.BodySize > 0 {
		fmt.Fprintf(&b, "wrk.body = string.rep(\"x\", %d) .. \"%s\"\n", w.BodySize-len(bodyDelim), luaEscape(bodyDelim))
	}
	b.WriteString(`
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
        summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
`)
	for _, p := range Percentiles {
		fmt.Fprintf(&b, "    io.write(string.format(\"LATENCY %g %%d\\n\", latency:percentile(%g)))\n", p, p)
	}
	b.WriteString("end\n")
	path := filepath.Join(dir, "wrk-"+w.Name+".lua")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// parseWrk reads the lines the script's done() printed into r.
func parseWrk(out []byte, r *Run) error {
	var lat = map[float64]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	found := false
	for sc.Scan() {
		l := sc.Text()
		r.scriptOutput = append(r.scriptOutput, l)
		switch {
		case strings.HasPrefix(l, "RESULT "):
			var durUs, conn, rd, wr, st, to int64
			if _, err := fmt.Sscanf(l, "RESULT requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d",
				&r.Requests, &durUs, &conn, &rd, &wr, &st, &to); err != nil {
				return fmt.Errorf("wrk: bad result line %q: %v", l, err)
			}
			r.Seconds = float64(durUs) / 1e6
			r.Errors, r.Non2xx = conn+rd+wr+to, st
			found = true
		case strings.HasPrefix(l, "LATENCY "):
			var p, us float64
			if _, err := fmt.Sscanf(l, "LATENCY %g %g", &p, &us); err == nil {
				lat[p] = us / 1000
			}
		}
	}
	if !found {
		return fmt.Errorf("wrk printed no result:\n%s", out)
	}
	for _, p := range Percentiles {
		r.LatencyMs = append(r.LatencyMs, lat[p])
	}
	if r.Seconds > 0 {
		r.RPS = float64(r.Requests) / r.Seconds
	}
	return nil
}

// wrk runs wrk once against port with conns connections for d, pinned to
// the client CPU, and returns its parsed output and CPU seconds.
func (e *Env) wrk(script string, port, conns int, d time.Duration, path string) (Run, error) {
	var r Run
	args := []string{"-t1", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(d.Seconds())), "--latency",
		"--timeout", "10s", "-s", script, fmt.Sprintf("http://127.0.0.1:%d%s", port, path)}
	cmd := e.pinned(e.ClientCPU, e.Wrk, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return r, fmt.Errorf("wrk %s: %v: %s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.clientRusage = tv(ru.Utime) + tv(ru.Stime)
	}
	return r, parseWrk(out.Bytes(), &r)
}

// tv converts a Timeval to seconds.
func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// Measure runs one measured wrk window against srv (already warmed up):
// server CPU from /proc/<pid>/stat around the window, VmRSS in the middle,
// steal and other processes' CPU on the two CPUs. backend may be nil.
func (e *Env) Measure(srv, backend *Proc, w Workload, script string, conns int, d time.Duration) (Run, error) {
	pid := srv.Pid()
	var bcpu0 float64
	if backend != nil {
		bcpu0 = harness.ProcessCPU(backend.Pid())
	}
	acc0 := 0
	if backend != nil {
		var err error
		if acc0, err = backend.Accepts(); err != nil {
			return Run{}, err
		}
	}
	rss := make(chan int64, 1)
	go func() {
		time.Sleep(d / 2)
		rss <- VmRSSKiB(pid)
	}()
	started := time.Now()
	cpu0, t0 := harness.ProcessCPU(pid), time.Now()
	st0, busy0 := harness.CPUTimes(e.ServerCPU, e.ClientCPU)
	r, err := e.wrk(script, srv.Port, conns, d, w.Path)
	cpu1, t1 := harness.ProcessCPU(pid), time.Now()
	st1, busy1 := harness.CPUTimes(e.ServerCPU, e.ClientCPU)
	r.RSSKiB = <-rss
	if err != nil {
		return r, err
	}
	r.Started = started
	wall := t1.Sub(t0).Seconds()
	srvCPU := cpu1 - cpu0
	r.ServerCPU = srvCPU / wall
	r.ClientCPU = r.clientRusage / wall
	if srvCPU > 0 {
		r.ReqPerCPUSec = float64(r.Requests) / srvCPU
	}
	if backend != nil {
		r.BackendCPUSec = harness.ProcessCPU(backend.Pid()) - bcpu0
		acc1, err := backend.Accepts()
		if err != nil {
			return r, err
		}
		r.BackendConns = acc1 - acc0
	}
	r.Steal = (st1 - st0) / (2 * wall)
	r.Foreign = max(0, ((busy1-busy0)-srvCPU-r.clientRusage-r.BackendCPUSec)/(2*wall))
	return r, nil
}

// Warm runs wrk for d without recording anything but failures.
func (e *Env) Warm(srv *Proc, w Workload, script string, conns int, d time.Duration) error {
	if d < time.Second {
		return nil
	}
	r, err := e.wrk(script, srv.Port, conns, d, w.Path)
	if err != nil {
		return err
	}
	if r.Requests == 0 {
		return fmt.Errorf("warm-up: no request completed (errors %d, non-2xx %d)", r.Errors, r.Non2xx)
	}
	return nil
}
