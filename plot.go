package nnc

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nnclang/nnc/internal/safefile"
	"github.com/nnclang/nnc/train"
)

// LogRecord is one line of a training log (nnc train --log): see
// train.LogRecord for its fields.
type LogRecord = train.LogRecord

// ReadLog reads a training log (JSON Lines, as nnc train --log writes it).
// A file over maxBytes (0: 1 GiB) is refused.
func ReadLog(path string, maxBytes int64) ([]LogRecord, error) {
	return train.ReadLogFile(path, maxBytes)
}

// PlotRun is one run to plot: its records and the name its curves carry
// in the legends.
type PlotRun struct {
	Name    string
	Records []LogRecord
}

// PlotOptions configures PlotLogs and Plot.
type PlotOptions struct {
	// Width and Height are the image's size in inches (8 by 3 per panel
	// when 0). PNG images have 96 pixels per inch.
	Width, Height float64
	// X is the horizontal axis: "step" (the default) or "epoch".
	X string
	// Title is printed above the first panel.
	Title string
	// LogLoss draws the loss on a logarithmic scale (values ≤ 0 left out).
	LogLoss bool
	// Names name the runs in the legends, one per log (default: the run
	// field of the records, else the log's file name without .jsonl).
	Names []string
}

// maxPlotPoints bounds the points of one curve: longer step series are
// drawn as the means of as many consecutive steps as needed.
const maxPlotPoints = 2000

// PlotLogs reads the training logs at paths and draws their curves into
// out, a .png or .svg file (written safely, see safefile): the loss (the
// steps' and each epoch's training loss, and the validation loss), the
// other metrics logged at each epoch, and the learning rate, each against
// steps or epochs, one panel each, the runs overlaid in colours. A panel
// with nothing to draw is left out; non-finite values are left out of
// their curves.
func PlotLogs(out string, paths []string, o PlotOptions) (err error) {
	defer recoverInternal(&err)
	if len(paths) == 0 {
		return errors.New("plot: no logs given")
	}
	if len(o.Names) != 0 && len(o.Names) != len(paths) {
		return fmt.Errorf("plot: %d names for %d logs", len(o.Names), len(paths))
	}
	runs := make([]PlotRun, len(paths))
	for i, p := range paths {
		recs, err := ReadLog(p, 0)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(p), ".jsonl")
		if len(o.Names) > 0 {
			name = o.Names[i]
		} else {
			for _, r := range recs {
				if r.Run != "" {
					name = r.Run
					break
				}
			}
		}
		runs[i] = PlotRun{Name: name, Records: recs}
	}
	format, err := plotFormat(out)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := Plot(&buf, format, runs, o); err != nil {
		return err
	}
	return safefile.WriteBytes(out, buf.Bytes(), 0o644)
}

// plotFormat is the image format of a file name: "png" or "svg".
func plotFormat(name string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".png", ".svg":
		return ext[1:], nil
	default:
		return "", fmt.Errorf("plot: %s: the image must be a .png or .svg file", name)
	}
}

// Plot draws runs as PlotLogs does into w, as format "png" or "svg".
func Plot(w io.Writer, format string, runs []PlotRun, o PlotOptions) (err error) {
	defer recoverInternal(&err)
	if format != "png" && format != "svg" {
		return fmt.Errorf("plot: format %q: want png or svg", format)
	}
	switch o.X {
	case "":
		o.X = "step"
	case "step", "epoch":
	default:
		return fmt.Errorf(`plot: the x axis is "step" or "epoch", not %q`, o.X)
	}
	if !(o.Width >= 0 && o.Width <= 100 && o.Height >= 0 && o.Height <= 100) {
		return fmt.Errorf("plot: a size of %v by %v inches (at most 100 each)", o.Width, o.Height)
	}
	panels, err := plotPanels(runs, o)
	if err != nil {
		return err
	}
	width, height := o.Width, o.Height
	if width == 0 {
		width = 8
	}
	if height == 0 {
		height = 3 * float64(len(panels))
	}
	c, err := draw.NewFormattedCanvas(vg.Length(width)*vg.Inch, vg.Length(height)*vg.Inch, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	grid := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		grid[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Points(12), PadTop: vg.Points(6),
		PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12)}
	canvases := plot.Align(grid, tiles, dc)
	for i, p := range panels {
		p.Draw(canvases[i][0])
	}
	_, err = c.WriteTo(w)
	return err
}

// series is one curve: its points and how it is drawn.
type series struct {
	label  string
	pts    plotter.XYs
	run    int  // colour
	dashed bool // validation curves
	marks  bool // epoch curves
}

// plotPanels builds the loss, metrics and learning-rate panels.
func plotPanels(runs []PlotRun, o PlotOptions) ([]*plot.Plot, error) {
	var loss, metrics, lr []series
	total := 0
	for i, run := range runs {
		total += len(run.Records)
		x := xAxis(run.Records, o.X)
		var stepLoss, epochLoss, stepLR, epochLR plotter.XYs
		byMetric := map[string]plotter.XYs{}
		for _, r := range run.Records {
			switch r.Kind {
			case train.LogStep:
				stepLoss = appendPoint(stepLoss, x(r), r.Loss, o.LogLoss)
				stepLR = appendPoint(stepLR, x(r), r.LR, true)
			case train.LogEpoch:
				epochLoss = appendPoint(epochLoss, x(r), r.Loss, o.LogLoss)
				epochLR = appendPoint(epochLR, x(r), r.LR, true)
				for k, v := range r.Metrics {
					byMetric[k] = appendPoint(byMetric[k], x(r), v, o.LogLoss && strings.HasSuffix(k, "loss"))
				}
			}
		}
		name := run.Name
		if name == "" {
			name = fmt.Sprintf("run %d", i+1)
		}
		add := func(dst *[]series, label string, pts plotter.XYs, dashed, marks bool) {
			if len(pts) > 0 {
				*dst = append(*dst, series{label: name + " " + label, pts: thin(pts), run: i, dashed: dashed, marks: marks})
			}
		}
		add(&loss, "train (steps)", stepLoss, false, false)
		add(&loss, "train", epochLoss, false, len(stepLoss) > 0 || len(epochLoss) < 50)
		keys := make([]string, 0, len(byMetric))
		for k := range byMetric {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if strings.HasSuffix(k, "loss") {
				add(&loss, strings.TrimSuffix(k, "_loss"), byMetric[k], true, len(byMetric[k]) < 50)
			} else {
				add(&metrics, k, byMetric[k], strings.HasPrefix(k, "val_"), len(byMetric[k]) < 50)
			}
		}
		if len(stepLR) > 0 {
			add(&lr, "", stepLR, false, false)
		} else {
			add(&lr, "", epochLR, false, len(epochLR) < 50)
		}
	}
	if total == 0 {
		return nil, errors.New("plot: the logs hold no records")
	}
	var panels []*plot.Plot
	for _, pn := range []struct {
		title string
		s     []series
		log   bool
	}{{"loss", loss, o.LogLoss}, {"metric", metrics, false}, {"learning rate", lr, false}} {
		if len(pn.s) == 0 {
			continue
		}
		p, err := panel(pn.s, o.X, pn.title, pn.log)
		if err != nil {
			return nil, err
		}
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		return nil, errors.New("plot: the logs hold no finite values to draw")
	}
	// One x range for every panel, so that they line up.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range panels {
		lo, hi = math.Min(lo, p.X.Min), math.Max(hi, p.X.Max)
	}
	for _, p := range panels {
		p.X.Min, p.X.Max = lo, hi
	}
	if o.Title != "" {
		panels[0].Title.Text = o.Title
	}
	return panels, nil
}

// xAxis returns the x of a record: its step, or with "epoch", its epoch
// (epoch records) or the fraction of its epoch done (step records), from
// the steps at which the epoch records were written.
func xAxis(recs []LogRecord, axis string) func(LogRecord) float64 {
	if axis != "epoch" {
		return func(r LogRecord) float64 { return float64(r.Step) }
	}
	end := map[int]int64{}  // epoch → steps completed at its end
	last := map[int]int64{} // epoch → the largest step logged in it
	for _, r := range recs {
		if r.Kind == train.LogEpoch {
			end[r.Epoch] = r.Step
		}
		last[r.Epoch] = max(last[r.Epoch], r.Step)
	}
	return func(r LogRecord) float64 {
		if r.Kind == train.LogEpoch {
			return float64(r.Epoch)
		}
		hi, ok := end[r.Epoch]
		if !ok {
			hi = last[r.Epoch]
		}
		lo, ok := end[r.Epoch-1]
		if !ok || lo >= hi {
			return float64(r.Epoch)
		}
		return float64(r.Epoch-1) + float64(r.Step-lo)/float64(hi-lo)
	}
}

// appendPoint adds (x, y) unless y is not finite, or not positive when
// positive is set (a logarithmic axis; the learning rate, where 0 means
// not logged).
func appendPoint(pts plotter.XYs, x, y float64, positive bool) plotter.XYs {
	if math.IsNaN(y) || math.IsInf(y, 0) || math.IsNaN(x) || math.IsInf(x, 0) || positive && y <= 0 {
		return pts
	}
	return append(pts, plotter.XY{X: x, Y: y})
}

// thin returns at most maxPlotPoints points: the means of runs of
// consecutive points.
func thin(pts plotter.XYs) plotter.XYs {
	n := len(pts)
	if n <= maxPlotPoints {
		return pts
	}
	per := (n + maxPlotPoints - 1) / maxPlotPoints
	out := make(plotter.XYs, 0, maxPlotPoints)
	for i := 0; i < n; i += per {
		j := min(i+per, n)
		var sx, sy float64
		for _, p := range pts[i:j] {
			sx += p.X
			sy += p.Y
		}
		out = append(out, plotter.XY{X: sx / float64(j-i), Y: sy / float64(j-i)})
	}
	return out
}

// panel draws the series on one plot with axis labels and a legend.
func panel(ss []series, xlabel, ylabel string, logY bool) (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = legendOnTop(ss)
	for _, s := range ss {
		l, err := plotter.NewLine(s.pts)
		if err != nil {
			return nil, fmt.Errorf("plot: %s: %w", s.label, err)
		}
		l.Color = plotutil.DarkColors[s.run%len(plotutil.DarkColors)]
		l.Width = vg.Points(1.2)
		if s.dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l)
		thumbs := []plot.Thumbnailer{l}
		if s.marks {
			sc, err := plotter.NewScatter(s.pts)
			if err != nil {
				return nil, fmt.Errorf("plot: %s: %w", s.label, err)
			}
			sc.Color = l.Color
			sc.Shape = draw.CircleGlyph{}
			sc.Radius = vg.Points(2.5)
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		p.Legend.Add(strings.TrimSpace(s.label), thumbs...)
	}
	return p, nil
}

// legendOnTop says whether the curves end low in their panel (the
// legend, at the right, is then best at the top).
func legendOnTop(ss []series) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, p := range s.pts {
			lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
		}
	}
	if !(hi > lo) {
		return true
	}
	var sum float64
	for _, s := range ss {
		sum += (s.pts[len(s.pts)-1].Y - lo) / (hi - lo)
	}
	return sum/float64(len(ss)) < 0.5
}
