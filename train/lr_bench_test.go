package train

import (
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// BenchmarkMLPStepLR measures a training step of the 64-128-10 MLP on 64
// rows, optimized as nnc runs it, with the learning rate a constant of the
// graph and read from LRState (a scheduled run). Every optimizer fuses its
// updates either way: a scheduled rate (and AdamW's factor 1 - lr·wd) is an
// operand of fused_sgd/fused_adam, a constant one an attribute.
func BenchmarkMLPStepLR(b *testing.B) {
	for _, c := range []struct {
		name string
		opt  Optimizer
	}{
		{"sgd_momentum", &SGD{LR: 0.1, Momentum: 0.9}},
		{"sgd_momentum_lrstate", &SGD{LR: 0.1, Momentum: 0.9, LRState: LRState}},
		{"adam", NewAdam(1e-3)},
		{"adam_lrstate", &Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LRState: LRState}},
		{"adamw", NewAdamW(1e-3, 0.01)},
		{"adamw_lrstate", &Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Decoupled: true, LRState: LRState}},
	} {
		b.Run(c.name, func(b *testing.B) {
			bld := ops.NewBuilder()
			_, loss := mlp(bld, 128, true)
			if err := BuildStep(bld, loss, nil, c.opt); err != nil {
				b.Fatal(err)
			}
			g, err := opt.Optimize(bld.G, opt.Options{Level: opt.DefaultLevel})
			if err != nil {
				b.Fatal(err)
			}
			store := runtime.NewStore()
			if err := runtime.InitParams(store, g, 1); err != nil {
				b.Fatal(err)
			}
			sess := runtime.NewSession(g, store)
			x, y := tensor.New(tensor.F32, 64, 64), tensor.New(tensor.I32, 64)
			for i := range x.F32 {
				x.F32[i] = float32(i%17) / 17
			}
			for i := range y.I32 {
				y.I32[i] = int32(i % 10)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := sess.Run(uint64(i), x, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
