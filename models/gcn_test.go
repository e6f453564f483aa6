package models

import (
	"testing"

	"github.com/nnclang/nnc"
)

// TestGCNCora trains gcn.nn (the design's GCN with a sparse adjacency) on
// full Cora with its train block's settings (Adam 0.01, 200 epochs,
// Planetoid's split with seed 0) and requires at least 0.75 test
// accuracy: over training seeds 0 to 9 it reaches the figures in
// BENCHMARKS.md (Kipf & Welling report 0.815 on their fixed split).
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
