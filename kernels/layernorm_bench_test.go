package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLayerNorm times layer normalization's forward, its gradient
// with respect to x and its parameters' gradients on [1024, d] (a
// transformer step's 16 sequences of 64 tokens), f32, on one goroutine
// when run with -cpu 1.
func BenchmarkLayerNorm(b *testing.B) {
	for _, d := range []int{128, 512} {
		const rows = 1024
		rng := rand.New(rand.NewPCG(1, uint64(d)))
		x, g, out := to32(randSlice(rng, rows*d)), to32(randSlice(rng, rows*d)), make([]float32, rows*d)
		gamma, beta := to32(randSlice(rng, d)), to32(randSlice(rng, d))
		dst, acc := make([]float32, 2*d), make([]float64, LayerNormParamGradAcc(rows, d))
		b.Run(fmt.Sprintf("forward/d=%d", d), func(b *testing.B) {
			for b.Loop() {
				LayerNorm(out, x, gamma, beta, rows, d, 1e-5)
			}
		})
		b.Run(fmt.Sprintf("grad/d=%d", d), func(b *testing.B) {
			for b.Loop() {
				LayerNormGrad(out, x, gamma, g, rows, d, 1e-5)
			}
		})
		b.Run(fmt.Sprintf("param_grad/d=%d", d), func(b *testing.B) {
			for b.Loop() {
				LayerNormParamGrad(dst, x, g, acc, rows, d, 1e-5)
			}
		})
	}
}
