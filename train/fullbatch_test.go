package train

import (
	"math"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// graphModel builds logits = A @ X @ W over N nodes and the masked mean
// negative log-likelihood sum(mask * nll) / sum(mask), as gcn.nn does.
func graphModel(b *ops.Builder) (logits, loss *ops.Node) {
	N := ops.DimVar("N")
	f32 := func(s ops.Shape) ops.Type { return ops.Type{DType: ops.F32, Shape: s} }
	a := b.Input("A", f32(ops.Shape{N, N}))
	x := b.Input("X", f32(ops.Shape{N, ops.DimConst(3)}))
	y := b.Input("y", ops.Type{DType: ops.I32, Shape: ops.Shape{N}})
	mask := b.Input("mask", f32(ops.Shape{N}))
	w := b.Param("W", f32(ops.ShapeOf(3, 2)), ops.Attrs{"init": "glorot_uniform"})
	logits = b.Must(ops.Matmul, nil, a, b.Must(ops.Matmul, nil, x, w))
	lsm := b.Must(ops.LogSoftmax, ops.Attrs{"axis": -1}, logits)
	picked := b.Must(ops.Sum, ops.Attrs{"axes": []int{1}}, b.Must(ops.Mul, nil, b.Must(ops.OneHot, ops.Attrs{"n": 2}, y), lsm))
	num := b.Must(ops.Sum, nil, b.Must(ops.Mul, nil, mask, picked))
	loss = b.Must(ops.Neg, nil, b.Must(ops.Div, nil, num, b.Must(ops.Sum, nil, mask)))
	return logits, loss
}

// fullBatchSets are five nodes: A = I + the edges 0-1 and 3-4, X and y
// below, training nodes 0, 1, 2, validation node 3, test node 4.
func fullBatchSets() (train, val, test *data.Dataset, a, x []float64, y []int) {
	a = []float64{
		1, 1, 0, 0, 0,
		1, 1, 0, 0, 0,
		0, 0, 1, 0, 0,
		0, 0, 0, 1, 1,
		0, 0, 0, 1, 1}
	x = []float64{1, 0, 0.5, 0, 1, -0.5, 1, 1, 0, -1, 0.5, 2, 0.25, -1, 1}
	y = []int{0, 1, 0, 1, 1}
	yt := tensor.New(tensor.I32, 5)
	for i, v := range y {
		yt.I32[i] = int32(v)
	}
	shared := map[string]*tensor.Tensor{
		"A": tensor.FromFloat64s(tensor.F32, []int{5, 5}, a),
		"X": tensor.FromFloat64s(tensor.F32, []int{5, 3}, x),
		"y": yt,
	}
	set := func(m ...float64) *data.Dataset {
		arrays := map[string]*tensor.Tensor{"mask": tensor.FromFloat64s(tensor.F32, []int{5}, m)}
		for k, v := range shared {
			arrays[k] = v
		}
		return &data.Dataset{Arrays: arrays}
	}
	return set(1, 1, 1, 0, 0), set(0, 0, 0, 1, 0), set(0, 0, 0, 0, 1), a, x, y
}

// TestEvaluateFullBatchMask: evaluated whole, the loss is the entry's
// masked loss and accuracy counts only the masked nodes; both are computed
// here in f64 from A, X and a fixed W.
func TestEvaluateFullBatchMask(t *testing.T) {
	b := ops.NewBuilder()
	logits, loss := graphModel(b)
	b.Output("logits", logits)
	b.Output("loss", loss)
	wv := []float64{0.5, -1, 2, 0.25, -0.75, 1}
	store := runtime.NewStore()
	store.Set("W", tensor.FromFloat64s(tensor.F32, []int{3, 2}, wv))
	train, val, test, a, x, y := fullBatchSets()
	// Logits by hand: L = A (X W).
	xw := make([]float64, 10)
	for i := range 5 {
		for j := range 2 {
			for k := range 3 {
				xw[2*i+j] += x[3*i+k] * wv[2*k+j]
			}
		}
	}
	l := make([]float64, 10)
	for i := range 5 {
		for j := range 2 {
			for k := range 5 {
				l[2*i+j] += a[5*i+k] * xw[2*k+j]
			}
		}
	}
	want := func(nodes ...int) (loss, acc float64) {
		correct := 0
		for _, i := range nodes {
			lse := math.Log(math.Exp(l[2*i]) + math.Exp(l[2*i+1]))
			loss += lse - l[2*i+y[i]]
			pred := 0
			if l[2*i+1] > l[2*i] {
				pred = 1
			}
			if pred == y[i] {
				correct++
			}
		}
		return loss / float64(len(nodes)), float64(correct) / float64(len(nodes))
	}
	ev, err := NewEvaluator(b.G, b.G, store, "y", 0)
	if err != nil {
		t.Fatal(err)
	}
	ev.SetFullBatch(true)
	ev.SetMask("mask")
	for _, c := range []struct {
		name  string
		d     *data.Dataset
		nodes []int
	}{{"train", train, []int{0, 1, 2}}, {"val", val, []int{3}}, {"test", test, []int{4}}} {
		m, err := ev.Evaluate(c.d)
		if err != nil {
			t.Fatal(err)
		}
		wl, wa := want(c.nodes...)
		if !m.HasLoss || !m.HasAccuracy || math.Abs(m.Loss-wl) > 1e-5 || m.Accuracy != wa {
			t.Errorf("%s: %+v, want loss %.6f accuracy %v", c.name, m, wl, wa)
		}
	}
	// A mask that is not of the labels' shape is an error.
	bad := &data.Dataset{Arrays: map[string]*tensor.Tensor{"A": train.Get("A"), "X": train.Get("X"), "y": train.Get("y"), "mask": tensor.New(tensor.F32, 4)}}
	if _, err := ev.Evaluate(bad); err == nil || !strings.Contains(err.Error(), `the mask "mask" is f32[4] but the labels "y" are i32[5]`) {
		t.Errorf("mask of 4 for 5 labels: %v", err)
	}
}

// TestRunFullBatch: full-batch training runs one step per epoch on the
// whole graph, lowers the training nodes' loss, and reports validation and
// test accuracy on their masks (a fraction of one node: 0 or 1).
func TestRunFullBatch(t *testing.T) {
	sb := ops.NewBuilder()
	_, loss := graphModel(sb)
	if err := BuildStep(sb, loss, nil, NewAdam(0.1)); err != nil {
		t.Fatal(err)
	}
	eb := ops.NewBuilder()
	logits, eloss := graphModel(eb)
	eb.Output("logits", logits)
	eb.Output("loss", eloss)
	store := runtime.NewStore()
	if err := runtime.InitParams(store, sb.G, 1); err != nil {
		t.Fatal(err)
	}
	train, val, test, _, _, _ := fullBatchSets()
	res, err := Run(Config{Step: sb.G, Forward: eb.G, Loss: eb.G, Store: store,
		Train: train, Val: val, Test: test, Label: "y", Mask: "mask", FullBatch: true, Epochs: 30})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 30 || res.Epochs != 30 {
		t.Errorf("%d steps in %d epochs, want 30 and 30", res.Steps, res.Epochs)
	}
	if h := res.History; h[len(h)-1].Loss >= h[0].Loss {
		t.Errorf("the training loss did not fall: %v then %v", h[0].Loss, h[len(h)-1].Loss)
	}
	for _, k := range []string{"val_accuracy", "test_accuracy"} {
		if v, ok := res.Metrics()[k]; !ok || v != 0 && v != 1 {
			t.Errorf("%s = %v (present %v), want 0 or 1: one node", k, v, ok)
		}
	}
	// The training nodes: 3, so accuracy is a multiple of 1/3.
	if v := res.TrainAccuracy * 3; math.Abs(v-math.Round(v)) > 1e-12 {
		t.Errorf("train accuracy %v is not a multiple of 1/3", res.TrainAccuracy)
	}
}

// TestRunResample: Resample is called before every epoch with its number,
// and what it writes into Train's arrays is what the epoch trains on.
func TestRunResample(t *testing.T) {
	cfg := digitsConfig(t, 3, 0)
	x := cfg.Train.Get("x")
	orig := append([]float32(nil), x.F32...)
	var calls []int
	cfg.Resample = func(epoch int) error {
		calls = append(calls, epoch)
		for i := range x.F32 {
			x.F32[i] = orig[i] * float32(epoch)
		}
		return nil
	}
	if _, err := Run(cfg); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 || calls[0] != 1 || calls[2] != 3 {
		t.Errorf("Resample called with %v, want [1 2 3]", calls)
	}
	if x.F32[7] != orig[7]*3 {
		t.Errorf("the last epoch's values: %v, want %v", x.F32[7], orig[7]*3)
	}
	cfg = digitsConfig(t, 3, 0)
	cfg.Resample = func(epoch int) error {
		if epoch == 2 {
			return errSample
		}
		return nil
	}
	if _, err := Run(cfg); err == nil || err.Error() != "epoch 2: no text" {
		t.Errorf("Resample failing at epoch 2: %v", err)
	}
}

type sampleErr struct{}

func (sampleErr) Error() string { return "no text" }

var errSample error = sampleErr{}

// TestLabelsMissingBeforeTraining: a labels array the data lacks is an
// error before the first step, not after an epoch.
func TestLabelsMissingBeforeTraining(t *testing.T) {
	cfg := digitsConfig(t, 1, 0)
	cfg.Label = "next"
	steps := 0
	cfg.Progress = nil
	cfg.AfterEpoch = func(EpochStats) error { steps++; return nil }
	_, err := Run(cfg)
	if err == nil || !strings.Contains(err.Error(), `the training data: train: accuracy needs the labels array "next"`) || steps != 0 {
		t.Errorf("labels next: %v after %d epochs", err, steps)
	}
}
