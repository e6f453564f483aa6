package nnc

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/internal/safefile"
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
	Optimizer string  // "sgd", "adam", "adamw", "rmsprop", "adagrad", "lion", or a call written as in a train block ("sgd(lr = 0.1, momentum = 0.9)"); "": the block's, default adam(lr = 1e-3)
	Seed      *uint64 // initialization, shuffling and dropout; nil: the block's seed, default 0
	Data      string  // a data set by name ("digits", "mnist") or a file (CSV, NPZ, NPY, IDX, ...); "": the block's data
	Split     Split   // the training, validation and test fractions; zero: the block's split, default 0.7/0.15/0.15
	// Seeds trains the model once per seed, Seed, Seed+1, ..., and
	// summarizes every final metric over the runs (TrainResult.Seeds,
	// Spread; train_seeds.go); 0: the block's seeds, default 1 (one run).
	Seeds int
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
	// TextContext is the context of text(...) data's validation and test
	// windows, over the block's context = (0: the block's; negative: none,
	// every position of windows that do not overlap scored); see
	// docs/data.md, "Sequences".
	TextContext int
	// Shapes gives sizes to shape variables of the inputs that are not the
	// batch axis (T of ids: i32[B, T]); a variable the data gives (text
	// windows' seq) need not be given.
	Shapes map[string]int
	Output string // write the trained parameters here (.safetensors), a text\'s vocabulary at VocabPath(Output) and the preprocess statistics at data.PreprocessPath(Output); "": not written
	// Progress gets one line per epoch (and rematerialization's choice);
	// nil for none. A ProgressReporter gets the steps and epochs as
	// events instead (nnc train's progress bar).
	Progress io.Writer
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
	// DataParallel trains on emulated shards or on the ranks of a job
	// (train_dist.go, docs/distributed.md).
	DataParallel

	// Entry names the method minimized ("loss"); "": the block's entry.
	Entry string
	// Schedule, EarlyStop and Checkpoint are the train block's keys of
	// those names, written as in a train block and replacing the block's:
	// "cosine(warmup = 100, min_lr = 1e-5)", "early_stop(patience = 3)",
	// "checkpoint(every = \"500 steps\", keep = 3)"; "none" turns the
	// block's off; "": the block's (docs/language.md lists them).
	Schedule   string
	EarlyStop  string
	Checkpoint string
	// Metrics replaces the block's metrics ("accuracy", "f1",
	// "perplexity", ...; see docs/language.md); nil: the block's, else
	// accuracy.
	Metrics []string
	// EvalTrain, when not nil, says whether the training set is measured
	// in evaluation mode after every epoch (the block's eval_train);
	// without it an epoch's training metrics are the mean of its steps'
	// losses.
	EvalTrain *bool
	// NoFinalTrainEval leaves out the final measurement of the training
	// set: after the last epoch Train measures the whole training set in
	// evaluation mode with the final parameters (the final "train_loss",
	// "train_accuracy", ...), a forward pass over all of it that for a
	// large or streamed training set takes about as long as an epoch's
	// forward passes. With it the final metrics have no training values,
	// unless the last epoch measured them with the parameters kept
	// (EvalTrain), which then cost nothing more.
	NoFinalTrainEval bool
	// ValEvery and LogEvery replace the block's val_every (measure the
	// validation set every N steps too) and log_every (steps between the
	// log's step records); 0: the block's.
	ValEvery int
	LogEvery int
	// CheckpointDir is where checkpoints are written: over the block's
	// checkpoint(dir = ...); default the directory of Output, else
	// "checkpoints". When a directory is known, a cancelled run writes a
	// checkpoint where it stops, even without the checkpoint setting.
	CheckpointDir string
	// Resume continues the run that wrote this checkpoint, bitwise as if
	// it had not stopped: the same model and settings (the epochs may be
	// more, unless a schedule spans the run), else an error saying what
	// differs.
	Resume string
	// InitFrom starts from the parameters of this checkpoint or
	// parameters file, with fresh states and optimizer (fine-tuning).
	InitFrom string
	// Freeze replaces the train block's freeze: the sub-models or
	// parameter paths ("teacher", "encoder.l1") that get no gradient and
	// no update (docs/language.md, "Frozen sub-models"); an empty, non-nil
	// list freezes nothing; nil: the block's.
	Freeze []string
	// InitFromOptions says how InitFrom's parameters file is read: its
	// naming (From "torch" reads a PyTorch state_dict, the states such as
	// batch norm's running statistics included), renames, extras and dtype
	// conversion (see LoadParamsWith). The zero value reads nnc's own files.
	InitFromOptions ParamsOptions
	// Log writes the training log here (JSON Lines, train.LogRecord: one
	// record every LogEvery steps and one per epoch), appended to when
	// resuming.
	Log string
	// Context, when not nil, stops training as TrainContext's context does
	// (either stops it).
	Context context.Context
	// OnStep and OnEpoch, when not nil, are called after every step and
	// every epoch; returning ErrStopTraining ends training there (the final
	// metrics are measured), any other error ends it with that error.
	OnStep  func(StepEvent) error
	OnEpoch func(EpochEvent) error
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
	case o.WarnGradNorm < 0 || math.IsNaN(o.WarnGradNorm) || math.IsInf(o.WarnGradNorm, 0):
		return &OptionError{Option: "TrainOptions.WarnGradNorm", Value: strconv.FormatFloat(o.WarnGradNorm, 'g', -1, 64), Msg: "want a positive, finite gradient norm (0: no warnings)"}
	case o.Remat && o.CheckNumerics:
		return errRematNumerics
	case o.Seq < 0:
		return fmt.Errorf("TrainOptions.Seq is %d: want a positive window length (0: the train block's)", o.Seq)
	case o.ValEvery < 0 || o.LogEvery < 0:
		return fmt.Errorf("TrainOptions.ValEvery (%d) and LogEvery (%d): want a positive number of steps (0: the train block's)", o.ValEvery, o.LogEvery)
	case o.Seeds < 0 || o.Seeds > maxSeeds:
		return fmt.Errorf("TrainOptions.Seeds is %d: want a number of seeds from 1 to %d (0: the train block's)", o.Seeds, maxSeeds)
	case o.MaxDataBytes < 0:
		return fmt.Errorf("TrainOptions.MaxDataBytes is %d: want a positive number of bytes (0: the loaders' default)", o.MaxDataBytes)
	case o.Optimizer != "" && !strings.Contains(o.Optimizer, "(") && !slices.Contains(optimizerNames, o.Optimizer):
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
	r.seq, r.context = o.Seq, o.TextContext
	return r
}

// VocabPath is where Train writes the vocabulary of a text data set beside
// the parameters written to output: "m.safetensors" gives
// "m.vocab.json", which text(..., vocab = "m.vocab.json") reads back.
func VocabPath(output string) string {
	return strings.TrimSuffix(output, ".safetensors") + ".vocab.json"
}

// optimizerNames are the optimizers a train block or TrainOptions may name.
var optimizerNames = []string{"sgd", "adam", "adamw", "rmsprop", "adagrad", "lion"}

// TrainResult is the outcome of Train.
type TrainResult struct {
	// Metrics holds the final measurements: "train_loss", "train_accuracy",
	// "val_loss", "val_accuracy", "test_loss", "test_accuracy", and those of
	// the other metrics chosen ("test_f1_macro"). It is empty when training
	// was cancelled. The final train_* values measure the whole training
	// set in evaluation mode with the final parameters (see
	// train.Result.TrainLoss; none with NoFinalTrainEval), unlike the
	// per-epoch "train_loss" of Details.History, the mean of the epoch's
	// step losses in training mode.
	Metrics map[string]float64
	// Details has the per-epoch history, the number of steps run, the last
	// checkpoint written and the test set's confusion matrix.
	Details *train.Result
	// Seeds and Spread are set by a training with several seeds
	// (TrainOptions.Seeds > 1): each run's seed and final metrics, and each
	// metric's mean, deviation and range over them. Metrics then holds the
	// means, and Details is that of the last run.
	Seeds  []SeedRun
	Spread map[string]SeedStats
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

// TrainContext is Train, stopped by ctx (or opts.Context): when it is
// cancelled, training stops before its next step (or its next evaluation
// batch), writes a checkpoint of where it stopped when a checkpoint
// directory is known (TrainOptions.CheckpointDir), writes the parameters
// reached to opts.Output when that is set, and returns the result so far
// (the epochs and steps run, the checkpoint, no final metrics) with an
// error wrapping ctx.Err(). Cancelling is checked once before every step.
func (p *Program) TrainContext(ctx context.Context, opts TrainOptions) (res *TrainResult, err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return nil, errNoProgram
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	if opts.Output != "" && (opts.Comm == nil || opts.Comm.Rank() == 0) {
		if err := safefile.CheckWritable(opts.Output); err != nil { // before the training, not after
			return nil, err
		}
	}
	ctx, cancel := mergeContext(ctx, opts.Context)
	defer cancel()
	if opts.Seeds != 1 {
		if n, base, ls, err := p.seedCount(&opts); err != nil {
			return nil, err
		} else if n > 1 {
			return p.trainSeeds(ctx, opts, ls, n, base)
		}
	}
	tr, err := p.prepareTraining(&opts)
	if err != nil {
		return nil, err
	}
	if err := p.parallelRun(tr, &opts); err != nil { // train_dist.go
		return nil, err
	}
	cfg := train.Config{
		Step: tr.step, Forward: tr.fwd, Loss: tr.lossG, Store: tr.store,
		Train: tr.pd.train, Val: tr.pd.val, Test: tr.pd.test, Label: tr.pd.b.label, Mask: tr.pd.b.mask,
		FullBatch: tr.pd.fullBatch, Resample: tr.pd.resample, Stream: tr.pd.stream, Prep: tr.dp.batchPrep(tr.pd.b),
		BatchSize: tr.batch, Epochs: tr.epochs, Seed: tr.seed,
		CheckNumerics: opts.CheckNumerics, CheckStep: tr.checkStep, WarnGradNorm: opts.WarnGradNorm, Warnings: opts.Warnings,
		StepOptions: tr.so, Sampler: tr.smp,
	}
	facts := tr.facts(&opts)
	facts.settings = tr.s.runSettings(&opts, facts, tr.ls, p)
	lr, err := p.loopControls(tr.s, tr.ls, &opts, facts, &cfg)
	if err != nil {
		return nil, err
	}
	parallelControls(&opts, &cfg)
	r, runErr := train.RunContext(ctx, cfg)
	if err := lr.close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("closing the training log: %w", err)
	}
	if runErr != nil && r == nil {
		return nil, runErr
	}
	if opts.Output != "" {
		if err := tr.save(opts.Output); err != nil {
			return nil, err
		}
	}
	return &TrainResult{Metrics: r.Metrics(), Details: r}, runErr
}

// training is a run TrainContext prepared: its settings, data, graphs and
// store.
type training struct {
	s                *settings
	ls               loopSettings
	epochs, batch    int
	seed             uint64
	opt              train.Optimizer
	so               *train.StepOptions // opt and the step's other settings (train_stability.go)
	sampler          string
	smp              *train.BalancedSampler
	entry            string
	dp               *dataPrep
	pd               *preparedData
	step, fwd, lossG *ops.Graph
	low              *lang.Lowered
	checkStep        func() (train.StepGraphs, error)
	store            *runtime.Store
	saved            *runtime.Store // what Output gets (the moving average's weights, with ema)
	fz               *freezing      // freeze and init_from (train_freeze.go)
	shapes           map[string]int64
}

// prepareTraining reads the settings, loads and binds the data, builds
// the step and evaluation graphs and initializes the store (from
// opts.InitFrom's parameters when given).
func (p *Program) prepareTraining(opts *TrainOptions) (*training, error) {
	tr, err := p.prepareRun(opts)
	if err != nil {
		return nil, err
	}
	if err := tr.setParallel(opts); err != nil { // train_dist.go
		return nil, err
	}
	if err := p.buildTraining(tr, opts); err != nil {
		return nil, err
	}
	tr.store = runtime.NewStore()
	if err := runtime.InitParams(tr.store, tr.step, tr.seed); err != nil {
		return nil, err
	}
	if tr.fwd, tr.lossG, err = p.evalGraphsFor(tr.pd, tr.entry, opts.Shapes); err != nil {
		return nil, err
	}
	if tr.fwd, tr.lossG, tr.saved, err = p.stepRun(tr.so, tr.store, tr.low.Params, tr.fwd, tr.lossG); err != nil {
		return nil, err
	}
	if opts.InitFrom != "" {
		if err := initFrom(tr.store, tr.low, opts.InitFrom, opts.InitFromOptions, opts.MaxDataBytes); err != nil {
			return nil, err
		}
	}
	if err := tr.fz.load(tr.store, tr.low, opts.MaxDataBytes); err != nil {
		return nil, err
	}
	return tr, nil
}

// prepareRun reads the settings and the optimizer, and loads and binds
// the data.
func (p *Program) prepareRun(opts *TrainOptions) (*training, error) {
	tr := &training{}
	var err error
	if tr.s, tr.ls, err = p.trainSettings(opts); err != nil {
		return nil, err
	}
	s := tr.s
	if tr.epochs, err = s.int("epochs", opts.Epochs, 10); err != nil {
		return nil, err
	}
	if tr.batch, err = s.int("batch", opts.Batch, 32); err != nil {
		return nil, err
	}
	if opts.Seed != nil {
		tr.seed = *opts.Seed
	} else if v, err := s.int("seed", 0, 0); err != nil {
		return nil, err
	} else {
		tr.seed = uint64(v)
	}
	if tr.opt, err = s.optimizer(opts.Optimizer, opts.LR); err != nil {
		return nil, err
	}
	if tr.ls.schedule != nil {
		readLRState(tr.opt)
	}
	if tr.so, tr.sampler, err = s.stepOptions(tr.opt, &opts.StepSettings); err != nil { // train_stability.go
		return nil, err
	}
	if tr.fz, err = s.readFreezing(p.resolve); err != nil { // train_freeze.go
		return nil, err
	}
	if err := tr.fz.checkEMA(tr.so); err != nil {
		return nil, err
	}
	req := opts.dataRequest()
	req.seed, req.splitSeed = tr.seed, tr.seed
	tr.entry = s.model + "." + s.str("entry", "loss")
	if tr.dp, err = s.newDataPrep(opts, tr.seed); err != nil {
		return nil, err
	}
	if tr.pd, err = p.prepareData(s, req, tr.entry, opts.Inputs, opts.Labels, opts.Shapes, "TrainOptions.Shapes", tr.dp.fit); err != nil {
		return nil, err
	}
	if tr.smp, err = s.stepData(tr.so, tr.sampler, tr.pd, tr.seed); err != nil {
		return nil, err
	}
	return tr, nil
}

// buildTraining builds the step graph (and the graph the numerics checks
// run), rematerialized when asked.
func (p *Program) buildTraining(tr *training, opts *TrainOptions) error {
	var loss *ops.Node
	err := withShapes(opts.Shapes, tr.pd.b.shapes, func(sh map[string]int64) (err error) {
		tr.shapes = sh
		bs, check, err := p.trainingSteps(opts, tr.entry, tr.so, tr.fz, sh) // numerics.go
		if err != nil {
			return err
		}
		tr.step, tr.low, loss, tr.checkStep, tr.so.Micro = bs.step, bs.low, bs.loss, check, bs.micro
		return nil
	})
	if err != nil {
		return err
	}
	if opts.Remat {
		rows := tr.batch
		if tr.pd.fullBatch {
			rows = math.MaxInt
		}
		if tr.step, _, err = rematStep(tr.step, loss, tr.pd.train, rows, opts.MaxMemory, opts.Progress); err != nil {
			return err
		}
	}
	return nil
}

// facts are what the loop's controls need to know of the run.
func (tr *training) facts(opts *TrainOptions) loopFacts {
	steps := 1
	if !tr.pd.fullBatch {
		n := tr.pd.train.Len()
		steps = (n + tr.batch - 1) / tr.batch
	}
	updates := steps
	if tr.so != nil && tr.so.Accumulate > 1 {
		updates = (steps + tr.so.Accumulate - 1) / tr.so.Accumulate // the last group of an epoch may be smaller
	}
	return loopFacts{entry: tr.entry, opt: tr.opt, epochs: tr.epochs, batch: tr.batch, stepsPerEpoch: steps, updatesPerEpoch: updates,
		seed: tr.seed, hasVal: tr.pd.val != nil, lossG: tr.lossG, shapes: tr.shapes, low: tr.low, vocab: tr.pd.vocab}
}

// save writes the trained parameters to output, with the run's seed in
// the header (metaSeed: Eval draws a split that depends on it from it),
// and beside them a text's vocabulary and the preprocessing statistics.
func (tr *training) save(output string) error {
	meta := map[string]string{metaSeed: strconv.FormatUint(tr.seed, 10)}
	if err := saveParams(tr.saved, append(tr.low.Params, tr.low.States...), output, meta); err != nil {
		return err
	}
	if tr.pd.vocab != nil {
		if err := data.SaveVocab(VocabPath(output), tr.pd.vocab); err != nil {
			return err
		}
	}
	return tr.dp.save(output, tr.pd.b)
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
