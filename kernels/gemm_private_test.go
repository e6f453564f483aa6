package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestGemmPrivateCopies: a product split by rows whose plan takes its
// buffers from a Workspace gives each participant a packed copy of op(B) of
// its own, one split by columns a copy of a transposed op(A)
// (privateCopies). Its results are the naive product's, bitwise the same
// for any GOMAXPROCS (one participant packs one shared copy) and with a
// PackCache (whose buffer of op(B) is shared), and the workspace
// MatmulWorkspace counts is what the plan takes.
func TestGemmPrivateCopies(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	rng := rand.New(rand.NewPCG(20, 12))
	for _, s := range []struct {
		m, n, k int
		ta, tb  bool
	}{
		{128, 128, 1024, true, false}, // a weight's gradient
		{512, 128, 1024, true, false},
		{300, 100, 64, false, false}, // edge panels of B
		{200, 70, 90, false, true},
		{1000, 96, 200, false, false},
		{128, 384, 1024, true, false}, // column tasks, op(A) transposed
		{100, 700, 300, true, true},
		{37, 530, 129, true, false},
		{1000, 8, 200, false, false}, // computed transposed: op(A) of the swapped product transposed
	} {
		g := NewGemmPlanShared[float32](s.ta, s.tb, s.m, s.n, s.k)
		if g.aCopies < 2 && g.bCopies < 2 && !g.kSplit {
			t.Fatalf("%v: copies %d and %d: the test needs private copies", s, g.aCopies, g.bCopies)
		}
		xs, wsh := []int{s.m, s.k}, []int{s.k, s.n}
		lda, ldb := s.k, s.n
		if s.ta {
			xs, lda = []int{s.k, s.m}, s.m
		}
		if s.tb {
			wsh, ldb = []int{s.n, s.k}, s.k
		}
		la, lb := g.packLens()
		if w := MatmulWorkspace[float32](xs, wsh, s.ta, s.tb); w != int64(la+lb) {
			t.Fatalf("%v: MatmulWorkspace %d, the plan takes %d", s, w, la+lb)
		}
		ws := &Workspace{}
		ws.Reserve(la+lb, 0)
		g.SetWorkspace(ws)
		a, b := to32s(randSlice(rng, s.m*s.k)), to32s(randSlice(rng, s.k*s.n))
		got := checkSameForAnyProcs(t, "private copies", g, a, lda, b, ldb, s.m, s.n)
		if n32, _ := ws.Len(); n32 != la+lb {
			t.Fatalf("%v: the workspace grew to %d from %d", s, n32, la+lb)
		}
		for i := range s.m {
			for j := range s.n {
				var want, mag float64
				for l := range s.k {
					ai, bi := i*lda+l, l*ldb+j
					if s.ta {
						ai = l*lda + i
					}
					if s.tb {
						bi = j*ldb + l
					}
					x, y := float64(a[ai]), float64(b[bi])
					want += x * y
					mag += math.Abs(x * y)
				}
				if d := math.Abs(float64(got[i*s.n+j]) - want); d > 1e-6*mag+1e-30 {
					t.Fatalf("%v: C[%d, %d] = %g, want %g", s, i, j, got[i*s.n+j], want)
				}
			}
		}
		cache := &PackCache{}
		for run := range 2 { // packs into the cache, then reads it
			c := make([]float32, s.m*s.n)
			g.RunPacked(cache, 1, a, lda, b, ldb, 0, c, s.n)
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(got[i]) {
					t.Fatalf("%v: with a PackCache (run %d) C[%d] = %g, without %g", s, run, i, c[i], got[i])
				}
			}
		}
	}
}

// TestGemmBalancedRuns: the dealer gives each participant an equal run of a
// parallel product's tasks, and the tasks' blocks are sized so that the
// runs are equal work too, to a panel per task: a 1024-row product was six
// tasks of 16, ..., 16 and 6 panels, 48 panels to one core and 38 to the
// other.
func TestGemmBalancedRuns(t *testing.T) {
	for _, procs := range []int{2, 3} {
		prev := runtime.GOMAXPROCS(procs)
		for _, s := range [][3]int{{1024, 512, 128}, {1024, 128, 512}, {512, 128, 1024}, {784, 512, 128}, {128, 512, 1024}, {300, 100, 64}, {32, 512, 128}} {
			g := NewGemmPlan[float32](false, false, s[0], s[1], s[2])
			if g.serial || g.sm != nil {
				continue
			}
			tasks := g.mBlk * g.nBlk
			par := min(g.maxPar, tasks)
			lo, hi := math.MaxInt, 0
			for j := range par {
				w := 0
				for t := tasks * j / par; t < tasks*(j+1)/par; t++ {
					i0, i1 := blockSpan(t/g.nBlk, g.mBlk, g.mPan)
					j0, j1 := blockSpan(t%g.nBlk, g.nBlk, g.nPan)
					w += (i1 - i0) * (j1 - j0)
				}
				lo, hi = min(lo, w), max(hi, w)
			}
			// Blocks differ by a panel along each axis at most.
			if slack := (tasks + par - 1) / par * (g.mtp + g.ntp + 1); hi-lo > slack {
				t.Errorf("GOMAXPROCS=%d %v: %d tasks (%d×%d) for %d participants: runs of %d to %d tiles, more than %d apart",
					procs, s, tasks, g.mBlk, g.nBlk, par, lo, hi, slack)
			}
			if procs == 2 && tasks%par != 0 {
				t.Errorf("%v: %d tasks for %d participants", s, tasks, par)
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}
