package runtime_test

import (
	"math"
	goruntime "runtime"
	"testing"

	"github.com/nnclang/nnc/bench"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// trainStepsWith runs steps training steps of w from the same initial
// parameters with GOMAXPROCS procs; check turns on SetNumerics' Check,
// which runs a row region's steps one at a time. It returns the losses,
// the final store and the steps' profile.
func trainStepsWith(t *testing.T, w bench.Workload, procs, steps int, check bool) ([]float32, *runtime.Store, *runtime.Profile) {
	t.Helper()
	old := goruntime.GOMAXPROCS(procs)
	defer goruntime.GOMAXPROCS(old)
	store := runtime.NewStore()
	if err := runtime.InitParams(store, w.Graph, 1); err != nil {
		t.Fatal(err)
	}
	sess := runtime.NewSession(w.Graph, store)
	if err := sess.SetNumerics(runtime.NumericsOptions{Check: check}); err != nil {
		t.Fatal(err)
	}
	pr := &runtime.Profile{}
	sess.SetProfile(pr)
	var losses []float32
	for i := range steps {
		out, err := sess.Run(uint64(i), w.Inputs...)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, out[0].F32[0])
	}
	return losses, store, pr
}

// TestRowRegionsRecurrent: the unrolled recurrence of an LSTM and of a GRU
// training step runs as two row regions (forward and backward) holding
// every time step's product and cell but one or two at their ends (a step
// whose result takes over a buffer that an earlier step of the region
// reads with another layout of its rows runs on its own); the steps give bitwise the same losses and parameters with
// GOMAXPROCS 1, 2 and 3 and when run one step at a time (numerics
// checked), the same as without regions up to rounding (their products
// sum in another order), and the profile times every step of a region.
func TestRowRegionsRecurrent(t *testing.T) {
	size := bench.LSTMSize{In: 16, Hidden: 32, T: 12, Batch: 24}
	for _, c := range []struct {
		name string
		make func(bench.LSTMSize, int, uint64) (bench.Workload, error)
		cell *ops.Op
	}{{"lstm", bench.LSTMStep, ops.LSTMCell}, {"gru", bench.GRUStep, ops.GRUCell}} {
		w, err := c.make(size, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := runtime.NewPlan(w.Graph, nil)
		if err != nil {
			t.Fatal(err)
		}
		regions := plan.RowRegions()
		if len(regions) != 2 {
			t.Fatalf("%s: regions %v, want 2", c.name, regions)
		}
		cells, products := 0, 0
		for _, r := range regions {
			for _, st := range plan.Steps[r[0]:r[1]] {
				switch st.Node.Op {
				case ops.FusedMatmul, ops.Matmul:
					products++
				case c.cell:
					cells++
				}
			}
		}
		if cells < size.T-1 || products < 2*size.T-3 {
			t.Errorf("%s: regions hold %d cells and %d products, want at least %d and %d", c.name, cells, products, size.T-1, 2*size.T-3)
		}

		const steps = 3
		want, wantStore, pr := trainStepsWith(t, w, 1, steps, false)
		for _, r := range regions {
			for i := r[0]; i < r[1]; i++ {
				if !plan.Steps[i].Alias && pr.Nanos[i] <= 0 {
					t.Errorf("%s: step %d (%s) in a region has no time in the profile", c.name, i, plan.Steps[i].Node.Op.Name)
				}
			}
		}
		same := func(what string, losses []float32, store *runtime.Store, tol float64) {
			t.Helper()
			for i := range want {
				if d := math.Abs(float64(losses[i] - want[i])); !(d <= tol*(1+math.Abs(float64(want[i])))) {
					t.Errorf("%s %s: loss %d = %v, want %v", c.name, what, i, losses[i], want[i])
				}
			}
			for _, name := range wantStore.Names() {
				a, b := store.Get(name).F32, wantStore.Get(name).F32
				for j := range b {
					if d := math.Abs(float64(a[j] - b[j])); !(d <= tol*(1+math.Abs(float64(b[j])))) {
						t.Fatalf("%s %s: %s[%d] = %v, want %v", c.name, what, name, j, a[j], b[j])
					}
				}
			}
		}
		for _, procs := range []int{2, 3} {
			losses, store, _ := trainStepsWith(t, w, procs, steps, false)
			same("GOMAXPROCS "+string(rune('0'+procs)), losses, store, 0)
		}
		losses, store, _ := trainStepsWith(t, w, 2, steps, true)
		same("one step at a time", losses, store, 0)
		runtime.SetRegionsOff(true)
		losses, store, _ = trainStepsWith(t, w, 2, steps, false)
		runtime.SetRegionsOff(false)
		same("without regions", losses, store, 1e-5)
	}
}
