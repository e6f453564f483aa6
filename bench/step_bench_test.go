package bench

import (
	"testing"

	"github.com/nnclang/nnc/runtime"
)

// The training-step benchmarks of BENCHMARKS.md ("## training step"); run
// them with step.sh, which runs the PyTorch references alongside. Each runs
// at GOMAXPROCS of the -cpu flag.

// warmSession is the set-up the benchmarks share: it fails on the error
// of making w, initializes w's parameters from seed 1 into a store of
// their own, and returns a session of w on it that has run warm times
// (seeds 0 to warm-1), planned and warmed up.
func warmSession(b *testing.B, w Workload, err error, warm int) *runtime.Session {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, w.Graph, 1); err != nil {
		b.Fatal(err)
	}
	sess := runtime.NewSession(w.Graph, store)
	// As the nnc package's Func runs its entries: the weights' packed
	// forms are kept while the params do not change (inference packs them
	// once; a training step, whose updates change them, packs every step).
	sess.SetParamsFixed(true)
	for i := range warm {
		if _, err := sess.Run(uint64(i), w.Inputs...); err != nil {
			b.Fatal(err)
		}
	}
	return sess
}

func benchRun(b *testing.B, w Workload, err error) {
	sess := warmSession(b, w, err, 3)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := sess.Run(uint64(i), w.Inputs...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMLPStepSGD: MLP 784-512-512-10, batch 128, forward, backward and
// a plain SGD update.
func BenchmarkMLPStepSGD(b *testing.B) {
	w, err := Step(MLP, "sgd", 1, 128, 1)
	benchRun(b, w, err)
}

// BenchmarkMLPStepAdam: the same step with an Adam update.
func BenchmarkMLPStepAdam(b *testing.B) {
	w, err := Step(MLP, "adam", 1, 128, 1)
	benchRun(b, w, err)
}

// BenchmarkMLPInference: the MLP's forward pass, batch 128.
func BenchmarkMLPInference(b *testing.B) {
	w, err := Inference(MLP, 1, 128, 1)
	benchRun(b, w, err)
}

// BenchmarkConvNetStepSGD: the ConvNet, batch 64, forward, backward and a
// plain SGD update.
func BenchmarkConvNetStepSGD(b *testing.B) {
	w, err := Step(ConvNet, "sgd", 1, 64, 1)
	benchRun(b, w, err)
}

// BenchmarkConvNetInference: the ConvNet's forward pass, batch 64.
func BenchmarkConvNetInference(b *testing.B) {
	w, err := Inference(ConvNet, 1, 64, 1)
	benchRun(b, w, err)
}
