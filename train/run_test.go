package train

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// mlp builds a 64-hidden-10 classifier on x f32[B, 64], y i32[B] by hand,
// as the .nn front end would lower it.
func mlp(b *ops.Builder, hidden int, training bool) (logits, loss *ops.Node) {
	B := ops.DimVar("B")
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.Shape{B, ops.DimConst(64)}})
	y := b.Input("y", ops.Type{DType: ops.I32, Shape: ops.Shape{B}})
	f32 := func(d ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(d...)} }
	w1 := b.Param("l1.W", f32(64, hidden), ops.Attrs{"init": "glorot_uniform"})
	b1 := b.Param("l1.b", f32(hidden), ops.Attrs{"init": "zeros"})
	w2 := b.Param("head.W", f32(hidden, 10), ops.Attrs{"init": "glorot_uniform"})
	b2 := b.Param("head.b", f32(10), ops.Attrs{"init": "zeros"})
	h := b.Must(ops.Relu, nil, b.Add(b.Must(ops.Matmul, nil, x, w1), b1))
	if training {
		h = ops.Dropout(b, h, 0.1)
	}
	logits = b.Add(b.Must(ops.Matmul, nil, h, w2), b2)
	loss = b.Must(ops.CrossEntropy, nil, logits, y)
	return logits, loss
}

func digitsConfig(t *testing.T, epochs int, seed uint64) Config {
	t.Helper()
	d, err := data.Builtin("digits")
	if err != nil {
		t.Fatal(err)
	}
	parts, err := d.Split(0, 0.7, 0.15, 0.15)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mlpConfig(t, 32)
	cfg.Train, cfg.Val, cfg.Test = parts[0], parts[1], parts[2]
	cfg.BatchSize, cfg.Epochs, cfg.Seed = 32, epochs, seed
	return cfg
}

// mlpConfig is a Config with the step of mlp (hidden units, with dropout)
// trained by Adam (lr 0.01), its evaluation graph (outputs logits and
// loss) and a store initialized with seed 1; no data.
func mlpConfig(t *testing.T, hidden int) Config {
	t.Helper()
	sb := ops.NewBuilder()
	_, loss := mlp(sb, hidden, true)
	if err := BuildStep(sb, loss, nil, NewAdam(0.01)); err != nil {
		t.Fatal(err)
	}
	eb := ops.NewBuilder()
	logits, eloss := mlp(eb, hidden, false)
	eb.Output("logits", logits)
	eb.Output("loss", eloss)
	store := runtime.NewStore()
	if err := runtime.InitParams(store, sb.G, 1); err != nil {
		t.Fatal(err)
	}
	return Config{Step: sb.G, Forward: eb.G, Loss: eb.G, Store: store}
}

func TestTrainDigits(t *testing.T) {
	cfg := digitsConfig(t, 8, 3)
	var progress bytes.Buffer
	cfg.Progress = &progress
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", progress.String())
	if res.TestAccuracy < 0.9 || res.ValAccuracy < 0.9 {
		t.Errorf("test accuracy %.3f, validation %.3f; want ≥ 0.9", res.TestAccuracy, res.ValAccuracy)
	}
	if res.Epochs != 8 || res.Steps != 8*40 { // ceil(1258/32) = 40 steps per epoch
		t.Errorf("%d epochs, %d steps", res.Epochs, res.Steps)
	}
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	re := regexp.MustCompile(`^epoch (\d)/8  loss \d+\.\d{4}  train_acc [01]\.\d{3}  val_acc [01]\.\d{3}  \d+\.\ds$`)
	if len(lines) != 8 {
		t.Fatalf("%d progress lines, want 8", len(lines))
	}
	for i, l := range lines {
		m := re.FindStringSubmatch(l)
		if m == nil || m[1] != string(rune('1'+i)) {
			t.Errorf("progress line %q", l)
		}
	}
	if h := res.History; h[len(h)-1].Loss >= h[0].Loss {
		t.Errorf("training loss did not fall: %v then %v", h[0].Loss, h[len(h)-1].Loss)
	}
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]float64
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON %s lacks %q", js, k)
		}
	}
	if m["test_accuracy"] != res.TestAccuracy || m["test_loss"] != res.TestLoss {
		t.Errorf("JSON %s disagrees with %+v", js, res)
	}

	// The same seed gives the same training, bit for bit.
	again, err := Run(digitsConfig(t, 1, 3))
	if err != nil {
		t.Fatal(err)
	}
	other, err := Run(digitsConfig(t, 1, 3))
	if err != nil {
		t.Fatal(err)
	}
	if again.TrainLoss != other.TrainLoss || again.History[0].Loss != other.History[0].Loss {
		t.Errorf("two runs with seed 3: %v and %v", again.History[0].Loss, other.History[0].Loss)
	}
}

func TestRunStopsEarlyAndOnNaN(t *testing.T) {
	cfg := digitsConfig(t, 5, 0)
	cfg.SkipTrainEval = true
	cfg.AfterEpoch = func(st EpochStats) error {
		if st.Train.HasAccuracy {
			t.Errorf("epoch %d evaluated the training set despite SkipTrainEval", st.Epoch)
		}
		if st.Epoch == 2 {
			return ErrStop
		}
		return nil
	}
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Epochs != 2 || res.TrainAccuracy == 0 || res.TestAccuracy == 0 {
		t.Errorf("stopped run: %+v", res.Metrics())
	}

	// A huge learning rate makes the loss overflow: the error names the step.
	cfg = digitsConfig(t, 3, 0)
	sb := ops.NewBuilder()
	_, loss := mlp(sb, 32, true)
	if err := BuildStep(sb, loss, nil, &SGD{LR: 1e30}); err != nil {
		t.Fatal(err)
	}
	cfg.Step = sb.G
	_, err = Run(cfg)
	if err == nil || !strings.Contains(err.Error(), "epoch 1, step") {
		t.Errorf("diverging run: error %v", err)
	}
}

func TestRunConfigErrors(t *testing.T) {
	cfg := digitsConfig(t, 1, 0)
	cfg.Train = &data.Dataset{Arrays: map[string]*tensor.Tensor{"x": cfg.Train.Get("x")}}
	if _, err := Run(cfg); err == nil || !strings.Contains(err.Error(), `step graph input "y"`) {
		t.Errorf("missing labels: %v", err)
	}
	cfg = digitsConfig(t, 1, 0)
	cfg.BatchSize = 0
	if _, err := Run(cfg); err == nil {
		t.Error("batch size 0: no error")
	}
}

// TestEvaluate checks loss and accuracy against values computed here in
// f64, with a batch size that leaves a partial last batch.
func TestEvaluate(t *testing.T) {
	b := ops.NewBuilder()
	B := ops.DimVar("B")
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.Shape{B, ops.DimConst(3)}})
	y := b.Input("y", ops.Type{DType: ops.I32, Shape: ops.Shape{B}})
	w := b.Param("w", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(3, 3)}, nil)
	logits := b.Must(ops.Matmul, nil, x, w)
	b.Output("logits", logits)
	b.Output("loss", b.Must(ops.CrossEntropy, nil, logits, y))
	store := runtime.NewStore()
	store.Set("w", tensor.FromFloat64s(tensor.F32, []int{3, 3}, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}))
	xs := []float64{1, 2, 3, 0.5, -1, 0, 2, 2.5, -3, 0, 0, 1, -1, -2, -0.5}
	ys := []float64{2, 0, 0, 2, 1}
	d, err := data.NewDataset(map[string]*tensor.Tensor{
		"x": tensor.FromFloat64s(tensor.F32, []int{5, 3}, xs),
		"y": tensor.FromFloat64s(tensor.I32, []int{5}, ys),
	})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := NewEvaluator(b.G, b.G, store, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ev.Evaluate(d)
	if err != nil {
		t.Fatal(err)
	}
	// Rows' argmax: 2, 0, 1, 2, 2 against labels 2, 0, 0, 2, 1: 3 correct.
	var loss float64
	for i := range 5 {
		r := xs[3*i : 3*i+3]
		lse := math.Log(math.Exp(r[0]) + math.Exp(r[1]) + math.Exp(r[2]))
		loss += lse - r[int(ys[i])]
	}
	loss /= 5
	if !m.HasLoss || !m.HasAccuracy || m.Accuracy != 0.6 || math.Abs(m.Loss-loss) > 1e-6 {
		t.Errorf("Evaluate = %+v, want accuracy 0.6, loss %v", m, loss)
	}
}
