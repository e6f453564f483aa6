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

// TestMaxPoolTilesBitwise checks the 2×2, stride-2 forward pooling of
// tiled f32 planes (the AVX2 rows of pool_amd64.s where the processor has
// them, with their masked tails) bit for bit against firstMax4, for output
// widths 1 to 20 over data rich in signed zeros, with NaNs and infinities
// in some planes.
func TestMaxPoolTilesBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00002)}
	for ow := 1; ow <= 20; ow++ {
		for _, nanRate := range []float64{0, 0.02} {
			const nc, oh = 3, 3
			h, w := 2*oh, 2*ow
			x := make([]float32, nc*h*w)
			for i := range x {
				switch r := rng.Float64(); {
				case r < nanRate:
					x[i] = special[4+rng.IntN(3)]
				case r < 0.4:
					x[i] = special[rng.IntN(2)]
				case r < 0.45:
					x[i] = special[2+rng.IntN(2)]
				default:
					x[i] = float32(rng.NormFloat64())
				}
			}
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
