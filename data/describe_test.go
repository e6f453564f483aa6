package data

import (
	"archive/zip"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// TestDescribe: counts, ranges, NaN and Inf, class distributions with
// their imbalance, bytes, and archive members that cannot be read.
func TestDescribe(t *testing.T) {
	dir := t.TempDir()
	npz := filepath.Join(dir, "d.npz")
	x := tensor.FromFloat64s(tensor.F32, []int{5, 2}, []float64{1, math.NaN(), -2, math.Inf(1), 3, 4, math.Inf(-1), 0.5, 7, -8})
	y := tensor.FromFloat64s(tensor.I32, []int{5}, []float64{0, 2, 2, 2, 0})
	adj := tensor.FromFloat64s(tensor.F32, []int{3, 3}, []float64{0, 1, 0, 1, 0, 1, 0, 1, 0})
	if err := SaveNPZ(npz, map[string]*tensor.Tensor{"x": x, "y": y, "adj": adj}); err != nil {
		t.Fatal(err)
	}
	d, err := Describe(npz, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Parts) != 1 || d.Parts[0].Rows != -1 || len(d.Parts[0].Arrays) != 3 {
		t.Fatalf("parts %+v", d.Parts)
	}
	ax, ay := d.Parts[0].Arrays[1], d.Parts[0].Arrays[2]
	if ax.Name != "x" || ax.NaN != 1 || ax.Inf != 2 || *ax.Min != -8 || *ax.Max != 7 || ax.Classes != nil {
		t.Errorf("x: %+v", ax)
	}
	// Class 0 twice, class 2 three times: imbalance 3/2.
	if ay.Classes == nil || len(ay.Classes.Counts) != 2 || ay.Classes.Counts[1] != (ClassCount{2, 3}) || ay.Classes.Imbalance != 1.5 {
		t.Errorf("y: %+v", ay.Classes)
	}
	text := d.String()
	for _, want := range []string{"not share a leading dimension", "x f32[5, 2]  range [-8, 7]  NaN 1, Inf 2", "classes 0: 2, 2: 3; imbalance (largest/smallest) 1.5"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	b, err := json.Marshal(d)
	if err != nil || !strings.Contains(string(b), `"nan":1,"inf":2`) {
		t.Errorf("JSON %s %v", b, err)
	}
	// A table: rows shared; bytes reported with their stored type; the
	// tiny MNIST layout as two parts.
	s, err := Describe("testdata/mnist_tiny", Options{})
	if err != nil || s.Format != "idx-splits" || len(s.Parts) != 2 || s.Parts[0].Name != "train" || s.Parts[0].Rows != 5 || s.Parts[1].Rows != 3 {
		t.Fatalf("mnist_tiny: %+v %v", s, err)
	}
	if a := s.Parts[0].Arrays[0]; a.Stored != "u8" || a.DType != "f32" || *a.Max > 1 {
		t.Errorf("images: %+v", a)
	}
	// A pickled member is listed with the reason; the rest is described.
	obj := append([]byte("\x93NUMPY\x01\x00\x76\x00"), []byte("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }")...)
	obj = append(obj, []byte(strings.Repeat(" ", 0x76-len("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }")-1)+"\n")...)
	p := filepath.Join(dir, "o.npz")
	writeZip(t, p, map[string][]byte{"o.npy": obj})
	o, err := Describe(p, Options{})
	if err != nil || len(o.Parts[0].Arrays) != 1 || !strings.Contains(o.Parts[0].Arrays[0].Error, "object array (a pickle)") {
		t.Errorf("object member: %+v %v", o, err)
	}
}

func writeZip(t *testing.T, path string, members map[string][]byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for name, b := range members {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}
