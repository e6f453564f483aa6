package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestGemmKSplit: products with a small result and long operands, planned
// for a Workspace, split K (an MLP's forward, transformer and LSTM weight
// gradients, K blocks made even) and give the naive product (with alpha
// and beta), bitwise the same for any GOMAXPROCS, with and without a
// PackCache, planned for two participants (one task a part of K) and for
// four (the columns split too, each participant with its copy of op(A));
// MatmulWorkspace counts the partial result.
func TestGemmKSplit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(21, 5))
	for _, s := range []struct {
		m, n, k int
		ta      bool
	}{
		{128, 512, 784, false}, // x·W1 of the MLP
		{128, 512, 1024, true}, // a weight's gradient over 1,024 rows
		{128, 128, 1024, true},
		{128, 512, 1600, true}, // seven K blocks, made eight
		{37, 200, 600, false},
		{100, 70, 513, true},
	} {
		for _, plan := range []int{2, 4} {
			runtime.GOMAXPROCS(plan)
			g := NewGemmPlanShared[float32](s.ta, false, s.m, s.n, s.k)
			if !g.kSplit {
				t.Fatalf("%v planned at GOMAXPROCS %d: K not split", s, plan)
			}
			if g.nkc%2 != 0 {
				t.Fatalf("%v: %d K blocks", s, g.nkc)
			}
			if plan > 2 && (g.nBlk < 2 || g.aCopies < 2) {
				t.Fatalf("%v planned at GOMAXPROCS %d: %d column blocks, %d copies of op(A)", s, plan, g.nBlk, g.aCopies)
			}
			xs, lda := []int{s.m, s.k}, s.k
			if s.ta {
				xs, lda = []int{s.k, s.m}, s.m
			}
			la, lb := g.packLens()
			if w := MatmulWorkspace[float32](xs, []int{s.k, s.n}, s.ta, false); w != int64(la+lb) {
				t.Fatalf("%v: MatmulWorkspace %d, the plan takes %d", s, w, la+lb)
			}
			ws := &Workspace{}
			ws.Reserve(la+lb, 0)
			g.SetWorkspace(ws)
			a, b := to32s(randSlice(rng, s.m*s.k)), to32s(randSlice(rng, s.k*s.n))
			c0 := to32s(randSlice(rng, s.m*s.n))
			const alpha, beta = 0.5, 0.25
			var ref []float32
			for _, procs := range []int{1, 2, 3, 4, 1} {
				runtime.GOMAXPROCS(procs)
				c := append([]float32(nil), c0...)
				g.Run(alpha, a, lda, b, s.n, beta, c, s.n)
				if ref == nil {
					ref = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(ref[i]) {
						t.Fatalf("%v planned at %d, GOMAXPROCS %d: C[%d] = %g, with 1: %g", s, plan, procs, i, c[i], ref[i])
					}
				}
			}
			if n32, _ := ws.Len(); n32 != la+lb {
				t.Fatalf("%v: the workspace grew to %d from %d", s, n32, la+lb)
			}
			for i := range s.m {
				for j := range s.n {
					want, mag := beta*float64(c0[i*s.n+j]), math.Abs(beta*float64(c0[i*s.n+j]))
					for l := range s.k {
						ai := i*lda + l
						if s.ta {
							ai = l*lda + i
						}
						x := alpha * float64(a[ai]) * float64(b[l*s.n+j])
						want += x
						mag += math.Abs(x)
					}
					if d := math.Abs(float64(ref[i*s.n+j]) - want); d > 1e-6*mag+1e-30 {
						t.Fatalf("%v: C[%d, %d] = %g, want %g", s, i, j, ref[i*s.n+j], want)
					}
				}
			}
			cache := &PackCache{}
			for run := range 2 { // packs into the cache, then reads it
				c := append([]float32(nil), c0...)
				g.RunPacked(cache, alpha, a, lda, b, s.n, beta, c, s.n)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(ref[i]) {
						t.Fatalf("%v: with a PackCache (run %d) C[%d] = %g, without %g", s, run, i, c[i], ref[i])
					}
				}
			}
		}
	}
}

// TestGemmKSplit64: a float64 product splits K too (its K blocks are half
// as long) and gives the naive product, bitwise the same for any
// GOMAXPROCS.
func TestGemmKSplit64(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	const m, n, k = 96, 200, 700
	g := NewGemmPlanShared[float64](true, false, m, n, k)
	if !g.kSplit {
		t.Fatalf("%d×%d×%d float64: K not split", m, n, k)
	}
	rng := rand.New(rand.NewPCG(3, 9))
	a, b := randSlice(rng, k*m), randSlice(rng, k*n)
	ref := checkSameForAnyProcs(t, "float64, K split", g, a, m, b, n, m, n)
	for i := range m {
		for j := range n {
			var want, mag float64
			for l := range k {
				x := a[l*m+i] * b[l*n+j]
				want += x
				mag += math.Abs(x)
			}
			if d := math.Abs(ref[i*n+j] - want); d > 1e-13*mag {
				t.Fatalf("C[%d, %d] = %g, want %g", i, j, ref[i*n+j], want)
			}
		}
	}
}
