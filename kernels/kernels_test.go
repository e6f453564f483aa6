package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}

func to32(s []float64) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}

// TestMatmulNaive compares the gemm path with a triple loop on awkward
// sizes, in both precisions, with and without batches.
func TestMatmulNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	sizes := []int{1, 7, 33, 200}
	for _, m := range sizes {
		for _, k := range sizes {
			for _, n := range sizes {
				for _, batch := range [][2][]int{{nil, nil}, {{3}, {3}}, {{2, 1}, {3}}, {{2}, nil}} {
					bx, bw := batch[0], batch[1]
					xs := append(append([]int(nil), bx...), m, k)
					ws := append(append([]int(nil), bw...), k, n)
					x, w := randSlice(rng, NumElems(xs)), randSlice(rng, NumElems(ws))
					nb := max(NumElems(bx), NumElems(bw))
					if len(bx) == 2 {
						nb = 2 * 3
					}
					want := make([]float64, nb*m*n)
					for b := range nb {
						// Batch b of the output reads x batch xb and w batch wb.
						xb, wb := b, b
						switch {
						case len(bx) == 2: // [2, 1] against [3]: out [2, 3]
							xb, wb = b/3, b%3
						case len(bw) == 0:
							wb = 0
						}
						for i := range m {
							for j := range n {
								s := 0.0
								for l := range k {
									s += x[xb*m*k+i*k+l] * w[wb*k*n+l*n+j]
								}
								want[b*m*n+i*n+j] = s
							}
						}
					}
					for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
						// Store the operands transposed as the flags say.
						xd, xsh := x, xs
						if tr[0] {
							xd, xsh = transposeLast(x, xs), swapLastDims(xs)
						}
						wd, wsh := w, ws
						if tr[1] {
							wd, wsh = transposeLast(w, ws), swapLastDims(ws)
						}
						p := NewMatmul(xsh, wsh, tr[0], tr[1])
						got := make([]float64, len(want))
						p.F64(got, xd, wd)
						got32 := make([]float32, len(want))
						p.F32(got32, to32(xd), to32(wd))
						for i := range want {
							if math.Abs(got[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
								t.Fatalf("f64 %v @ %v %v: [%d] = %g, want %g", xs, ws, tr, i, got[i], want[i])
							}
							if math.Abs(float64(got32[i])-want[i]) > 1e-4*(1+math.Abs(want[i])) {
								t.Fatalf("f32 %v @ %v %v: [%d] = %g, want %g", xs, ws, tr, i, got32[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// transposeLast swaps the last two axes of s (shape sh) by index arithmetic.
func transposeLast(s []float64, sh []int) []float64 {
	r, c := sh[len(sh)-2], sh[len(sh)-1]
	out := make([]float64, len(s))
	for b := 0; b < len(s)/(r*c); b++ {
		for i := range r {
			for j := range c {
				out[b*r*c+j*r+i] = s[b*r*c+i*c+j]
			}
		}
	}
	return out
}

func swapLastDims(sh []int) []int {
	out := append([]int(nil), sh...)
	out[len(out)-1], out[len(out)-2] = out[len(out)-2], out[len(out)-1]
	return out
}

func TestMatmulDoesNotAllocate(t *testing.T) {
	// 512×300 results would take gonum's parallel path in one call.
	p := NewMatmul([]int{4, 128, 32}, []int{32, 300}, false, false)
	x, w, out := make([]float32, 4*128*32), make([]float32, 32*300), make([]float32, 4*128*300)
	if a := testing.AllocsPerRun(10, func() { p.F32(out, x, w) }); a != 0 {
		t.Errorf("%g allocations per run", a)
	}
}

// TestBcastWalk checks NewBcast's offsets against index arithmetic: for
// every output element, the operand element it reads.
func TestBcastWalk(t *testing.T) {
	cases := []struct{ out, a, b []int }{
		{[]int{2, 4, 3}, []int{2, 1, 3}, []int{4, 1}},
		{[]int{3, 4}, []int{4}, []int{3, 4}},
		{[]int{2, 3}, []int{}, []int{2, 3}},
		{[]int{5}, []int{5}, []int{5}},
		{[]int{2, 1, 4}, []int{1, 1, 4}, []int{2, 1, 1}},
		{[]int{}, []int{}, []int{}},
	}
	for _, c := range cases {
		p := NewBcast(c.out, c.a, c.b)
		idx, off := p.Scratch(), make([]int, 2)
		n := NumElems(c.out)
		if p.Rows*p.Row != n {
			t.Fatalf("%v: %d rows of %d for %d elements", c, p.Rows, p.Row, n)
		}
		for r := range p.Rows {
			p.Offsets(r, idx, off)
			for j := range p.Row {
				o := r*p.Row + j
				for k, s := range [][]int{c.a, c.b} {
					got := off[k] + j*p.Inner[k]
					if want := source(o, c.out, s); got != want {
						t.Fatalf("%v: output %d reads operand %d at %d, want %d", c, o, k, got, want)
					}
				}
			}
		}
	}
}

// source is the flat index in shape s of the element that output element o
// of shape out reads under broadcasting.
func source(o int, out, s []int) int {
	idx := make([]int, len(out))
	for i := len(out) - 1; i >= 0; i-- {
		idx[i] = o % out[i]
		o /= out[i]
	}
	f := 0
	for i, d := range s {
		v := idx[i+len(out)-len(s)]
		if d == 1 {
			v = 0
		}
		f = f*d + v
	}
	return f
}

func TestBinaryKernelBroadcast(t *testing.T) {
	out, as, bs := []int{2, 4, 3}, []int{2, 1, 3}, []int{4, 1}
	rng := rand.New(rand.NewPCG(2, 2))
	a, b := randSlice(rng, 6), randSlice(rng, 4)
	p := NewBcast(out, as, bs)
	idx, off := p.Scratch(), make([]int, 2)
	dst := make([]float64, 24)
	Binary(p, dst, a, b, idx, off, SubRow[float64])
	for o := range dst {
		if want := a[source(o, out, as)] - b[source(o, out, bs)]; dst[o] != want {
			t.Fatalf("[%d] = %g, want %g", o, dst[o], want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { Binary(p, dst, a, b, idx, off, MulRow[float64]) }); n != 0 {
		t.Errorf("%g allocations per run", n)
	}
}

func TestTransposeNaive(t *testing.T) {
	in, perm := []int{2, 3, 4, 5}, []int{2, 0, 3, 1}
	src := make([]int, NumElems(in))
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

func TestSoftmaxInnerAxis(t *testing.T) {
	// x viewed as [1, 2, 2]: normalize over the middle axis, strided by 2.
	x := []float64{0, 1, math.Log(3), 1}
	dst := make([]float64, 4)
	Softmax(dst, x, 1, 2, 2, false)
	want := []float64{0.25, 0.5, 0.75, 0.5}
	for i := range want {
		if math.Abs(dst[i]-want[i]) > 1e-15 {
			t.Fatalf("softmax = %v, want %v", dst, want)
		}
	}
}

func TestSplitMix64(t *testing.T) {
	// The first outputs of splitmix64 seeded with 0, as published with the
	// algorithm (state advanced by the golden gamma before each output).
	want := []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f}
	for i, w := range want {
		if got := SplitMix64(uint64(i) * 0x9e3779b97f4a7c15); got != w {
			t.Errorf("output %d = %#x, want %#x", i, got, w)
		}
	}
}
