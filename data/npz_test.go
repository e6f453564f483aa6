package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

func TestNPZFromNumPy(t *testing.T) {
	m, err := LoadNPZ("testdata/arrays.npz", "x", "y")
	if err != nil {
		t.Fatal(err)
	}
	x, y := m["x"], m["y"]
	if len(m) != 2 || x.DType != tensor.F32 || !equalInts(x.Shape, []int{2, 2}) || x.F32[3] != 4.5 ||
		y.DType != tensor.I64 || y.I64[0] != 1 || y.I64[1] != 0 {
		t.Errorf("npz: %v", m)
	}
	// Without names the pickled member is an error naming it.
	_, err = LoadNPZ("testdata/arrays.npz")
	if err == nil || !strings.Contains(err.Error(), "arrays.npz[names.npy]") {
		t.Errorf("object member: %v", err)
	}
	_, err = LoadNPZ("testdata/arrays.npz", "x", "z")
	if err == nil || !strings.Contains(err.Error(), "no array named z") {
		t.Errorf("missing member: %v", err)
	}
	if _, err := ParseNPZ([]byte("PK junk"), "bad.npz"); err == nil || !strings.Contains(err.Error(), "bad.npz") {
		t.Errorf("junk: %v", err)
	}
}

func TestNPZRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npz")
	in := allDTypes()
	if err := SaveNPZ(path, in); err != nil {
		t.Fatal(err)
	}
	got, err := LoadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	for n, x := range in {
		if !sameTensor(got[n], x) {
			t.Errorf("%s: %v, want %v", n, got[n], x)
		}
	}
	b, _ := os.ReadFile(path)
	if _, err := ParseNPZ(b[:len(b)-10], "cut.npz"); err == nil {
		t.Error("truncated archive: no error")
	}
}
