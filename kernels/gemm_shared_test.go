package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRunPackedShares: products by the same op(B) (as is and transposed,
// different M, one small-M) pack it once per generation each layout, give
// bitwise Run's results, see a changed B only after Invalidate, and
// allocate nothing once the cache holds them.
func TestRunPackedShares(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	k, n := 300, 70
	b := to32s(randSlice(rng, k*n))
	x1, x2 := to32s(randSlice(rng, 20*k)), to32s(randSlice(rng, 33*k))
	g1 := NewGemmPlan[float32](false, false, 20, n, k)
	g2 := NewGemmPlan[float32](false, false, 33, n, k)
	g3 := NewGemmPlan[float32](false, true, 20, k, n) // x3·bᵀ: b (k×n) as op(B) of n×k
	x3 := to32s(randSlice(rng, 20*n))
	var cache PackCache
	run := func() (c1, c2, c3, r1, r2, r3 []float32) {
		c1, c2, c3 = make([]float32, 20*n), make([]float32, 33*n), make([]float32, 20*k)
		r1, r2, r3 = make([]float32, 20*n), make([]float32, 33*n), make([]float32, 20*k)
		g1.RunPacked(&cache, 1, x1, k, b, n, 0, c1, n)
		g2.RunPacked(&cache, 1, x2, k, b, n, 0, c2, n)
		g3.RunPacked(&cache, 1, x3, n, b, n, 0, c3, k)
		g1.Run(1, x1, k, b, n, 0, r1, n)
		g2.Run(1, x2, k, b, n, 0, r2, n)
		g3.Run(1, x3, n, b, n, 0, r3, k)
		return
	}
	same := func(what string, got, want []float32) {
		t.Helper()
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: C[%d] = %g with the cache, %g without", what, i, got[i], want[i])
			}
		}
	}
	cache.Invalidate()
	c1, c2, c3, r1, r2, r3 := run()
	same("first", c1, r1)
	same("second", c2, r2)
	same("transposed", c3, r3)
	if cache.Entries() != 2 || cache.Packed() != 2 {
		t.Fatalf("%d entries packed %d times, want 2 and 2 (B and Bᵀ)", cache.Entries(), cache.Packed())
	}
	b[7] += 1 // not seen until the cache is invalidated
	c1, _, _, r1, _, _ = run()
	if cache.Packed() != 2 {
		t.Errorf("packed %d times before invalidation, want 2", cache.Packed())
	}
	if math.Float32bits(c1[7]) == math.Float32bits(r1[7]) {
		t.Error("the stale packing gave the new B's result")
	}
	cache.Invalidate()
	c1, c2, c3, r1, r2, r3 = run()
	same("after invalidation", c1, r1)
	same("second after invalidation", c2, r2)
	same("transposed after invalidation", c3, r3)
	if cache.Packed() != 4 {
		t.Errorf("packed %d times, want 4", cache.Packed())
	}
	// A small-M product of 8 rows (two row blocks) runs on the cached
	// panels, with the bits of its unpacked run; it packs them as the
	// packed plans do, so they share them.
	g8 := NewGemmPlan[float32](false, false, 8, n, k)
	if g8.sm == nil {
		t.Skip("no small-M kernels in this build")
	}
	x8 := to32s(randSlice(rng, 8*k))
	c8, r8 := make([]float32, 8*n), make([]float32, 8*n)
	cache.Invalidate()
	b[9] -= 2
	g8.RunPacked(&cache, 1, x8, k, b, n, 0, c8, n)
	g8.Run(1, x8, k, b, n, 0, r8, n)
	same("8 rows", c8, r8)
	c1, r1 = make([]float32, 20*n), make([]float32, 20*n)
	g1.RunPacked(&cache, 1, x1, k, b, n, 0, c1, n)
	g1.Run(1, x1, k, b, n, 0, r1, n)
	same("after 8 rows", c1, r1)
	g8t := NewGemmPlan[float32](true, false, 8, n, k) // op(A) read transposed
	x8t := to32s(randSlice(rng, k*8))
	g8t.RunPacked(&cache, 1, x8t, 8, b, n, 0, c8, n)
	g8t.Run(1, x8t, 8, b, n, 0, r8, n)
	same("8 rows, A transposed", c8, r8)
	if cache.Packed() != 5 || cache.Entries() != 2 {
		t.Errorf("%d entries packed %d times, want 2 and 5", cache.Entries(), cache.Packed())
	}
	// A lasting cache: the small-M product packs the panels itself.
	var lasting PackCache
	lasting.SetLasting(true)
	g8t.RunPacked(&lasting, 1, x8t, 8, b, n, 0, c8, n)
	same("8 rows, lasting cache", c8, r8)
	if lasting.Packed() != 1 {
		t.Errorf("the lasting cache was packed %d times, want 1", lasting.Packed())
	}
	c := make([]float32, 20*n)
	if allocs := testing.AllocsPerRun(3, func() {
		cache.Invalidate()
		g1.RunPacked(&cache, 1, x1, k, b, n, 0, c, n)
		g8.RunPacked(&cache, 1, x8, k, b, n, 0, c8, n)
	}); allocs != 0 {
		t.Errorf("%g allocations per run", allocs)
	}
}
