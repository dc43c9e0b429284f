package httpbench

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colours of the two servers and of the connection counts in plots.
var (
	colourLuring = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colourRef    = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
)

// WritePlots draws the report's plots into dir as PNG files and returns
// their names: requests/s and requests per server CPU-second per workload
// and connection count, and one latency-percentile plot per workload.
func (r *Report) WritePlots(dir string, workloads []Workload, conns []int) ([]string, error) {
	var files []string
	for _, bp := range []struct {
		file, title, unit string
		f                 func(Run) float64
	}{
		{"rps.png", "Requests per second (median of runs; 0 = not supported yet)", "requests/s", RPS},
		{"req-per-cpu.png", "Requests per server CPU-second (median of runs)", "requests per CPU-second", ReqPerCPU},
	} {
		if err := r.barPlot(filepath.Join(dir, bp.file), bp.title, bp.unit, bp.f, workloads, conns); err != nil {
			return files, err
		}
		files = append(files, bp.file)
	}
	for _, wl := range workloads {
		name := "latency-" + wl.Name + ".png"
		ok, err := r.latencyPlot(filepath.Join(dir, name), wl, conns)
		if err != nil {
			return files, err
		}
		if ok {
			files = append(files, name)
		}
	}
	return files, nil
}

// barPlot draws one grouped bar chart: a pair of bars (luring, reference)
// per workload × connection count.
func (r *Report) barPlot(path, title, unit string, f func(Run) float64, workloads []Workload, conns []int) error {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = unit
	var names []string
	vals := map[string]plotter.Values{}
	for _, wl := range workloads {
		for _, c := range conns {
			names = append(names, fmt.Sprintf("%s\nc%d", wl.Name, c))
			for _, s := range []string{nameLuring, nameRef} {
				v := 0.0
				if pt := r.find(wl.Name, s, c); pt != nil && len(pt.Runs) > 0 {
					v = pt.Stat(f).Med
				}
				vals[s] = append(vals[s], v)
			}
		}
	}
	w := vg.Points(14)
	for i, s := range []struct {
		name, label string
		colour      color.Color
	}{{nameLuring, "luring", colourLuring}, {nameRef, "OpenResty (nginx 1.22 + lua module)", colourRef}} {
		bars, err := plotter.NewBarChart(vals[s.name], w)
		if err != nil {
			return err
		}
		bars.Color = s.colour
		bars.LineStyle.Width = 0
		bars.Offset = vg.Length(2*i-1) * w / 2
		p.Add(bars)
		p.Legend.Add(s.label, bars)
	}
	top := 0.0
	for _, v := range vals {
		for _, x := range v {
			top = max(top, x)
		}
	}
	p.Y.Min, p.Y.Max = 0, 1.2*top // room for the legend above the bars
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	p.NominalX(names...)
	p.X.Tick.Label.Font.Size = vg.Points(8)
	return p.Save(vg.Length(max(8, len(names)))*vg.Inch, 5*vg.Inch, path)
}

// latencyPlot draws the latency percentiles of one workload, one line per
// server × connection count, on a log scale. It reports false (and draws
// nothing) when no point has runs.
func (r *Report) latencyPlot(path string, wl Workload, conns []int) (bool, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: latency percentiles (median of runs)", wl.Name)
	p.Y.Label.Text = "latency (ms, log scale)"
	p.X.Label.Text = "percentile"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	var labels []string
	for _, q := range Percentiles {
		labels = append(labels, fmt.Sprintf("p%g", q))
	}
	drawn := false
	for _, s := range []struct {
		name, label string
		colour      color.Color
	}{{nameLuring, "luring", colourLuring}, {nameRef, "OpenResty", colourRef}} {
		for j, c := range conns {
			pt := r.find(wl.Name, s.name, c)
			if pt == nil || len(pt.Runs) == 0 {
				continue
			}
			xys := make(plotter.XYs, len(Percentiles))
			for i, q := range Percentiles {
				xys[i].X = float64(i)
				xys[i].Y = max(pt.Stat(LatencyAt(q)).Med, 0.001)
			}
			line, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return false, err
			}
			line.Color, points.Color = s.colour, s.colour
			line.Width = vg.Points(1.5)
			if j > 0 {
				line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
				points.Shape = draw.BoxGlyph{}
			}
			p.Add(line, points)
			p.Legend.Add(fmt.Sprintf("%s c%d", s.label, c), line, points)
			drawn = true
		}
	}
	if !drawn {
		return false, nil
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	p.NominalX(labels...)
	return true, p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}
