package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkConvInfer: the forward kernels of bench/convnet.nn's inference
// (BenchmarkInferLatency/ConvNet) one by one at batch 1, 8 and 64: the two
// 3x3 convolutions (padding 1) and the two 2x2 max poolings, on GOMAXPROCS
// of -cpu. cpu-µs/op is the calling thread's CPU time
// (with GOMAXPROCS=1 the kernels run on it alone); cpu-GFLOP/s counts a convolution's multiply-adds as two.
func BenchmarkConvInfer(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 8, 64} {
		for _, l := range []struct {
			name string
			x, k []int
		}{
			{"conv1x28x28-32", []int{n, 1, 28, 28}, []int{32, 1, 3, 3}},
			{"conv32x14x14-64", []int{n, 32, 14, 14}, []int{64, 32, 3, 3}},
		} {
			c := NewConv(l.x, l.k, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, 1)
			x, k := make([]float32, numElems(l.x)), make([]float32, numElems(l.k))
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			for i := range k {
				k[i] = float32(rng.NormFloat64())
			}
			out := make([]float32, c.N*c.CO*c.OH*c.OW)
			flops := float64(2 * len(out) * c.ck)
			b.Run(fmt.Sprintf("%s/batch=%d", l.name, n), func(b *testing.B) {
				c0, _ := threadCPUSeconds()
				for b.Loop() {
					ConvForward(c, out, x, k, nil, (*Matmul).F32)
				}
				c1, _ := threadCPUSeconds()
				b.ReportMetric((c1-c0)*1e6/float64(b.N), "cpu-µs/op")
				b.ReportMetric(flops*float64(b.N)/(c1-c0)/1e9, "cpu-GFLOP/s")
			})
		}
		for _, s := range [][]int{{n, 32, 28, 28}, {n, 64, 14, 14}} {
			p := NewPool(s, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, true)
			x := make([]float32, numElems(s))
			for i := range x {
				x[i] = max(0, float32(rng.NormFloat64())) // as after a relu
			}
			out := make([]float32, numElems(s)/4)
			b.Run(fmt.Sprintf("maxpool%dx%dx%d/batch=%d", s[1], s[2], s[3], n), func(b *testing.B) {
				c0, _ := threadCPUSeconds()
				for b.Loop() {
					MaxPool(p, out, x)
				}
				c1, _ := threadCPUSeconds()
				b.ReportMetric((c1-c0)*1e6/float64(b.N), "cpu-µs/op")
			})
		}
	}
}
