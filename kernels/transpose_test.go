package kernels

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

func TestTransposeNaive(t *testing.T) {
	in, perm := []int{2, 3, 4, 5}, []int{2, 0, 3, 1}
	src := make([]int, numElems(in))
	for i := range src {
		src[i] = i
	}
	tr := NewTranspose(in, perm)
	dst := make([]int, len(src))
	TransposeRun(tr, dst, src)
	o := 0
	for a := range in[2] {
		for b := range in[0] {
			for c := range in[3] {
				for d := range in[1] {
					// out[a, b, c, d] = in[b, d, a, c]
					if want := ((b*3+d)*4+a)*5 + c; dst[o] != want {
						t.Fatalf("out[%d,%d,%d,%d] = %d, want %d", a, b, c, d, dst[o], want)
					}
					o++
				}
			}
		}
	}
	if n := testing.AllocsPerRun(10, func() { TransposeRun(tr, dst, src) }); n != 0 {
		t.Errorf("%g allocations per run", n)
	}
}

// TestTransposeRandom compares TransposeRun with the index arithmetic of
// the definition for 500 random shapes (ranks 0-5, sizes 0-4, many of 1)
// and permutations, which exercise the merged axes and whole-run copies.
func TestTransposeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 500 {
		r := rng.IntN(6)
		in := make([]int, r)
		for i := range in {
			in[i] = rng.IntN(5)
			if rng.IntN(3) == 0 {
				in[i] = 1
			}
		}
		perm := rng.Perm(r)
		n := numElems(in)
		src := make([]int, n)
		for i := range src {
			src[i] = i + 1
		}
		dst := make([]int, n)
		TransposeRun(NewTranspose(in, perm), dst, src)
		if o, want, ok := transposeMismatch(in, perm, src, dst); !ok {
			t.Fatalf("trial %d: in %v perm %v: out[%d] = %d, want %d", trial, in, perm, o, dst[o], want)
		}
	}
}

// transposeMismatch checks dst against the definition's index arithmetic
// for the permutation perm of src (shape in): the first wrong element and
// its expected value, or ok.
func transposeMismatch(in, perm, src, dst []int) (o, want int, ok bool) {
	r := len(in)
	out := make([]int, r)
	for i, p := range perm {
		out[i] = in[p]
	}
	idx, at := make([]int, r), make([]int, r)
	for o := range numElems(in) {
		// idx: the output index of element o; the input index has
		// idx[i] at axis perm[i].
		k, q := 0, o
		for i := r - 1; i >= 0; i-- {
			idx[i] = q % out[i]
			q /= out[i]
		}
		for i, p := range perm {
			at[p] = idx[i]
		}
		for i := range r {
			k = k*in[i] + at[i]
		}
		if dst[o] != src[k] {
			return o, src[k], false
		}
	}
	return 0, 0, true
}

// TestTransposeSplit: transposes large enough to be split among the pool's
// goroutines (whole runs and strided gathers, rows splitting unevenly)
// match the definition at GOMAXPROCS 1, 2 and 3 and allocate nothing once
// warm.
func TestTransposeSplit(t *testing.T) {
	for _, c := range []struct{ in, perm []int }{
		{[]int{64, 50, 128}, []int{1, 0, 2}},
		{[]int{513, 301}, []int{1, 0}},
		{[]int{16, 33, 4, 32}, []int{0, 2, 1, 3}},
		{[]int{7, 9, 11, 13, 5}, []int{4, 2, 0, 3, 1}},
	} {
		src := make([]int, numElems(c.in))
		for i := range src {
			src[i] = i + 1
		}
		tr := NewTranspose(c.in, c.perm)
		dst := make([]int, len(src))
		for _, procs := range []int{1, 2, 3} {
			prev := runtime.GOMAXPROCS(procs)
			clear(dst)
			TransposeRun(tr, dst, src)
			runtime.GOMAXPROCS(prev)
			if o, want, ok := transposeMismatch(c.in, c.perm, src, dst); !ok {
				t.Fatalf("in %v perm %v GOMAXPROCS=%d: out[%d] = %d, want %d", c.in, c.perm, procs, o, dst[o], want)
			}
		}
		if n := testing.AllocsPerRun(10, func() { TransposeRun(tr, dst, src) }); n != 0 {
			t.Errorf("in %v perm %v: %g allocations per run", c.in, c.perm, n)
		}
	}
}
