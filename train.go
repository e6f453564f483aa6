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
	Model     string    // the model to train; default: the first with a train block
	Epochs    int       // 0: the block's epochs, default 10
	Batch     int       // 0: the block's batch, default 32
	LR        float64   // 0: the optimizer's learning rate
	Optimizer string    // "sgd", "adam" or "adamw"; "": the block's, default adam(lr = 1e-3)
	Seed      *uint64   // initialization, shuffling and dropout; nil: the block's seed, default 0
	Data      string    // a builtin data set ("digits") or a CSV, NPZ file; "": the block's data
	Split     Split     // the training, validation and test fractions; zero: the block's split, default 0.7/0.15/0.15
	Output    string    // write the trained parameters here (.safetensors); "": not written
	Progress  io.Writer // one line per epoch; nil for none
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
	case o.MaxDataBytes < 0:
		return fmt.Errorf("TrainOptions.MaxDataBytes is %d: want a positive number of bytes (0: the loaders' default)", o.MaxDataBytes)
	case o.Optimizer != "" && !slices.Contains(optimizerNames, o.Optimizer):
		return fmt.Errorf("TrainOptions.Optimizer is %q: want one of %s", o.Optimizer, strings.Join(optimizerNames, ", "))
	}
	return checkSplitOption("TrainOptions.Split", o.Split)
}

// dataRequest is the data set, split and loaders' options Train loads.
func (o *TrainOptions) dataRequest() dataRequest {
	return dataRequest{src: o.Data, split: o.Split, opts: data.Options{AllowNonFinite: o.AllowNonFinite, MaxBytes: o.MaxDataBytes}}
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
var trainKeys = []string{"batch", "data", "entry", "epochs", "optimizer", "seed", "split"}

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
	trainSet, valSet, testSet, err := p.loadData(s, opts.dataRequest())
	if err != nil {
		return nil, err
	}
	entry := s.model + "." + s.str("entry", "loss")

	step, low, loss, err := p.buildStep(entry, opt)
	if err != nil {
		return nil, err
	}
	if opts.Remat {
		if step, _, err = rematStep(step, loss, trainSet, batch, opts.MaxMemory, opts.Progress); err != nil {
			return nil, err
		}
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, step, seed); err != nil {
		return nil, err
	}
	fwd, lossG, err := p.evalGraphs(s.model, entry)
	if err != nil {
		return nil, err
	}
	r, runErr := train.RunContext(ctx, train.Config{
		Step: step, Forward: fwd, Loss: lossG, Store: store,
		Train: trainSet, Val: valSet, Test: testSet,
		BatchSize: batch, Epochs: epochs, Seed: seed, Progress: opts.Progress,
	})
	if runErr != nil && r == nil {
		return nil, runErr
	}
	if opts.Output != "" {
		if err := saveParams(store, append(low.Params, low.States...), opts.Output); err != nil {
			return nil, err
		}
	}
	return &TrainResult{Metrics: r.Metrics(), Details: r}, runErr
}

// EvalOptions say what Eval measures. The zero value of a field means "not
// given" and the default given with it applies; a negative Batch or
// MaxDataBytes, or a Split that is given and fails Split.Check, is an error.
type EvalOptions struct {
	Model  string // default: the first model with a train block
	Params string // trained parameters (.safetensors), required
	Data   string // default: the train block's data
	Batch  int    // 0: 256
	Split  Split  // the split whose test set is measured; zero: the block's split, default 0.7/0.15/0.15
	// AllowNonFinite and MaxDataBytes apply to the data file as in
	// TrainOptions: NaN and infinite features are refused unless allowed,
	// and MaxDataBytes (0: data.DefaultMaxBytes()) bounds its size.
	AllowNonFinite bool
	MaxDataBytes   int64
}

// dataRequest is the data set, split and loaders' options Eval loads.
func (o *EvalOptions) dataRequest() dataRequest {
	return dataRequest{src: o.Data, split: o.Split, opts: data.Options{AllowNonFinite: o.AllowNonFinite, MaxBytes: o.MaxDataBytes}}
}

// Eval measures trained parameters on the test set of the data (divided as
// Train divides it, by opts.Split, else the block's split, else
// DefaultSplit) and returns "test_loss" and "test_accuracy". It is
// EvalContext with a context that is never cancelled.
func (p *Program) Eval(opts EvalOptions) (map[string]float64, error) {
	return p.EvalContext(context.Background(), opts)
}

// EvalContext is Eval, stopped by ctx: when ctx is cancelled, evaluation
// stops before its next batch and returns an error wrapping ctx.Err().
func (p *Program) EvalContext(ctx context.Context, opts EvalOptions) (m map[string]float64, err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return nil, errNoProgram
	}
	if opts.Batch < 0 {
		return nil, fmt.Errorf("EvalOptions.Batch is %d: want a positive batch size (0: 256)", opts.Batch)
	}
	if opts.MaxDataBytes < 0 {
		return nil, fmt.Errorf("EvalOptions.MaxDataBytes is %d: want a positive number of bytes (0: the loaders' default)", opts.MaxDataBytes)
	}
	if opts.Params == "" {
		return nil, fmt.Errorf("EvalOptions.Params is required: the trained parameters (.safetensors)")
	}
	if err := checkSplitOption("EvalOptions.Split", opts.Split); err != nil {
		return nil, err
	}
	s, err := p.settings("EvalOptions", opts.Model)
	if err != nil {
		return nil, err
	}
	_, _, testSet, err := p.loadData(s, opts.dataRequest())
	if err != nil {
		return nil, err
	}
	if testSet == nil {
		return nil, s.noTestSet(opts.Split)
	}
	entry := s.model + "." + s.str("entry", "loss")
	fwd, lossG, err := p.evalGraphs(s.model, entry)
	if err != nil {
		return nil, err
	}
	tensors, err := data.LoadSafetensors(opts.Params)
	if err != nil {
		return nil, err
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, lossG, 0); err != nil {
		return nil, err
	}
	var leaves []*ops.Node
	leaves = append(append(leaves, lossG.Params()...), lossG.States()...)
	if err := setParams(store, leaves, tensors, opts.Params); err != nil {
		return nil, err
	}
	ev, err := train.NewEvaluator(fwd, lossG, store, "", opts.Batch)
	if err != nil {
		return nil, err
	}
	met, err := ev.EvaluateContext(ctx, testSet)
	if err != nil {
		return nil, err
	}
	return map[string]float64{"test_loss": met.Loss, "test_accuracy": met.Accuracy}, nil
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
// (output "loss") in inference mode.
func (p *Program) evalGraphs(model, lossEntry string) (fwd, loss *ops.Graph, err error) {
	lf, err := p.lower(model+".forward", lang.LowerOptions{})
	if err != nil {
		return nil, nil, err
	}
	if len(lf.Outputs) != 1 {
		return nil, nil, fmt.Errorf("%s.forward must return the logits, one tensor", model)
	}
	lf.B.Output("logits", lf.Outputs[0])
	ll, err := p.lower(lossEntry, lang.LowerOptions{})
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

func checkLoss(entry string, low *lang.Lowered) error {
	if len(low.Outputs) != 1 || len(low.Outputs[0].Type.Shape) != 0 || !low.Outputs[0].Type.DType.IsFloat() {
		return fmt.Errorf("%s: a training entry must return one float scalar (the loss)", entry)
	}
	return nil
}
