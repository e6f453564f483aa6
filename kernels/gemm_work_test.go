package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmWorkspace: products that take their packed panels from one
// Workspace, run in turn, give bitwise the results of plans with buffers
// of their own (of a shared plan with a workspace of its own for a product
// that splits K, which plans with their own buffers do not), whatever the
// workspace held before (NaNs at first, then the other products' panels),
// also with op(B) from a PackCache; they keep none of its memory after a
// run, and it holds the largest product's panels.
func TestGemmWorkspace(t *testing.T) {
	type shape struct {
		ta, tb  bool
		m, n, k int
	}
	shapes := []shape{
		{false, false, 37, 45, 29}, {false, true, 130, 70, 300}, {true, false, 65, 33, 17},
		{true, true, 200, 190, 64}, {false, false, 9, 300, 40}, {false, false, 64, 64, 1200},
	}
	r := rand.New(rand.NewPCG(1, 2))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	ws := &Workspace{}
	ws.f32 = make([]float32, 1<<16)
	for i := range ws.f32 {
		ws.f32[i] = float32(math.NaN())
	}
	var cache PackCache
	var most, splits int
	for round := range 2 {
		for i, s := range shapes {
			a, b := rnd(s.m*s.k), rnd(s.k*s.n)
			lda, ldb := s.k, s.n
			if s.ta {
				lda = s.m
			}
			if s.tb {
				ldb = s.k
			}
			own := NewGemmPlan[float32](s.ta, s.tb, s.m, s.n, s.k)
			shared := NewGemmPlanShared[float32](s.ta, s.tb, s.m, s.n, s.k)
			if shared.kSplit {
				own = NewGemmPlanShared[float32](s.ta, s.tb, s.m, s.n, s.k)
				own.SetWorkspace(&Workspace{})
				splits++
			}
			want := make([]float32, s.m*s.n)
			own.Run(1, a, lda, b, ldb, 0, want, s.n)
			if shared.packA != nil || shared.packB != nil {
				t.Fatalf("%v: a shared plan has packing buffers of its own", s)
			}
			shared.SetWorkspace(ws)
			got := make([]float32, s.m*s.n)
			if round == 0 {
				shared.Run(1, a, lda, b, ldb, 0, got, s.n)
			} else {
				cache.Invalidate()
				shared.RunPacked(&cache, 1, a, lda, b, ldb, 0, got, s.n)
			}
			if shared.packA != nil || shared.packB != nil {
				t.Errorf("%v: the plan keeps the workspace's memory after its run", s)
			}
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("round %d, product %d %v: c[%d] = %v, own buffers give %v", round, i, s, j, got[j], want[j])
				}
			}
			if shared.sm == nil {
				la, lb := shared.packLens()
				most = max(most, la+lb)
			}
		}
	}
	if splits == 0 {
		t.Errorf("no product split K")
	}
	if n, _ := ws.Len(); n != max(most, 1<<16) {
		t.Errorf("the workspace holds %d elements; want the largest product's %d (or the %d it started with)", n, most, 1<<16)
	}
}
