package main

import (
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/nnclang/nnc"
)

// loopFlags are train's flags of the training loop: the train block's
// schedule, metrics, early_stop, checkpoint, eval_train, val_every and
// log_every, and the checkpoint directory, resume, init-from, the log and
// the progress lines.
type loopFlags struct {
	o         *nnc.TrainOptions
	metrics   string
	freeze    string
	evalTrain bool
	every     int // --progress-every; -1: not given
	pf        paramFlags
}

// addLoopFlags registers the flags into fs, writing into o.
func addLoopFlags(fs *flag.FlagSet, o *nnc.TrainOptions) *loopFlags {
	f := &loopFlags{o: o, every: -1}
	fs.StringVar(&o.Entry, "entry", "", "the method minimized, which returns the loss (overrides the train block's entry; default loss)")
	fs.StringVar(&o.Schedule, "schedule", "", "the learning-rate schedule, as a train block writes it: 'cosine(warmup = 100, min_lr = 1e-5)', step(every = 2, gamma = 0.5), ...; none for a constant rate (schedule)")
	fs.StringVar(&f.metrics, "metrics", "", "the metrics measured besides the loss, NAME,...: accuracy, top5_accuracy, precision, recall, f1, confusion, auc, mae, rmse, r2, perplexity, nats_per_token, bits_per_token (metrics)")
	fs.StringVar(&o.EarlyStop, "early-stop", "", "stop when a metric stops improving: 'monitor = \"val_loss\", patience = 3, min_delta = 0, restore_best = true'; none to turn the block's off (early_stop)")
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "write checkpoints: 'every = \"500 steps\", keep = 3, best = \"val_loss\"' (every = N epochs, or \"N steps\"); none to turn the block's off (checkpoint)")
	fs.BoolVar(&f.evalTrain, "eval-train", false, "measure the training set's metrics in evaluation mode after every epoch (eval_train); without it an epoch's training loss is the mean of its steps'")
	fs.BoolVar(&o.NoFinalTrainEval, "no-final-train-eval", false, "skip the final measurement of the whole training set in evaluation mode (a forward pass over it; long for a large or streamed set): the final metrics then have no train_* values unless --eval-train measured them in the last epoch")
	fs.IntVar(&o.ValEvery, "val-every", 0, "measure the validation set every N steps too (val_every)")
	fs.IntVar(&o.LogEvery, "log-every", 0, "steps between the log's step records (log_every; default: 20 an epoch, at least 10 steps apart)")
	fs.StringVar(&o.CheckpointDir, "checkpoint-dir", "", "where checkpoints go (default: the checkpoint setting's dir, else the directory of -o, else checkpoints/ beside the .nn file); a run stopped by SIGINT writes one there")
	fs.StringVar(&o.Resume, "resume", "", "continue the run that wrote this checkpoint, bitwise as if it had not stopped (the same model and settings; more epochs allowed)")
	fs.StringVar(&o.InitFrom, "init-from", "", "start from the parameters of this checkpoint or parameters file, with a fresh optimizer (fine-tuning); --from, --rename, --allow-extra and --convert say how the file is read")
	f.pf.define(fs)
	fs.StringVar(&o.Log, "log", "", "write the training log (JSON Lines: losses, metrics, learning rate, gradient norms, update ratios, step time, memory) to this file; nnc plot draws it")
	fs.StringVar(&o.Preprocess, "preprocess", "", "standardize, minmax or none: the scaling of the block's preprocess setting (of x unless the block names other arrays)")
	fs.BoolVar(&o.NoAugment, "no-augment", false, "train without the block's augment setting")
	fs.StringVar(&f.freeze, "freeze", "", "the sub-models or parameter paths to train none of, NAME,...: teacher, encoder.l1; none to freeze nothing (freeze; init_from loads them)")
	fs.IntVar(&f.every, "progress-every", -1, "off a terminal, print a line every N steps (0: epochs only; default: 10 an epoch for epochs of 100 steps or more)")
	return f
}

// parse checks the flags the command line set and fills in the options
// they give.
func (f *loopFlags) parse(fs *flag.FlagSet) error {
	set := given(fs)
	for _, err := range []error{
		nonEmpty(fs, "entry", "schedule", "metrics", "early-stop", "checkpoint", "checkpoint-dir", "resume", "init-from", "log"),
		positiveInt(fs, "val-every", f.o.ValEvery),
		positiveInt(fs, "log-every", f.o.LogEvery),
	} {
		if err != nil {
			return err
		}
	}
	if p := f.o.Preprocess; set["preprocess"] && p != "standardize" && p != "minmax" && p != "none" {
		return usagef("--preprocess is standardize, minmax or none, not %q", p)
	}
	if set["progress-every"] && f.every < 0 {
		return usagef("--progress-every is a number of steps from 0, got %d", f.every)
	}
	if set["metrics"] {
		m, err := nameList("metrics", f.metrics)
		if err != nil {
			return err
		}
		f.o.Metrics = m
	}
	if set["eval-train"] {
		f.o.EvalTrain = &f.evalTrain
	}
	if set["freeze"] {
		f.o.Freeze = []string{}
		if v := strings.TrimSpace(f.freeze); v != "none" {
			for _, part := range strings.Split(v, ",") {
				f.o.Freeze = append(f.o.Freeze, strings.TrimSpace(part))
			}
		}
	}
	f.o.EarlyStop = callOf("early_stop", f.o.EarlyStop)
	f.o.Checkpoint = callOf("checkpoint", f.o.Checkpoint)
	if f.o.Resume != "" && f.o.InitFrom != "" {
		return usagef("--resume continues a run, --init-from starts a new one from its parameters: give one")
	}
	po, poSet, err := f.pf.options()
	if err != nil {
		return err
	}
	if poSet && f.o.InitFrom == "" {
		return usagef("--from, --rename, --allow-extra and --convert say how --init-from's file is read: give --init-from")
	}
	f.o.InitFromOptions = po
	return nil
}

// callStart matches a value that is already a call, "early_stop(...".
var callStart = regexp.MustCompile(`^\s*[A-Za-z_][A-Za-z0-9_]*\s*\(`)

// callOf writes a flag's value as the call of name a train block writes:
// "patience = 3" becomes "early_stop(patience = 3)"; a call, "none" and
// "" are kept.
func callOf(name, v string) string {
	if v == "" || v == "none" || callStart.MatchString(v) {
		return v
	}
	return name + "(" + v + ")"
}

// nameList reads a flag's list of names, NAME,NAME,...
func nameList(flagName, v string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if !identifier.MatchString(part) {
			return nil, usagef("--%s is a list of names NAME,NAME,..., got %q", flagName, v)
		}
		out = append(out, part)
	}
	return out, nil
}

// trainProgress shows a training run on the command line with
// progress.go's renderer: a bar on a terminal, plain lines elsewhere. It
// is the run's nnc.ProgressReporter; other lines (rematerialization's
// choice) clear the bar first.
type trainProgress struct {
	p    *progress
	auto bool // off a terminal, choose the steps between lines from the epoch's length
}

// newTrainProgress follows a run on w; every is --progress-every (-1:
// not given).
func newTrainProgress(w io.Writer, every int) *trainProgress {
	var p *progress
	if f, ok := w.(*os.File); ok {
		p = newProgress(f, max(every, 0))
	} else {
		p = &progress{w: w, every: max(every, 0), width: columns(), now: time.Now}
	}
	return &trainProgress{p: p, auto: every < 0}
}

// Write writes a line, clearing a bar first.
func (t *trainProgress) Write(b []byte) (int, error) {
	t.p.Close()
	return t.p.w.Write(b)
}

// Step shows a step.
func (t *trainProgress) Step(e nnc.StepEvent) {
	if t.auto && !t.p.tty {
		t.p.every, t.auto = 0, false
		if e.Steps >= 100 {
			t.p.every = e.Steps / 10
		}
	}
	t.p.Step(e)
}

// Epoch shows an epoch's summary: its metrics but those of each class
// (f1_class7, ...), which the log and the final metrics hold.
func (t *trainProgress) Epoch(e nnc.EpochEvent) {
	m := make(map[string]float64, len(e.Metrics))
	for k, v := range e.Metrics {
		if !strings.Contains(k, "_class") {
			m[k] = v
		}
	}
	e.Metrics = m
	t.p.Epoch(e)
}
