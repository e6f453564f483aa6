package nnc

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/train"
)

// TestStepSettingsInvalid: every bad value of the step settings is an
// error at the value at fault (line:col), with its code, all of them
// together in the order of the block (the block gives data on line 14
// and the settings from line 15).
func TestStepSettingsInvalid(t *testing.T) {
	for _, c := range []struct {
		block string
		want  []string
	}{
		{"    clip_norm = -1", []string{"m.nn:15:17: train M: clip_norm: want a positive number, got -1"}},
		{"    clip_norm = 0\n    clip_value = \"x\"", []string{"m.nn:15:17: train M: clip_norm: want a positive number, got 0", `m.nn:16:18: train M: clip_value: want a number, got "x"`}},
		{"    ema = 1", []string{"m.nn:15:11: train M: ema: want a decay in (0, 1) such as 0.999, got 1"}},
		{"    ema = ema(decay = 1, start = -2)", []string{"m.nn:15:23: train M: ema: decay = 1: want a decay in (0, 1) such as 0.999",
			"m.nn:15:34: train M: ema: start = -2: want a number of updates from 0 to 1099511627776"}},
		{"    ema = ema(start = 10)", []string{"train M: ema: ema(...) needs decay = d"}},
		{"    ema = ema(decay = 0.9, warmup = 10)", []string{"m.nn:15:28: train M: ema: ema has no argument warmup"}},
		{"    ema = noise(decay = 0.9)", []string{"ema: want a decay such as 0.999 or ema(decay = 0.999, start = 2000), got noise(...)"}},
		{"    accumulate = 0", []string{"m.nn:15:18: train M: accumulate: want a number of batches from 1 to 1048576, got 0"}},
		{"    accumulate = 2.5", []string{"accumulate: want a number of batches"}},
		{"    sampler = \"random\"", []string{`m.nn:15:15: train M: sampler: want "balanced" or "shuffle", got "random"`}},
		{"    class_weights = \"auto\"", []string{`class_weights: want "balanced" or a list of weights`}},
		{"    class_weights = [1, -2]", []string{"m.nn:15:25: train M: class_weights: weight 1 is -2: want a non-negative number"}},
		{"    class_weights = [0, 0]", []string{"class_weights: every weight is 0"}},
		{"    groups = group(\"*.b\")", []string{`groups: group("*.b") sets nothing`}},
		{"    groups = [group(\"*.b\", weight_decay = 0), group(\"[\", lr = 1)]", []string{`groups: group("["): not a pattern`}},
		{"    groups = [group(weight_decay = 0)]", []string{"m.nn:15:15: train M: groups: group takes a parameter pattern in quotes first"}},
		{"    groups = [group(\"W\", gamma = 1)]", []string{"m.nn:15:26: train M: groups: group has no argument gamma"}},
		{"    optimizer = sgd(lr = 0.1)\n    groups = [group(\"W\", beta1 = 0.5)]", []string{`m.nn:16:14: train M: groups: group("W"): the optimizer has no setting beta1`}},
		{"    optimizer = adam()\n    groups = [group(\"W\", beta1 = 1)]", []string{`groups: group("W"): adam: betas must be in [0, 1)`}},
		{"    groups = adam()", []string{`groups: want group("pattern", setting = value, ...) or a list of them, got adam(...)`}},
		{"    noise = noise(input = -1, weight = \"a\")", []string{"m.nn:15:27: train M: noise: input = -1: want a non-negative standard deviation", `m.nn:15:40: train M: noise: weight = "a"`}},
		{"    noise = noise(sigma = 1)", []string{"m.nn:15:19: train M: noise: noise has no argument sigma"}},
		{"    noise = 0.1", []string{"noise: want noise(input = 0.1, weight = 0.01), got 0.1"}},
		{"    prune = prune(sparsity = 1.5, end = 10)", []string{"m.nn:15:30: train M: prune: sparsity = 1.5: want a fraction in (0, 1)"}},
		{"    prune = prune(sparsity = 0.5)", []string{"prune: prune needs end"}},
		{"    prune = prune(sparsity = 0.5, start = 10, end = 5)", []string{"prune: want 0 <= start <= end (steps), got start 10, end 5"}},
		{"    prune = prune(sparsity = 0.5, end = 5, scope = \"net\", every = 0)", []string{"every = 0: want a number of steps", `scope = "net": want "layer" or "global"`}},
		{"    clip_norm = -1\n    ema = 2\n    sampler = 3", []string{"clip_norm", "ema", "sampler"}},
	} {
		p, err := CompileFile(tinyModel(t, "    data = \"d.csv\"\n"+c.block))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Train(TrainOptions{})
		var list ErrorList
		if !errors.As(err, &list) || len(list) != len(c.want) {
			t.Errorf("%s: %v; want %d errors", c.block, err, len(c.want))
			continue
		}
		for i, want := range c.want {
			if !strings.Contains(list[i].Error(), want) || list[i].Code == "" {
				t.Errorf("%s: error %d is %q (code %q); want %q", c.block, i, list[i].Error(), list[i].Code, want)
			}
		}
	}
}

// stepBlock gives every step setting (the tiny model's W is f32[4, 2]).
const stepBlock = `    data = "d.csv"
    optimizer = adamw(lr = 0.05, weight_decay = 0.1)
    epochs = 3
    batch = 10
    clip_norm = 1.0
    clip_value = 0.5
    groups = [group("W", weight_decay = 0)]
    accumulate = 2
    ema = 0.9
    noise = noise(input = 0.01, weight = 0.001)
    class_weights = "balanced"
    sampler = "balanced"
    prune = prune(sparsity = 0.5, start = 1, end = 6, every = 2)`

// TestStepSettingsTrain trains with every step setting: the metrics are
// finite; the parameters written are the moving average, which carries
// the pruning's zeros (round(0.5·8) = 4); the same settings given as
// TrainOptions train bit for bit the same.
func TestStepSettingsTrain(t *testing.T) {
	path := tinyModel(t, stepBlock)
	p, err := CompileFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "w.safetensors")
	res, err := p.Train(TrainOptions{Output: out})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range res.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s = %v", k, v)
		}
	}
	w := loadParam(t, out, "W")
	zeros := 0
	for _, v := range w.F32 {
		if v == 0 {
			zeros++
		}
	}
	if zeros != 4 {
		t.Errorf("the saved W has %d zeros, want 4: %v", zeros, w.F32)
	}
	if res.Details.Steps != 3*7 {
		t.Errorf("%d steps, want 21 (7 batches of the 70 training rows a epoch)", res.Details.Steps)
	}

	// The same settings as options, over a block without them.
	plain := tinyModel(t, `    data = "d.csv"
    optimizer = adamw(lr = 0.05, weight_decay = 0.1)
    epochs = 3
    batch = 10`)
	q, err := CompileFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(t.TempDir(), "w.safetensors")
	settings := StepSettings{
		ClipNorm: 1, ClipValue: 0.5, Groups: []train.Group{{Pattern: "W", Set: map[string]float64{"weight_decay": 0}}},
		Accumulate: 2, EMA: 0.9, Noise: &train.Noise{Input: 0.01, Weight: 0.001}, ClassWeights: "balanced", Sampler: "balanced",
		Prune: &train.Prune{Sparsity: 0.5, Start: 1, End: 6, Every: 2, Scope: train.ScopeLayer},
	}
	res2, err := q.Train(TrainOptions{Output: out2, StepSettings: settings})
	if err != nil {
		t.Fatal(err)
	}
	settings.EMA = 0
	out3 := filepath.Join(t.TempDir(), "w.safetensors")
	if _, err := q.Train(TrainOptions{Output: out3, StepSettings: settings}); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(loadParam(t, out3, "W").F32, w.F32) {
		t.Error("the parameters written with a moving average are those written without")
	}
	if !slices.Equal(loadParam(t, out2, "W").F32, w.F32) {
		t.Errorf("options: W %v, block: %v", loadParam(t, out2, "W").F32, w.F32)
	}
	for k, v := range res.Metrics {
		if res2.Metrics[k] != v {
			t.Errorf("%s: %v with options, %v with the block", k, res2.Metrics[k], v)
		}
	}
}

func loadParam(t *testing.T, path, name string) *Tensor {
	t.Helper()
	m, err := data.LoadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if m[name] == nil {
		t.Fatalf("%s has no %s", path, name)
	}
	return m[name]
}

// TestDesignExamplesClipNorm: the design's char_lstm.nn and tiny_gpt.nn
// (testdata/stability, copied as written) have train blocks that check,
// with clip_norm = 1.0; char_lstm with a data block trains with it, and
// the clipping changes what it learns.
func TestDesignExamplesClipNorm(t *testing.T) {
	for _, name := range []string{"char_lstm.nn", "tiny_gpt.nn"} {
		p, err := CompileFile(filepath.Join("testdata", "stability", name))
		if err != nil {
			t.Fatal(err)
		}
		s, err := p.settings("TrainOptions", "")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if so, _, err := s.stepOptions(&train.SGD{LR: 1}, &StepSettings{}); err != nil || so.ClipNorm != 1 {
			t.Errorf("%s: clip_norm %v (%v), want 1", name, so.ClipNorm, err)
		}
	}
	var losses []float64
	for _, clip := range []float64{0, 1e-3} {
		p, err := CompileFile(filepath.Join("testdata", "stability", "char_lstm_data.nn"))
		if err != nil {
			t.Fatal(err)
		}
		p.SetModelArgs(map[string]any{"dim": 8, "hidden": 16})
		res, err := p.Train(TrainOptions{Epochs: 1, StepSettings: StepSettings{ClipNorm: clip}})
		if err != nil {
			t.Fatal(err)
		}
		l := res.Metrics["train_loss"]
		if math.IsNaN(l) || math.IsInf(l, 0) {
			t.Fatalf("clip %v: train_loss %v", clip, l)
		}
		losses = append(losses, l)
	}
	if losses[0] == losses[1] {
		t.Errorf("clip_norm = 1e-3 trains as clip_norm = 1: loss %v", losses[0])
	}
}

// TestEMAOff: TrainOptions.EMA = -1 turns the block's ema off (with its
// start): the metrics and parameters of a block without one, bit for bit;
// an average that starts after the run's last update is a copy of the
// weights, so its run ends as one without an average too.
func TestEMAOff(t *testing.T) {
	const base = "    data = \"d.csv\"\n    optimizer = adam(lr = 0.05)\n    epochs = 2\n    batch = 10\n"
	run := func(block string, opts TrainOptions) ([]float32, map[string]float64) {
		t.Helper()
		p, err := CompileFile(tinyModel(t, base+block))
		if err != nil {
			t.Fatal(err)
		}
		opts.Output = filepath.Join(t.TempDir(), "w.safetensors")
		res, err := p.Train(opts)
		if err != nil {
			t.Fatal(err)
		}
		return loadParam(t, opts.Output, "W").F32, res.Metrics
	}
	wantW, want := run("", TrainOptions{})
	for name, c := range map[string]struct {
		block string
		opts  TrainOptions
	}{
		"off":        {"    ema = ema(decay = 0.9, start = 3)", TrainOptions{StepSettings: StepSettings{EMA: -1}}},
		"late start": {"    ema = ema(decay = 0.9, start = 1000)", TrainOptions{}},
	} {
		w, m := run(c.block, c.opts)
		if !slices.Equal(w, wantW) {
			t.Errorf("%s: W = %v, want %v", name, w, wantW)
		}
		for k, v := range want {
			if m[k] != v && !(math.IsNaN(v) && math.IsNaN(m[k])) {
				t.Errorf("%s: %s = %v, want %v", name, k, m[k], v)
			}
		}
	}
	// With the average on, the parameters written differ.
	if w, _ := run("    ema = 0.5", TrainOptions{}); slices.Equal(w, wantW) {
		t.Error("ema = 0.5 wrote the weights themselves")
	}
}
