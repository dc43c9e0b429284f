package harness

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Runs are the repeated measurements of one point.
type Runs []Measurement

// Median returns the run with the median rate (the lower middle one for an
// even count) and the lowest and highest rates.
func (rs Runs) Median() (med Measurement, lo, hi float64) {
	if len(rs) == 0 {
		return Measurement{}, 0, 0
	}
	s := append(Runs(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i].MsgsPerSec < s[j].MsgsPerSec })
	return s[(len(s)-1)/2], s[0].MsgsPerSec, s[len(s)-1].MsgsPerSec
}

// SizeName names a message size as the benchmarks do: 64B, 4KiB.
func SizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%dKiB", n/1024)
	}
	return fmt.Sprintf("%dB", n)
}

// Results maps server name, then message size, to its runs.
type Results map[string]map[int]Runs

// Add records one run.
func (r Results) Add(server string, size int, m Measurement) {
	if r[server] == nil {
		r[server] = map[int]Runs{}
	}
	r[server][size] = append(r[server][size], m)
}

// WriteTable writes the markdown tables: throughput with spread and ratios,
// then the per-server detail (CPU use, server allocations).
func (r Results) WriteTable(w io.Writer, sizes []int, conns int) {
	fmt.Fprintln(w, "| workload | luring io_uring msgs/s | luring epoll msgs/s | gnet msgs/s | ratio uring/gnet | ratio epoll/gnet |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, size := range sizes {
		cells := []string{fmt.Sprintf("echo %s × %d conns", SizeName(size), conns)}
		med := map[string]float64{}
		for _, name := range []string{"luring-io_uring", "luring-epoll", "gnet"} {
			rs := r[name][size]
			if len(rs) == 0 {
				cells = append(cells, "–")
				continue
			}
			m, lo, hi := rs.Median()
			med[name] = m.MsgsPerSec
			cells = append(cells, fmt.Sprintf("%s (%s–%s)", thousands(m.MsgsPerSec), thousands(lo), thousands(hi)))
		}
		for _, name := range []string{"luring-io_uring", "luring-epoll"} {
			if med[name] > 0 && med["gnet"] > 0 {
				cells = append(cells, fmt.Sprintf("%.2fx", med[name]/med["gnet"]))
			} else {
				cells = append(cells, "–")
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| workload | server | server CPU | server CPU µs/msg | client CPU | server allocs/msg | server B/msg | steal + other load |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for _, size := range sizes {
		for _, name := range []string{"luring-io_uring", "luring-epoll", "gnet"} {
			rs := r[name][size]
			if len(rs) == 0 {
				continue
			}
			m, _, _ := rs.Median()
			fmt.Fprintf(w, "| echo %s | %s | %.0f%% | %.2f | %.0f%% | %.4f | %.1f | %.1f%% |\n",
				SizeName(size), name, 100*m.ServerCPU, m.ServerMicrosPerMsg(), 100*m.ClientCPU, m.AllocsPerMsg, m.BytesPerMsg, 100*m.Disturbed())
		}
	}
}

// thousands formats n rounded to an integer with thin-space-free commas.
func thousands(n float64) string {
	s := fmt.Sprintf("%.0f", n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
