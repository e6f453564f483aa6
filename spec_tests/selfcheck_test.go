package spectests

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// The runner's own helpers, checked on small hand-made inputs.

func TestParseCaseMalformed(t *testing.T) {
	good := "checks x\n-- main.nn --\nfn f(x: f32) -> f32 {\n    return x\n}\n-- entry --\nf\n-- in/x.json --\n1\n-- out.json --\n{\"dtype\": \"f32\", \"shape\": [], \"data\": [1]}\n"
	if _, err := parseCase("good.txtar", []byte(good)); err != nil {
		t.Fatalf("good case rejected: %v", err)
	}
	bad := map[string]string{
		"no header":       strings.TrimPrefix(good, "checks x\n"),
		"no main.nn":      strings.Replace(good, "-- main.nn --", "-- other.nn --", 1),
		"no entry":        strings.Replace(good, "-- entry --\nf\n", "", 1),
		"no expectation":  good[:strings.Index(good, "-- out.json --")],
		"bad out json":    strings.Replace(good, "\"data\": [1]", "\"data\": [1, 2]", 1),
		"unknown dtype":   strings.Replace(good, "\"f32\", \"shape\"", "\"f16\", \"shape\"", 1),
		"gap in outs":     strings.Replace(good, "-- out.json --", "-- out1.json --", 1),
		"bad tol":         good + "-- tol --\n1e-5\n",
		"error with outs": good + "-- error --\nmain.nn:1:2: boom\n",
		"bad error pos":   strings.Replace(good, "-- out.json --\n{\"dtype\": \"f32\", \"shape\": [], \"data\": [1]}\n", "-- error --\nmain.nn:x:2: boom\n", 1),
		"duplicate file":  good + "-- entry --\ng\n",
	}
	for what, text := range bad {
		_, err := parseCase("cases/bad.txtar", []byte(text))
		if err == nil {
			t.Errorf("%s: accepted", what)
			continue
		}
		if !strings.HasPrefix(err.Error(), "cases/bad.txtar: malformed case:") {
			t.Errorf("%s: error %q does not name the file", what, err)
		}
	}
}

func TestInlineTensor(t *testing.T) {
	v, err := inlineTensor("[[1, 2, 3], [4, 5, 6]]", "f64")
	if err != nil {
		t.Fatal(err)
	}
	if v.DType != tensor.F64 || !equalInts(v.Shape, []int{2, 3}) || v.F64[5] != 6 {
		t.Fatalf("got %v", v)
	}
	s, err := inlineTensor("2.5", "f32")
	if err != nil || len(s.Shape) != 0 || s.F32[0] != 2.5 {
		t.Fatalf("scalar: %v %v", s, err)
	}
	l, err := inlineTensor("[3, 0]", "i32")
	if err != nil || l.I32[0] != 3 {
		t.Fatalf("i32: %v %v", l, err)
	}
	for _, bad := range []string{"[[1, 2], [3]]", "[1, [2]]", "[[1], 2]", "\"x\"", "[1.5]"} {
		if _, err := inlineTensor(bad, "i32"); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestCompareTensor(t *testing.T) {
	want := &expected{file: "out.json", dtype: "f32", shape: []int{2, 2}, data: []float64{1, 2, 3, 1000}}
	got := tensor.FromFloat64s(tensor.F32, []int{2, 2}, []float64{1, 2.000001, 3, 1000.005})
	if err := compareTensor(got, want, defaultTol("f32")); err != nil {
		t.Fatalf("within tolerance: %v", err)
	}
	got.F32[2] = 3.1
	err := compareTensor(got, want, defaultTol("f32"))
	if err == nil || !strings.Contains(err.Error(), "[1 0]: got 3.0999999") {
		t.Fatalf("mismatch not reported with its index: %v", err)
	}
	if err := compareTensor(got, want, tolerance{0.1, 0}); err != nil {
		t.Fatalf("loose tolerance: %v", err)
	}
	if err := compareTensor(tensor.New(tensor.F64, 2, 2), want, defaultTol("f32")); err == nil {
		t.Fatal("dtype mismatch accepted")
	}
	if err := compareTensor(tensor.New(tensor.F32, 4), want, defaultTol("f32")); err == nil {
		t.Fatal("shape mismatch accepted")
	}
}

func TestMatchErrors(t *testing.T) {
	w1, _ := parseWantError("main.nn:2:14: matmul ... f32[B, 64]")
	w2, _ := parseWantError("main.nn:5: undefined ... y")
	got := errors.New("main.nn:2:14: matmul: inner dimensions differ: x is f32[B, 64], W is f32[32, 128]\nmain.nn:5:9: undefined: y")
	if err := matchErrors(got, []wantError{w1, w2}); err != nil {
		t.Fatal(err)
	}
	if err := matchErrors(got, []wantError{w1}); err == nil {
		t.Fatal("an extra error line was accepted")
	}
	w3, _ := parseWantError("main.nn:2:13: matmul")
	if err := matchErrors(errors.New("main.nn:2:14: matmul"), []wantError{w3}); err == nil {
		t.Fatal("a wrong column was accepted")
	}
	w4, _ := parseWantError("differentiate ... i32")
	if err := matchErrors(errors.New("grad: cannot differentiate with respect to input k: i32[3]"), []wantError{w4}); err != nil {
		t.Fatal(err)
	}
}

// TestCasesParse checks that every committed case is well formed, even when
// the compiler is not built.
func TestCasesParse(t *testing.T) {
	n := 0
	err := filepath.WalkDir("cases", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".txtar") {
			return err
		}
		n++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := parseCase(path, data); err != nil {
			t.Error(err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 45 {
		t.Errorf("%d cases, want at least 45", n)
	}
}
