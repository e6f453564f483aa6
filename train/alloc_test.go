package train

import (
	"context"
	"testing"

	"github.com/nnclang/nnc/data"
)

// A steady epoch of the loop (batching, binding by name, the step run under
// a cancellable context, as nnc train runs it) allocates nothing once the
// plans exist.
func TestEpochAllocatesNothing(t *testing.T) {
	cfg := digitsConfig(t, 1, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	step, err := bindGraph("step graph", cfg.Step, cfg.Store, cfg.Train)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := data.NewBatches(cfg.Train, 64, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	epoch := 0
	runEpoch := func() {
		for bs.Start(epoch); bs.Next(); {
			if _, err := step.run(ctx, stepSeed(0, bs.Batch().Index), bs.Batch().Arrays); err != nil {
				t.Fatal(err)
			}
		}
		epoch++
	}
	runEpoch() // builds the plans for the full and the last batch
	if a := testing.AllocsPerRun(3, runEpoch); a != 0 {
		t.Errorf("an epoch allocates %v times", a)
	}
}
