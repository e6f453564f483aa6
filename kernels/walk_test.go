package kernels

import (
	"runtime"
	"slices"
	"testing"
)

// TestGatherConcatSplit: views and joins large enough to be split among the
// pool's goroutines (a column slice of a product's rows, a strided and a
// reversed view, rows splitting unevenly) match the definition at
// GOMAXPROCS 1, 2 and 3 and allocate nothing once warm.
func TestGatherConcatSplit(t *testing.T) {
	src := make([]int, 1024*384)
	for i := range src {
		src[i] = i + 1
	}
	for _, c := range []struct {
		shape, stride []int
		base          int
	}{
		{[]int{1024, 128}, []int{384, 1}, 128},                // q, k or v of a fused projection
		{[]int{16, 4, 64, 32}, []int{24576, 32, 384, 1}, 256}, // and its heads, transposed
		{[]int{1023, 96}, []int{384, -2}, 383},                // strided, reversed
		{[]int{37, 3, 3000}, []int{10000, 3000, 1}, 100},
	} {
		v := NewView(c.shape, c.base, c.stride)
		if rows := numElems(v.Shape) / v.Shape[len(v.Shape)-1]; rows < 2 {
			t.Fatalf("view %v: merged to %v, one row", c.shape, v.Shape)
		}
		want := naiveView(c.shape, c.stride, c.base, src)
		dst := make([]int, len(want))
		for _, procs := range []int{1, 2, 3} {
			prev := runtime.GOMAXPROCS(procs)
			clear(dst)
			Gather(v, dst, src)
			runtime.GOMAXPROCS(prev)
			for i := range want {
				if dst[i] != want[i] {
					t.Fatalf("view %v stride %v GOMAXPROCS=%d: element %d = %d, want %d", c.shape, c.stride, procs, i, dst[i], want[i])
				}
			}
		}
		if n := testing.AllocsPerRun(10, func() { Gather(v, dst, src) }); n != 0 {
			t.Errorf("view %v: %g allocations per run", c.shape, n)
		}
	}

	for _, c := range []struct {
		rows  []int
		outer int
	}{
		{[]int{128, 128, 128}, 1024},
		{[]int{1, 700}, 999},
		{[]int{5000}, 37},
		{slices.Repeat([]int{16384}, 50), 1}, // an LSTM's gradients of the gates, joined over the steps
		{[]int{3, 100000, 17, 40000, 9}, 1},
	} {
		srcs := make([][]int, len(c.rows))
		var want []int
		for k, n := range c.rows {
			srcs[k] = make([]int, n*c.outer)
			for i := range srcs[k] {
				srcs[k][i] = (k+1)<<24 | i
			}
		}
		width := 0
		for _, n := range c.rows {
			width += n
		}
		if tasks, _, _ := concatTasks(width, len(c.rows), c.outer); tasks < 2 {
			t.Fatalf("concat %v × %d: not split", c.rows, c.outer)
		}
		for i := range c.outer {
			for k, n := range c.rows {
				want = append(want, srcs[k][i*n:(i+1)*n]...)
			}
		}
		dst := make([]int, len(want))
		for _, procs := range []int{1, 2, 3} {
			prev := runtime.GOMAXPROCS(procs)
			clear(dst)
			Concat(dst, srcs, c.rows, c.outer)
			runtime.GOMAXPROCS(prev)
			for i := range want {
				if dst[i] != want[i] {
					t.Fatalf("concat %v × %d GOMAXPROCS=%d: element %d = %#x, want %#x", c.rows, c.outer, procs, i, dst[i], want[i])
				}
			}
		}
		if n := testing.AllocsPerRun(10, func() { Concat(dst, srcs, c.rows, c.outer) }); n != 0 {
			t.Errorf("concat %v: %g allocations per run", c.rows, n)
		}
	}
}

// naiveView is the definition: element (i0, i1, ...) of the view is
// src[base + Σ ik·stride[k]], in row-major order.
func naiveView(shape, stride []int, base int, src []int) []int {
	var out []int
	idx := make([]int, len(shape))
	for range numElems(shape) {
		off := base
		for k, j := range idx {
			off += j * stride[k]
		}
		out = append(out, src[off])
		for k := len(shape) - 1; k >= 0; k-- {
			if idx[k]++; idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out
}

// TestOuterFirst: transposes that keep the batch axis first and slices of
// whole rows split from dataMinWork; a transpose of the two outer axes (an
// LSTM's [B, T, n] to [T, B, n]) does not.
func TestOuterFirst(t *testing.T) {
	for _, c := range []struct {
		in, perm []int
		want     bool
	}{
		{[]int{16, 64, 4, 32}, []int{0, 2, 1, 3}, true},
		{[]int{16, 4, 64, 32}, []int{0, 2, 1, 3}, true},
		{[]int{32, 50, 64}, []int{1, 0, 2}, false},
		{[]int{50, 32, 128}, []int{1, 0, 2}, false},
		{[]int{513, 301}, []int{1, 0}, false},
	} {
		tr := NewTranspose(c.in, c.perm)
		if got := outerFirst(tr.out, tr.stride); got != c.want {
			t.Errorf("transpose %v by %v (as %v, strides %v): outerFirst %v, want %v", c.in, c.perm, tr.out, tr.stride, got, c.want)
		}
	}
	v := NewView([]int{1024, 128}, 128, []int{384, 1})
	if !outerFirst(v.Shape, v.Stride) {
		t.Errorf("a slice of whole rows: not outerFirst")
	}
}
