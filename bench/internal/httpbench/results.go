package httpbench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Point is one server × workload × connection count: its runs, or why
// there are none.
type Point struct {
	Workload    string `json:"workload"`
	Server      string `json:"server"`
	Conns       int    `json:"conns"`
	Unsupported string `json:"unsupported,omitempty"` // why the server cannot run the workload; empty when it can
	Runs        []Run  `json:"runs"`
}

// IdlePoint is one server × workload's idle keep-alive measurements.
type IdlePoint struct {
	Workload string    `json:"workload"`
	Server   string    `json:"server"`
	Runs     []IdleRun `json:"runs"`
}

// Meta describes the session a report comes from.
type Meta struct {
	Date          time.Time `json:"date"`
	Machine       string    `json:"machine"` // CPU model, count, kernel
	GoVersion     string    `json:"go_version"`
	Reference     string    `json:"reference"` // nginx -v, lua module package version
	LuringBackend string    `json:"luring_backend"`
	Wrk           string    `json:"wrk"`
	ServerCPU     int       `json:"server_cpu"`
	ClientCPU     int       `json:"client_cpu"`
	Warmup        string    `json:"warmup"`
	Duration      string    `json:"duration"`
	Runs          int       `json:"runs"`
	MaxDisturbed  float64   `json:"max_disturbed"`
	IdleConns     int       `json:"idle_conns"`
}

// Report is everything one httpbench invocation measured.
type Report struct {
	Meta   Meta         `json:"meta"`
	Points []*Point     `json:"points"`
	Idle   []*IdlePoint `json:"idle"`
}

// Point returns the point for workload, server and conns, creating it.
func (r *Report) Point(workload, server string, conns int) *Point {
	for _, p := range r.Points {
		if p.Workload == workload && p.Server == server && p.Conns == conns {
			return p
		}
	}
	p := &Point{Workload: workload, Server: server, Conns: conns}
	r.Points = append(r.Points, p)
	return p
}

// find returns the point, or nil.
func (r *Report) find(workload, server string, conns int) *Point {
	for _, p := range r.Points {
		if p.Workload == workload && p.Server == server && p.Conns == conns {
			return p
		}
	}
	return nil
}

// IdlePointFor returns the idle point for workload and server, creating it.
func (r *Report) IdlePointFor(workload, server string) *IdlePoint {
	for _, p := range r.Idle {
		if p.Workload == workload && p.Server == server {
			return p
		}
	}
	p := &IdlePoint{Workload: workload, Server: server}
	r.Idle = append(r.Idle, p)
	return p
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Stat is a median with its spread.
type Stat struct {
	Med, Min, Max float64
	N             int
}

// statOf returns the median (lower middle for an even count), min and max
// of f over runs.
func statOf(runs []Run, f func(Run) float64) Stat {
	if len(runs) == 0 {
		return Stat{}
	}
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	return statOfValues(v)
}

// statOfValues is statOf over plain values.
func statOfValues(v []float64) Stat {
	if len(v) == 0 {
		return Stat{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return Stat{Med: s[(len(s)-1)/2], Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// Stat returns the median and spread of f over the point's runs.
func (p *Point) Stat(f func(Run) float64) Stat {
	if p == nil {
		return Stat{}
	}
	return statOf(p.Runs, f)
}

// Metric extractors for Point.Stat.
var (
	RPS       = func(r Run) float64 { return r.RPS }
	ReqPerCPU = func(r Run) float64 { return r.ReqPerCPUSec }
	SrvCPU    = func(r Run) float64 { return r.ServerCPU }
	CliCPU    = func(r Run) float64 { return r.ClientCPU }
	RSS       = func(r Run) float64 { return float64(r.RSSKiB) }
	Disturbed = func(r Run) float64 { return r.Disturbed() }
	Backend   = func(r Run) float64 { return float64(r.BackendConns) }
	ErrorsOf  = func(r Run) float64 { return float64(r.Errors + r.Non2xx) }
)

// LatencyAt returns an extractor for the latency at percentile p (ms).
func LatencyAt(p float64) func(Run) float64 {
	return func(r Run) float64 { return r.Latency(p) }
}

// luring and reference server names in tables.
const (
	nameLuring = "luring"
	nameRef    = "openresty"
)

// WriteMarkdown writes the tables: throughput and CPU efficiency, latency,
// memory, and the conditions of each point. Ratios are luring/reference;
// for latency and memory lower is better.
func (r *Report) WriteMarkdown(w io.Writer, workloads []Workload, conns []int) {
	m := r.Meta
	fmt.Fprintf(w, "Measured %s on %s; %s; reference %s; wrk %s, 1 thread. "+
		"One worker per server pinned to CPU %d, wrk (and http-backend) pinned to CPU %d; warm-up %s, then %s measured; "+
		"median of %d runs with min–max in brackets; luring backend %s. "+
		"Windows where steal plus other processes exceeded %.0f%% of the two CPUs were retried.\n\n",
		m.Date.Format("2006-01-02 15:04 MST"), m.Machine, m.GoVersion, m.Reference, m.Wrk,
		m.ServerCPU, m.ClientCPU, m.Warmup, m.Duration, m.Runs, m.LuringBackend, 100*m.MaxDisturbed)

	fmt.Fprintln(w, "**Throughput and server CPU efficiency** (req/CPU-s = requests per second of server CPU time)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| workload | conns | luring req/s | OpenResty req/s | ratio | luring req/CPU-s | OpenResty req/CPU-s | ratio | luring CPU | OpenResty CPU |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, wl := range workloads {
		for _, c := range conns {
			l, o := r.find(wl.Name, nameLuring, c), r.find(wl.Name, nameRef, c)
			fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", wl.Name, c,
				cell(l, RPS, fmtInt), cell(o, RPS, fmtInt), ratio(l, o, RPS),
				cell(l, ReqPerCPU, fmtInt), cell(o, ReqPerCPU, fmtInt), ratio(l, o, ReqPerCPU),
				medCell(l, SrvCPU, fmtPct), medCell(o, SrvCPU, fmtPct))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "**Latency** (ms; ratio is luring/OpenResty at p99, lower is better)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| workload | conns | luring p50 | OpenResty p50 | luring p99 | OpenResty p99 | p99 ratio | luring p99.9 | OpenResty p99.9 |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, wl := range workloads {
		for _, c := range conns {
			l, o := r.find(wl.Name, nameLuring, c), r.find(wl.Name, nameRef, c)
			fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", wl.Name, c,
				cell(l, LatencyAt(50), fmtMs), cell(o, LatencyAt(50), fmtMs),
				cell(l, LatencyAt(99), fmtMs), cell(o, LatencyAt(99), fmtMs), ratio(l, o, LatencyAt(99)),
				cell(l, LatencyAt(99.9), fmtMs), cell(o, LatencyAt(99.9), fmtMs))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "**Memory**: server VmRSS in the middle of the measured window (MiB, at the higher connection count)")
	if m.IdleConns > 0 {
		fmt.Fprintf(w, ", and bytes per idle keep-alive connection (%d connections that each made one request and then stay open: VmRSS after − before, ÷ %d; median of runs)", m.IdleConns, m.IdleConns)
	}
	fmt.Fprint(w, "\n\n")
	fmt.Fprintln(w, "| workload | luring RSS | OpenResty RSS | luring B/idle conn | OpenResty B/idle conn | ratio |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	hi := 0
	for _, c := range conns {
		hi = max(hi, c)
	}
	for _, wl := range workloads {
		l, o := r.find(wl.Name, nameLuring, hi), r.find(wl.Name, nameRef, hi)
		li, oi := r.idle(wl.Name, nameLuring), r.idle(wl.Name, nameRef)
		idleCell := func(p *IdlePoint) string {
			if p == nil || len(p.Runs) == 0 {
				return "–"
			}
			return fmtStat(p.stat(), fmtInt)
		}
		idleRatio := "–"
		if li != nil && oi != nil && len(li.Runs) > 0 && len(oi.Runs) > 0 && oi.stat().Med > 0 {
			idleRatio = fmt.Sprintf("%.2fx", li.stat().Med/oi.stat().Med)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", wl.Name,
			medCell(l, RSS, fmtMiB), medCell(o, RSS, fmtMiB), idleCell(li), idleCell(oi), idleRatio)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "**Conditions** per point (median over runs): wrk CPU, steal + other processes on the two CPUs, failed requests (socket errors + status ≥ 400), and for upstream-keepalive the connections the backend accepted during the measured window (0 = every upstream connection was reused from the pool)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| workload | conns | server | wrk CPU | steal + other | failed | new backend conns |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|")
	for _, wl := range workloads {
		for _, c := range conns {
			for _, s := range []string{nameLuring, nameRef} {
				p := r.find(wl.Name, s, c)
				if p == nil || len(p.Runs) == 0 {
					continue
				}
				bc := "–"
				if wl.Backend {
					bc = fmtInt(p.Stat(Backend).Med)
				}
				fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s |\n", wl.Name, c, s,
					fmtPct(p.Stat(CliCPU).Med), fmtPct(p.Stat(Disturbed).Med), fmtInt(p.Stat(ErrorsOf).Max), bc)
			}
		}
	}
	var notes []string
	for _, p := range r.Points {
		if p.Unsupported != "" && p.Conns == conns[0] {
			notes = append(notes, fmt.Sprintf("- **%s** on %s: not supported yet — %s", p.Workload, p.Server, oneLine(p.Unsupported, 300)))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "**Not supported yet** (measured on the reference only):")
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Workloads:")
	fmt.Fprintln(w)
	for _, wl := range workloads {
		fmt.Fprintf(w, "- **%s** (`%s %s`): %s\n", wl.Name, wl.method(), wl.Path, wl.About)
	}
}

// idle returns the idle point, or nil.
func (r *Report) idle(workload, server string) *IdlePoint {
	for _, p := range r.Idle {
		if p.Workload == workload && p.Server == server {
			return p
		}
	}
	return nil
}

// stat returns the median and spread of bytes per idle connection.
func (p *IdlePoint) stat() Stat {
	v := make([]float64, len(p.Runs))
	for i, r := range p.Runs {
		v[i] = r.BytesPerConn
	}
	return statOfValues(v)
}

// cell formats a point's median with its spread, or why it has none.
func cell(p *Point, f func(Run) float64, format func(float64) string) string {
	if p == nil {
		return "–"
	}
	if p.Unsupported != "" {
		return "not supported yet"
	}
	if len(p.Runs) == 0 {
		return "–"
	}
	return fmtStat(p.Stat(f), format)
}

// medCell formats a point's median only.
func medCell(p *Point, f func(Run) float64, format func(float64) string) string {
	if p == nil || len(p.Runs) == 0 {
		if p != nil && p.Unsupported != "" {
			return "n/s"
		}
		return "–"
	}
	return format(p.Stat(f).Med)
}

// ratio formats median(l)/median(o).
func ratio(l, o *Point, f func(Run) float64) string {
	if l == nil || o == nil || len(l.Runs) == 0 || len(o.Runs) == 0 {
		return "–"
	}
	a, b := l.Stat(f).Med, o.Stat(f).Med
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// fmtStat formats "median (min–max)".
func fmtStat(s Stat, format func(float64) string) string {
	if s.N <= 1 {
		return format(s.Med)
	}
	return fmt.Sprintf("%s (%s–%s)", format(s.Med), format(s.Min), format(s.Max))
}

// fmtInt formats n rounded, with thousands separators.
func fmtInt(n float64) string {
	neg := n < 0
	s := fmt.Sprintf("%.0f", abs(n))
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// abs is |x|.
func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// fmtMs formats milliseconds with three significant digits.
func fmtMs(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f", ms)
	default:
		return fmt.Sprintf("%.2f", ms)
	}
}

// fmtPct formats a fraction as a percentage.
func fmtPct(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

// fmtMiB formats KiB as MiB.
func fmtMiB(kib float64) string { return fmt.Sprintf("%.1f", kib/1024) }

// oneLine squeezes s onto one line of at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
