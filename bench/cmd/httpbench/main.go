// Command httpbench benchmarks luring against OpenResty (Debian's nginx
// with lua-nginx-module) side by side and writes the results as JSON, a
// markdown table with luring/reference ratios and PNG plots.
//
// From the repository root, `make bench` runs it; by hand, from anywhere in
// the repository:
//
//	cd bench && go run ./cmd/httpbench [-workloads hello,api] [-runs 3] [-conns 50,256] [-duration 5s]
//
// It installs the reference with apt-get when it is missing, builds
// bin/luring, and then for every workload generates one nginx.conf that both
// servers run (nginx also gets the load_module lines and lua_package_path),
// starts each server with one worker pinned to CPU 0, warms it up with wrk
// pinned to CPU 1 and measures a window with `wrk -t1 -cN -dD --latency`:
// requests/s, p50–p99.9 latency, the server's CPU time and VmRSS. Then it
// opens -idle-conns idle keep-alive connections to each server and reports
// the VmRSS they cost per connection. Every point is run -runs times
// (interleaved: run 1 of every point, then run 2, ...); the tables show the
// median and the min–max spread. A window disturbed by hypervisor steal or
// other processes on the two CPUs is retried.
//
// A workload luring rejects (luring -t) or fails at run time is reported
// as "not supported yet" for luring; the reference is still measured.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/luring/luring/bench/internal/httpbench"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("httpbench: ")
	var names []string
	for _, w := range httpbench.Workloads {
		names = append(names, w.Name)
	}
	workloadsFlag := flag.String("workloads", strings.Join(names, ","), "workloads, comma-separated")
	runs := flag.Int("runs", 3, "measured runs per point; tables show the median and min–max")
	connsFlag := flag.String("conns", "50,256", "wrk connection counts, comma-separated")
	duration := flag.Duration("duration", 5*time.Second, "measured window per run (whole seconds)")
	warmup := flag.Duration("warmup", 2*time.Second, "wrk warm-up before each window, not measured (0 = none)")
	workers := flag.Int("workers", 1, "worker processes per server (only 1 is supported: one server CPU)")
	out := flag.String("out", "", "output directory (default bench/results under the repository root)")
	idleConns := flag.Int("idle-conns", 10000, "idle keep-alive connections for the memory test (0 = skip)")
	idleWorkloads := flag.String("idle-workloads", "hello,static", "workloads the idle keep-alive test runs on")
	backend := flag.String("backend", "io_uring", "luring's ring backend (LURING_BACKEND): io_uring, epoll, or auto")
	maxDisturbed := flag.Float64("max-disturbed", 0.05, "retry a window whose steal plus other processes' CPU exceeds this share of the two CPUs")
	minBusy := flag.Float64("min-busy", 0.85, "retry a window where neither the server nor wrk used this share of its CPU")
	retries := flag.Int("retries", 2, "retries per run for a disturbed window; the least disturbed attempt is kept")
	serverCPU := flag.Int("server-cpu", 0, "CPU the server is pinned to")
	clientCPU := flag.Int("client-cpu", 1, "CPU wrk and the upstream backend are pinned to")
	luringEnv := flag.String("luring-env", "", "extra environment for luring, comma-separated KEY=VALUE (experiments: GOMAXPROCS=2, GOGC=400)")
	replot := flag.Bool("replot", false, "measure nothing: redraw results.md and the plots from -out's results.json")
	noInstall := flag.Bool("no-install", false, "do not run apt-get even when the reference is missing")
	flag.Parse()

	if *workers != 1 {
		log.Fatal("-workers: only 1 is supported (the server has one CPU, wrk the other)")
	}
	var workloads []httpbench.Workload
	for _, n := range strings.Split(*workloadsFlag, ",") {
		w, ok := httpbench.WorkloadByName(strings.TrimSpace(n))
		if !ok {
			log.Fatalf("unknown workload %q (have %s)", n, strings.Join(names, ", "))
		}
		workloads = append(workloads, w)
	}
	var conns []int
	for _, f := range strings.Split(*connsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			log.Fatalf("bad -conns value %q", f)
		}
		conns = append(conns, n)
	}
	if *duration < time.Second || *runs < 1 {
		log.Fatal("-duration must be at least 1s and -runs at least 1")
	}
	var idle []string
	if *idleConns > 0 {
		for _, n := range strings.Split(*idleWorkloads, ",") {
			if n = strings.TrimSpace(n); n != "" {
				idle = append(idle, n)
			}
		}
	}

	root, err := httpbench.RepoRoot(".")
	if err != nil {
		log.Fatal(err)
	}
	if *out == "" {
		*out = filepath.Join(root, "bench", "results")
	}
	if err := os.MkdirAll(filepath.Join(*out, "conf"), 0o755); err != nil {
		log.Fatal(err)
	}
	if *replot {
		b, err := os.ReadFile(filepath.Join(*out, "results.json"))
		if err != nil {
			log.Fatal(err)
		}
		rep := &httpbench.Report{}
		if err := json.Unmarshal(b, rep); err != nil {
			log.Fatal(err)
		}
		report(rep, *out, workloads, conns)
		return
	}
	if !*noInstall {
		if err := httpbench.EnsureReference(os.Stderr); err != nil {
			log.Fatal(err)
		}
	}
	if lim, err := httpbench.RaiseNoFile(uint64(2*(*idleConns) + 1024)); err != nil {
		log.Fatalf("RLIMIT_NOFILE: %v", err)
	} else if lim < uint64(*idleConns+1024) {
		log.Fatalf("RLIMIT_NOFILE is %d, too low for -idle-conns %d", lim, *idleConns)
	}

	work, err := os.MkdirTemp("", "httpbench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	env := &httpbench.Env{ServerCPU: *serverCPU, ClientCPU: *clientCPU, WorkDir: work}
	if env.Luring, err = httpbench.BuildLuring(root, os.Stderr); err != nil {
		log.Fatal(err)
	}
	if env.Backend, err = httpbench.BuildBackend(root, work); err != nil {
		log.Fatal(err)
	}
	if env.Nginx, err = exec.LookPath("nginx"); err != nil {
		log.Fatal(err)
	}
	if env.Wrk, err = exec.LookPath("wrk"); err != nil {
		log.Fatal(err)
	}
	if _, err := exec.LookPath("taskset"); err == nil {
		env.Pinned = true
	} else {
		log.Print("taskset not found: processes are NOT pinned to CPUs")
	}
	if *backend != "auto" {
		env.LuringEnv = []string{"LURING_BACKEND=" + *backend}
	}
	for _, kv := range strings.Split(*luringEnv, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			env.LuringEnv = append(env.LuringEnv, kv)
		}
	}

	rep := &httpbench.Report{Meta: httpbench.Meta{
		Date:          time.Now(),
		Machine:       httpbench.MachineInfo(),
		GoVersion:     runtime.Version(),
		Reference:     httpbench.ReferenceVersion(env.Nginx),
		LuringBackend: strings.Join(append([]string{*backend}, strings.Fields(strings.ReplaceAll(*luringEnv, ",", " "))...), " "),
		Wrk:           httpbench.WrkVersion(env.Wrk),
		ServerCPU:     *serverCPU,
		ClientCPU:     *clientCPU,
		Warmup:        warmup.String(),
		Duration:      duration.String(),
		Runs:          *runs,
		MaxDisturbed:  *maxDisturbed,
		IdleConns:     *idleConns,
	}}
	start := time.Now()
	err = env.Bench(httpbench.Options{
		Workloads: workloads, Conns: conns, Runs: *runs, Warmup: *warmup, Duration: *duration,
		IdleConns: *idleConns, IdleWorkloads: idle, MaxDisturbed: *maxDisturbed, MinBusy: *minBusy,
		Retries: *retries, ConfDir: filepath.Join(*out, "conf"), Logf: log.Printf,
	}, rep)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("measured in %v", time.Since(start).Round(time.Second))

	if err := rep.WriteJSON(filepath.Join(*out, "results.json")); err != nil {
		log.Fatal(err)
	}
	report(rep, *out, workloads, conns)
}

// report writes results.md and the plots into out and prints the markdown.
func report(rep *httpbench.Report, out string, workloads []httpbench.Workload, conns []int) {
	var md bytes.Buffer
	rep.WriteMarkdown(&md, workloads, conns)
	plots, err := rep.WritePlots(out, workloads, conns)
	if err != nil {
		log.Fatalf("plots: %v", err)
	}
	md.WriteString("\nPlots: ")
	for i, p := range plots {
		if i > 0 {
			md.WriteString(", ")
		}
		fmt.Fprintf(&md, "[%s](%s)", p, p)
	}
	md.WriteString("\n")
	if err := os.WriteFile(filepath.Join(out, "results.md"), md.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	os.Stdout.Write(md.Bytes())
	log.Printf("wrote results.md, results.json and %s in %s", strings.Join(plots, ", "), out)
}
