package data

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// The files under testdata were written by NumPy and by a hand-written
// safetensors encoder (testdata/make_reference.py).

func TestNPYFromNumPy(t *testing.T) {
	cases := []struct {
		file  string
		dtype tensor.DType
		shape []int
		want  []float64
	}{
		{"f32_2x3.npy", tensor.F32, []int{2, 3}, []float64{1.5, -2, 3.25, 0, float64(float32(1e-3)), -7}},
		{"f64_4.npy", tensor.F64, []int{4}, []float64{math.Pi, -math.E, 1e300, math.Copysign(0, -1)}},
		{"i32_2x2x2.npy", tensor.I32, []int{2, 2, 2}, []float64{-4, -3, -2, -1, 0, 1, 2, 3}},
		{"i64_3.npy", tensor.I64, []int{3}, []float64{-(1 << 40), 0, 1 << 62}},
		{"bool_3.npy", tensor.Bool, []int{3}, []float64{1, 0, 1}},
		{"f32_scalar.npy", tensor.F32, []int{}, []float64{2.5}},
	}
	for _, c := range cases {
		path := filepath.Join("testdata", c.file)
		got, err := LoadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.DType != c.dtype || !equalInts(got.Shape, c.shape) {
			t.Fatalf("%s: got %v%v, want %v%v", c.file, got.DType, got.Shape, c.dtype, c.shape)
		}
		for i, w := range c.want {
			if g := got.At(i); g != w || math.Signbit(g) != math.Signbit(w) {
				t.Errorf("%s[%d] = %v, want %v", c.file, i, g, w)
			}
		}
		if c.dtype == tensor.I64 && got.I64[2] != 1<<62 {
			t.Errorf("i64 value %d, want %d", got.I64[2], int64(1)<<62)
		}
		// Our encoder writes the same bytes as numpy.save.
		enc, err := EncodeNPY(got)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(path)
		if !bytes.Equal(enc, raw) {
			t.Errorf("%s: EncodeNPY differs from numpy.save:\n%q\n%q", c.file, enc, raw)
		}
	}
}

// The big-endian, uint8 and Fortran-order files numpy.save wrote (see
// make_reference.py) read as the values written.
func TestNPYOtherLayouts(t *testing.T) {
	for file, want := range map[string]*tensor.Tensor{
		"big_endian.npy": tensor.FromFloat64s(tensor.I32, []int{2}, []float64{1, 2}),
		"u8.npy":         tensor.FromFloat64s(tensor.I32, []int{2}, []float64{1, 2}),
		"fortran.npy":    tensor.FromFloat64s(tensor.F32, []int{2, 3}, []float64{0, 1, 2, 3, 4, 5}),
	} {
		got, err := LoadNPY(filepath.Join("testdata", file))
		if err != nil || !sameTensor(got, want) {
			t.Errorf("%s: got %v (%v), want %v", file, got, err, want)
		}
	}
}

func TestSafetensorsReference(t *testing.T) {
	path := filepath.Join("testdata", "reference.safetensors")
	got, err := LoadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]struct {
		Shape []int
		Data  []float64
	}
	b, _ := os.ReadFile(filepath.Join("testdata", "reference_safetensors.json"))
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	dtypes := map[string]tensor.DType{"l1.W": tensor.F32, "l1.b": tensor.F32, "steps": tensor.I64,
		"scale": tensor.F64, "mask": tensor.Bool, "counts": tensor.I32}
	for name, w := range want {
		g := got[name]
		if g == nil || g.DType != dtypes[name] || !equalInts(g.Shape, w.Shape) {
			t.Fatalf("%s: got %v, want %v%v", name, g, dtypes[name], w.Shape)
		}
		for i, v := range w.Data {
			if g.At(i) != v {
				t.Errorf("%s[%d] = %v, want %v", name, i, g.At(i), v)
			}
		}
	}
	// Encoding the same tensors with the same metadata gives the same bytes.
	enc, err := EncodeSafetensors(got, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if !bytes.Equal(enc, raw) {
		t.Errorf("EncodeSafetensors differs from the reference file:\n%q\n%q", enc, raw)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
