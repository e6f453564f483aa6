package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestViewGatherScatter walks a 3x4 grid (values 0..11) through views with
// negative and skipping strides, against indices worked out by hand.
func TestViewGatherScatter(t *testing.T) {
	src := make([]float64, 12)
	for i := range src {
		src[i] = float64(i)
	}
	tests := []struct {
		shape  []int
		base   int
		stride []int
		want   []float64
	}{
		{[]int{3, 4}, 0, []int{4, 1}, src},                           // the whole grid
		{[]int{3, 2}, 3, []int{4, -2}, []float64{3, 1, 7, 5, 11, 9}}, // x[:, ::-2]
		{[]int{2, 2}, 11, []int{-8, -3}, []float64{11, 8, 3, 0}},     // x[::-2, ::-3]
		{[]int{4}, 8, []int{1}, []float64{8, 9, 10, 11}},             // x[2]
		{nil, 5, nil, []float64{5}},                                  // x[1, 1]
		{[]int{3, 0}, 0, []int{4, 1}, nil},                           // empty
	}
	for _, tt := range tests {
		v := NewView(tt.shape, tt.base, tt.stride)
		dst := make([]float64, len(tt.want))
		if tt.shape == nil {
			dst = make([]float64, 1)
		}
		Gather(v, dst, src)
		for i, w := range tt.want {
			if dst[i] != w {
				t.Errorf("gather %v %d %v: element %d = %g, want %g", tt.shape, tt.base, tt.stride, i, dst[i], w)
			}
		}
		back := make([]float64, 12)
		Scatter(v, back, dst)
		for i, w := range tt.want {
			if back[int(w)] != w {
				t.Errorf("scatter %v: element %d of %v did not land at %g", tt.shape, i, tt.want, w)
			}
		}
		if a := testing.AllocsPerRun(3, func() { Gather(v, dst, src); Scatter(v, back, dst) }); a != 0 {
			t.Errorf("view %v: %g allocations", tt.shape, a)
		}
	}
}

// TestViewRandom compares Gather and Scatter through random views (size-1
// and empty axes, negative and skipping strides, whole rows that NewView
// merges) with the offsets Base + Σ ik·Stride[k] walked one by one.
func TestViewRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 2000 {
		r := rng.IntN(5)
		full := make([]int, r) // a row-major tensor the view reads
		for i := range full {
			full[i] = 1 + rng.IntN(4)
		}
		fs := make([]int, r)
		st := 1
		for i := r - 1; i >= 0; i-- {
			fs[i], st = st, st*full[i]
		}
		shape, stride := make([]int, r), make([]int, r)
		base := 0
		for i := range r {
			step := []int{1, 1, 2, -1}[rng.IntN(4)]
			first := rng.IntN(full[i])
			n := 0
			for k := first; k >= 0 && k < full[i] && n < 1+rng.IntN(full[i]); k += step {
				n++
			}
			if rng.IntN(20) == 0 {
				n = 0
			}
			if rng.IntN(2) == 0 && step == 1 { // the whole axis
				first, n = 0, full[i]
			}
			shape[i], stride[i] = n, step*fs[i]
			base += first * fs[i]
		}
		src := make([]float64, st)
		for i := range src {
			src[i] = float64(i + 1)
		}
		var want []float64
		idx := make([]int, r)
		total := numElems(shape)
		for range total {
			off := base
			for k, j := range idx {
				off += j * stride[k]
			}
			want = append(want, src[off])
			for k := r - 1; k >= 0; k-- {
				if idx[k]++; idx[k] < shape[k] {
					break
				}
				idx[k] = 0
			}
		}
		v := NewView(shape, base, stride)
		got := make([]float64, max(total, 1))
		Gather(v, got, src)
		for i, w := range want {
			if got[i] != w {
				t.Fatalf("trial %d: view %v base %d stride %v (as %v %v): element %d = %g, want %g", trial, shape, base, stride, v.Shape, v.Stride, i, got[i], w)
			}
		}
		back := make([]float64, len(src))
		Scatter(v, back, want)
		for _, w := range want {
			if back[int(w)-1] != w {
				t.Fatalf("trial %d: view %v base %d stride %v: scatter lost %g", trial, shape, base, stride, w)
			}
		}
	}
}
