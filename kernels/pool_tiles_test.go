package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// firstMax4 is the reference maximum of a window's elements in order: the
// first NaN, else the first of the largest (so the sign of a zero is the
// first zero's).
func firstMax4(v ...float32) float32 {
	best := v[0]
	for _, x := range v[1:] {
		switch {
		case best != best:
		case x != x || x > best:
			best = x
		}
	}
	return best
}

// poolInput returns n pooling inputs: NaNs (three kinds) at rate nanRate,
// signed zeros and ones up to rate ties (so that windows tie often),
// infinities at rate 0.05 and normal values otherwise.
func poolInput(rng *rand.Rand, n int, nanRate, ties float64) []float32 {
	ties3 := []float32{0, float32(math.Copysign(0, -1)), 1}
	nans := []float32{float32(math.NaN()), math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00002)}
	x := make([]float32, n)
	for i := range x {
		switch r := rng.Float64(); {
		case r < nanRate:
			x[i] = nans[rng.IntN(3)]
		case r < ties:
			x[i] = ties3[rng.IntN(3)]
		case r < ties+0.05:
			x[i] = float32(math.Inf(1 - 2*rng.IntN(2)))
		default:
			x[i] = float32(rng.NormFloat64())
		}
	}
	return x
}

// TestMaxPoolTilesBitwise checks the 2×2, stride-2 forward pooling of
// tiled f32 planes (the AVX2 rows of pool_amd64.s where the processor has
// them, with their masked tails) bit for bit against firstMax4, for output
// widths 1 to 20 over data rich in signed zeros, with NaNs and infinities
// in some planes.
func TestMaxPoolTilesBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for ow := 1; ow <= 20; ow++ {
		for _, nanRate := range []float64{0, 0.02} {
			const nc, oh = 3, 3
			h, w := 2*oh, 2*ow
			x := poolInput(rng, nc*h*w, nanRate, 0.4)
			p := NewPool([]int{1, nc, h, w}, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, true)
			if !p.tiles2x2() {
				t.Fatal("want the tiling path")
			}
			out := make([]float32, nc*oh*ow+1)
			out[len(out)-1] = 42 // a guard the masked stores must not touch
			MaxPool(p, out[:nc*oh*ow], x)
			if out[len(out)-1] != 42 {
				t.Fatalf("ow %d: wrote past the output", ow)
			}
			for c := range nc {
				for i := range oh {
					for j := range ow {
						b := c*h*w + 2*i*w + 2*j
						want := firstMax4(x[b], x[b+1], x[b+w], x[b+w+1])
						got := out[(c*oh+i)*ow+j]
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("ow %d, plane %d, (%d, %d): %v (%#x), want %v (%#x) from %v %v %v %v", ow, c, i, j,
								got, math.Float32bits(got), want, math.Float32bits(want), x[b], x[b+1], x[b+w], x[b+w+1])
						}
					}
				}
			}
		}
	}
}

// firstMaxAt4 is the position (0-3) of firstMax4's pick: the first NaN,
// else the first element not below any other (the first of equal zeros,
// whatever their signs).
func firstMaxAt4(v ...float32) int {
	at := 0
	for i, x := range v[1:] {
		best := v[at]
		switch {
		case best != best:
		case x != x || x > best:
			at = i + 1
		}
	}
	return at
}

// TestMaxPoolGradTilesBitwise checks the gradient of the 2×2, stride-2
// pooling of tiled f32 planes (pool_amd64.s's AVX2 rows where the
// processor has them, with masked tails) bit for bit: each window's
// gradient at firstMaxAt4's element, +0 at the other three, for output
// widths 1 to 20 over data rich in signed zeros and ties, with NaNs in
// some planes. dx starts as NaN (every element must be written) and a
// guard after it must stay.
func TestMaxPoolGradTilesBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for ow := 1; ow <= 20; ow++ {
		for _, nanRate := range []float64{0, 0.02} {
			const nc, oh = 3, 3
			h, w := 2*oh, 2*ow
			x := poolInput(rng, nc*h*w, nanRate, 0.5)
			g := make([]float32, nc*oh*ow)
			for i := range g {
				g[i] = float32(rng.NormFloat64())
			}
			p := NewPool([]int{1, nc, h, w}, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, true)
			dx := make([]float32, len(x)+1)
			for i := range dx {
				dx[i] = float32(math.NaN())
			}
			dx[len(x)] = 42
			MaxPoolGrad(p, dx[:len(x)], x, g)
			if dx[len(x)] != 42 {
				t.Fatalf("ow %d: wrote past dx", ow)
			}
			for c := range nc {
				for i := range oh {
					for j := range ow {
						b := c*h*w + 2*i*w + 2*j
						idx := []int{b, b + 1, b + w, b + w + 1}
						at := firstMaxAt4(x[b], x[b+1], x[b+w], x[b+w+1])
						for k, e := range idx {
							want := float32(0)
							if k == at {
								want = g[(c*oh+i)*ow+j]
							}
							if math.Float32bits(dx[e]) != math.Float32bits(want) {
								t.Fatalf("ow %d, nan rate %v, plane %d, window (%d, %d), element %d: %v, want %v (x %v %v %v %v)",
									ow, nanRate, c, i, j, k, dx[e], want, x[b], x[b+1], x[b+w], x[b+w+1])
							}
						}
					}
				}
			}
		}
	}
}
