package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// hooksData is 100 rows of x f64[4] and labels y in 3 classes (class 2
// rare).
func hooksData(t *testing.T) *data.Dataset {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(tensor.F64, 100, 4)
	y := tensor.New(tensor.I32, 100)
	for i := range 100 {
		for j := range 4 {
			x.F64[4*i+j] = r.NormFloat64()
		}
		y.I32[i] = int32(map[bool]int{true: 2, false: i % 2}[i%10 == 0])
	}
	d, err := data.NewDataset(map[string]*tensor.Tensor{"x": x, "y": y})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// hooksRun trains the reference MLP (f64, B rows) on hooksData with so
// for 2 epochs of the given batch size and returns the store.
func hooksRun(t *testing.T, so *StepOptions, batch int, sampler *BalancedSampler) (*runtime.Store, *Result) {
	t.Helper()
	ref := readStepReference(t)
	b := ops.NewBuilder()
	if err := BuildStep(b, mlpLoss(b, ops.F64, 0), nil, so); err != nil {
		t.Fatal(err)
	}
	store := runtime.NewStore()
	for k, v := range ref.P0 {
		store.Set(k, tensor.FromFloat64s(tensor.F64, mlpShapes[k], v))
	}
	if err := runtime.InitParams(store, b.G, 0); err != nil {
		t.Fatal(err)
	}
	res, err := Run(Config{Step: b.G, Store: store, Train: hooksData(t), BatchSize: batch, Epochs: 2, Seed: 9,
		StepOptions: so, Sampler: sampler})
	if err != nil {
		t.Fatal(err)
	}
	return store, res
}

// TestRunAccumulate: Run with accumulate = 4 and batches of 8 ends with the
// parameters, optimizer states and moving averages of Run with batches of
// 32 (the same seeded order; the last group of an epoch, 4 rows, is the
// last batch of 32 too), within 1e-12 relative in f64.
func TestRunAccumulate(t *testing.T) {
	mk := func(k int) *StepOptions {
		return &StepOptions{Optimizer: NewAdam(0.02), ClipNorm: 0.5, EMA: 0.9, Accumulate: k}
	}
	acc, res := hooksRun(t, mk(4), 8, nil)
	big, _ := hooksRun(t, mk(0), 32, nil)
	if res.Steps != 2*13 {
		t.Errorf("%d steps, want 26 batches", res.Steps)
	}
	n := 0
	for _, name := range big.Names() {
		w, g := big.Get(name), acc.Get(name)
		for j := range w.Len() {
			if math.Abs(g.At(j)-w.At(j)) > 1e-12*math.Max(1, math.Abs(w.At(j))) {
				t.Errorf("%s[%d] = %.17g, batches of 32: %.17g", name, j, g.At(j), w.At(j))
			}
		}
		n++
	}
	if n < 10 {
		t.Errorf("compared %d tensors", n)
	}
	if got := acc.Get(EMAStepsState).At(0); got != 8 {
		t.Errorf("%v updates of the average, want 8", got)
	}
	if got := UpdatesDone(26, 13, 4); got != 8 {
		t.Errorf("UpdatesDone(26, 13, 4) = %d, want 8", got)
	}
}

// TestRunPrune: Run prunes the weight matrices to 75% over updates 2..10
// (accumulating 2 batches): at the end round(0.75·n) weights of each are
// zero, exactly where the masks are.
func TestRunPrune(t *testing.T) {
	pr := &Prune{Sparsity: 0.75, Start: 2, End: 10, Every: 3}
	store, _ := hooksRun(t, &StepOptions{Optimizer: &SGD{LR: 0.1, Momentum: 0.9}, Prune: pr, Accumulate: 2}, 8, nil)
	for _, name := range []string{"W1", "W2"} {
		w, m := store.Get(name), store.Get(MaskState(name))
		want := int(math.RoundToEven(0.75 * float64(w.Len())))
		zeros := 0
		for i := range w.Len() {
			if (w.At(i) == 0) != (m.At(i) == 0) {
				t.Errorf("%s[%d] = %v, mask %v", name, i, w.At(i), m.At(i))
			}
			if w.At(i) == 0 {
				zeros++
			}
		}
		if zeros != want {
			t.Errorf("%s: %d zeros, want %d", name, zeros, want)
		}
	}
}

// TestRunSampler: the feed of a run with the balanced sampler visits the
// rows the sampler draws for each epoch, and reports them as its rows.
func TestRunSampler(t *testing.T) {
	d := hooksData(t)
	s, err := NewBalancedSampler(d.Get("y"), 4)
	if err != nil {
		t.Fatal(err)
	}
	f, err := newFeed(Config{Train: d, BatchSize: 16, Sampler: s})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for e := range 2 {
		var rows []int
		for f.Start(e); f.Next(); {
			b := f.Batch()
			got := f.Rows(b)
			for r, i := range got {
				if b.Arrays["x"].F64[4*r] != d.Arrays["x"].F64[4*i] {
					t.Fatalf("epoch %d: batch row %d is not row %d", e, r, i)
				}
			}
			rows = append(rows, got...)
		}
		if err := f.Err(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows, s.Draw(e)) {
			t.Errorf("epoch %d: rows %v, drawn %v", e, rows, s.Draw(e))
		}
	}
	_, res := hooksRun(t, &StepOptions{Optimizer: &SGD{LR: 0.1}}, 10, s)
	if res.Steps != 20 {
		t.Errorf("%d steps with the sampler, want 20", res.Steps)
	}
}
