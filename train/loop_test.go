package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// TestScheduleInRun runs schedules in the loop and compares the rate of
// every step (StepInfo.LR, which the loop wrote into the step graph's
// learning-rate state) with torch.optim.lr_scheduler's sequences
// (testdata/schedule_reference.json): linear over 2 epochs of 45 steps
// (digits' 1258 training rows in batches of 28), one_cycle over 1 epoch
// of 7 (batches of 200) and step, per epoch, over 4 epochs.
func TestScheduleInRun(t *testing.T) {
	var ref struct {
		Cases []struct {
			Kind          string
			LR, Gamma     float64
			MinLR         float64 `json:"min_lr"`
			MaxLR         float64 `json:"max_lr"`
			Pct           float64
			Every, Warmup int
			Epochs        int
			StepsPerEpoch int `json:"steps_per_epoch"`
			Rates         []float64
		}
	}
	b, err := os.ReadFile("testdata/schedule_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		kind  string
		index int // among the cases of the kind
		batch int
	}{{ScheduleLinear, 1, 28}, {ScheduleOneCycle, 2, 200}, {ScheduleStep, 0, 200}} {
		k := -1
		for i, c := range ref.Cases {
			if c.Kind == want.kind {
				if k++; k == want.index {
					k = i
					break
				}
			}
		}
		c := ref.Cases[k]
		epochs := c.Epochs
		if c.Kind == ScheduleStep {
			epochs = 4
		}
		cfg := digitsConfig(t, epochs, 1)
		cfg.Forward, cfg.Loss, cfg.Val, cfg.Test = nil, nil, nil, nil
		cfg.BatchSize = want.batch
		sb := ops.NewBuilder()
		_, loss := mlp(sb, 32, true)
		if err := BuildStep(sb, loss, nil, &SGD{LR: c.LR, LRState: LRState}); err != nil {
			t.Fatal(err)
		}
		cfg.Step, cfg.Store = sb.G, runtime.NewStore()
		if err := runtime.InitParams(cfg.Store, sb.G, 1); err != nil {
			t.Fatal(err)
		}
		s, err := NewSchedule(Schedule{Kind: c.Kind, LR: c.LR, Every: c.Every, Gamma: c.Gamma, Warmup: c.Warmup,
			MinLR: c.MinLR, MaxLR: c.MaxLR, Pct: c.Pct, Epochs: c.Epochs, StepsPerEpoch: c.StepsPerEpoch})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Schedule = s
		var got []float64
		cfg.OnStep = func(info StepInfo) error {
			if info.Steps != c.StepsPerEpoch && !s.PerEpoch() {
				t.Fatalf("%s: %d steps per epoch, the reference %d", c.Kind, info.Steps, c.StepsPerEpoch)
			}
			got = append(got, info.LR)
			if v := cfg.Store.Get(LRState).At(0); v != info.LR {
				t.Fatalf("%s step %d: the state holds %v, the step reported %v", c.Kind, info.GlobalStep, v, info.LR)
			}
			return nil
		}
		if _, err := Run(cfg); err != nil {
			t.Fatal(err)
		}
		for i, lr := range got {
			w := 0.0
			if s.PerEpoch() {
				w = c.Rates[i/7] // 7 steps an epoch
			} else {
				w = c.Rates[i]
			}
			if math.Abs(lr-w) > 1e-12*math.Max(1, w) {
				t.Errorf("%s step %d: rate %.17g, torch %.17g", c.Kind, i+1, lr, w)
			}
		}
		if n, want := len(got), epochs*((1258+want.batch-1)/want.batch); n != want {
			t.Errorf("%s: %d steps, want %d", c.Kind, n, want)
		}
	}
}

// TestMetricsInRun: the chosen metrics are measured on each set, in
// batches, and agree with the same metrics computed in one batch over
// the whole test set's logits; accuracy from the metric set is the
// evaluator's plain accuracy.
func TestMetricsInRun(t *testing.T) {
	cfg := digitsConfig(t, 2, 3)
	cfg.Metrics = []string{"loss", "accuracy", "f1", "top3_accuracy", "confusion", "nats_per_token"}
	cfg.EvalBatchSize = 16
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Metrics()
	for _, k := range []string{"train_loss", "train_accuracy", "train_f1_macro", "val_top3_accuracy", "test_accuracy",
		"test_f1_macro", "test_f1_class9", "test_top3_accuracy", "test_confusion", "test_nats_per_token", "test_loss"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %s among %v", k, m)
		}
	}
	// One batch over the whole test set.
	sess := runtime.NewSession(cfg.Forward, cfg.Store)
	x, y := cfg.Test.Arrays["x"], cfg.Test.Arrays["y"]
	out, err := sess.Run(0, x, y)
	if err != nil {
		t.Fatal(err)
	}
	logits := out[outputIndex(cfg.Forward, "logits")]
	set, err := NewMetricSet([]string{"accuracy", "f1", "top3_accuracy", "confusion", "nats_per_token"})
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Add(logits, y, nil); err != nil {
		t.Fatal(err)
	}
	for k, v := range set.Values("test_") {
		if math.Abs(m[k]-v) > 1e-12*math.Max(1, math.Abs(v)) {
			t.Errorf("%s: %v in batches of 16, %v in one", k, m[k], v)
		}
	}
	if m["test_nats_per_token"]-m["test_loss"] > 1e-5 || m["test_loss"]-m["test_nats_per_token"] > 1e-5 {
		t.Errorf("nats per token %v, cross-entropy loss %v", m["test_nats_per_token"], m["test_loss"])
	}
	if c := res.Confusion; len(c) != 10 || int(m["test_confusion"]) != cfg.Test.Len() {
		t.Errorf("confusion %v for %d examples", c, cfg.Test.Len())
	}
	plain := digitsConfig(t, 2, 3)
	pres, err := Run(plain)
	if err != nil {
		t.Fatal(err)
	}
	if pres.TestAccuracy != res.TestAccuracy || pres.TestAccuracy != m["test_accuracy"] {
		t.Errorf("accuracy %v without metrics, %v with", pres.TestAccuracy, res.TestAccuracy)
	}
	// Per epoch: the training loss is the mean of the steps' losses, the
	// validation metrics are measured.
	for _, st := range res.History {
		if st.Metrics["train_loss"] != st.Loss || st.Metrics["val_f1_macro"] == 0 || st.Metrics["val_loss"] != st.Val.Loss {
			t.Errorf("epoch %d metrics %v", st.Epoch, st.Metrics)
		}
	}
	bad := digitsConfig(t, 1, 3)
	bad.Metrics = []string{"f2"}
	if _, err := Run(bad); err == nil {
		t.Error("an unknown metric: no error")
	}
}

// TestSkipTrainEvalPerEpoch: without the training set's evaluation, an
// epoch's training metrics are its steps' mean loss only, and the final
// training metrics are still measured once.
func TestSkipTrainEvalPerEpoch(t *testing.T) {
	cfg := digitsConfig(t, 2, 3)
	cfg.SkipTrainEval = true
	evals := 0
	cfg.AfterEpoch = func(st EpochStats) error {
		if _, ok := st.Metrics["train_accuracy"]; ok || st.Train.HasAccuracy {
			evals++
		}
		return nil
	}
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if evals != 0 || res.TrainAccuracy == 0 {
		t.Errorf("%d epochs evaluated the training set; final accuracy %v", evals, res.TrainAccuracy)
	}
}

// TestSkipFinalTrainEval: with SkipFinalTrainEval the training set is
// not measured after the last epoch (no final train_* metrics) while the
// test set still is; when the last epoch measured it (SkipTrainEval off),
// the final training metrics are that measurement, taken without a
// further pass.
func TestSkipFinalTrainEval(t *testing.T) {
	cfg := digitsConfig(t, 2, 3)
	cfg.SkipTrainEval, cfg.SkipFinalTrainEval = true, true
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Metrics()
	if _, ok := m["train_loss"]; ok || res.TrainLoss != 0 || res.TrainAccuracy != 0 {
		t.Errorf("the training set was measured: %v", m)
	}
	if _, ok := m["test_accuracy"]; !ok || res.History[1].Loss == 0 {
		t.Errorf("no test metrics or epoch loss: %v, %+v", m, res.History)
	}
	cfg = digitsConfig(t, 2, 3)
	cfg.SkipFinalTrainEval = true
	res, err = Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	last := res.History[len(res.History)-1].Train
	if !last.HasLoss || res.TrainLoss != last.Loss || res.TrainAccuracy != last.Accuracy {
		t.Errorf("final training metrics %v, %v; the last epoch's evaluation %+v", res.TrainLoss, res.TrainAccuracy, last)
	}
}

// TestRunLog: a logged run writes a step record every LogEvery steps and
// one per epoch. With plain SGD, a step moves each parameter by -lr·g, so
// the update ratios and the gradients' norms the log reports are checked
// against the parameters kept around step 10 (‖Δp‖/‖p‖, and ‖Δp‖/lr ≈ ‖g‖,
// which also shows the gradient-norm graph drew the step's dropout masks).
// The parameters end bitwise as in the same run without a log.
func TestRunLog(t *testing.T) {
	const lr = 0.01
	build := func() Config {
		cfg := digitsConfig(t, 2, 3)
		cfg.SkipTrainEval = true
		sb := ops.NewBuilder()
		_, loss := mlp(sb, 32, true)
		if err := BuildStep(sb, loss, nil, &SGD{LR: lr}); err != nil {
			t.Fatal(err)
		}
		cfg.Step, cfg.LR = sb.G, lr
		return cfg
	}
	plain := build()
	if _, err := Run(plain); err != nil {
		t.Fatal(err)
	}
	cfg := build()
	var buf bytes.Buffer
	cfg.Log, cfg.LogEvery, cfg.RunName = NewLogWriter(&buf), 10, "r1"
	nb := ops.NewBuilder()
	_, loss := mlp(nb, 32, true)
	if err := BuildGradNorms(nb, loss, nil); err != nil {
		t.Fatal(err)
	}
	cfg.GradNorms = nb.G
	kept := map[int]map[string][]float64{}
	cfg.OnStep = func(info StepInfo) error {
		if info.GlobalStep == 9 || info.GlobalStep == 10 {
			kept[info.GlobalStep] = storeCopy(cfg.Store)
		}
		return nil
	}
	if _, err := Run(cfg); err != nil {
		t.Fatal(err)
	}
	if d := sameBits(storeCopy(plain.Store), storeCopy(cfg.Store)); d != "" {
		t.Errorf("logging changed %s", d)
	}
	recs, err := ReadLog(&buf, "log")
	if err != nil {
		t.Fatal(err)
	}
	var steps, epochs int
	for _, r := range recs {
		switch r.Kind {
		case LogStep:
			steps++
			if r.Step%10 != 0 || r.LR != lr || r.Run != "r1" || len(r.GradNorms) != 4 ||
				len(r.UpdateRatios) != 4 || r.Samples != map[bool]int64{true: 10, false: 32}[r.Step%40 == 0] || r.MemoryBytes <= 0 || r.StepSeconds <= 0 {
				t.Errorf("step record %+v", r)
			}
			var sq float64
			for _, g := range r.GradNorms {
				sq += g * g
			}
			if math.Abs(math.Sqrt(sq)-r.GradNorm) > 1e-12*r.GradNorm {
				t.Errorf("grad_norm %v, from the parameters' %v", r.GradNorm, math.Sqrt(sq))
			}
			if r.Step != 10 {
				continue
			}
			for name, ratio := range r.UpdateRatios {
				var d2, p2 float64
				for i, v := range kept[9][name] {
					d := kept[10][name][i] - v
					d2 += d * d
					p2 += v * v
				}
				if want := math.Sqrt(d2 / p2); math.Abs(ratio-want) > 1e-12*want {
					t.Errorf("%s: update ratio %v, from the parameters %v", name, ratio, want)
				}
				if g := math.Sqrt(d2) / lr; math.Abs(g-r.GradNorms[name]) > 0.01*g {
					t.Errorf("%s: gradient norm %v, from the update %v", name, r.GradNorms[name], g)
				}
			}
		case LogEpoch:
			epochs++
			// val_loss and val_accuracy; the training loss is the record's own.
			if r.Metrics["val_accuracy"] == 0 || r.Loss <= 0 || len(r.Metrics) != 2 || r.LR != lr {
				t.Errorf("epoch record %+v", r)
			}
		}
	}
	if steps != 8 || epochs != 2 { // 80 steps, the last of each epoch of 10 rows (1258 = 39·32 + 10)
		t.Errorf("%d step and %d epoch records, want 8 and 2", steps, epochs)
	}
}

// TestValEvery: the validation set is measured every N steps too.
func TestValEvery(t *testing.T) {
	cfg := digitsConfig(t, 1, 3)
	cfg.ValEvery = 15
	var at []int
	cfg.OnStep = func(info StepInfo) error {
		if info.Metrics != nil {
			if info.Metrics["val_accuracy"] <= 0 {
				t.Errorf("step %d: %v", info.GlobalStep, info.Metrics)
			}
			at = append(at, info.GlobalStep)
		}
		return nil
	}
	if _, err := Run(cfg); err != nil {
		t.Fatal(err)
	}
	if len(at) != 2 || at[0] != 15 || at[1] != 30 {
		t.Errorf("validated after steps %v, want 15 and 30", at)
	}
}

// TestOnStepStops: ErrStop from OnStep ends training after that step,
// with the final metrics; another error ends it with that error.
func TestOnStepStops(t *testing.T) {
	cfg := digitsConfig(t, 3, 3)
	cfg.OnStep = func(info StepInfo) error {
		if info.GlobalStep == 50 {
			return ErrStop
		}
		return nil
	}
	res, err := Run(cfg)
	if err != nil || res.Steps != 50 || res.Epochs != 1 || res.TestAccuracy == 0 {
		t.Errorf("stopped: %+v, %v", res, err)
	}
	boom := errors.New("boom")
	cfg = digitsConfig(t, 3, 3)
	cfg.OnStep = func(StepInfo) error { return boom }
	if _, err := RunContext(context.Background(), cfg); !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
}
