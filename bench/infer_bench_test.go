package bench

import (
	"fmt"
	"testing"

	"github.com/nnclang/nnc/runtime"
)

// The small-batch inference benchmarks of BENCHMARKS.md ("## inference
// latency"); bench/infer.sh runs them beside ONNX Runtime and PyTorch.

// BenchmarkInferLatency: the forward passes of the MLP at batch 1, 8 and
// 128 and of the ConvNet and models/lenet.nn at batch 1, 8 and 64, with the
// params fixed (packed once: runtime.Session.SetParamsFixed) and the
// process's CPU time per call (cpu-ms/op), which a busy machine inflates
// less than the wall time.
func BenchmarkInferLatency(b *testing.B) {
	for _, m := range []Model{MLP, ConvNet, LeNet} {
		batches := []int{1, 8, 64}
		if m.Name == MLP.Name {
			batches = []int{1, 8, 128}
		}
		for _, batch := range batches {
			b.Run(fmt.Sprintf("%s/batch=%d", m.Name, batch), func(b *testing.B) {
				w, err := Inference(m, 1, batch, 1)
				if err != nil {
					b.Fatal(err)
				}
				store := runtime.NewStore()
				if err := runtime.InitParams(store, w.Graph, 1); err != nil {
					b.Fatal(err)
				}
				sess := runtime.NewSession(w.Graph, store)
				sess.SetParamsFixed(true)
				for i := range 20 { // plan and warm up
					if _, err := sess.Run(uint64(i), w.Inputs...); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				c0 := cpuTime()
				for i := 0; b.Loop(); i++ {
					if _, err := sess.Run(uint64(i), w.Inputs...); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
			})
		}
	}
}
