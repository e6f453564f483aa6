package nnc

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// packsSrc is one product by a weight large enough to be packed for the
// gemm (K 64, N 96).
const packsSrc = `model P() {
    param W: f32[64, 96] = normal(std = 0.1)

    fn forward(x: f32[B, 64]) -> f32[B, 96] {
        return x @ W
    }
}
`

// TestFuncKeepsPacksUntilParamsChange: a Func's sessions keep the packed
// weights from one call to the next (Session.SetParamsFixed), so every
// way of changing a param must reach the next call: SetParam, InitParams
// and LoadParams, at batch 64 (the packed product) and 8 (the small-M
// product, which packs a weight only when it lasts). Each result is
// checked against a float64 product with the weight read back by Param.
func TestFuncKeepsPacksUntilParamsChange(t *testing.T) {
	p, err := Compile("packs.nn", []byte(packsSrc))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("P.forward")
	if err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(t.TempDir(), "w.safetensors")
	if err := f.SaveParams(saved); err != nil {
		t.Fatal(err)
	}
	for _, rows := range []int{64, 8} {
		x := tensor.New(tensor.F32, rows, 64)
		for i := range x.F32 {
			x.F32[i] = float32((i*7)%23)/11 - 1
		}
		check := func(what string) {
			t.Helper()
			w, _ := f.Param("W")
			for call := range 2 { // the second call runs on the kept packs
				out, err := f.Run(map[string]*Tensor{"x": x})
				if err != nil {
					t.Fatal(err)
				}
				for r := range rows {
					for c := range 96 {
						var want float64
						for k := range 64 {
							want += float64(x.F32[r*64+k]) * float64(w.F32[k*96+c])
						}
						if got := float64(out[0].F32[r*96+c]); math.Abs(got-want) > 1e-4 {
							t.Fatalf("batch %d, after %s, call %d: out[%d, %d] = %v, want %v", rows, what, call, r, c, got, want)
						}
					}
				}
			}
		}
		check("compiling")
		w, _ := f.Param("W")
		for i := range w.F32 {
			w.F32[i] = -3 * w.F32[i]
		}
		if err := f.SetParam("W", w); err != nil {
			t.Fatal(err)
		}
		check("SetParam")
		if err := f.InitParams(uint64(rows)); err != nil {
			t.Fatal(err)
		}
		check("InitParams")
		if err := f.LoadParams(saved); err != nil {
			t.Fatal(err)
		}
		check("LoadParams")
	}
}
