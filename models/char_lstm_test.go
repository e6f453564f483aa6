package models

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/tensor"
)

// The brief language-model runs train on the first 40,000 characters of
// tinyshakespeare (data/tinyshakespeare_40k.txt; 58 distinct characters in
// its training part) with small networks, the settings of the "small" runs
// of torch/char_lstm.py and torch/tiny_gpt.py.
const smallText = "data/tinyshakespeare_40k.txt"

// TestCharLSTM trains char_lstm.nn (dim 32, three layers of hidden 64,
// dropout 0.25) on the 40k slice for 6 epochs of windows of 32 (cosine
// schedule, warmup 10) and requires a validation loss of at most 2.95
// nats a character. PyTorch on the same slice, network and settings
// (torch/char_lstm.py small, torch/char_lstm_small.json) reaches 2.797,
// 2.818 and 2.879 over seeds 0-2: the threshold is its worst seed plus
// 0.07. The unigram entropy of the text is about 3.3 nats (3 epochs left
// the three-layer network at 3.12-3.23 in PyTorch, too near it for a
// check). It then samples from the trained model.
func TestCharLSTM(t *testing.T) {
	args := map[string]any{"vocab": 58, "dim": 32, "hidden": 64}
	p, params, res := trainSmall(t, "char_lstm.nn", args, 6)
	if v := res.Metrics["val_loss"]; !(v <= 2.95) {
		t.Errorf("validation loss %.4f nats/char > 2.95", v)
	}
	checkSample(t, p, params)
}

// TestCharLSTMFull trains char_lstm.nn with its train block on the whole
// of tinyshakespeare and requires the validation loss of issue 13, 1.40
// nats a character, measured as the block measures it (windows with 64
// characters of context, text(..., context = 64), as char-rnn's carried
// state measures it: 1.4116 against 1.4112 for the same parameters,
// models/README.md). Run with NNC_FULL=all (hours on the 2-core machine).
// The two-layer block of sessions 15-17 reached 1.4059 and failed it; the
// three-layer block since session 18 reached 1.389 (epoch 10 of 13).
func TestCharLSTMFull(t *testing.T) {
	fullRun(t, true)
	p, err := nnc.CompileFile("char_lstm.nn")
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Train(nnc.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Metrics["val_loss"]; !(v <= 1.40) {
		t.Errorf("validation loss %.4f nats/char > 1.40", v)
	}
}

// TestCharLSTMStep checks CharLM.step against CharLM.forward: stepping
// through a sequence from the zero states of the three layers gives, at every
// position, the logits forward gives there (up to 1e-5; dropout is off
// outside training), with the same random parameters.
func TestCharLSTMStep(t *testing.T) {
	p := compileWith(t, "char_lstm.nn", map[string]any{"vocab": 11, "dim": 8, "hidden": 16})
	ids := randomIDs(23, 11)
	hidden := tensor.New(tensor.F32, 1, 16)
	names := []string{"h1", "c1", "h2", "c2", "h3", "c3"}
	state := map[string]*nnc.Tensor{}
	for _, n := range names {
		state[n] = hidden
	}
	// The initial weights times 4, so that the logits vary after three
	// layers (as initialized they span 0.06).
	compareSteps(t, p, "CharLM", 4, ids, func(pos int, id int32) map[string]*nnc.Tensor {
		in := map[string]*nnc.Tensor{"ids": {DType: tensor.I32, Shape: []int{1}, I32: []int32{id}}}
		for _, n := range names {
			in[n] = state[n]
		}
		return in
	}, func(out []*nnc.Tensor) {
		for i, n := range names {
			state[n] = out[i+1]
		}
	})
}

// compileWith compiles a model file with model arguments.
func compileWith(t *testing.T, file string, args map[string]any) *nnc.Program {
	t.Helper()
	p, err := nnc.CompileFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p.SetModelArgs(args)
	return p
}

// trainSmall trains a language model briefly on the 40k slice and writes
// its parameters (and vocabulary) to a temporary folder.
func trainSmall(t *testing.T, file string, args map[string]any, epochs int) (*nnc.Program, string, *nnc.TrainResult) {
	t.Helper()
	p := compileWith(t, file, args)
	out := filepath.Join(t.TempDir(), "lm.safetensors")
	// TextContext -1: whole windows are scored, as the PyTorch runs the
	// thresholds come from score them; EMA -1: no moving average of the
	// weights (tiny_gpt.nn's block has one), as they have none.
	res, err := p.Train(nnc.TrainOptions{Data: smallText, Seq: 32, TextContext: -1, Epochs: epochs,
		Schedule: "cosine(warmup = 10, min_lr = 1e-4)", Output: out, StepSettings: nnc.StepSettings{EMA: -1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: val_loss %.4f, train_loss %.4f", file, res.Metrics["val_loss"], res.Metrics["train_loss"])
	return p, out, res
}

// randomIDs is n ids below v from a fixed generator.
func randomIDs(n, v int) []int32 {
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(r.IntN(v))
	}
	return ids
}

// compareSteps runs M.forward on ids as one row and M.step on each id in
// turn (inputs made by in, the state carried by keep) with the same
// parameters (the initial ones times scale), and requires equal logits at
// every position.
func compareSteps(t *testing.T, p *nnc.Program, model string, scale float32, ids []int32, in func(int, int32) map[string]*nnc.Tensor, keep func([]*nnc.Tensor)) {
	t.Helper()
	fwd, err := p.Func(model + ".forward")
	if err != nil {
		t.Fatal(err)
	}
	if err := fwd.InitParams(7); err != nil {
		t.Fatal(err)
	}
	for _, name := range fwd.Params() {
		v, _ := fwd.Param(name)
		w := &nnc.Tensor{DType: v.DType, Shape: v.Shape, F32: make([]float32, len(v.F32))}
		for i, x := range v.F32 {
			w.F32[i] = x * scale
		}
		if err := fwd.SetParam(name, w); err != nil {
			t.Fatal(err)
		}
	}
	step, err := p.Func(model + ".step")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range step.Params() {
		v, ok := fwd.Param(name)
		if !ok {
			t.Fatalf("forward has no parameter %s", name)
		}
		if err := step.SetParam(name, v); err != nil {
			t.Fatal(err)
		}
	}
	full, err := fwd.Run(map[string]*nnc.Tensor{"ids": {DType: tensor.I32, Shape: []int{1, len(ids)}, I32: ids}})
	if err != nil {
		t.Fatal(err)
	}
	V := full[0].Shape[2]
	if lo, hi := minMax(full[0].F32); !(hi-lo > 0.1) {
		t.Fatalf("forward's logits span [%v, %v]: the check needs varied logits", lo, hi)
	}
	worst := 0.0
	for i, id := range ids {
		out, err := step.Run(in(i, id))
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		keep(out)
		for j := range V {
			d := math.Abs(float64(out[0].F32[j] - full[0].F32[i*V+j]))
			worst = max(worst, d)
			if d > 1e-5 {
				t.Fatalf("position %d, logit %d: step gives %v, forward %v", i, j, out[0].F32[j], full[0].F32[i*V+j])
			}
		}
	}
	lo, hi := minMax(full[0].F32)
	t.Logf("%d positions, logits in [%.3g, %.3g], largest difference %.2g", len(ids), lo, hi, worst)
}

// checkSample samples from trained parameters: the same seed gives the same
// text, another seed another text, every character from the vocabulary.
func checkSample(t *testing.T, p *nnc.Program, params string) {
	t.Helper()
	o := nnc.SampleOptions{Params: params, Prompt: "ROMEO:", Length: 120, Temperature: 0.8, TopK: 40, Seed: 1}
	a, err := p.Sample(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Sample(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	o.Seed = 2
	c, err := p.Sample(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seed 1 (%.0f tokens/s): %q", a.TokensPerSecond, a.Text)
	if a.Text != b.Text {
		t.Errorf("the same seed gave two texts:\n%q\n%q", a.Text, b.Text)
	}
	if a.Text == c.Text {
		t.Errorf("seeds 1 and 2 gave the same text %q", a.Text)
	}
	v, err := data.LoadVocab(nnc.VocabPath(params))
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := strings.CutPrefix(a.Text, "ROMEO:")
	if !ok || a.Generated != 120 || len([]rune(rest)) != 120 {
		t.Fatalf("want the prompt and 120 characters, got %d generated: %q", a.Generated, a.Text)
	}
	for i, r := range rest {
		if _, ok := v.ID(string(r)); !ok {
			t.Errorf("character %q at byte %d is not in the vocabulary", r, i)
		}
	}
}

// minMax is the smallest and largest of xs.
func minMax(xs []float32) (lo, hi float32) {
	lo, hi = xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}
