// Command echobench runs the echo benchmark and prints a markdown table:
// luring (io_uring and epoll backends) against gnet, each server on one
// event loop pinned to one CPU, the same load client pinned to another,
// median of several runs with the spread.
//
// Run it inside bench/:
//
//	go run -ldflags=-checklinkname=0 ./cmd/echobench
//
// The machine is a shared VM: when the hypervisor steals CPU time (other
// guests busy) or other processes run on the two CPUs, rates drop. A point
// whose steal plus foreign CPU use exceeds -max-steal is run again (up to
// -retries times, keeping the least-disturbed run), and the table shows that
// share for the runs kept. So is a point where neither the server nor the
// client reached -min-busy of its CPU: something outside both held them back.
//
// Runs are interleaved (run 1 of every point, then run 2, ...), so slow
// drift of the machine spreads over all servers alike.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/luring/luring/bench/internal/harness"
)

func main() {
	var cfg harness.Config
	flag.IntVar(&cfg.Conns, "conns", 100, "connections")
	flag.DurationVar(&cfg.Warmup, "warmup", time.Second, "warm-up per run, not measured")
	flag.DurationVar(&cfg.Duration, "duration", 5*time.Second, "measured window per run")
	flag.IntVar(&cfg.ServerCPU, "server-cpu", 0, "CPU the server is pinned to")
	flag.IntVar(&cfg.ClientCPU, "client-cpu", 1, "CPU the client is pinned to")
	flag.StringVar(&cfg.ProfileDir, "profile", "", "directory for server CPU profiles (one per point, last run)")
	runs := flag.Int("runs", 3, "runs per point; the table shows the median and min–max")
	sizesFlag := flag.String("sizes", "64,4096", "message sizes in bytes, comma-separated")
	serversFlag := flag.String("servers", "luring-io_uring,luring-epoll,gnet", "servers, comma-separated")
	binDir := flag.String("bin", "", "use binaries already built into this directory")
	maxSteal := flag.Float64("max-steal", 0.05, "re-run a point whose hypervisor steal plus other processes' CPU exceeds this share of the two CPUs")
	minBusy := flag.Float64("min-busy", 0.85, "re-run a point where neither server nor client used this share of its CPU")
	retries := flag.Int("retries", 4, "re-runs allowed per point for steal; the least-disturbed run is kept")
	flag.Parse()
	log.SetFlags(0)

	var sizes []int
	for _, f := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 8 {
			log.Fatalf("echobench: bad size %q (want bytes >= 8)", f)
		}
		sizes = append(sizes, n)
	}
	var servers []harness.Server
	for _, f := range strings.Split(*serversFlag, ",") {
		s, ok := harness.ServerByName(strings.TrimSpace(f))
		if !ok {
			log.Fatalf("echobench: unknown server %q", f)
		}
		servers = append(servers, s)
	}

	var h *harness.Harness
	if *binDir != "" {
		h = harness.Use(*binDir)
	} else {
		dir, err := os.MkdirTemp("", "echobench")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if h, err = harness.Build(dir); err != nil {
			log.Fatal(err)
		}
	}
	if !h.Pinned() {
		log.Print("echobench: taskset not found; processes are NOT pinned to CPUs")
	}

	results := harness.Results{}
	for run := 1; run <= *runs; run++ {
		for _, size := range sizes {
			for _, s := range servers {
				c := cfg
				if run != *runs {
					c.ProfileDir = ""
				}
				var best harness.Measurement
				for try := 0; try <= *retries; try++ {
					m, err := h.Measure(s, size, c)
					if err != nil {
						log.Fatal(err)
					}
					log.Printf("run %d/%d %-16s %5s  %10.0f msgs/s  server CPU %3.0f%%  client CPU %3.0f%%  %.4f allocs/msg  steal %4.1f%%  other %4.1f%%",
						run, *runs, s.Name, harness.SizeName(size), m.MsgsPerSec, 100*m.ServerCPU, 100*m.ClientCPU, m.AllocsPerMsg, 100*m.Steal, 100*m.Foreign)
					if try == 0 || m.Disturbed() < best.Disturbed() {
						best = m
					}
					// Neither side near a full CPU means something outside
					// both processes held them back.
					if m.Disturbed() <= *maxSteal && max(m.ServerCPU, m.ClientCPU) >= *minBusy {
						break
					}
					time.Sleep(2 * time.Second) // let the neighbours' burst pass
				}
				results.Add(s.Name, size, best)
			}
		}
	}
	fmt.Printf("Echo ping-pong, %d connections, one message in flight per connection; server pinned to CPU %d, client to CPU %d; "+
		"warm-up %v, %v measured, median of %d runs (min–max). %s, %d CPUs.\n\n",
		cfg.Conns, cfg.ServerCPU, cfg.ClientCPU, cfg.Warmup, cfg.Duration, *runs, runtime.Version(), runtime.NumCPU())
	results.WriteTable(os.Stdout, sizes, cfg.Conns)
}
