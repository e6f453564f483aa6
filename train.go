package nnc

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/train"
)

// TrainOptions override the settings of a model's train block. The zero
// value of a field means "not given": the block's setting, or else the
// default given with the field, applies. A value no setting can take is an
// error that Train returns before it does any work: a negative Epochs, Batch,
// MaxMemory or MaxDataBytes, an LR that is negative, NaN or infinite, an
// unknown Optimizer, a Split that is given and fails Split.Check.
type TrainOptions struct {
	Model     string  // the model to train; default: the first with a train block
	Epochs    int     // 0: the block's epochs, default 10
	Batch     int     // 0: the block's batch, default 32
	LR        float64 // 0: the optimizer's learning rate
	Optimizer string  // "sgd", "adam" or "adamw"; "": the block's, default adam(lr = 1e-3)
	Seed      *uint64 // initialization, shuffling and dropout; nil: the block's seed, default 0
	Data      string  // a data set by name ("digits", "mnist") or a file (CSV, NPZ, NPY, IDX, ...); "": the block's data
	Split     Split   // the training, validation and test fractions; zero: the block's split, default 0.7/0.15/0.15
	// Inputs binds arrays of the data to inputs of the entry by name
	// ({"ids": "x"}), over the block's inputs = {...}; an input bound by
	// neither reads the array of its own name.
	Inputs map[string]string
	// Labels names the labels accuracy compares with: an input of the entry
	// or an array of the data; "": the block's labels, else the input bound
	// to the data's labels ("y", a graph's labels).
	Labels string
	// Seq is the window length of text(...) data, over the block's seq
	// (0: the block's).
	Seq int
	// Shapes gives sizes to shape variables of the inputs that are not the
	// batch axis (T of ids: i32[B, T]); a variable the data gives (text
	// windows' seq) need not be given.
	Shapes   map[string]int
	Output   string    // write the trained parameters here (.safetensors), a text\'s vocabulary at VocabPath(Output) and the preprocess statistics at data.PreprocessPath(Output); "": not written
	Progress io.Writer // one line per epoch; nil for none
	// Remat recomputes forward values in the backward pass instead of
	// keeping them, to fit MaxMemory bytes (0: the smallest peak found);
	// results are bitwise the same (see remat.go).
	Remat     bool
	MaxMemory int64
	// AllowNonFinite accepts NaN and infinite feature values in a data file
	// (CSV or NPZ); by default the first one is an error naming the file and
	// its row (and column, for CSV) when the data is loaded.
	AllowNonFinite bool
	// MaxDataBytes bounds what the data file may decode to (its arrays, and
	// the bytes a compressed file inflates to); 0: data.DefaultMaxBytes(), a
	// share of the memory available.
	MaxDataBytes int64
	// CheckNumerics checks the value of every op at every step, in a
	// step graph whose ops each run as their own kernel (no fusion; the
	// results agree with the fused step within rounding): the first op
	// giving NaN or an infinity from finite operands stops training with a
	// *NumericsError naming its file:line:col, the op, its operands'
	// ranges, the step and the batch's rows. Without it, a step whose loss
	// is NaN or infinite stops before its updates and is run again that
	// way (same batch, same seed) to give the same report.
	CheckNumerics bool
	// WarnGradNorm, when positive, writes a warning to Warnings after every
	// step in which a param's gradient norm exceeds it, naming the step and
	// the params (the norms are computed only when it is set).
	WarnGradNorm float64
	// Warnings receives the warnings of WarnGradNorm; nil: Progress.
	Warnings io.Writer
	// Preprocess replaces the scaling of the block's preprocess setting:
	// "standardize" or "minmax" (of the array x unless the block names
	// others), or "none" for no preprocessing; "": the block's. The
	// statistics are written beside Output (data.PreprocessPath).
	Preprocess string
	// NoAugment trains without the block's augment setting.
	NoAugment bool
	// StepSettings override clip_norm, clip_value, groups, accumulate,
	// ema, noise, prune, class_weights and sampler (train_stability.go).
	StepSettings
}

// check reports the fields no setting can take.
func (o *TrainOptions) check() error {
	switch {
	case o.Epochs < 0:
		return fmt.Errorf("TrainOptions.Epochs is %d: want a positive number of epochs (0: the train block's)", o.Epochs)
	case o.Batch < 0:
		return fmt.Errorf("TrainOptions.Batch is %d: want a positive batch size (0: the train block's)", o.Batch)
	case math.IsNaN(o.LR) || math.IsInf(o.LR, 0) || o.LR < 0:
		return fmt.Errorf("TrainOptions.LR is %v: want a positive, finite learning rate (0: the optimizer's)", o.LR)
	case o.MaxMemory < 0:
		return fmt.Errorf("TrainOptions.MaxMemory is %d: want a positive number of bytes (0: no budget)", o.MaxMemory)
	case o.Seq < 0:
		return fmt.Errorf("TrainOptions.Seq is %d: want a positive window length (0: the train block's)", o.Seq)
	case o.MaxDataBytes < 0:
		return fmt.Errorf("TrainOptions.MaxDataBytes is %d: want a positive number of bytes (0: the loaders' default)", o.MaxDataBytes)
	case o.Optimizer != "" && !slices.Contains(optimizerNames, o.Optimizer):
		return fmt.Errorf("TrainOptions.Optimizer is %q: want one of %s", o.Optimizer, strings.Join(optimizerNames, ", "))
	case !slices.Contains([]string{"", "none", "standardize", "minmax"}, o.Preprocess):
		return fmt.Errorf("TrainOptions.Preprocess is %q: want standardize, minmax or none (\"\": the train block's)", o.Preprocess)
	}
	return checkSplitOption("TrainOptions.Split", o.Split)
}

// dataRequest is the data set, split and loaders' options Train loads.
func (o *TrainOptions) dataRequest() dataRequest {
	r := dataRequest{src: o.Data, split: o.Split, opts: data.Options{AllowNonFinite: o.AllowNonFinite, MaxBytes: o.MaxDataBytes}}
	if o.Seed != nil {
		r.seed = *o.Seed
	}
	r.seq = o.Seq
	return r
}

// VocabPath is where Train writes the vocabulary of a text data set beside
// the parameters written to output: "m.safetensors" gives
// "m.vocab.json", which text(..., vocab = "m.vocab.json") reads back.
func VocabPath(output string) string {
	return strings.TrimSuffix(output, ".safetensors") + ".vocab.json"
}

// optimizerNames are the optimizers a train block or TrainOptions may name.
var optimizerNames = []string{"sgd", "adam", "adamw"}

// TrainResult is the outcome of Train.
type TrainResult struct {
	// Metrics holds the final measurements: "train_loss", "train_accuracy",
	// "val_loss", "val_accuracy", "test_loss", "test_accuracy". It is empty
	// when training was cancelled.
	Metrics map[string]float64
	// Details has the per-epoch history and the number of steps run.
	Details *train.Result
}

// trainKeys are the settings a train block may give.
var trainKeys = []string{"augment", "batch", "data", "entry", "epochs", "inputs", "labels", "optimizer", "preprocess", "seed", "split"}

// Train trains a model of the program with its train block's settings,
// overridden by opts, on the data divided by the split (opts.Split, else
// the block's, else DefaultSplit; see Split) and returns the final metrics. It is TrainContext with a context that is never
// cancelled.
func (p *Program) Train(opts TrainOptions) (*TrainResult, error) {
	return p.TrainContext(context.Background(), opts)
}

// TrainContext is Train, stopped by ctx: when ctx is cancelled, training
// stops before its next step (or its next evaluation batch), writes the
// parameters reached to opts.Output when that is set, and returns the result
// so far (the epochs and steps run, no final metrics) with an error wrapping
// ctx.Err(). Cancelling is checked once before every step.
func (p *Program) TrainContext(ctx context.Context, opts TrainOptions) (res *TrainResult, err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return nil, errNoProgram
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	s, err := p.settings("TrainOptions", opts.Model)
	if err != nil {
		return nil, err
	}
	epochs, err := s.int("epochs", opts.Epochs, 10)
	if err != nil {
		return nil, err
	}
	batch, err := s.int("batch", opts.Batch, 32)
	if err != nil {
		return nil, err
	}
	seed := uint64(0)
	if opts.Seed != nil {
		seed = *opts.Seed
	} else if v, err := s.int("seed", 0, 0); err != nil {
		return nil, err
	} else {
		seed = uint64(v)
	}
	opt, err := s.optimizer(opts.Optimizer, opts.LR)
	if err != nil {
		return nil, err
	}
	so, sampler, err := s.stepOptions(opt, &opts.StepSettings) // train_stability.go
	if err != nil {
		return nil, err
	}
	req := opts.dataRequest()
	req.seed = seed
	entry := s.model + "." + s.str("entry", "loss")
	dp, err := s.newDataPrep(&opts, seed)
	if err != nil {
		return nil, err
	}
	pd, err := p.prepareData(s, req, entry, opts.Inputs, opts.Labels, opts.Shapes, "TrainOptions.Shapes", dp.fit)
	if err != nil {
		return nil, err
	}
	smp, err := s.stepData(so, sampler, pd, seed)
	if err != nil {
		return nil, err
	}
	var step *ops.Graph
	var low *lang.Lowered
	var loss *ops.Node
	var checkStep func() (*ops.Graph, error)
	err = withShapes(opts.Shapes, pd.b.shapes, func(sh map[string]int64) (err error) {
		step, low, loss, err = p.buildStepShapes(entry, so, sh)
		if err == nil {
			step, loss, checkStep, err = p.numericsSteps(&opts, entry, so, sh, step, loss)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if opts.Remat {
		rows := batch
		if pd.fullBatch {
			rows = math.MaxInt
		}
		if step, _, err = rematStep(step, loss, pd.train, rows, opts.MaxMemory, opts.Progress); err != nil {
			return nil, err
		}
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, step, seed); err != nil {
		return nil, err
	}
	fwd, lossG, err := p.evalGraphsFor(pd, entry, opts.Shapes)
	if err != nil {
		return nil, err
	}
	fwd, lossG, saved, err := p.stepRun(so, store, low.Params, fwd, lossG)
	if err != nil {
		return nil, err
	}
	r, runErr := train.RunContext(ctx, train.Config{
		Step: step, Forward: fwd, Loss: lossG, Store: store,
		Train: pd.train, Val: pd.val, Test: pd.test, Label: pd.b.label, Mask: pd.b.mask,
		FullBatch: pd.fullBatch, Resample: pd.resample, Prep: dp.batchPrep(pd.b),
		BatchSize: batch, Epochs: epochs, Seed: seed, Progress: opts.Progress,
		CheckNumerics: opts.CheckNumerics, CheckStep: checkStep, WarnGradNorm: opts.WarnGradNorm, Warnings: opts.Warnings,
		StepOptions: so, Sampler: smp,
	})
	if runErr != nil && r == nil {
		return nil, runErr
	}
	if opts.Output != "" {
		if err := saveParams(saved, append(low.Params, low.States...), opts.Output); err != nil {
			return nil, err
		}
		if pd.vocab != nil {
			if err := data.SaveVocab(VocabPath(opts.Output), pd.vocab); err != nil {
				return nil, err
			}
		}
		if err := dp.save(opts.Output, pd.b); err != nil {
			return nil, err
		}
	}
	return &TrainResult{Metrics: r.Metrics(), Details: r}, runErr
}

// ModelArgNames lists the argument names of the program's models that have
// methods (the names SetModelArgs may set), sorted, each once; none for a nil
// or zero Program.
func (p *Program) ModelArgNames() []string {
	if !p.ok() {
		return nil
	}
	var out []string
	for _, e := range p.mod.Entries() {
		if model, _, ok := strings.Cut(e, "."); ok {
			for _, a := range p.mod.ModelArgs(model) {
				if !slices.Contains(out, a) {
					out = append(out, a)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// evalGraphs lowers the model's forward (output "logits") and its loss
// (output "loss") in inference mode, with values for shape variables
// (nil for none).
func (p *Program) evalGraphs(model, lossEntry string, shapes map[string]int64) (fwd, loss *ops.Graph, err error) {
	lf, err := p.lower(model+".forward", lang.LowerOptions{Shapes: shapes})
	if err != nil {
		return nil, nil, err
	}
	if len(lf.Outputs) != 1 {
		return nil, nil, fmt.Errorf("%s.forward must return the logits, one tensor", model)
	}
	lf.B.Output("logits", lf.Outputs[0])
	ll, err := p.lower(lossEntry, lang.LowerOptions{Shapes: shapes})
	if err != nil {
		return nil, nil, err
	}
	ll.B.Output("loss", ll.Outputs[0])
	if fwd, err = p.optimize(lf.B.G); err != nil {
		return nil, nil, err
	}
	if loss, err = p.optimize(ll.B.G); err != nil {
		return nil, nil, err
	}
	return fwd, loss, nil
}

// evalGraphsFor lowers the evaluation graphs for the prepared data: with
// the shapes the options give (and the data's, when the entries need
// them). Without labels to compare with, forward is left out: evaluation
// measures the loss only.
func (p *Program) evalGraphsFor(pd *preparedData, entry string, given map[string]int) (fwd, loss *ops.Graph, err error) {
	err = withShapes(given, pd.b.shapes, func(sh map[string]int64) (err error) {
		if len(sh) == 0 {
			sh = nil
		}
		fwd, loss, err = p.evalGraphs(pd.b.model, entry, sh)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if pd.b.label == "" {
		fwd = nil
	}
	return fwd, loss, nil
}

func checkLoss(entry string, low *lang.Lowered) error {
	if len(low.Outputs) != 1 || len(low.Outputs[0].Type.Shape) != 0 || !low.Outputs[0].Type.DType.IsFloat() {
		return fmt.Errorf("%s: a training entry must return one float scalar (the loss)", entry)
	}
	return nil
}
