package runtime

import (
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/tensor"
)

// mlpStep is a training step of a 64-128-10 classifier (relu, cross
// entropy, plain SGD) on a batch of 64, optimized as nnc trains it, or with
// every op its own kernel (unfused: the graph --check-numerics runs).
func mlpStep(b *testing.B, unfused bool) (*ops.Graph, *Store, []*tensor.Tensor) {
	bd := ops.NewBuilder()
	x := bd.Input("x", f32N(64, 64))
	y := bd.Input("y", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(64)})
	w1 := bd.Param("w1", f32N(64, 128), ops.Attrs{"init": "glorot_uniform"})
	b1 := bd.Param("b1", f32N(128), ops.Attrs{"init": "zeros"})
	w2 := bd.Param("w2", f32N(128, 10), ops.Attrs{"init": "glorot_uniform"})
	b2 := bd.Param("b2", f32N(10), ops.Attrs{"init": "zeros"})
	h := bd.Must(ops.Relu, nil, bd.Add(bd.Must(ops.Matmul, nil, x, w1), b1))
	loss := bd.Must(ops.CrossEntropy, nil, bd.Add(bd.Must(ops.Matmul, nil, h, w2), b2), y)
	bd.Output("loss", loss)
	params := []*ops.Node{w1, b1, w2, b2}
	grads, err := autodiff.Grad(bd, loss, params)
	if err != nil {
		b.Fatal(err)
	}
	for i, p := range params {
		bd.Update(p, bd.Sub(p, bd.Mul(bd.Scalar(ops.F32, 0.01), grads[i])))
	}
	g := bd.G
	for _, pass := range opt.Passes {
		if unfused && (pass.Name == "update" || pass.Name == "fuse") {
			continue
		}
		if g, err = pass.Run(g); err != nil {
			b.Fatal(err)
		}
	}
	store := NewStore()
	if err := InitParams(store, g, 1); err != nil {
		b.Fatal(err)
	}
	xs := tensor.New(tensor.F32, 64, 64)
	for i := range xs.F32 {
		xs.F32[i] = float32(i%17) / 17
	}
	ys := tensor.New(tensor.I32, 64)
	for i := range ys.I32 {
		ys.I32[i] = int32(i % 10)
	}
	return g, store, []*tensor.Tensor{xs, ys}
}

// BenchmarkNumericsStep: one training step with no checks (off), with the
// loss guarded (guard: what training does by default), with every value
// checked (check), on the fused graph and on the unfused one that
// --check-numerics runs. Compare CPU-time medians of alternating runs:
//
//	go test ./runtime -run X -bench NumericsStep -cpu 1 -count 11
func BenchmarkNumericsStep(b *testing.B) {
	for _, c := range []struct {
		name    string
		unfused bool
		o       NumericsOptions
	}{
		{"fused/off", false, NumericsOptions{}},
		{"fused/guard", false, NumericsOptions{Guard: "loss"}},
		{"fused/check", false, NumericsOptions{Check: true, Guard: "loss"}},
		{"unfused/off", true, NumericsOptions{}},
		{"unfused/check", true, NumericsOptions{Check: true, Guard: "loss"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			g, store, in := mlpStep(b, c.unfused)
			s := NewSession(g, store)
			if err := s.SetNumerics(c.o); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Run(1, in...); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, err := s.Run(uint64(i), in...); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time, which other processes on a busy machine inflate
			// less than wall time.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
