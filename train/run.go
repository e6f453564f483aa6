package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// Config is what Run needs. The graphs share Store, which must already hold
// the initialized (or loaded) params and states of all of them
// (runtime.InitParams on each graph).
type Config struct {
	// Step is the training-step graph (lowered with training=true and
	// completed by BuildStep): output "loss", and the updates of the params
	// and optimizer states. Its inputs are bound by name to the arrays of
	// Train ("x", "y").
	Step *ops.Graph
	// Forward (output "logits", [..., C]) and Loss (output "loss") are the
	// evaluation graphs, lowered with training=false. Either may be nil; they
	// may be the same graph. Accuracy compares the logits' argmax with the
	// array named Label.
	Forward, Loss *ops.Graph
	Store         *runtime.Store

	// Train is required; Val (evaluated after every epoch) and Test
	// (evaluated once at the end) may be nil.
	Train, Val, Test *data.Dataset
	// Label names the labels array for accuracy ("y" when empty).
	Label string
	// Mask, when not empty, names an array of the labels' shape whose
	// nonzero entries select the examples that count in accuracy (the
	// nodes of a graph's training, validation or test set).
	Mask string
	// FullBatch binds each of Train, Val and Test whole, in one run of a
	// graph: an epoch is one step on all of Train, and evaluation one run
	// over each set. Its arrays need not share a leading dimension (an
	// adjacency [N, N], node features [N, F], a mask [N]); BatchSize is
	// not used.
	FullBatch bool
	// Resample, when not nil, is called before every epoch (from 1) and
	// may change the values of Train's arrays in place, not their shapes
	// (text windows cut at a new random offset every epoch).
	Resample func(epoch int) error
	// Stream, when not nil, makes the training batches instead of Train's
	// rows: data read from disk through a shuffle buffer (data.Stream),
	// given the batch size, seed and Prep. Train then holds a sample of the
	// training data, for binding and the training-set metrics.
	Stream func(o data.PrefetchOptions) (*data.Stream, error)

	// Prep, when not nil, prepares each training batch in place (image
	// augmentation) after its rows are gathered. Batches are gathered and
	// prepared on a goroutine (data.Prefetch) while the step runs.
	Prep data.Prep

	BatchSize int // rows per step; the last batch of an epoch may be smaller
	Epochs    int
	// EvalBatchSize is the batch size of evaluation (256 when 0; negative
	// is an error).
	EvalBatchSize int
	// Seed drives the shuffling of every epoch and the random seed of every
	// step (dropout masks): the same seed gives the same training.
	Seed uint64
	// SkipTrainEval leaves out the evaluation of the training set after each
	// epoch (train_accuracy and the other training metrics), which costs a
	// forward pass over it; the epoch's training loss is then the mean of
	// its steps' losses only. The final training metrics are still
	// measured (unless SkipFinalTrainEval).
	SkipTrainEval bool
	// SkipFinalTrainEval leaves out the evaluation of the whole training
	// set after the last epoch (Result.TrainLoss and the other final
	// training metrics), a forward pass over it that for a large or
	// streamed training set takes about as long as an epoch's forward
	// passes: the Result then has no training metrics, unless the last
	// epoch measured them with the parameters kept (SkipTrainEval off).
	SkipFinalTrainEval bool
	// Metrics names the metrics evaluation measures besides the loss (see
	// Evaluator.SetMetrics); empty: accuracy.
	Metrics []string
	// ValEvery, when positive, also evaluates the validation set every
	// ValEvery steps (StepInfo.Metrics, the log); it is evaluated after
	// every epoch regardless.
	ValEvery int

	// Schedule, when not nil, sets the learning rate of every step: the
	// step graph's optimizer must read it from LRState (its LRState field),
	// into which the loop writes Rate() before each step; StepDone follows
	// each step and EpochDone, given the epoch's metrics, each epoch.
	Schedule *Schedule
	// LR is the optimizer's learning rate, reported (StepInfo, the log)
	// when there is no schedule; 0: none reported.
	LR float64
	// EarlyStop, when not nil, ends training once its monitored metric
	// stops improving (see EarlyStop).
	EarlyStop *EarlyStop
	// Checkpoint, when not nil, says when checkpoints are written; one is
	// also written when ctx is cancelled, at the step boundary where
	// training stops.
	Checkpoint *CheckpointPolicy
	// Resume, when not nil, continues the run that wrote this checkpoint:
	// its parameters and states are written into Store, and training goes
	// on from its position (epoch, batch within the epoch's seeded order,
	// step count and so the steps' random seeds, schedule, running loss,
	// early stopping). The result is bitwise that of the run it continues.
	// The caller checks that the checkpoint comes from the same model and
	// settings (Checkpoint.Compatible).
	Resume *Checkpoint

	// Log, when not nil, receives a record every LogEvery steps (1 when
	// 0) and one per epoch (see LogRecord), named RunName. Logged steps
	// also measure every parameter's update ratio and, when GradNorms is
	// given, the gradients' norms; other steps pay nothing for them.
	Log      *LogWriter
	LogEvery int
	RunName  string
	// GradNorms, when not nil, is a graph of the step's forward and
	// backward passes without updates, with an output "grad_sq:PATH" (the
	// sum of squares of PATH's gradient) per parameter (BuildGradNorms);
	// the loop runs it before a logged step, on the same batch with the
	// same seed, for the log's gradient norms.
	GradNorms *ops.Graph

	// Progress, when not nil, gets one line per epoch:
	//	epoch 3/20  loss 0.2312  train_acc 0.945  val_acc 0.951  1.2s
	Progress io.Writer
	// OnStep, when not nil, is called after every step. Returning ErrStop
	// ends training after that step (the final metrics are measured); any
	// other error ends it with that error.
	OnStep func(StepInfo) error
	// AfterEpoch, when not nil, is called after each epoch's evaluation
	// (and its checkpoint), to follow the run or to stop it early by
	// returning ErrStop.
	AfterEpoch func(EpochStats) error

	// CheckNumerics checks the value of every op of every step
	// (runtime.NumericsOptions.Check): the first op giving NaN or an
	// infinity from finite operands stops training, before the step's
	// updates, with a *runtime.NumericsError naming the op, its position,
	// its operands' ranges, the step and the batch's rows. Without it, a
	// step whose loss is NaN or infinite stops before its updates and is
	// run again (same batch, same seed, no updates) with the checks on, to
	// report the same.
	CheckNumerics bool
	// CheckStep, when not nil, makes the graphs the checks run: the step
	// (and, with accumulation, the micro-batch graph) with every op its own
	// kernel (no fusion), so that a report names the op as written; they
	// must bind the same inputs, params and states as Step (and
	// StepOptions.Micro). With CheckNumerics, they are the graphs training
	// runs. Nil: the checks run Step and StepOptions.Micro. A batch that
	// only accumulates its gradients is checked, and run again when its
	// loss is not finite, as any other.
	CheckStep func() (StepGraphs, error)
	// WarnGradNorm, when positive, writes a warning to Warnings (else
	// Progress) after every step in which the gradient norm of a param
	// exceeds it, naming the step and those params. Step must then have
	// an output GradSqOutput+name (the sum of the squared gradient) for
	// each param.
	WarnGradNorm float64
	Warnings     io.Writer

	// StepOptions, when not nil, are the settings Step was built with
	// (BuildStep): the loop runs their Micro graph (optimized like Step)
	// for the batches that only accumulate gradients (Accumulate), and
	// recomputes their pruning masks after the updates Prune.Due names.
	StepOptions *StepOptions
	// Sampler, when not nil, draws the rows of every epoch (see
	// BalancedSampler) instead of shuffling them.
	Sampler *BalancedSampler
}

// GradSqOutput prefixes the names of the step graph's outputs holding the
// sum of the squares of a param's gradient (Config.WarnGradNorm).
const GradSqOutput = "grad_sq:"

// StepInfo describes a step just completed (Config.OnStep).
type StepInfo struct {
	// Epoch is the epoch (from 1) of Epochs; Step the step within it
	// (from 1) of Steps; GlobalStep the steps of the run so far.
	Epoch, Epochs int
	Step, Steps   int
	GlobalStep    int
	// Samples are the step's examples, EpochSamples the epoch's so far.
	Samples      int
	EpochSamples int
	// Loss is the step's loss, RunningLoss the epoch's mean so far.
	Loss, RunningLoss float64
	// LR is the learning rate the step used (0 without a schedule).
	LR float64
	// Elapsed is the time since the epoch started.
	Elapsed time.Duration
	// Metrics holds the validation metrics measured after this step
	// (Config.ValEvery), else nil.
	Metrics map[string]float64
}

// ErrStop, returned by Config.AfterEpoch, ends training after that epoch
// without error.
var ErrStop = errors.New("train: stop")

// EpochStats describe one finished epoch.
type EpochStats struct {
	Epoch int // from 1
	// Loss is the mean of the epoch's steps' losses, weighted by their
	// rows: measured in training mode (dropout on) while the parameters
	// changed from step to step, so it is not the final Result.TrainLoss,
	// which measures the training set again in evaluation mode with the
	// final parameters.
	Loss  float64
	Train Metrics // evaluation of the training set (zero when skipped)
	Val   Metrics // evaluation of the validation set (zero without one)
	// Metrics holds the epoch's measurements by name: "train_loss" (Loss,
	// the mean of the steps' losses), the training set's evaluation
	// ("train_accuracy", ...) unless skipped, the validation set's
	// ("val_loss", "val_accuracy", ...).
	Metrics map[string]float64
	// Steps and Samples count the epoch's steps and examples (those of
	// the whole epoch when it was resumed); LR is the learning rate of its
	// last step (0 without a schedule).
	Steps    int
	Samples  int
	LR       float64
	Duration time.Duration
	// Improved says the early-stopping monitor improved this epoch.
	Improved bool
}

// Result holds the final metrics of a run: loss and accuracy on the
// training set, the validation set and the test set. It marshals to a JSON
// object with the measured metrics only: {"test_accuracy": 0.97,
// "test_loss": 0.11, ...}.
type Result struct {
	// TrainLoss and TrainAccuracy ("train_loss", "train_accuracy") are the
	// whole training set measured once after the last epoch in evaluation
	// mode (dropout off) with the final parameters: not the history's
	// per-epoch "train_loss", the mean of an epoch's step losses measured
	// in training mode while the parameters changed. Without evaluation
	// graphs (a loss-only entry) TrainLoss is the last epoch's mean step
	// loss; with Config.SkipFinalTrainEval they are not measured (0, and
	// absent from the metrics) unless the last epoch measured them.
	TrainLoss, TrainAccuracy float64
	ValLoss, ValAccuracy     float64
	TestLoss, TestAccuracy   float64
	Epochs                   int // epochs completed (a resumed run counts those before it)
	Steps                    int // steps completed (likewise)
	Duration                 time.Duration
	// History has the epochs this call ran.
	History []EpochStats
	// Checkpoint is the last checkpoint written ("" when none).
	Checkpoint string
	// StoppedEarly says early stopping ended training; BestEpoch is the
	// epoch whose parameters were restored (0 when none were).
	StoppedEarly bool
	BestEpoch    int
	// Confusion is the test set's confusion matrix when the metrics
	// include "confusion", else nil.
	Confusion [][]int64
	// Parallel, in data-parallel training (StepOptions.Parallel), is
	// where this rank's steps spent their time.
	Parallel *ParallelTimes
	metrics  map[string]float64
}

// Metrics returns the measured metrics keyed "train_loss", "train_accuracy",
// "val_loss", "val_accuracy", "test_loss", "test_accuracy", and the other
// metrics chosen ("test_f1_macro", ...).
func (r Result) Metrics() map[string]float64 {
	out := make(map[string]float64, len(r.metrics))
	for k, v := range r.metrics {
		out[k] = v
	}
	return out
}

// MarshalJSON writes Metrics as one JSON object, keys sorted; NaN and the
// infinities are written as the strings "NaN", "Inf" and "-Inf", as nnc
// writes them everywhere.
func (r Result) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(r.metrics))
	for k, v := range r.metrics {
		switch {
		case math.IsNaN(v):
			m[k] = "NaN"
		case math.IsInf(v, 1):
			m[k] = "Inf"
		case math.IsInf(v, -1):
			m[k] = "-Inf"
		default:
			m[k] = v
		}
	}
	return json.Marshal(m)
}

func (r *Result) record(prefix string, m Metrics, loss, acc *float64) {
	for k, v := range m.Values {
		r.metrics[prefix+"_"+k] = v
	}
	if m.HasLoss {
		*loss = m.Loss
		r.metrics[prefix+"_loss"] = m.Loss
	}
	if m.HasAccuracy {
		*acc = m.Accuracy
		r.metrics[prefix+"_accuracy"] = m.Accuracy
	}
}

// Run trains: for each epoch it shuffles Train (seeded), runs the step graph
// on every batch, then evaluates the training set (unless SkipTrainEval)
// and the validation set and prints a progress line; at the end it
// evaluates the test set. Before the first step, every data set is checked
// against the graphs that will read it (arrays, element types, labels and
// ids in range), so that a bad label in the test data is reported before
// training. A NaN or infinite loss stops training with an error naming the
// epoch and step. It is RunContext with a context that is never cancelled.
func Run(cfg Config) (*Result, error) { return RunContext(context.Background(), cfg) }

// RunContext is Run, stopped by ctx. ctx is checked before every step and
// every evaluation batch, and inside them between kernel steps
// (runtime.Session.RunContext); once it is cancelled, RunContext writes a
// checkpoint (when Config.Checkpoint is set) of the position reached and
// returns with the result so far (Epochs: the epochs completed, Steps: the
// steps completed, History, Checkpoint; no final metrics) and an error
// wrapping ctx.Err() that says where training stopped. A step cancelled
// while it runs applies no update, so Store holds the parameters after the
// last completed step (a step whose fused optimizer update has begun runs
// to its end and counts as completed). Every other error comes with a nil
// result.
func RunContext(ctx context.Context, cfg Config) (*Result, error) {
	l, err := newLoop(ctx, cfg)
	if err != nil {
		abortParallel(ctx, &cfg, err) // parallel_loop.go
		return nil, err
	}
	defer l.close()
	r, err := l.run()
	if err != nil {
		abortParallel(ctx, &cfg, err)
	}
	return r, err
}

// heldOutEvaluator returns the evaluator of cfg's evaluation graphs (nil
// without them), having checked the training, validation and test data, so
// that a bad label among them, or a missing labels array, is reported
// before training rather than after it.
func heldOutEvaluator(cfg Config) (*Evaluator, error) {
	if cfg.Forward == nil && cfg.Loss == nil {
		return nil, nil
	}
	ev, err := NewEvaluator(cfg.Forward, cfg.Loss, cfg.Store, cfg.Label, cfg.EvalBatchSize)
	if err != nil {
		return nil, err
	}
	ev.SetFullBatch(cfg.FullBatch)
	ev.SetMask(cfg.Mask)
	if err := ev.SetMetrics(cfg.Metrics); err != nil {
		return nil, err
	}
	if err := ev.check(cfg.Train); err != nil {
		return nil, fmt.Errorf("the training data: %w", err)
	}
	if cfg.Val != nil {
		if err := ev.check(cfg.Val); err != nil {
			return nil, fmt.Errorf("the validation data: %w", err)
		}
	}
	if cfg.Test != nil {
		if err := ev.check(cfg.Test); err != nil {
			return nil, fmt.Errorf("the test data: %w", err)
		}
	}
	return ev, nil
}

// evalFailed returns the error of an evaluation: a cancellation (with the
// result so far) or a failure (with none).
func evalFailed(ctx context.Context, stopped func(string, error) (*Result, error), what string, err error) (*Result, error) {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return stopped("while "+what, ctx.Err())
	}
	return nil, fmt.Errorf("%s: %w", what, err)
}

// progressLine formats "epoch 3/20  loss 0.2312  train_acc 0.945  val_acc 0.951  1.2s".
func progressLine(st EpochStats, epochs int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "epoch %d/%d  loss %.4f", st.Epoch, epochs, st.Loss)
	if st.Train.HasAccuracy {
		fmt.Fprintf(&sb, "  train_acc %.3f", st.Train.Accuracy)
	}
	if st.Val.HasAccuracy {
		fmt.Fprintf(&sb, "  val_acc %.3f", st.Val.Accuracy)
	}
	fmt.Fprintf(&sb, "  %.1fs", st.Duration.Seconds())
	return sb.String()
}

// stepSeed derives the random seed of step k from the run's seed
// (splitmix64), so that every step draws fresh dropout masks.
func stepSeed(seed uint64, k int) uint64 {
	z := seed + uint64(k+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// feed walks the training batches of an epoch: data.Prefetch over the
// rows of Train (gathered and prepared ahead, in the order data.Batches
// gives), or, for full-batch data, Train's arrays whole, once.
type feed struct {
	rows    batchSource
	whole   data.Batch
	done    bool
	sampled *sampledRows // Config.Sampler's epochs (balance.go), or nil
}

func newFeed(cfg Config) (*feed, error) {
	o := data.PrefetchOptions{Size: cfg.BatchSize, Shuffle: true, Seed: cfg.Seed, Prep: cfg.Prep}
	if cfg.Sampler != nil && cfg.Stream != nil {
		return nil, fmt.Errorf("train: a balanced sampler draws rows of the training data in memory; it cannot sample a stream")
	}
	if cfg.Sampler != nil {
		return sampledFeed(cfg, o)
	}
	if cfg.FullBatch {
		return &feed{whole: data.Batch{Size: 1, Arrays: cfg.Train.Arrays}}, nil
	}
	if cfg.Stream != nil {
		s, err := cfg.Stream(o)
		if err != nil {
			return nil, err
		}
		return &feed{rows: s}, nil
	}
	p, err := data.NewPrefetch(cfg.Train, o)
	if err != nil {
		return nil, err
	}
	return &feed{rows: p}, nil
}

// Start begins epoch e (from 0). The prefetching goroutine is not given
// the run's context: the loop checks it before every step, and Close stops
// the goroutine when the run returns.
func (f *feed) Start(e int) {
	if f.sampled != nil {
		f.sampled.start(f, e)
	}
	if f.rows != nil {
		f.rows.Start(context.Background(), e)
	}
	f.done = false
}

// Len is the number of batches of an epoch.
func (f *feed) Len() int {
	if f.rows != nil {
		return f.rows.Len()
	}
	return 1
}

// Next moves to the next batch and reports whether there was one.
func (f *feed) Next() bool {
	if f.sampled != nil && f.sampled.err != nil {
		return false
	}
	if f.rows != nil {
		return f.rows.Next()
	}
	ok := !f.done
	f.done = true
	return ok
}

// Batch is the batch Next moved to.
func (f *feed) Batch() *data.Batch {
	if f.rows != nil {
		return f.rows.Batch()
	}
	return &f.whole
}

// Err is the error that ended the epoch's batches early (a failed Prep),
// or nil.
func (f *feed) Err() error {
	if f.sampled != nil && f.sampled.err != nil {
		return f.sampled.err
	}
	if f.rows != nil {
		return f.rows.Err()
	}
	return nil
}

// Close stops the prefetching goroutine.
func (f *feed) Close() {
	if f.rows != nil {
		f.rows.Close()
	}
}

// batchSource is a data.Prefetch or a data.Stream.
type batchSource interface {
	Start(ctx context.Context, e int)
	Len() int
	Size() int
	Next() bool
	Batch() *data.Batch
	Err() error
	Order() []int
	Close()
}

// Rows are the dataset rows of batch b (nil for full-batch or streamed
// data).
func (f *feed) Rows(b *data.Batch) []int {
	if f.rows == nil || f.rows.Order() == nil {
		return nil
	}
	start := b.Index * f.rows.Size()
	if f.sampled != nil {
		return f.sampled.rows(f.rows.Order()[start : start+b.Size])
	}
	return f.rows.Order()[start : start+b.Size]
}
