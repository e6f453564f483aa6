package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvDirect checks the direct f32 convolution against naiveConv in
// f64 and, output by output, against the chain of fused multiply-adds it
// documents (f64 fused multiply-adds rounded to f32 after each tap; the
// product of two f32 is exact in f64, so this is the f32 chain but for
// double rounding, which these data do not hit): shapes with channel
// counts around the 6-channel panels, rows narrower and wider than the
// 16- and 32-position tiles (each shape with and without the 32-wide
// AVX-512 kernel), paddings before and after that differ, and 1×1 and
// 5×3 kernels, and planes whose last positions (ohw mod 16) go through
// the tail kernels (tail: 1 to 4 vectors of channels, channels past 64, 1
// to 3 groups of 4 positions; with AVX-512 the case says they must). The
// plan runs twice per shape, the padding of its planes reused.
func TestConvDirect(t *testing.T) {
	if !convDirectAsm() {
		t.Skip("no AVX2 and FMA: the direct convolution does not run here")
	}
	cases := []struct {
		x, k   [4]int
		lo, hi [2]int
		tail   bool
	}{
		{[4]int{2, 32, 14, 14}, [4]int{64, 32, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, true},
		{[4]int{3, 4, 9, 20}, [4]int{7, 4, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, false},
		{[4]int{1, 5, 6, 5}, [4]int{13, 5, 3, 3}, [2]int{0, 2}, [2]int{2, 0}, false},
		{[4]int{2, 3, 7, 33}, [4]int{5, 3, 5, 3}, [2]int{2, 1}, [2]int{1, 2}, false},
		{[4]int{1, 40, 3, 4}, [4]int{6, 40, 1, 1}, [2]int{1, 0}, [2]int{0, 1}, false},
		{[4]int{2, 8, 5, 5}, [4]int{1, 8, 3, 3}, [2]int{0, 0}, [2]int{0, 0}, false},
		{[4]int{1, 3, 10, 10}, [4]int{32, 3, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, true},
		{[4]int{2, 4, 6, 6}, [4]int{40, 4, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, true},
		{[4]int{1, 3, 7, 4}, [4]int{100, 3, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, true},
		{[4]int{2, 5, 3, 7}, [4]int{24, 5, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, true},
	}
	defer func(old bool) { convDirectWideOff = old }(convDirectWideOff)
	for k, g := range append(cases, cases...) {
		// Each case twice: with tiles of 32 where AVX-512 runs them, then
		// with tiles of 16 only.
		i := k % len(cases)
		convDirectWideOff = k >= len(cases)
		if convDirectWideOff && !X86.HasAVX512F {
			break // no AVX-512: the first pass ran the 16-wide tiles already
		}
		t.Run(fmt.Sprintf("%d/wide_off=%v", i, convDirectWideOff), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(i)))
			c := NewConvPadded(g.x[:], g.k[:], [2]int{1, 1}, g.lo, g.hi, [2]int{1, 1}, 1)
			if !c.useDirect() {
				t.Fatalf("%+v does not take the direct path", g)
			}
			if tail := c.directF32().tail > 0; tail != (g.tail && convDirectWideOK()) {
				t.Fatalf("%+v: tail kernels %v, want %v", g, tail, g.tail && convDirectWideOK())
			}
			x, k := randSlice(rng, numElems(g.x[:])), randSlice(rng, numElems(g.k[:]))
			x32, k32 := to32(x), to32(k)
			want := naiveConv(c, x, k)
			out := make([]float32, len(want))
			for run := range 2 {
				for j := range out {
					out[j] = float32(math.NaN())
				}
				ConvForward(c, out, x32, k32, nil, (*Matmul).F32)
				for j, w := range want {
					if math.Abs(float64(out[j])-w) > 1e-4*(1+math.Abs(w)) {
						t.Fatalf("run %d: out[%d] = %g, want %g", run, j, out[j], w)
					}
				}
			}
			for n := 0; n < c.N; n++ {
				for co := 0; co < c.CO; co++ {
					for oh := 0; oh < c.OH; oh++ {
						for ow := 0; ow < c.OW; ow++ {
							var acc float32
							for ci := 0; ci < c.C; ci++ {
								for kh := 0; kh < c.KH; kh++ {
									for kw := 0; kw < c.KW; kw++ {
										ih, iw := oh+kh-c.PH, ow+kw-c.PW
										var v float32
										if ih >= 0 && ih < c.H && iw >= 0 && iw < c.W {
											v = x32[((n*c.C+ci)*c.H+ih)*c.W+iw]
										}
										w := k32[((co*c.C+ci)*c.KH+kh)*c.KW+kw]
										acc = float32(math.FMA(float64(w), float64(v), float64(acc)))
									}
								}
							}
							got := out[((n*c.CO+co)*c.OH+oh)*c.OW+ow]
							if math.Float32bits(got) != math.Float32bits(acc) {
								t.Fatalf("out[%d, %d, %d, %d] = %v, want the chain's %v", n, co, oh, ow, got, acc)
							}
						}
					}
				}
			}
		})
	}
}

// TestConvDirectNotTaken checks which convolutions keep im2col and the
// gemm: strides, dilations, groups, 1×1 kernels without padding (their
// input is their own column buffer) and too few taps.
func TestConvDirectNotTaken(t *testing.T) {
	one := [2]int{1, 1}
	for _, c := range []*Conv{
		NewConv([]int{1, 32, 8, 8}, []int{8, 32, 3, 3}, [2]int{2, 2}, one, one, 1),
		NewConv([]int{1, 32, 8, 8}, []int{8, 32, 3, 3}, one, one, [2]int{2, 2}, 1),
		NewConv([]int{1, 32, 8, 8}, []int{8, 16, 3, 3}, one, one, one, 2),
		NewConv([]int{1, 64, 8, 8}, []int{8, 64, 1, 1}, one, [2]int{0, 0}, one, 1),
		NewConv([]int{1, 2, 8, 8}, []int{8, 2, 2, 2}, one, one, one, 1),
	} {
		if c.useDirect() {
			t.Errorf("%+v takes the direct path", *c)
		}
	}
}

// TestConvForwardPacked checks that the direct convolution with a
// PackCache packs its kernel once per generation and gives ConvForward's
// results bit for bit, before and after the kernel changes (and the cache
// is invalidated).
func TestConvForwardPacked(t *testing.T) {
	if !convDirectAsm() {
		t.Skip("no AVX2 and FMA: the direct convolution does not run here")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	xs, ks := []int{3, 32, 14, 14}, []int{64, 32, 3, 3}
	c := NewConv(xs, ks, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, 1)
	x, k := to32(randSlice(rng, numElems(xs))), to32(randSlice(rng, numElems(ks)))
	n := c.N * c.CO * c.OH * c.OW
	want, got := make([]float32, n), make([]float32, n)
	cache := &PackCache{}
	for step := range 3 {
		if step == 2 {
			for i := range k {
				k[i] *= -0.5
			}
			cache.Invalidate()
		}
		ConvForward(c, want, x, k, nil, (*Matmul).F32)
		ConvForwardPacked(c, cache, got, x, k)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("step %d: out[%d] = %v, want ConvForward's %v", step, i, got[i], want[i])
			}
		}
		if wantPacked := int64(1 + step/2); cache.Packed() != wantPacked {
			t.Fatalf("step %d: packed %d times, want %d", step, cache.Packed(), wantPacked)
		}
	}
}

// TestConvForwardEpilogue checks that the bias and relu applied in the
// direct convolution's tiles give, bit for bit, ConvForward's output with
// the bias then relu applied by ReluRow-style element rules (v < 0 becomes
// +0; NaN and -0 stay): channel counts that fill and do not fill the 12-
// and 6-channel panels, rows that end in a partial tile, with and without
// the AVX-512 kernels (and their tail kernels, past 64 channels too), with a cache and without, bias alone, relu alone and
// both; biases that make exact zeros and -0, and a NaN in the input. On a
// machine without the direct path it checks the pass over the output.
func TestConvForwardEpilogue(t *testing.T) {
	cases := []struct{ x, k [4]int }{
		{[4]int{2, 32, 14, 14}, [4]int{64, 32, 3, 3}},
		{[4]int{1, 1, 28, 28}, [4]int{32, 1, 3, 3}},
		{[4]int{3, 4, 9, 20}, [4]int{7, 4, 3, 3}},
		{[4]int{1, 5, 6, 5}, [4]int{13, 5, 3, 3}},
		{[4]int{1, 3, 7, 4}, [4]int{100, 3, 3, 3}},
		{[4]int{2, 5, 3, 7}, [4]int{24, 5, 3, 3}},
	}
	defer func(old bool) { convDirectWideOff = old }(convDirectWideOff)
	for i, g := range cases {
		for _, wideOff := range []bool{false, true} {
			convDirectWideOff = wideOff
			for _, ep := range []struct{ bias, relu bool }{{true, false}, {false, true}, {true, true}} {
				rng := rand.New(rand.NewPCG(7, uint64(i)))
				c := NewConv(g.x[:], g.k[:], [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, 1)
				x, k := to32(randSlice(rng, numElems(g.x[:]))), to32(randSlice(rng, numElems(g.k[:])))
				x[len(x)/2] = float32(math.NaN())
				n := c.N * c.CO * c.OH * c.OW
				want, got := make([]float32, n), make([]float32, n)
				ConvForward(c, want, x, k, nil, (*Matmul).F32)
				var bias []float32
				if ep.bias {
					bias = make([]float32, c.CO)
					for co := range bias {
						bias[co] = float32(rng.NormFloat64())
					}
					bias[0] = -want[0] // an exact zero: +0 after the add
				}
				hw := c.OH * c.OW
				for j := range want {
					v := want[j]
					if bias != nil {
						v += bias[(j/hw)%c.CO]
					}
					if ep.relu && v < 0 {
						v = 0
					}
					want[j] = v
				}
				for _, cache := range []*PackCache{nil, {}} {
					for j := range got {
						got[j] = -1
					}
					ConvForwardEpilogue(c, cache, got, x, k, ConvEpilogue{Bias: bias, Relu: ep.relu})
					for j := range want {
						if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
							t.Fatalf("case %d wide_off=%v %+v cache=%v: out[%d] = %v, want %v", i, wideOff, ep, cache != nil, j, got[j], want[j])
						}
					}
				}
			}
		}
	}
}
