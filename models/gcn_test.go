package models

import (
	"testing"

	"github.com/nnclang/nnc"
)

// TestGCNCora trains gcn.nn (the design's GCN with a sparse adjacency) on
// full Cora with its train block's settings (Adam 0.01, 200 epochs,
// Planetoid's split with seed 0, training seed 0) and requires at least
// 0.75 test accuracy: PyTorch's same model, settings and split
// (torch/gcn.py, torch/gcn.json) reaches 0.770 ± 0.010 over training
// seeds 0-9 (min 0.754), and 0.75 is its mean less two standard
// deviations. Kipf & Welling's 0.815 is on their fixed split, which this
// split is not (README.md, BENCHMARKS.md).
// A full run (200 steps over 2,708 nodes, about 10 s of CPU): it runs with
// NNC_FULL=1, as .ci/run sets; go test ./... trains the sparse GCN briefly
// on a 240-node subgraph instead (the root's TestSparseGCNMatchesNumPy).
func TestGCNCora(t *testing.T) {
	fullRun(t, false)
	p, err := nnc.CompileFile("gcn.nn")
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Train(nnc.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	acc := res.Metrics["test_accuracy"]
	t.Logf("test accuracy %.4f, test loss %.4f", acc, res.Metrics["test_loss"])
	if acc < 0.75 {
		t.Fatalf("test accuracy %.4f < 0.75", acc)
	}
}

// TestGCNCoraSeeds trains gcn.nn over training seeds 0-9 (nnc train gcn.nn
// --seeds 10) and requires a mean test accuracy of at least 0.76:
// PyTorch's 0.770 ± 0.010 over the same seeds and split less one standard
// deviation. About 100 s of CPU: run with NNC_FULL=all.
func TestGCNCoraSeeds(t *testing.T) {
	fullRun(t, true)
	p, err := nnc.CompileFile("gcn.nn")
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Train(nnc.TrainOptions{Seeds: 10})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Spread["test_accuracy"]
	t.Logf("test accuracy %.4f ± %.4f (min %.4f, max %.4f)", st.Mean, st.Std, st.Min, st.Max)
	if st.Mean < 0.76 {
		t.Errorf("mean test accuracy %.4f < 0.76", st.Mean)
	}
}
