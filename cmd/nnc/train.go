package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/nnclang/nnc"
)

func cmdTrain(args []string, stdout, stderr io.Writer) (err error) {
	fs := newFlagSet("train")
	var o nnc.TrainOptions
	fs.StringVar(&o.Model, "model", "", "the model to train (default: the one with a train block)")
	fs.IntVar(&o.Epochs, "epochs", 0, "epochs, from 1 (overrides the train block)")
	fs.IntVar(&o.Batch, "batch", 0, "batch size, from 1 (overrides the train block)")
	fs.Float64Var(&o.LR, "lr", 0, "learning rate, positive (overrides the optimizer's)")
	fs.StringVar(&o.Optimizer, "optimizer", "", "sgd, adam, adamw, rmsprop, adagrad or lion, or a call as a train block writes it, 'sgd(lr = 0.1, momentum = 0.9)' (overrides the train block)")
	seed := fs.Uint64("seed", 0, "seed for initialization, shuffling and dropout (default: the train block's, else 0)")
	fs.IntVar(&o.Seeds, "seeds", 0, "train once per seed, --seed, --seed+1, ..., and report each metric's mean, standard deviation, min and max (seeds; -o P writes P.seedK.safetensors per seed)")
	fs.StringVar(&o.Data, "data", "", dataHelp)
	fs.Var(splitFlag{&o.Split}, "split", splitHelp)
	bindFlags(fs, &o.Inputs, &o.Labels, &o.Shapes)
	fs.IntVar(&o.Seq, "seq", 0, "the window length of text data, from 1 (overrides the data block's seq)")
	contextFlag(fs, &o.TextContext)
	fs.StringVar(&o.Output, "o", "", "write the trained parameters to this .safetensors file (and a text's vocabulary beside it)")
	asJSON := fs.Bool("json", false, "print the final metrics as one JSON object on stdout")
	quiet := fs.Bool("quiet", false, "no progress lines")
	fs.BoolVar(&o.Remat, "remat", false, "recompute forward values in the backward pass to fit --max-memory (bitwise-identical results)")
	fs.BoolVar(&o.AllowNonFinite, "allow-nonfinite", false, "accept NaN and infinite feature values in a data file")
	fs.BoolVar(&o.CheckNumerics, "check-numerics", false, "check every op's values at every step (unfused): stop at the first op giving NaN or Inf from finite operands, naming its file:line:col")
	fs.Float64Var(&o.WarnGradNorm, "warn-grad-norm", 0, "warn (on stderr) after each step in which a parameter's gradient norm exceeds this positive number")
	memoryFlag(fs, "the most memory one plan (a training step, an evaluation) may take, e.g. 2MB, and with --remat the step's budget (default: $"+envMaxMemory+", else the memory available)")
	steps := addStepFlags(fs, &o.StepSettings) // train_step_flags.go
	loop := addLoopFlags(fs, &o)
	dp := addDistFlags(fs, &o) // train_dist.go
	file, err := parseFile(fs, args, stderr)
	if err != nil {
		return err
	}
	if err := trainFlags(fs, &o); err != nil {
		return err
	}
	if err := steps.parse(fs); err != nil {
		return err
	}
	if err := loop.parse(fs); err != nil {
		return err
	}
	leave, stdout, err := dp.parse(fs, stdout, quiet)
	if err != nil {
		return err
	}
	defer func() { leave(err) }()
	if given(fs)["seed"] {
		o.Seed = seed
	}
	o.Warnings = stderr
	if !*quiet {
		out := stdout
		if *asJSON {
			out = stderr
		}
		o.Progress = newTrainProgress(out, loop.every)
	}
	p, err := compileFile(file)
	if err != nil {
		return err
	}
	ctx, stop := interruptible(stderr)
	defer stop()
	res, err := p.TrainContext(ctx, o)
	if pr, ok := o.Progress.(*trainProgress); ok {
		pr.p.Close()
	}
	if err != nil {
		if res != nil && errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "nnc train: interrupted: %v\n", err)
			if o.Seeds > 1 {
				fmt.Fprintf(stderr, "the runs of %d of %d seeds were done; a checkpoint resumes with its run's --seed, without --seeds\n", len(res.Seeds), o.Seeds)
			} else if o.Output != "" {
				fmt.Fprintf(stderr, "parameters after %d steps written to %s\n", res.Details.Steps, o.Output)
			}
			if ck := res.Details.Checkpoint; ck != "" {
				fmt.Fprintf(stderr, "checkpoint written to %s: continue with --resume %s\n", ck, ck)
			}
			return errReported
		}
		return err
	}
	if res.Seeds != nil {
		return printSeeds(stdout, res, *asJSON)
	}
	dp.report(stderr, res, *quiet)
	if res.Details.StoppedEarly {
		fmt.Fprintf(stderr, "stopped early after epoch %d; the parameters of epoch %d kept\n", res.Details.Epochs, res.Details.BestEpoch)
	}
	if *asJSON {
		return writeJSON(stdout, withConfusion(res.Metrics, res.Details.Confusion))
	}
	fmt.Fprintln(stdout, finalLine(res.Metrics))
	printConfusion(stdout, res.Details.Confusion)
	if o.Output != "" {
		fmt.Fprintf(stdout, "parameters written to %s\n", o.Output)
	}
	return nil
}

// trainFlags checks the values of train's flags that the command line set:
// a value that cannot be used is a usage error, never the default. It sets
// the memory limit (--max-memory, else NNC_MAX_MEMORY); --max-memory is also
// the budget of --remat.
func trainFlags(fs *flag.FlagSet, o *nnc.TrainOptions) error {
	for _, err := range []error{
		nonEmpty(fs, "model", "data", "o", "optimizer", "labels"),
		positiveInt(fs, "epochs", o.Epochs),
		positiveInt(fs, "seeds", o.Seeds),
		positiveInt(fs, "batch", o.Batch),
		positiveInt(fs, "seq", o.Seq),
		positiveFloat(fs, "lr", o.LR),
		positiveFloat(fs, "warn-grad-norm", o.WarnGradNorm),
	} {
		if err != nil {
			return err
		}
	}
	switch o.Optimizer {
	case "", "sgd", "adam", "adamw", "rmsprop", "adagrad", "lion":
	default:
		if !strings.Contains(o.Optimizer, "(") {
			return usagef("--optimizer is sgd, adam, adamw, rmsprop, adagrad or lion, or a call such as 'sgd(lr = 0.1)', not %q", o.Optimizer)
		}
	}
	n, err := setMemoryLimit(fs)
	if err != nil {
		return err
	}
	if o.Remat {
		o.MaxMemory = n
	}
	if o.Remat && o.CheckNumerics {
		return usagef("--remat with --check-numerics: every checked step runs unfused and without rematerialization, so --remat would not apply; give one of them")
	}
	return nil
}

func cmdEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval")
	var o nnc.EvalOptions
	fs.StringVar(&o.Model, "model", "", "the model (default: the one with a train block)")
	fs.StringVar(&o.Params, "params", "", "trained parameters (.safetensors)")
	fs.StringVar(&o.Data, "data", "", "the data set to measure, whole: a file (read as the train block's data constructor reads its file) or a set by name (its test set); default: the test set of the train block's data")
	fs.Var(splitFlag{&o.Split}, "split", "divide the data as train does and measure its test set: "+splitHelp)
	bindFlags(fs, &o.Inputs, &o.Labels, &o.Shapes)
	fs.IntVar(&o.Batch, "batch", 0, "evaluation batch size, from 1 (default 256)")
	contextFlag(fs, &o.TextContext)
	fs.Bool("json", true, "print the metrics as one JSON object (always on)")
	metrics := fs.String("metrics", "", "the metrics to measure besides the loss, NAME,... (accuracy, top5_accuracy, precision, recall, f1, auc, mae, rmse, r2, perplexity, ...; default: the train block's, else accuracy)")
	fs.BoolVar(&o.AllowNonFinite, "allow-nonfinite", false, "accept NaN and infinite feature values in a data file")
	seed := fs.Uint64("seed", 0, "the seed the parameters were trained with, for a split drawn with it (planetoid(..., seed = \"run\")); default: the one the parameters file records")
	memoryFlag(fs, memoryHelp)
	file, err := parseFile(fs, args, stderr)
	if err != nil {
		return err
	}
	if given(fs)["seed"] {
		o.Seed = seed
	}
	if err := nonEmpty(fs, "model", "data", "params", "labels"); err != nil {
		return err
	}
	if err := positiveInt(fs, "batch", o.Batch); err != nil {
		return err
	}
	if o.Params == "" {
		return usagef("--params is required")
	}
	if given(fs)["metrics"] {
		if o.Metrics, err = nameList("metrics", *metrics); err != nil {
			return err
		}
	}
	o.Progress = stderr
	if _, err := setMemoryLimit(fs); err != nil {
		return err
	}
	p, err := compileFile(file)
	if err != nil {
		return err
	}
	ctx, stop := interruptible(stderr)
	defer stop()
	r, err := p.EvalReport(ctx, o)
	if err != nil {
		return err
	}
	return writeJSON(stdout, withConfusion(r.Metrics, r.Confusion))
}

// withConfusion is the metrics as one JSON object with, when there is one,
// the test set's confusion matrix under "test_confusion_matrix" (row:
// label, column: prediction).
func withConfusion(m map[string]float64, c [][]int64) any {
	if c == nil {
		return m
	}
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out["test_confusion_matrix"] = c
	return out
}

// printConfusion prints the test set's confusion matrix, a row per label.
func printConfusion(w io.Writer, c [][]int64) {
	if c == nil {
		return
	}
	fmt.Fprintln(w, "test confusion matrix (row: label, column: prediction):")
	for _, row := range c {
		fmt.Fprintln(w, strings.Trim(fmt.Sprint(row), "[]"))
	}
}

// finalLine is train's last line: the test set's metrics, else the
// validation set's, else the training set's (measured in evaluation mode
// after the last epoch), each saying which set it is.
func finalLine(m map[string]float64) string {
	for _, set := range []struct{ key, name string }{{"test", "test"}, {"val", "validation"}} {
		loss, hasLoss := m[set.key+"_loss"]
		acc, hasAcc := m[set.key+"_accuracy"]
		switch {
		case hasAcc && hasLoss:
			return fmt.Sprintf("%s accuracy %.4f  %s loss %.4f", set.name, acc, set.name, loss)
		case hasLoss:
			return fmt.Sprintf("%s loss %.4f", set.name, loss)
		}
	}
	loss, ok := m["train_loss"]
	if !ok {
		return "no final metrics (no validation or test set, and the training set was not measured: --no-final-train-eval)"
	}
	if acc, ok := m["train_accuracy"]; ok {
		return fmt.Sprintf("training accuracy %.4f  training loss %.4f (no validation or test set)", acc, loss)
	}
	return fmt.Sprintf("training loss %.4f (no validation or test set)", loss)
}

// exitProcess ends the process (a variable for tests).
var exitProcess = os.Exit

// interruptible returns a context that the first SIGINT or SIGTERM
// cancels (the command stops at its next step); a second one removes the
// temporary files of writes in progress and exits at once with status 130.
// stop ends the handling.
func interruptible(stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	done := make(chan struct{})
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sig:
			fmt.Fprintf(stderr, "nnc: %v: stopping after the current step (again to abort)\n", s)
			cancel()
		case <-done:
			return
		}
		select {
		case <-sig:
			n := nnc.RemoveTempFiles()
			fmt.Fprintf(stderr, "nnc: aborted (%d unfinished files removed)\n", n)
			exitProcess(130)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sig)
		close(done)
		cancel()
	}
}
