package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// withProcs runs f with GOMAXPROCS set to n.
func withProcs(n int, f func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	f()
}

// TestSplitTasks: the partition depends on the size alone, covers every item
// once and keeps small work in one task.
func TestSplitTasks(t *testing.T) {
	if tasks, per := splitTasks(100, 10); tasks != 1 || per != 100 {
		t.Errorf("small work: %d tasks of %d", tasks, per)
	}
	for _, n := range []int{2, 3, 17, 64, 1000} {
		tasks, per := splitTasks(n, parMinWork)
		if tasks < 2 || tasks > parMaxTasks || per*tasks < n || per*(tasks-1) >= n {
			t.Errorf("n=%d: %d tasks of %d", n, tasks, per)
		}
	}
	// Three tasks' worth on many items: four, which two cores share evenly.
	if tasks, per := splitTasks(32, 3*parMinWork/32+1); tasks != 4 || per != 8 {
		t.Errorf("32 items of 3/32 parMinWork: %d tasks of %d, want 4 of 8", tasks, per)
	}
}

// naiveMaxPool is the definition: the first maximum of each clipped window
// (NaN wins), with its flat index in the plane.
func naiveMaxPool(p *Pool, x []float64) (out []float64, at []int) {
	for c := 0; c < p.NC; c++ {
		for oh := 0; oh < p.OH; oh++ {
			for ow := 0; ow < p.OW; ow++ {
				best, idx := math.Inf(-1), -1
				for i := 0; i < p.KH; i++ {
					for j := 0; j < p.KW; j++ {
						h, w := oh*p.SH-p.PH+i, ow*p.SW-p.PW+j
						if h < 0 || h >= p.H || w < 0 || w >= p.W {
							continue
						}
						v := x[(c*p.H+h)*p.W+w]
						if idx < 0 || (!math.IsNaN(best) && (v > best || math.IsNaN(v))) {
							best, idx = v, (c*p.H+h)*p.W+w
						}
					}
				}
				out, at = append(out, best), append(at, idx)
			}
		}
	}
	return out, at
}

// TestParallelPool runs the pooling kernels on planes enough to split into
// tasks, against the definition, with GOMAXPROCS 1 and 2 (bitwise equal),
// including ties, -Inf and NaN in the 2×2 fast path and the general one.
func TestParallelPool(t *testing.T) {
	shape := []int{8, 16, 28, 28}
	rng := rand.New(rand.NewPCG(5, 5))
	x := make([]float64, numElems(shape))
	for i := range x {
		x[i] = float64(rng.IntN(7)) // many ties
	}
	x[3], x[100] = math.NaN(), math.Inf(-1)
	x[29], x[28] = math.NaN(), math.NaN()
	for _, geo := range []struct{ k, s, pad [2]int }{
		{[2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}},
		{[2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}},
	} {
		p := NewPool(shape, geo.k, geo.s, geo.pad, true)
		if p.tasks < 2 {
			t.Fatalf("%v: %d tasks, want a parallel split", geo, p.tasks)
		}
		want, at := naiveMaxPool(p, x)
		g := make([]float64, len(want))
		for i := range g {
			g[i] = float64(i%13) + 0.5
		}
		h := make([]float64, len(x))
		for i := range h {
			h[i] = float64(i)
		}
		wantDx := make([]float64, len(x))
		wantPick := make([]float64, len(want))
		for i, j := range at {
			wantDx[j] += g[i]
			wantPick[i] = h[j]
		}
		var runs [2][4][]float64
		for r, procs := range []int{1, 2} {
			withProcs(procs, func() {
				out, dx := make([]float64, len(want)), make([]float64, len(x))
				pick, adx := make([]float64, len(want)), make([]float64, len(x))
				MaxPool(p, out, x)
				MaxPoolGrad(p, dx, x, g)
				MaxPoolPick(p, pick, x, h)
				AvgPoolGrad(p, adx, g)
				runs[r] = [4][]float64{out, dx, pick, adx}
			})
		}
		for r := range runs {
			if !sameBits(runs[r][0], want) || !sameBits(runs[r][1], wantDx) || !sameBits(runs[r][2], wantPick) {
				t.Errorf("%v, run %d: max pool kernels differ from the definition", geo, r)
			}
			if !sameBits(runs[r][3], runs[0][3]) {
				t.Errorf("%v: avg pool grad differs between GOMAXPROCS 1 and 2", geo)
			}
		}
		// ⟨avgpool(xr), g⟩ = ⟨xr, avgpool_grad(g)⟩.
		xr := randSlice(rng, len(x))
		avg := make([]float64, len(want))
		AvgPool(p, avg, xr)
		if a, b := dotF(avg, g), dotF(xr, runs[1][3]); math.Abs(a-b) > 1e-9*math.Abs(a) {
			t.Errorf("%v: ⟨avgpool(x), g⟩ = %g, ⟨x, avgpool_grad(g)⟩ = %g", geo, a, b)
		}
	}
}

// sameBits reports whether a and b are bitwise equal (NaN equals NaN).
func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// TestParallelConv runs a convolution large enough to split over images
// against the definition (forward) and the adjoint identities (gradients),
// with GOMAXPROCS 1 and 2, which must give bitwise the same results.
func TestParallelConv(t *testing.T) {
	xs, ks := []int{16, 8, 12, 12}, []int{16, 8, 3, 3}
	c := NewConv(xs, ks, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, 1)
	if c.tasks < 2 {
		t.Fatalf("%d tasks, want a parallel split", c.tasks)
	}
	rng := rand.New(rand.NewPCG(6, 6))
	x, k := randSlice(rng, numElems(xs)), randSlice(rng, numElems(ks))
	gout := randSlice(rng, c.N*c.CO*c.OH*c.OW)
	want := naiveConv(c, x, k)
	ref := dotF(want, gout)
	var runs [2][3][]float64
	for r, procs := range []int{1, 2} {
		withProcs(procs, func() {
			col, tmp := make([]float64, c.ColLen()), make([]float64, c.TmpLen())
			out, dx, dk := make([]float64, len(want)), make([]float64, len(x)), make([]float64, len(k))
			for i := range dx {
				dx[i] = 99 // must be overwritten
			}
			ConvForward(c, out, x, k, col, (*Matmul).F64)
			ConvInputGrad(c, dx, gout, k, col, (*Matmul).F64)
			ConvWeightGrad(c, dk, x, gout, col, tmp, (*Matmul).F64)
			runs[r] = [3][]float64{out, dx, dk}
		})
	}
	for j := range want {
		if math.Abs(runs[0][0][j]-want[j]) > 1e-12*(1+math.Abs(want[j])) {
			t.Fatalf("forward[%d] = %g, want %g", j, runs[0][0][j], want[j])
		}
	}
	if a := dotF(x, runs[0][1]); math.Abs(a-ref) > 1e-10*(1+math.Abs(ref)) {
		t.Errorf("⟨x, dx⟩ = %g, ⟨conv, g⟩ = %g", a, ref)
	}
	if a := dotF(k, runs[0][2]); math.Abs(a-ref) > 1e-10*(1+math.Abs(ref)) {
		t.Errorf("⟨k, dk⟩ = %g, ⟨conv, g⟩ = %g", a, ref)
	}
	for i := range runs[0] {
		if !sameBits(runs[0][i], runs[1][i]) {
			t.Errorf("result %d differs between GOMAXPROCS 1 and 2", i)
		}
	}
}

// TestParallelKernelsAllocateNothing: once prepared (and run once), the
// parallel conv and pool kernels allocate nothing, on one goroutine or two.
func TestParallelKernelsAllocateNothing(t *testing.T) {
	c := NewConv([]int{16, 8, 12, 12}, []int{16, 8, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, 1)
	p := NewPool([]int{8, 16, 28, 28}, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, true)
	x, k := make([]float32, 16*8*144), make([]float32, 16*8*9)
	out, col, tmp := make([]float32, 16*16*144), make([]float32, c.ColLen()), make([]float32, c.TmpLen())
	px, po := make([]float32, 8*16*28*28), make([]float32, 8*16*14*14)
	run := func() {
		ConvForward(c, out, x, k, col, (*Matmul).F32)
		ConvInputGrad(c, x, out, k, col, (*Matmul).F32)
		ConvWeightGrad(c, k, x, out, col, tmp, (*Matmul).F32)
		MaxPool(p, po, px)
		MaxPoolGrad(p, px, px, po)
	}
	for _, procs := range []int{1, 2} {
		withProcs(procs, func() {
			run()
			if a := testing.AllocsPerRun(10, run); a != 0 {
				t.Errorf("GOMAXPROCS %d: %v allocations per run", procs, a)
			}
		})
	}
}

// TestParallelTaskPanicReachesCaller: a task that panics on a pool
// goroutine does not end the process; run panics with its value on the
// caller once every participant is done, and the next run works.
func TestParallelTaskPanicReachesCaller(t *testing.T) {
	withProcs(2, func() {
		var fail atomic.Bool
		var ran [8]atomic.Int32
		var helperRan atomic.Bool
		p := newParFor(8, func(w, task int) {
			if w != 0 {
				helperRan.Store(true)
				if fail.Load() {
					panic("task broke")
				}
			} else {
				time.Sleep(2 * time.Millisecond) // leave tasks to the helper
			}
			ran[task].Add(1)
		})
		run := func() (r any) {
			defer func() { r = recover() }()
			p.run()
			return nil
		}
		fail.Store(true)
		for range 50 {
			helperRan.Store(false)
			if r := run(); r != nil {
				if r != "task broke" {
					t.Fatalf("run panicked with %v", r)
				}
				break
			}
			if helperRan.Load() {
				t.Fatal("a helper ran a task, but run did not panic")
			}
		}
		if !helperRan.Load() {
			t.Fatal("no pool goroutine ran a task in 50 runs")
		}
		if parBusy.Load() {
			t.Fatal("the pool is still marked busy")
		}
		fail.Store(false)
		for i := range ran {
			ran[i].Store(0)
		}
		if r := run(); r != nil {
			t.Fatalf("run after a panic: %v", r)
		}
		for i := range ran {
			if n := ran[i].Load(); n != 1 {
				t.Errorf("task %d ran %d times", i, n)
			}
		}
	})
}
