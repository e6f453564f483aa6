package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestReduceMaxMin(t *testing.T) {
	// [2, 3] reduced over axis 0 and over axis 1.
	src := []float64{1, 5, -2, 4, 0, 7}
	for _, c := range []struct {
		keep     []int
		max, min []float64
	}{
		{[]int{1, 3}, []float64{4, 5, 7}, []float64{1, 0, -2}},
		{[]int{2, 1}, []float64{5, 7}, []float64{-2, 0}},
		{[]int{1, 1}, []float64{7}, []float64{-2}},
	} {
		p := NewBcast([]int{2, 3}, c.keep)
		idx, off := p.Scratch(), make([]int, 1)
		hi, lo := make([]float64, len(c.max)), make([]float64, len(c.min))
		ReduceMax(p, hi, src, idx, off)
		ReduceMin(p, lo, src, idx, off)
		for i := range hi {
			if hi[i] != c.max[i] || lo[i] != c.min[i] {
				t.Errorf("keep %v: max %v min %v, want %v %v", c.keep, hi, lo, c.max, c.min)
				break
			}
		}
	}
}

// TestReduceBcastSums checks SumTo on NewReduceBcast's merged walk against
// float64 sums by index, for reductions over leading, trailing, middle and
// all axes and a bias's [C, 1, 1] target of fewer axes (rows of 1 to 400
// elements, with and without a 16-lane tail); the vector rows (AVX2) give
// the Go loop's bits (simdOff), and GOMAXPROCS 1 and 2 the same bits
// (tasks run one after another or in parallel).
func TestReduceBcastSums(t *testing.T) {
	cases := []struct{ in, keep []int }{
		{[]int{6, 5, 20, 20}, []int{1, 5, 1, 1}}, // a bias gradient: rows of 400
		{[]int{6, 5, 7, 9}, []int{5, 1, 1}},      // sum_to's shorter target
		{[]int{3, 4, 37}, []int{3, 4, 1}},        // the last axis
		{[]int{3, 4, 37}, []int{1, 1, 1}},        // every axis: one row
		{[]int{3, 40, 5}, []int{3, 1, 5}},        // a middle axis: columns
		{[]int{300, 64, 8}, []int{1, 64, 1}},     // rows of 8 in tasks, run one after another
		{[]int{8192, 512}, []int{512}},           // 16 MiB: tasks run in parallel (reduceMinBytes)
		{[]int{7, 1, 33}, []int{1, 1, 33}},
	}
	rng := rand.New(rand.NewPCG(4, 5))
	for _, c := range cases {
		src := make([]float32, numElems(c.in))
		for i := range src {
			src[i] = float32(rng.NormFloat64())
		}
		var runs [][]float32
		for _, run := range []struct {
			procs int
			off   bool
		}{{1, false}, {2, false}, {1, true}} {
			withProcs(run.procs, func() {
				simdOff = run.off
				defer func() { simdOff = false }()
				p := NewReduceBcast(c.in, c.keep)
				dst := make([]float32, numElems(c.keep))
				SumTo(p, dst, src, p.Scratch(), make([]int, 1))
				runs = append(runs, dst)
			})
		}
		for _, r := range runs[1:] {
			if !bitsEqual32(r, runs[0]) {
				t.Errorf("%v -> %v: threads or vector code change the bits: %v vs %v", c.in, c.keep, r, runs[0])
			}
		}
		// The reference: every input index, mapped to its kept index.
		want := make([]float64, numElems(c.keep))
		keep := make([]int, len(c.in)) // keep aligned to in's axes
		for i := range keep {
			keep[i] = 1
			if j := i - (len(c.in) - len(c.keep)); j >= 0 {
				keep[i] = c.keep[j]
			}
		}
		for flat, v := range src {
			rem, at, st := flat, 0, 1
			for ax := len(c.in) - 1; ax >= 0; ax-- {
				i := rem % c.in[ax]
				rem /= c.in[ax]
				if keep[ax] != 1 {
					at += i * st
					st *= keep[ax]
				}
			}
			want[at] += float64(v)
		}
		// float32 sums of n terms: the error grows with n
		tol := 1e-5 * max(1, float64(numElems(c.in)/numElems(c.keep))/1000)
		for i, w := range want {
			if g := float64(runs[0][i]); math.Abs(g-w) > tol*(1+math.Abs(w)) {
				t.Errorf("%v -> %v: sum[%d] = %v, want %v", c.in, c.keep, i, g, w)
			}
		}
	}
}
