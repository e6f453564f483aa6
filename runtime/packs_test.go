package runtime_test

import (
	"math"
	"testing"

	"github.com/nnclang/nnc/bench"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// TestSharedPacksBitwise: an unrolled LSTM's training step packs each
// recurrent weight once per run for all the steps that multiply by it
// (fewer packings than products by params), and its losses and final
// params are bitwise those of the same steps with every product packing
// its own operands; the steady step allocates nothing.
func TestSharedPacksBitwise(t *testing.T) {
	size := bench.LSTMSize{In: 8, Hidden: 16, T: 6, Batch: 10} // 10 rows: packed products
	w, err := bench.LSTMStep(size, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	products := 0
	for _, n := range w.Graph.Nodes {
		if (n.Op.Name == "matmul" || n.Op.Name == "fused_matmul") && n.In[1].Op.Name == "param" {
			products++
		}
	}
	run := func(shared bool) ([]float32, *runtime.Store, *runtime.Plan) {
		store := runtime.NewStore()
		if err := runtime.InitParams(store, w.Graph, 1); err != nil {
			t.Fatal(err)
		}
		s := runtime.NewSession(w.Graph, store)
		p, err := s.Plan(w.Inputs...)
		if err != nil {
			t.Fatal(err)
		}
		if !shared {
			runtime.UnsharedPacks(p)
		}
		var losses []float32
		for i := range 4 {
			out, err := s.Run(uint64(i), w.Inputs...)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, out[0].F32[0])
		}
		// Three more steps (AllocsPerRun runs one more than asked).
		_, before := runtime.PackStats(p)
		allocs := testing.AllocsPerRun(2, func() { s.Run(9, w.Inputs...) })
		_, after := runtime.PackStats(p)
		if shared {
			if allocs != 0 {
				t.Errorf("a steady step allocates %g times", allocs)
			}
			t.Logf("%d packings per step for %d products by params", (after-before)/3, products)
			if per := (after - before) / 3; per == 0 || per >= int64(products) {
				t.Errorf("%d packings per step for %d products by params", per, products)
			}
		}
		return losses, store, p
	}
	got, gotStore, p := run(true)
	want, wantStore, _ := run(false)
	if entries, _ := runtime.PackStats(p); entries == 0 {
		t.Fatal("no param was packed into the cache")
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("step %d: loss %g with shared packs, %g without", i, got[i], want[i])
		}
	}
	for _, name := range wantStore.Names() {
		a, b := gotStore.Get(name), wantStore.Get(name)
		if !sameBits(a, b) {
			t.Fatalf("%s differs after the steps", name)
		}
	}
}

func sameBits(a, b *tensor.Tensor) bool {
	if len(a.F32) != len(b.F32) || len(a.F64) != len(b.F64) {
		return false
	}
	for i := range a.F32 {
		if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
			return false
		}
	}
	for i := range a.F64 {
		if math.Float64bits(a.F64[i]) != math.Float64bits(b.F64[i]) {
			return false
		}
	}
	return true
}
