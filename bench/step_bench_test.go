package bench

import (
	"testing"

	"github.com/nnclang/nnc/runtime"
)

// The training-step benchmarks of BENCHMARKS.md ("## training step"); run
// them with step.sh, which runs the PyTorch references alongside. Each runs
// at GOMAXPROCS of the -cpu flag.

func benchRun(b *testing.B, w Workload, err error) {
	if err != nil {
		b.Fatal(err)
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, w.Graph, 1); err != nil {
		b.Fatal(err)
	}
	sess := runtime.NewSession(w.Graph, store)
	for i := 0; i < 3; i++ { // plan and warm up
		if _, err := sess.Run(uint64(i), w.Inputs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := sess.Run(uint64(i), w.Inputs...); err != nil {
			b.Fatal(err)
		}
	}
}
