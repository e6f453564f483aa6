package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkSIMDErf: rows of 4096 float32 arguments uniform in [-5, 5], the
// vector rows (simd) against the Go rows they replace (go: math.Erf and
// math.Tanh in float64). Elements per second = 4096 / (ns/op).
func BenchmarkSIMDErf(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 4096)
	for i := range x {
		x[i] = rng.Float32()*10 - 5
	}
	dst := make([]float32, len(x))
	for _, bc := range []struct {
		name string
		row  func(dst, x []float32)
	}{
		{"erf/simd", ErfRow[float32]},
		{"erf/go", erfRowGo[float32]},
		{"gelu/simd", func(d, x []float32) { GeluRow(d, x, false) }},
		{"gelu/go", func(d, x []float32) { geluRowGo(d, x, false) }},
		{"gelu_grad/simd", func(d, x []float32) { GeluGradRow(d, x, false) }},
		{"gelu_grad/go", func(d, x []float32) { geluGradRowGo(d, x, false) }},
		{"gelu_tanh_grad/simd", func(d, x []float32) { GeluGradRow(d, x, true) }},
		{"gelu_tanh_grad/go", func(d, x []float32) { geluGradRowGo(d, x, true) }},
		{"gelu_tanh/simd", func(d, x []float32) { GeluRow(d, x, true) }},
		{"gelu_tanh/go", func(d, x []float32) { geluRowGo(d, x, true) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				bc.row(dst, x)
			}
		})
	}
}
