package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkMaxPool: the ConvNet's first max pooling, [64, 32, 28, 28],
// window 2, forward and gradient, on GOMAXPROCS of -cpu.
func BenchmarkMaxPool(b *testing.B) {
	p := NewPool([]int{64, 32, 28, 28}, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, true)
	x, dx := make([]float32, 64*32*28*28), make([]float32, 64*32*28*28)
	out := make([]float32, 64*32*14*14)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range x {
		x[i] = max(0, float32(rng.NormFloat64())) // as after a relu
	}
	for b.Loop() {
		MaxPool(p, out, x)
		MaxPoolGrad(p, dx, x, out)
	}
}
