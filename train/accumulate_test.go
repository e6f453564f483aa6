package train

import (
	"math"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// refRows returns rows [lo, hi) of the reference's data in f64.
func refRows(ref *stepReference, lo, hi int) (x, y *tensor.Tensor) {
	x = tensor.FromFloat64s(tensor.F64, []int{hi - lo, 4}, ref.X[4*lo:4*hi])
	y = tensor.New(tensor.I32, hi-lo)
	copy(y.I32, ref.Y[lo:hi])
	return x, y
}

// TestAccumulateEqualsLargeBatch: with accumulate = 3, the micro-batches
// [0, 8), [8, 16) and [16, 21) (a smaller last one) make the update of one
// step over rows [0, 21) of the mean loss, in f64, for SGD with momentum and
// for Adam with clipping by norm and a moving average, twice in a row: the
// parameters, the optimizer's states and the averages agree within 1e-13
// relative (the sums run in another order), and the accumulators are back
// to zero after each update.
func TestAccumulateEqualsLargeBatch(t *testing.T) {
	ref := readStepReference(t)
	for _, mk := range []func(k int) *StepOptions{
		func(k int) *StepOptions { return &StepOptions{Optimizer: &SGD{LR: 0.3, Momentum: 0.9}, Accumulate: k} },
		func(k int) *StepOptions {
			return &StepOptions{Optimizer: NewAdam(0.05), ClipNorm: 0.2, EMA: 0.9, Accumulate: k}
		},
	} {
		for _, level := range []int{0, 1} {
			so := mk(3)
			step, store := mlpStep(t, ref, ops.F64, so, level, 0)
			if so.Micro == nil {
				t.Fatal("no micro graph")
			}
			micro, err := opt.Optimize(so.Micro, opt.Options{Level: level, Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range micro.Updates {
				if u.Target.Op == ops.Param {
					t.Fatalf("the micro graph updates parameter %s", u.Target.Name())
				}
			}
			big, bigStore := mlpStep(t, ref, ops.F64, mk(0), level, 0)
			ms, ss := runtime.NewSession(micro, store), runtime.NewSession(step, store)
			bs := runtime.NewSession(big, bigStore)
			bounds := [][2]int{{0, 8}, {8, 16}, {16, 21}}
			for rep := range 2 {
				for i, r := range bounds {
					x, y := refRows(ref, r[0], r[1])
					if err := SetBatchRows(store, r[1]-r[0]); err != nil {
						t.Fatal(err)
					}
					sess := ms
					if Updates(3, i, len(bounds)) {
						sess = ss
					}
					if _, err := sess.Run(uint64(rep), x, y); err != nil {
						t.Fatal(err)
					}
				}
				x, y := refRows(ref, 0, 21)
				if _, err := bs.Run(uint64(rep), x, y); err != nil {
					t.Fatal(err)
				}
				compared := 0
				for _, name := range bigStore.Names() {
					want, got := bigStore.Get(name), store.Get(name)
					for j := range want.Len() {
						w, g := want.At(j), got.At(j)
						if math.Abs(g-w) > 1e-13*math.Max(1, math.Abs(w)) {
							t.Errorf("level %d, group %d: %s[%d] = %.17g, one large batch %.17g", level, rep+1, name, j, g, w)
						}
					}
					compared++
				}
				if compared < 8 {
					t.Errorf("compared %d tensors", compared)
				}
				for _, p := range []string{"W1", "b1", "W2", "b2"} {
					for j, v := range store.Get(p + "/accum.grad").F64 {
						if v != 0 {
							t.Fatalf("%s/accum.grad[%d] = %v after the update", p, j, v)
						}
					}
				}
				if v := store.Get(AccumRowsState).At(0); v != 0 {
					t.Errorf("accumulated rows %v after the update", v)
				}
			}
		}
	}
}

// TestUpdatesGroups checks which batches update: the last of every group
// of k and the last of the epoch.
func TestUpdatesGroups(t *testing.T) {
	var got []int
	for i := range 10 {
		if Updates(4, i, 10) {
			got = append(got, i)
		}
	}
	if len(got) != 3 || got[0] != 3 || got[1] != 7 || got[2] != 9 {
		t.Errorf("updates after batches %v, want [3 7 9]", got)
	}
	for i := range 5 {
		if !Updates(1, i, 5) {
			t.Errorf("accumulate 1: batch %d does not update", i)
		}
	}
	if err := SetBatchRows(runtime.NewStore(), 3); err == nil {
		t.Error("SetBatchRows without the state: no error")
	}
}
