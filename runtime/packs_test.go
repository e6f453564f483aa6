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

// TestParamsFixedKeepsPacks: with SetParamsFixed, an inference session
// packs its weights on its first run only, and again after anything that
// may have changed them: a write through Store.Get, Store.Set, a training
// session's run on the same store; its outputs are those of a session that
// packs on every run.
func TestParamsFixedKeepsPacks(t *testing.T) {
	w, err := bench.Inference(bench.MLP, 1, 16, 1) // 16 rows: packed products
	if err != nil {
		t.Fatal(err)
	}
	step, err := bench.Step(bench.MLP, "sgd", 1, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, step.Graph, 1); err != nil {
		t.Fatal(err)
	}
	fixed, ref := runtime.NewSession(w.Graph, store), runtime.NewSession(w.Graph, store)
	fixed.SetParamsFixed(true)
	train := runtime.NewSession(step.Graph, store)
	p, err := fixed.Plan(w.Inputs...)
	if err != nil {
		t.Fatal(err)
	}
	var first int64 // the packings of a run that packs every param
	check := func(what string, packs int64) {
		t.Helper()
		_, before := runtime.PackStats(p)
		got, err := fixed.Run(0, w.Inputs...)
		if err != nil {
			t.Fatal(err)
		}
		_, after := runtime.PackStats(p)
		want, err := ref.Run(0, w.Inputs...)
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(got[0], want[0]) {
			t.Fatalf("%s: the output differs from a session that packs every run", what)
		}
		if packs < 0 {
			// The first run packs l1.W and l2.W, and l3.W unless its
			// 10-column product is computed transposed (l3.W on the A
			// side, packed by the product itself), as with wide tiles.
			first, packs = after-before, after-before
			if first < 2 || first > 3 {
				t.Errorf("%s: %d packings, want 2 or 3", what, first)
			}
		}
		if after-before != packs {
			t.Errorf("%s: %d packings, want %d", what, after-before, packs)
		}
	}
	check("first run", -1)
	check("second run", 0)
	check("third run", 0)
	store.Get("l2.W").F32[5] += 1
	check("after a write through Get", first)
	check("then", 0)
	store.Set("l1.W", store.Get("l1.W").Clone())
	check("after Set", first)
	if _, err := train.Run(0, step.Inputs...); err != nil {
		t.Fatal(err)
	}
	check("after a training step", first)
	if allocs := testing.AllocsPerRun(3, func() { fixed.Run(0, w.Inputs...) }); allocs != 0 {
		t.Errorf("a steady run allocates %g times", allocs)
	}
}

// TestParamsFixedSmallBatch: at batch 8 a session with fixed params runs
// its products on weights packed once (kernels: small-M products of 5 to 8
// rows use a lasting cache's panels), with the bits of a session that does
// not keep them, and packs nothing after its first run.
func TestParamsFixedSmallBatch(t *testing.T) {
	w, err := bench.Inference(bench.MLP, 1, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, w.Graph, 1); err != nil {
		t.Fatal(err)
	}
	fixed, ref := runtime.NewSession(w.Graph, store), runtime.NewSession(w.Graph, store)
	fixed.SetParamsFixed(true)
	p, err := fixed.Plan(w.Inputs...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		got, err := fixed.Run(0, w.Inputs...)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.Run(0, w.Inputs...)
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(got[0], want[0]) {
			t.Fatalf("run %d: the output differs from a session that packs nothing", i)
		}
	}
	if _, packed := runtime.PackStats(p); packed < 2 || packed > 3 {
		t.Errorf("%d packings in 3 runs, want 2 or 3 (once per weight)", packed)
	}
}
