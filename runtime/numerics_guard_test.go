package runtime_test

import (
	"errors"
	"math"
	"testing"

	"github.com/nnclang/nnc/runtime"
)

// TestGuardKeepsStore: models/digits.nn's optimized step (Adam, whose
// fused kernels write their moments into the store in place) with an
// infinite input stops at its guarded loss before anything in the store
// changes: every param and optimizer state is bitwise what it was.
func TestGuardKeepsStore(t *testing.T) {
	w := digitsStep(t, 1)
	store := runtime.NewStore()
	if err := runtime.InitParams(store, w.Graph, 1); err != nil {
		t.Fatal(err)
	}
	s := runtime.NewSession(w.Graph, store)
	if err := s.SetNumerics(runtime.NumericsOptions{Guard: "loss"}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // moments that are not zero
		if _, err := s.Run(uint64(i), w.Inputs...); err != nil {
			t.Fatal(err)
		}
	}
	before := map[string][]uint32{}
	for _, name := range store.Names() {
		for _, v := range store.Get(name).Float64s() {
			before[name] = append(before[name], math.Float32bits(float32(v)))
		}
	}
	x := w.Inputs[0].Clone()
	x.F32[5] = float32(math.Inf(1))
	_, err := s.Run(9, x, w.Inputs[1])
	var nf *runtime.NonFiniteError
	if !errors.As(err, &nf) || nf.Output != "loss" {
		t.Fatalf("err = %v, want the loss non-finite", err)
	}
	for _, name := range store.Names() {
		for i, v := range store.Get(name).Float64s() {
			if math.Float32bits(float32(v)) != before[name][i] {
				t.Fatalf("%s[%d] changed by a stopped step", name, i)
			}
		}
	}
	if len(before) < 8 {
		t.Errorf("%d tensors in the store, want the 4 params and their moments", len(before))
	}
}
