package bench

import (
	"flag"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/luring/luring/bench/internal/harness"
)

var (
	echoConns  = flag.Int("echo.conns", 100, "connections of the echo benchmark")
	echoWarmup = flag.Duration("echo.warmup", time.Second, "warm-up of each echo benchmark point, not measured")
)

// echoSizes are the message sizes of BenchmarkEcho.
var echoSizes = []int{64, 4096}

// Binaries are built once per test binary run, on first use.
var (
	buildOnce sync.Once
	built     *harness.Harness
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func binaries(b *testing.B) *harness.Harness {
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "luring-bench")
		if buildErr == nil {
			built, buildErr = harness.Build(buildDir)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return built
}

// measuredWindow is the load duration of one point: -benchtime when it is a
// duration, else 5s. A point then takes longer than -benchtime (warm-up and
// start-up come on top), so the testing package runs it exactly once.
func measuredWindow() time.Duration {
	if f := flag.Lookup("test.benchtime"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 0 {
			return d
		}
	}
	return 5 * time.Second
}

// BenchmarkEcho compares echo servers on one event loop each: the server
// pinned to CPU 0, the same load client (cmd/echo-client, 100 connections
// doing ping-pong) pinned to CPU 1. One op is one round trip.
//
// Metrics: msgs/s (round trips per second), ns/op (its inverse), x-gnet (the
// rate over gnet's at the same size, when gnet ran first in this process),
// srv-cpu-us/msg (server CPU time per message) and srv-cpu-% (server CPU
// use), steal-% (CPU time the hypervisor took from CPUs 0 and 1: figures
// with a high steal are not comparable), other-cpu-% (CPU time other
// processes used on them, likewise); allocs/op and B/op are the server's heap allocations per message,
// not the harness's. gnet runs first so that the ratios can be reported.
// For medians use -count 3 with benchstat, or cmd/echobench.
func BenchmarkEcho(b *testing.B) {
	h := binaries(b)
	cfg := harness.Config{Conns: *echoConns, Warmup: *echoWarmup, Duration: measuredWindow(), ServerCPU: 0, ClientCPU: 1}
	gnetRate := map[int]float64{}
	for _, s := range harness.Servers {
		b.Run(s.Name, func(b *testing.B) {
			for _, size := range echoSizes {
				b.Run(harness.SizeName(size), func(b *testing.B) {
					m, err := h.Measure(s, size, cfg)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(m.MsgsPerSec, "msgs/s")
					b.ReportMetric(1e9/m.MsgsPerSec, "ns/op")
					b.ReportMetric(m.AllocsPerMsg, "allocs/op")
					b.ReportMetric(m.BytesPerMsg, "B/op")
					b.ReportMetric(m.ServerMicrosPerMsg(), "srv-cpu-us/msg")
					b.ReportMetric(100*m.ServerCPU, "srv-cpu-%")
					b.ReportMetric(100*m.Steal, "steal-%")
					b.ReportMetric(100*m.Foreign, "other-cpu-%")
					if s.Name == "gnet" {
						gnetRate[size] = m.MsgsPerSec
					} else if g := gnetRate[size]; g > 0 {
						b.ReportMetric(m.MsgsPerSec/g, "x-gnet")
					}
				})
			}
		})
	}
}
