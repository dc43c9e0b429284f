// Package harness runs the echo benchmark: it builds the servers and the
// load client once, then measures one point (server × message size) at a
// time with the server pinned to one CPU and the client to another.
//
// Place in the import graph: used by bench/echo_test.go and
// bench/cmd/echobench; it runs the bench/cmd/* binaries as processes and
// imports none of their packages.
package harness

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LDFlags is passed to every go build: giouring links only with it.
const LDFlags = "-ldflags=-checklinkname=0"

// Server is one server under test.
type Server struct {
	Name string   // as in benchmark names and the table: "luring-io_uring"
	Bin  string   // command name under bench/cmd
	Env  []string // extra environment
}

// Servers are the servers the benchmark compares, gnet first so that the
// luring figures can be put against it as soon as they are measured.
var Servers = []Server{
	{Name: "gnet", Bin: "echo-gnet"},
	{Name: "luring-io_uring", Bin: "echo-luring", Env: []string{"LURING_BACKEND=io_uring"}},
	{Name: "luring-epoll", Bin: "echo-luring", Env: []string{"LURING_BACKEND=epoll"}},
}

// ServerByName returns the server called name.
func ServerByName(name string) (Server, bool) {
	for _, s := range Servers {
		if s.Name == name {
			return s, true
		}
	}
	return Server{}, false
}

// Config is the load applied at every point.
type Config struct {
	Conns      int           // connections (default 100)
	Warmup     time.Duration // not measured (default 1s)
	Duration   time.Duration // measured window (default 5s)
	ServerCPU  int           // CPU the server is pinned to (default 0)
	ClientCPU  int           // CPU the client is pinned to (default 1)
	ProfileDir string        // when set, servers write <name>-<size>.cpu.prof here
}

func (c *Config) setDefaults() {
	if c.Conns <= 0 {
		c.Conns = 100
	}
	if c.Warmup <= 0 {
		c.Warmup = time.Second
	}
	if c.Duration <= 0 {
		c.Duration = 5 * time.Second
	}
	if c.ServerCPU == 0 && c.ClientCPU == 0 {
		c.ClientCPU = 1
	}
}

// Measurement is one point's result. Rates are over the client's measured
// window; CPU figures are fractions of one CPU over the same window.
type Measurement struct {
	MsgsPerSec   float64 // round trips per second
	ServerCPU    float64 // server process CPU use (1 = one full CPU)
	ClientCPU    float64 // client process CPU use
	AllocsPerMsg float64 // server heap allocations per echoed message
	BytesPerMsg  float64 // server heap bytes allocated per echoed message
	Steal        float64 // share of the two CPUs' time the hypervisor took (0..1)
	Foreign      float64 // share of the two CPUs' time other processes used (0..1, ±0.01 tick noise)
}

// Disturbed is the share of the two CPUs that neither server nor client
// had: hypervisor steal plus other processes. Figures with a high value are
// not comparable.
func (m Measurement) Disturbed() float64 { return m.Steal + m.Foreign }

// ServerMicrosPerMsg is the server's CPU time per round trip (µs): its cost
// per message whether or not it was the side that saturated.
func (m Measurement) ServerMicrosPerMsg() float64 {
	if m.MsgsPerSec == 0 {
		return 0
	}
	return 1e6 * m.ServerCPU / m.MsgsPerSec
}

// Harness holds the built binaries.
type Harness struct {
	Dir    string // where the binaries are
	pinned bool   // taskset is available
}

// Build compiles the servers and the client into dir, from the bench module
// that contains the current directory.
func Build(dir string) (*Harness, error) {
	goBin := os.Getenv("GO")
	if goBin == "" {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "build", LDFlags, "-o", dir+string(filepath.Separator),
		"github.com/luring/luring/bench/cmd/echo-luring",
		"github.com/luring/luring/bench/cmd/echo-gnet",
		"github.com/luring/luring/bench/cmd/echo-client")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("harness: go build (run inside bench/): %v\n%s", err, out)
	}
	return Use(dir), nil
}

// Use returns a harness for binaries already built into dir.
func Use(dir string) *Harness {
	_, err := exec.LookPath("taskset")
	return &Harness{Dir: dir, pinned: err == nil}
}

// Pinned reports whether processes are pinned to CPUs (taskset found).
func (h *Harness) Pinned() bool { return h.pinned }

// command builds an exec.Cmd for a binary pinned to cpu.
func (h *Harness) command(cpu int, bin string, args ...string) *exec.Cmd {
	path := filepath.Join(h.Dir, bin)
	if !h.pinned {
		return exec.Command(path, args...)
	}
	return exec.Command("taskset", append([]string{"-c", strconv.Itoa(cpu), path}, args...)...)
}

// Measure runs one point: it starts the server, runs the client against it
// and stops the server.
func (h *Harness) Measure(s Server, size int, cfg Config) (Measurement, error) {
	cfg.setDefaults()
	args := []string{"-addr", "127.0.0.1:0", "-allocs"}
	if cfg.ProfileDir != "" {
		args = append(args, "-cpuprofile", filepath.Join(cfg.ProfileDir, fmt.Sprintf("%s-%d.cpu.prof", s.Name, size)))
	}
	srv := h.command(cfg.ServerCPU, s.Bin, args...)
	srv.Env = append(os.Environ(), s.Env...)
	srv.Stderr = os.Stderr
	sout, err := srv.StdoutPipe()
	if err != nil {
		return Measurement{}, err
	}
	if err := srv.Start(); err != nil {
		return Measurement{}, err
	}
	lines := readLines(sout)
	defer func() {
		if srv.ProcessState == nil {
			srv.Process.Kill()
			srv.Wait()
		}
	}()
	addr, err := nextLine(lines, 10*time.Second)
	if err != nil {
		return Measurement{}, fmt.Errorf("harness: %s did not announce its address: %w", s.Name, err)
	}

	cli := h.command(cfg.ClientCPU, "echo-client", "-addr", addr, "-conns", strconv.Itoa(cfg.Conns),
		"-size", strconv.Itoa(size), "-warmup", cfg.Warmup.String(), "-duration", cfg.Duration.String())
	cli.Env = append(os.Environ(), "GOMAXPROCS=1")
	cli.Stderr = os.Stderr
	cout, err := cli.StdoutPipe()
	if err != nil {
		return Measurement{}, err
	}
	if err := cli.Start(); err != nil {
		return Measurement{}, err
	}
	defer func() {
		if cli.ProcessState == nil {
			cli.Process.Kill()
			cli.Wait()
		}
	}()
	clines := readLines(cout)
	limit := cfg.Warmup + cfg.Duration + 30*time.Second

	if l, err := nextLine(clines, limit); err != nil || l != "measuring" {
		return Measurement{}, fmt.Errorf("harness: client against %s: %q %v", s.Name, l, err)
	}
	srv.Process.Signal(syscall.SIGUSR1)
	cpu0, t0 := processCPU(srv.Process.Pid), time.Now()
	st0, busy0 := cpuTimes(cfg.ServerCPU, cfg.ClientCPU)
	l, err := nextLine(clines, limit)
	cpu1, t1 := processCPU(srv.Process.Pid), time.Now()
	st1, busy1 := cpuTimes(cfg.ServerCPU, cfg.ClientCPU)
	srv.Process.Signal(syscall.SIGUSR1)
	if err != nil || !strings.HasPrefix(l, "result ") {
		return Measurement{}, fmt.Errorf("harness: client against %s: %q %v", s.Name, l, err)
	}
	var res struct {
		MsgsPerSec float64 `json:"msgs_per_s"`
		Seconds    float64 `json:"seconds"`
		CPUSeconds float64 `json:"cpu_seconds"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(l, "result ")), &res); err != nil {
		return Measurement{}, err
	}
	if err := cli.Wait(); err != nil {
		return Measurement{}, fmt.Errorf("harness: client against %s: %w", s.Name, err)
	}
	m := Measurement{
		MsgsPerSec: res.MsgsPerSec,
		ServerCPU:  (cpu1 - cpu0) / t1.Sub(t0).Seconds(),
		ClientCPU:  res.CPUSeconds / res.Seconds,
		Steal:      (st1 - st0) / (2 * t1.Sub(t0).Seconds()),
	}
	foreign := (busy1 - busy0) - (cpu1 - cpu0) - res.CPUSeconds
	m.Foreign = max(0, foreign/(2*t1.Sub(t0).Seconds()))

	l, err = nextLine(lines, 10*time.Second)
	if err != nil {
		return Measurement{}, fmt.Errorf("harness: %s gave no allocation report: %w", s.Name, err)
	}
	var mallocs, bytes, echoed float64
	if _, err := fmt.Sscanf(l, "allocs mallocs=%g bytes=%g echoed=%g", &mallocs, &bytes, &echoed); err != nil {
		return Measurement{}, fmt.Errorf("harness: %s: bad allocation report %q", s.Name, l)
	}
	if msgs := echoed / float64(size); msgs > 0 {
		m.AllocsPerMsg, m.BytesPerMsg = mallocs/msgs, bytes/msgs
	}

	srv.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return Measurement{}, fmt.Errorf("harness: %s exited: %w", s.Name, err)
		}
	case <-time.After(15 * time.Second):
		return Measurement{}, fmt.Errorf("harness: %s did not stop on SIGTERM", s.Name)
	}
	return m, nil
}

// readLines delivers r's lines on a channel, closed at EOF.
func readLines(r io.Reader) <-chan string {
	ch := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
		close(ch)
	}()
	return ch
}

var errEOF = errors.New("output ended")

func nextLine(ch <-chan string, timeout time.Duration) (string, error) {
	select {
	case l, ok := <-ch:
		if !ok {
			return "", errEOF
		}
		return l, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("no output for %v", timeout)
	}
}

// processCPU returns a process's user+system CPU time in seconds, all
// threads included (/proc/<pid>/stat fields 14 and 15, in clock ticks of
// 1/100 s on Linux).
func processCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

// cpuTimes returns, summed over two CPUs, the time the hypervisor stole and
// the time spent in user and system mode by any task, in seconds
// (/proc/stat cpuN lines: user nice system idle iowait irq softirq steal,
// in 1/100 s).
func cpuTimes(cpuA, cpuB int) (steal, busy float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || (f[0] != "cpu"+strconv.Itoa(cpuA) && f[0] != "cpu"+strconv.Itoa(cpuB)) {
			continue
		}
		for i, v := range f[1:9] {
			x, _ := strconv.ParseFloat(v, 64)
			switch i {
			case 0, 1, 2:
				busy += x / 100
			case 7:
				steal += x / 100
			}
		}
	}
	return steal, busy
}
