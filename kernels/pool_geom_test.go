package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naivePool is the definition of pooling one plane per (oh, ow): the taps
// (oh·SH - PH + i·DH, ow·SW - PW + j·DW); the maximum over those in the
// plane (-Inf when none), and the mean: the sum over those in the plane
// divided by their count, or with IncludePad by the count of taps in the
// padded plane [-PH, H+PHE) × [-PW, W+PWE).
func naivePool(p *Pool, x []float64) (mx, avg []float64) {
	mx, avg = make([]float64, p.NC*p.OH*p.OW), make([]float64, p.NC*p.OH*p.OW)
	for c := 0; c < p.NC; c++ {
		for oh := 0; oh < p.OH; oh++ {
			for ow := 0; ow < p.OW; ow++ {
				m, s, real, padded := math.Inf(-1), 0.0, 0, 0
				for i := 0; i < p.KH; i++ {
					for j := 0; j < p.KW; j++ {
						h, w := oh*p.SH-p.PH+i*p.DH, ow*p.SW-p.PW+j*p.DW
						if h >= -p.PH && h < p.H+p.PHE && w >= -p.PW && w < p.W+p.PWE {
							padded++
						}
						if h < 0 || h >= p.H || w < 0 || w >= p.W {
							continue
						}
						v := x[(c*p.H+h)*p.W+w]
						m = math.Max(m, v)
						s += v
						real++
					}
				}
				o := (c*p.OH+oh)*p.OW + ow
				mx[o] = m
				if p.IncludePad {
					avg[o] = s / float64(padded)
				} else {
					avg[o] = s / float64(real)
				}
			}
		}
	}
	return mx, avg
}

// TestPoolGeom compares pooling with asymmetric padding, dilations and
// ceil_mode's longer outputs (windows hanging off the end) with the
// definition, and checks the gradients by the adjoint identities.
func TestPoolGeom(t *testing.T) {
	type geo struct {
		x                      [4]int
		k, stride, lo, hi, dil [2]int
		out                    [2]int
		include                bool
	}
	cases := []geo{
		// ceil_mode: 5 with window 2, stride 2 gives 3 (the last window
		// hangs one past the end).
		{[4]int{1, 2, 5, 5}, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, [2]int{0, 0}, [2]int{1, 1}, [2]int{3, 3}, true},
		// ceil_mode with padding 1: the last window starts in the input and
		// hangs past the padding.
		{[4]int{1, 1, 6, 6}, [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, [2]int{4, 4}, true},
		{[4]int{1, 1, 6, 6}, [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, [2]int{4, 4}, false},
		// Asymmetric "same": 0 before, 1 after.
		{[4]int{2, 1, 4, 6}, [2]int{3, 2}, [2]int{2, 2}, [2]int{0, 0}, [2]int{1, 0}, [2]int{1, 1}, [2]int{2, 3}, true},
		{[4]int{2, 1, 4, 6}, [2]int{3, 3}, [2]int{1, 1}, [2]int{2, 0}, [2]int{0, 2}, [2]int{1, 1}, [2]int{4, 6}, false},
		// Dilations (max pooling): effective windows 5×3.
		{[4]int{1, 2, 7, 6}, [2]int{3, 2}, [2]int{1, 2}, [2]int{1, 0}, [2]int{1, 1}, [2]int{2, 2}, [2]int{5, 3}, true},
		// 2×2 windows that hang off the end stay off the fast path.
		{[4]int{1, 1, 3, 5}, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, [2]int{0, 0}, [2]int{1, 1}, [2]int{2, 3}, true},
	}
	for i, g := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, uint64(i)))
			p := NewPoolGeom(g.x[:], g.k, g.stride, g.lo, g.hi, g.dil, g.out, g.include)
			x := randSlice(rng, numElems(g.x[:]))
			wantMax, wantAvg := naivePool(p, x)
			out := make([]float64, len(wantMax))
			MaxPool(p, out, x)
			if !equalF(out, wantMax) {
				t.Errorf("max = %v, want %v", out, wantMax)
			}
			gr := randSlice(rng, len(out))
			h := randSlice(rng, len(x))
			dx, pick := make([]float64, len(x)), make([]float64, len(out))
			MaxPoolGrad(p, dx, x, gr)
			MaxPoolPick(p, pick, x, h)
			if a, b := dotF(dx, h), dotF(pick, gr); math.Abs(a-b) > 1e-12 {
				t.Errorf("⟨grad(g), h⟩ = %g, ⟨pick(h), g⟩ = %g", a, b)
			}
			if g.dil != [2]int{1, 1} {
				return
			}
			AvgPool(p, out, x)
			for j := range out {
				if math.Abs(out[j]-wantAvg[j]) > 1e-14 {
					t.Fatalf("avg[%d] = %g, want %g", j, out[j], wantAvg[j])
				}
			}
			AvgPoolGrad(p, dx, gr)
			if a, b := dotF(dx, x), dotF(out, gr); math.Abs(a-b) > 1e-12 {
				t.Errorf("⟨dx, x⟩ = %g, ⟨avg, g⟩ = %g", a, b)
			}
		})
	}
}

// TestPoolEmptyWindow: a dilated window that sees no element of the plane
// is -Inf and passes no gradient.
func TestPoolEmptyWindow(t *testing.T) {
	// One row of width 1, window 2 with dilation 2 and padding 1 before:
	// the taps are -1 and 1, both outside.
	p := NewPoolGeom([]int{1, 1, 1, 1}, [2]int{1, 2}, [2]int{1, 1}, [2]int{0, 1}, [2]int{0, 1}, [2]int{1, 2}, [2]int{1, 1}, true)
	out, dx, pick := []float64{0}, []float64{7}, []float64{7}
	MaxPool(p, out, []float64{3})
	MaxPoolGrad(p, dx, []float64{3}, []float64{1})
	MaxPoolPick(p, pick, []float64{3}, []float64{5})
	if !math.IsInf(out[0], -1) || dx[0] != 0 || pick[0] != 0 {
		t.Errorf("max %v, grad %v, pick %v; want -Inf, 0, 0", out, dx, pick)
	}
}
