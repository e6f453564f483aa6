package nnc

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainKeysErrors: every wrong setting of the loop's keys is
// reported, all together, each at its key's value or at the argument in
// it (file:line:col), sorted by position.
func TestTrainKeysErrors(t *testing.T) {
	file := tinyModel(t, `    data = "d.csv"
    schedule = cosine(warmup = -1, min = 2)
    metrics = ["accuracy", "f2", "accuracy", 3]
    early_stop = early_stop(patience = 1.5, restore_best = "yes")
    checkpoint = checkpoint(every = "3 weeks", keep = -1)
    eval_train = 1
    val_every = 0
    log_every = "often"
    clip = 1.0
    schedule_x = step()`)
	_, err := CompileFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := CompileFile(file)
	_, err = p.Train(TrainOptions{})
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err = %v, want an ErrorList", err)
	}
	want := []string{
		`m.nn:15:32: train M: schedule: cosine: warmup = -1: want a whole number from 0 to 2147483647`,
		`m.nn:15:36: train M: schedule: cosine has no argument min (warmup, min_lr)`,
		`m.nn:16:28: train M: metrics: unknown metric "f2"`,
		`m.nn:16:34: train M: metrics: "accuracy" is named twice`,
		`m.nn:16:46: train M: metrics: want a metric's name in quotes, got 3`,
		`m.nn:17:40: train M: early_stop: patience = 1.5: want a whole number from 0 to 1073741824`,
		`m.nn:17:60: train M: early_stop: restore_best = "yes": want true or false`,
		`m.nn:18:37: train M: checkpoint: every = "3 weeks": want a number of epochs, or "N epochs" or "N steps"`,
		`m.nn:18:55: train M: checkpoint: keep = -1: want a whole number from 0 to 2147483647`,
		`m.nn:19:18: train M: eval_train: want true or false, got 1`,
		`m.nn:20:17: train M: val_every: want a positive number of steps, got 0`,
		`m.nn:21:17: train M: log_every: want a positive number of steps, got "often"`,
		`m.nn:22:5: train M: clip: unknown setting (known: `,
		`m.nn:23:5: train M: schedule_x: unknown setting`,
	}
	if len(list) != len(want) {
		t.Errorf("%d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i := range min(len(list), len(want)) {
		got := strings.TrimPrefix(list[i].Error(), strings.TrimSuffix(file, "m.nn"))
		if !strings.HasPrefix(got, want[i]) {
			t.Errorf("error %d:\n got %s\nwant %s...", i, got, want[i])
		}
	}
}

// TestTrainKeysOptions: the options that give the loop's keys are
// checked like the block's, their errors placed at the option; a syntax
// error says at which column of the value it is.
func TestTrainKeysOptions(t *testing.T) {
	file := tinyModel(t, `    data = "d.csv"`)
	p, err := CompileFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		o    TrainOptions
		want string
	}{
		{TrainOptions{Schedule: "cosine(warmup = "}, `TrainOptions.Schedule is "cosine(warmup = ": column 17: the value ends too soon`},
		{TrainOptions{Schedule: "cosine(warmup = 1) }"}, `TrainOptions.Schedule is "cosine(warmup = 1) }": want one value as a train block writes it, on one line (no braces)`},
		{TrainOptions{Schedule: "zigzag()"}, `TrainOptions.Schedule: train M: schedule: unknown schedule "zigzag"`},
		{TrainOptions{Metrics: []string{"f1", "nope"}}, `TrainOptions.Metrics: train M: metrics: unknown metric "nope"`},
		{TrainOptions{EarlyStop: "early_stop(monitor = \"val_acc\", patience = 2)", Split: Split{Train: 1}},
			`TrainOptions.EarlyStop: train M: early_stop: "val_acc" needs a validation set`},
		{TrainOptions{EarlyStop: "early_stop(monitor = \"train_accuracy\")"},
			`"train_accuracy" is measured only with eval_train = true`},
		{TrainOptions{Checkpoint: "checkpoint(every = 0)"}, `TrainOptions.Checkpoint: train M: checkpoint: every = 0`},
		{TrainOptions{Schedule: "cosine(warmup = 1000)", Epochs: 2}, `schedule cosine: warmup must be at least 0 and fewer than the 6 steps of the run, got 1000`},
		{TrainOptions{Optimizer: "adamw(lr = 2, weight_decay = 0.3)", Schedule: "one_cycle(max_lr = 4)"}, `the largest learning rate 4 times weight_decay 0.3 is at least 1`},
		{TrainOptions{Optimizer: "sgd(lr = 0.1, momentum = 2)"}, `sgd: momentum must be in [0, 1), got 2`},
	} {
		_, err := p.Train(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.o, err, c.want)
		}
	}
}

// TestTrainKeysAccepted: the design's train blocks with the loop's keys
// train, and the options turn the block's settings off or replace them.
func TestTrainKeysAccepted(t *testing.T) {
	file := tinyModel(t, `    data = "d.csv"
    batch = 10
    epochs = 4
    optimizer = adamw(lr = 3e-3, weight_decay = 0.1)
    schedule = cosine(warmup = 5, min_lr = 1e-5)
    metrics = ["loss", "accuracy", "f1"]
    early_stop = early_stop(monitor = "val_loss", patience = 3)
    eval_train = true
    val_every = 3`)
	p, err := CompileFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var lrs []float64
	var epochs []EpochEvent
	res, err := p.Train(TrainOptions{
		OnStep:  func(e StepEvent) error { lrs = append(lrs, e.LR); return nil },
		OnEpoch: func(e EpochEvent) error { epochs = append(epochs, e); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	// 70 rows in batches of 10: 7 steps an epoch, 28 in all; the warmup
	// rises by 3e-3/5 a step.
	if len(lrs) != 28 || math.Abs(lrs[0]-6e-4) > 1e-15 || lrs[4] != 3e-3 || !(lrs[27] < lrs[10]) {
		t.Errorf("rates %v", lrs)
	}
	if len(epochs) != 4 || epochs[0].Metrics["train_f1_macro"] == 0 || epochs[0].Metrics["val_f1_macro"] == 0 || epochs[0].Steps != 7 {
		t.Errorf("epochs %+v", epochs)
	}
	if _, ok := res.Metrics["test_f1_macro"]; !ok {
		t.Errorf("final metrics %v", res.Metrics)
	}
	off := false
	res, err = p.Train(TrainOptions{Schedule: "none", EarlyStop: "none", EvalTrain: &off, Metrics: []string{"loss"},
		OnEpoch: func(e EpochEvent) error {
			if _, ok := e.Metrics["train_accuracy"]; ok {
				t.Error("the training set was evaluated")
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Metrics["test_accuracy"]; ok || res.Metrics["test_loss"] == 0 {
		t.Errorf("metrics = [\"loss\"]: %v", res.Metrics)
	}
}

// TestDesignExamplesAccepted: the train blocks of the design's
// char_lstm.nn and tiny_gpt.nn (testdata/stability, copied as written)
// are accepted whole: every key, tiny_gpt's schedule = cosine(warmup =
// 100) and clip_norm included.
func TestDesignExamplesAccepted(t *testing.T) {
	for _, name := range []string{"char_lstm.nn", "tiny_gpt.nn"} {
		p, err := CompileFile(filepath.Join("testdata", "stability", name))
		if err != nil {
			t.Fatal(err)
		}
		s, ls, err := p.trainSettings(&TrainOptions{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if v, _ := s.value("clip_norm"); v != 1.0 {
			t.Errorf("%s: clip_norm %v", name, v)
		}
		if name == "tiny_gpt.nn" && (ls.schedule == nil || ls.schedule.Kind != "cosine" || ls.schedule.Warmup != 100) {
			t.Errorf("%s: schedule %+v", name, ls.schedule)
		}
	}
}

// TestDocsTrainBlocks: every train block of docs/language.md's nn examples
// is accepted as written (its settings checked as Train checks them before
// it reads data).
func TestDocsTrainBlocks(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("docs", "language.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for i, part := range strings.Split(string(text), "```nn\n")[1:] {
		src, _, _ := strings.Cut(part, "```")
		if !strings.Contains(src, "\ntrain ") {
			continue
		}
		p, err := Compile(fmt.Sprintf("language.md block %d", i+1), []byte(src))
		if err != nil {
			t.Errorf("block %d: %v", i+1, err)
			continue
		}
		for _, m := range p.mod.TrainModels() {
			blocks++
			if _, _, err := p.trainSettings(&TrainOptions{Model: m}); err != nil {
				t.Errorf("block %d, train %s: %v", i+1, m, err)
			}
		}
	}
	if blocks < 4 {
		t.Errorf("%d train blocks found in docs/language.md", blocks)
	}
}

// TestCheckpointDir: the block's checkpoint dir, and by default
// "checkpoints", are beside the .nn file (as its data files); best =
// writes NAME-best.safetensors.
func TestCheckpointDir(t *testing.T) {
	for _, c := range []struct{ block, dir string }{
		{`checkpoint(every = 2, keep = 1, best = "val_loss")`, "checkpoints"},
		{`checkpoint(every = "5 steps", dir = "ck")`, "ck"},
	} {
		file := tinyModel(t, `    data = "d.csv"
    batch = 10
    epochs = 4
    checkpoint = `+c.block)
		p, err := CompileFile(file)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Train(TrainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(filepath.Dir(file), c.dir)
		if filepath.Dir(res.Details.Checkpoint) != dir {
			t.Errorf("%s: the last checkpoint is %s, want one in %s", c.block, res.Details.Checkpoint, dir)
		}
		names, _ := os.ReadDir(dir)
		var got []string
		for _, n := range names {
			got = append(got, n.Name())
		}
		want := map[string]string{
			"checkpoints": "M-best.safetensors M-step000000028.safetensors",                                      // epochs 2 and 4 (7 steps each), keep 1
			"ck":          "M-step000000015.safetensors M-step000000020.safetensors M-step000000025.safetensors", // every 5 of 28 steps, keep 3 by default
		}[c.dir]
		if strings.Join(got, " ") != want {
			t.Errorf("%s: %v, want %s", c.block, got, want)
		}
	}
}
