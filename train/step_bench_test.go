package train

import (
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// BenchmarkStepOptions measures one training step of the MLP of
// bench/mlp.nn (784-512-512-10, relu, batch 128, f32) built with each
// setting of StepOptions, optimized (fused updates), to show what each
// costs over the plain optimizer:
//
//	go test ./train -run XXX -bench StepOptions -cpu 1
func BenchmarkStepOptions(b *testing.B) {
	for _, c := range []struct {
		name string
		so   func() *StepOptions
	}{
		{"adam", func() *StepOptions { return &StepOptions{Optimizer: NewAdam(1e-3)} }},
		{"adam_clip_norm", func() *StepOptions { return &StepOptions{Optimizer: NewAdam(1e-3), ClipNorm: 1} }},
		{"adam_clip_norm_ema", func() *StepOptions { return &StepOptions{Optimizer: NewAdam(1e-3), ClipNorm: 1, EMA: 0.999} }},
		{"sgd_momentum", func() *StepOptions { return &StepOptions{Optimizer: &SGD{LR: 0.01, Momentum: 0.9}} }},
		{"sgd_momentum_clip_norm", func() *StepOptions { return &StepOptions{Optimizer: &SGD{LR: 0.01, Momentum: 0.9}, ClipNorm: 1} }},
		{"sgd_momentum_prune", func() *StepOptions {
			return &StepOptions{Optimizer: &SGD{LR: 0.01, Momentum: 0.9}, Prune: &Prune{Sparsity: 0.9, End: 1000, Every: 100}}
		}},
		{"sgd_momentum_noise", func() *StepOptions {
			return &StepOptions{Optimizer: &SGD{LR: 0.01, Momentum: 0.9}, Noise: Noise{Input: 0.1, Weight: 0.01}}
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			bld := ops.NewBuilder()
			loss := benchMLP(bld)
			if err := BuildStep(bld, loss, nil, c.so()); err != nil {
				b.Fatal(err)
			}
			g, err := opt.Optimize(bld.G, opt.Options{Level: 1})
			if err != nil {
				b.Fatal(err)
			}
			store := runtime.NewStore()
			if err := runtime.InitParams(store, g, 1); err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 1))
			x := tensor.New(tensor.F32, 128, 784)
			for i := range x.F32 {
				x.F32[i] = float32(r.NormFloat64())
			}
			y := tensor.New(tensor.I32, 128)
			for i := range y.I32 {
				y.I32[i] = int32(r.IntN(10))
			}
			in := map[string]*tensor.Tensor{"x": x, "y": y}
			var args []*tensor.Tensor
			for _, n := range g.Inputs() {
				args = append(args, in[n.Name()])
			}
			sess := runtime.NewSession(g, store)
			for i := range 3 {
				if _, err := sess.Run(uint64(i), args...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := sess.Run(uint64(i), args...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchMLP is bench/mlp.nn's loss: 784-512-512-10 with relu, batch 128.
func benchMLP(b *ops.Builder) *ops.Node {
	f32 := func(d ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(d...)} }
	h := b.Input("x", f32(128, 784))
	y := b.Input("y", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(128)})
	dims := []int{784, 512, 512, 10}
	for i := range 3 {
		w := b.Param("l"+string(rune('1'+i))+".W", f32(dims[i], dims[i+1]), ops.Attrs{"init": "glorot_uniform"})
		bias := b.Param("l"+string(rune('1'+i))+".b", f32(dims[i+1]), ops.Attrs{"init": "zeros"})
		h = b.Add(b.Must(ops.Matmul, nil, h, w), bias)
		if i < 2 {
			h = b.Must(ops.Relu, nil, h)
		}
	}
	return b.Must(ops.CrossEntropy, nil, h, y)
}
