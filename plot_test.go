package nnc

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/nnclang/nnc/train"
)

// writeRunLog writes a log of epochs×steps steps: the loss decays as
// scale·exp(-t/50), the learning rate halves every epoch, and each epoch
// logs val_loss and val_accuracy; the step at nanAt has a NaN loss.
func writeRunLog(t *testing.T, path, run string, epochs, steps int, scale float64, nanAt int) {
	t.Helper()
	w, err := train.CreateLog(path, false)
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for e := 1; e <= epochs; e++ {
		lr := 0.1 / math.Pow(2, float64(e-1))
		sum := 0.0
		for s := 0; s < steps; s++ {
			k++
			loss := scale * math.Exp(-float64(k)/50)
			if k == nanAt {
				loss = math.NaN()
			} else {
				sum += loss
			}
			if err := w.Write(train.LogRecord{Kind: train.LogStep, Run: run, Epoch: e, Step: int64(k), Loss: loss, LR: lr}); err != nil {
				t.Fatal(err)
			}
		}
		w.Write(train.LogRecord{Kind: train.LogEpoch, Run: run, Epoch: e, Step: int64(k), Loss: sum / float64(steps), LR: lr,
			Metrics: map[string]float64{"val_loss": 1.1 * sum / float64(steps), "val_accuracy": 1 - 0.5/float64(e)}})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPlotPNG draws two runs into a PNG and checks the image: 8 by 9
// inches at 96 pixels per inch (three panels), not blank, with both runs'
// colours drawn.
func TestPlotPNG(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	writeRunLog(t, a, "adam", 4, 30, 2, 7)
	writeRunLog(t, b, "", 4, 30, 3, -1)
	out := filepath.Join(dir, "curves.png")
	if err := PlotLogs(out, []string{a, b}, PlotOptions{Title: "two runs"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got != (image.Point{768, 864}) {
		t.Errorf("image %v, want 768x864", got)
	}
	colours := map[[3]uint32]int{}
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, b >> 8}]++
		}
	}
	white := colours[[3]uint32{255, 255, 255}]
	total := bd.Dx() * bd.Dy()
	if white > total*99/100 || white < total/2 {
		t.Errorf("%d of %d pixels white: blank or not a white background", white, total)
	}
	// DarkColors[0] and [1]: the two runs' curves.
	for _, c := range [][3]uint32{{238, 46, 47}, {0, 140, 72}} {
		if colours[c] < 200 {
			t.Errorf("colour %v drawn on %d pixels, want a curve's worth", c, colours[c])
		}
	}
}

// TestPlotSVG draws into an SVG and checks that it is well-formed XML
// with the axis labels, the legend's run names (the run field, else the
// file name) and the title, and the epoch axis when asked.
func TestPlotSVG(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "second.jsonl")
	writeRunLog(t, a, "adam", 3, 20, 2, -1)
	writeRunLog(t, b, "", 3, 20, 3, -1)
	out := filepath.Join(dir, "curves.svg")
	if err := PlotLogs(out, []string{a, b}, PlotOptions{X: "epoch", Title: "Runs compared"}); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if cd, ok := tok.(xml.CharData); ok && strings.TrimSpace(string(cd)) != "" {
			texts = append(texts, strings.TrimSpace(string(cd)))
		}
	}
	all := strings.Join(texts, "|")
	for _, want := range []string{"epoch", "loss", "metric", "learning rate", "Runs compared",
		"adam train (steps)", "adam train", "adam val", "adam val_accuracy", "second train", "second val_accuracy"} {
		found := false
		for _, s := range texts {
			if s == want {
				found = true
			}
		}
		if !found {
			t.Errorf("no text %q in the SVG (texts: %s)", want, all)
		}
	}
	if strings.Contains(all, "|step|") {
		t.Errorf("the x axis says step with X epoch")
	}
}

// TestPlotErrors lists what PlotLogs refuses.
func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.jsonl")
	writeRunLog(t, a, "", 1, 3, 1, -1)
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, nil, 0o644)
	nan := filepath.Join(dir, "nan.jsonl")
	os.WriteFile(nan, []byte("{\"kind\":\"step\",\"epoch\":1,\"step\":1,\"loss\":\"NaN\"}\n"), 0o644)
	for _, c := range []struct {
		out   string
		paths []string
		o     PlotOptions
		want  string
	}{
		{"x.pdf", []string{a}, PlotOptions{}, ".png or .svg"},
		{"x.png", nil, PlotOptions{}, "no logs"},
		{"x.png", []string{a}, PlotOptions{Names: []string{"a", "b"}}, "2 names for 1 logs"},
		{"x.png", []string{a}, PlotOptions{X: "time"}, `"step" or "epoch"`},
		{"x.png", []string{a}, PlotOptions{Width: 1e6}, "at most 100"},
		{"x.png", []string{a}, PlotOptions{Height: math.NaN()}, "at most 100"},
		{"x.png", []string{empty}, PlotOptions{}, "no records"},
		{"x.png", []string{nan}, PlotOptions{}, "no finite values"},
		{"x.png", []string{filepath.Join(dir, "missing.jsonl")}, PlotOptions{}, "missing.jsonl"},
	} {
		err := PlotLogs(filepath.Join(dir, c.out), c.paths, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %+v: error %v, want %q", c.paths, c.o, err, c.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("files left after errors: %v", ents)
	}
	// A log scale leaves out what it cannot draw and still plots.
	if err := PlotLogs(filepath.Join(dir, "log.svg"), []string{a}, PlotOptions{LogLoss: true}); err != nil {
		t.Errorf("log scale: %v", err)
	}
}

// TestPlotEpochAxis checks where step records fall on the epoch axis:
// step s of an epoch spanning steps (lo, hi] at epoch-1 + (s-lo)/(hi-lo).
func TestPlotEpochAxis(t *testing.T) {
	recs := []LogRecord{
		{Kind: "step", Epoch: 1, Step: 2}, {Kind: "step", Epoch: 1, Step: 4}, {Kind: "epoch", Epoch: 1, Step: 4},
		{Kind: "step", Epoch: 2, Step: 5}, {Kind: "step", Epoch: 2, Step: 10}, {Kind: "epoch", Epoch: 2, Step: 10},
		{Kind: "step", Epoch: 3, Step: 13}, {Kind: "step", Epoch: 3, Step: 16},
	}
	x := xAxis(recs, "epoch")
	want := []float64{1, 1, 1, 1 + 1.0/6, 2, 2, 2.5, 3}
	for i, r := range recs {
		if got := x(r); math.Abs(got-want[i]) > 1e-15 {
			t.Errorf("record %d: x %v, want %v", i, got, want[i])
		}
	}
	// The first epoch has no epoch 0 record: its steps sit at 1.
	if got := xAxis(recs, "step")(recs[4]); got != 10 {
		t.Errorf("step axis: %v", got)
	}
}

// TestPlotThin checks that a long curve becomes at most maxPlotPoints
// means of consecutive points.
func TestPlotThin(t *testing.T) {
	pts := make(plotter.XYs, 5002)
	for i := range pts {
		pts[i] = plotter.XY{X: float64(i), Y: float64(2 * i)}
	}
	got := thin(pts)
	if len(got) > maxPlotPoints || len(got) < maxPlotPoints/2 {
		t.Fatalf("%d points", len(got))
	}
	// Runs of 3: the first mean is (0+1+2)/3 = 1, the last is point 5001 alone.
	if got[0] != (plotter.XY{X: 1, Y: 2}) || got[len(got)-1] != (plotter.XY{X: 5001, Y: 10002}) {
		t.Errorf("first %v, last %v", got[0], got[len(got)-1])
	}
}
