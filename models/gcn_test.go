package models

import (
	"testing"

	"github.com/nnclang/nnc"
)

// TestGCNCora trains gcn.nn as `nnc train gcn.nn --seeds 10` does: ten
// random Planetoid-style splits of full Cora (split seeds 0-9, each run
// with the same training seed), the recipe chosen by validation accuracy
// (torch/gcn.py grid), early stopping on the validation loss with the best
// epoch's parameters kept. It requires issue 13's target, a mean test
// accuracy of at least 0.80 over the ten: PyTorch's same recipe on the
// same splits reaches 0.808 ± 0.018 (min 0.773, max 0.835;
// torch/gcn.json), nnc 0.808 ± 0.015 (min 0.778). Kipf & Welling's 0.815
// is on their fixed split, which cora.npz does not hold (README.md,
// BENCHMARKS.md).
// About 143 s of CPU (ten runs of up to 500 epochs over 2,708 nodes): it
// runs with NNC_FULL=1, as .ci/run sets; go test ./... trains the sparse
// GCN briefly on a 240-node subgraph instead (the root's
// TestSparseGCNMatchesNumPy, TestPlanetoidRunSeed).
func TestGCNCora(t *testing.T) {
	fullRun(t, false)
	p, err := nnc.CompileFile("gcn.nn")
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Train(nnc.TrainOptions{Seeds: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Seeds {
		t.Logf("split and training seed %d: test accuracy %.4f, validation accuracy %.4f", r.Seed, r.Metrics["test_accuracy"], r.Metrics["val_accuracy"])
	}
	st, val := res.Spread["test_accuracy"], res.Spread["val_accuracy"]
	t.Logf("test accuracy %.4f ± %.4f (min %.4f, max %.4f); validation %.4f ± %.4f", st.Mean, st.Std, st.Min, st.Max, val.Mean, val.Std)
	if len(res.Seeds) != 10 || st.Mean < 0.80 {
		t.Errorf("%d runs, mean test accuracy %.4f; want 10 and ≥ 0.80", len(res.Seeds), st.Mean)
	}
}
