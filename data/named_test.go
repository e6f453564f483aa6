package data

import (
	"encoding/json"
	"os"
	"testing"
)

// TestNamedSetsReal reads MNIST (the GoMNIST module's files) and
// Fashion-MNIST (the Debian package's) where they are installed, as .ci/run
// installs them, and compares them with what NumPy reads from the same
// files (testdata/named/expect.json, by make_expect.py). In CI a missing
// set is a failure; elsewhere the test says how to install it and skips.
func TestNamedSetsReal(t *testing.T) {
	b, err := os.ReadFile("testdata/named/expect.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]map[string]struct {
		Shape       []int   `json:"shape"`
		LabelCounts []int   `json:"label_counts"`
		FirstLabels []int32 `json:"first_labels"`
		FirstSum    int64   `json:"first_sum"`
		LastSum     int64   `json:"last_sum"`
		TotalSum    int64   `json:"total_sum"`
		Pixel       float64 `json:"pixel_14_14"`
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mnist", "fashion-mnist"} {
		s, err := ReadNamed(name, "", IDXOptions{})
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s: %v", name, err)
			}
			t.Logf("skipping %s: %v", name, err)
			continue
		}
		for split, d := range map[string]*Dataset{"train": s.Train, "test": s.Test} {
			w := want[name][split]
			x, y := d.Bytes["x"], d.Get("y")
			if x == nil || !equalInts(x.Shape, w.Shape) || y.Len() != w.Shape[0] {
				t.Fatalf("%s %s: x %v, y %v", name, split, x, y.Shape)
			}
			counts := make([]int, 10)
			for _, v := range y.I32 {
				counts[v]++
			}
			for k := range counts {
				if counts[k] != w.LabelCounts[k] {
					t.Errorf("%s %s: %d images of class %d, want %d", name, split, counts[k], k, w.LabelCounts[k])
				}
			}
			if !equalI32(y.I32[:10], w.FirstLabels) {
				t.Errorf("%s %s: first labels %v, want %v", name, split, y.I32[:10], w.FirstLabels)
			}
			sum := func(p []byte) (s int64) {
				for _, v := range p {
					s += int64(v)
				}
				return s
			}
			if got := sum(x.Data[:784]); got != w.FirstSum {
				t.Errorf("%s %s: first image sums to %d, want %d", name, split, got, w.FirstSum)
			}
			if got := sum(x.Data[len(x.Data)-784:]); got != w.LastSum {
				t.Errorf("%s %s: last image sums to %d, want %d", name, split, got, w.LastSum)
			}
			if got := sum(x.Data); got != w.TotalSum {
				t.Errorf("%s %s: pixels sum to %d, want %d", name, split, got, w.TotalSum)
			}
			bs, err := NewBatches(d, 1, false, 0)
			if err != nil {
				t.Fatal(err)
			}
			bs.Next()
			if got := bs.Batch().Arrays["x"].F32[14*28+14]; got != float32(w.Pixel) {
				t.Errorf("%s %s: pixel (14, 14) of the first image is %v as f32, want %v", name, split, got, w.Pixel)
			}
		}
	}
}
