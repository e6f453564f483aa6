package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/tensor"
)

// loop is one run of RunContext: the bound graphs and the position of
// training, which a checkpoint saves and Config.Resume restores.
type loop struct {
	ctx      context.Context
	cfg      Config
	step     *bound
	num      *numerics     // runs the step and checks it (Config.CheckNumerics, WarnGradNorm)
	hooks    *stepHooks    // Config.StepOptions: accumulation, pruning
	par      *parallelStep // StepOptions.Parallel: data-parallel steps (parallel_loop.go)
	norms    *bound        // Config.GradNorms, when logging
	ev       *Evaluator
	batches  *feed
	perEpoch int // batches per epoch
	res      *Result
	start    time.Time

	// The position: the epoch in progress (from 1), its batches done, the
	// sum of their losses weighted by rows, and their rows.
	epoch      int
	batch      int
	sum        float64
	rows       int
	epochStart time.Time
	lr         float64 // the rate of the last step

	// The last evaluations, for the final metrics (fresh: of the
	// parameters in the store).
	trainM, valM         Metrics
	trainFresh, valFresh bool
	lastLoss             float64 // the last epoch's mean step loss
	hasLastLoss          bool

	best       float64 // Checkpoint.Best's best value
	hasBest    bool
	snapshot   map[string]*tensor.Tensor // early stopping's best parameters and states
	paramNames []string
	stateNames []string
	stopped    bool // early stopping, or ErrStop from a callback
}

// cancelled is the error of a run stopped by its context: where it
// stopped and ctx's error.
type cancelled struct {
	where string
	err   error
}

func (c *cancelled) Error() string { return c.where + ": " + c.err.Error() }
func (c *cancelled) Unwrap() error { return c.err }

func newLoop(ctx context.Context, cfg Config) (*loop, error) {
	if cfg.Step == nil || cfg.Store == nil || cfg.Train == nil {
		return nil, fmt.Errorf("train: Run needs a step graph, a store and training data")
	}
	if !cfg.FullBatch && cfg.BatchSize <= 0 || cfg.Epochs <= 0 {
		return nil, fmt.Errorf("train: batch size (%d) and epochs (%d) must be positive", cfg.BatchSize, cfg.Epochs)
	}
	if cfg.ValEvery < 0 || cfg.LogEvery < 0 {
		return nil, fmt.Errorf("train: ValEvery (%d) and LogEvery (%d) must not be negative", cfg.ValEvery, cfg.LogEvery)
	}
	l := &loop{ctx: ctx, cfg: cfg, res: &Result{metrics: map[string]float64{}}, start: time.Now()}
	if outputIndex(cfg.Step, "loss") < 0 {
		return nil, fmt.Errorf("train: the step graph has no output \"loss\"")
	}
	var err error
	if l.step, err = bindGraph("step graph", cfg.Step, cfg.Store, cfg.Train); err != nil {
		return nil, err
	}
	if cfg.GradNorms != nil && cfg.Log != nil {
		if l.norms, err = bindGraph("gradient-norm graph", cfg.GradNorms, cfg.Store, cfg.Train); err != nil {
			return nil, err
		}
		if len(cfg.GradNorms.Updates) > 0 {
			return nil, fmt.Errorf("train: the gradient-norm graph updates %d params or states; it must change nothing", len(cfg.GradNorms.Updates))
		}
	}
	if l.ev, err = heldOutEvaluator(cfg); err != nil {
		return nil, err
	}
	if l.batches, err = newFeed(cfg); err != nil {
		return nil, err
	}
	l.perEpoch = l.batches.Len()
	if l.hooks, err = newStepHooks(&l.cfg, l.perEpoch); err != nil {
		l.batches.Close()
		return nil, err
	}
	if l.num, err = newNumerics(&l.cfg, l.step, l.hooks); err != nil {
		l.batches.Close()
		return nil, err
	}
	if err := l.checkControls(); err != nil {
		l.batches.Close()
		return nil, err
	}
	if so := cfg.StepOptions; so != nil && so.Parallel != nil {
		if l.par, err = newParallelStep(&l.cfg, l.num.loss); err != nil {
			l.batches.Close()
			return nil, err
		}
		l.res.Parallel = &l.par.times
	}
	for _, p := range cfg.Step.Params() {
		l.paramNames = append(l.paramNames, p.Name())
	}
	for _, n := range cfg.Store.Names() {
		if !slices.Contains(l.paramNames, n) {
			l.stateNames = append(l.stateNames, n)
		}
	}
	if cfg.Resume != nil {
		if err := l.resume(matchAccumulators(cfg.Resume, cfg.Store)); err != nil { // parallel_resume.go
			l.batches.Close()
			return nil, err
		}
	}
	if l.par != nil {
		if err := l.par.start(&l.cfg, l.res.Steps); err != nil {
			l.batches.Close()
			return nil, err
		}
	}
	return l, nil
}

// checkControls checks the schedule, early stopping and checkpoint
// settings against the run.
func (l *loop) checkControls() error {
	cfg := &l.cfg
	if s := cfg.Schedule; s != nil {
		if err := s.Check(); err != nil {
			return err
		}
		updates := l.perEpoch // a schedule's steps are updates
		if h := l.hooks; h != nil && h.micro != nil {
			updates = int(UpdatesDone(l.perEpoch, l.perEpoch, h.k))
		}
		if !s.PerEpoch() && (s.StepsPerEpoch != updates || s.Epochs != cfg.Epochs) {
			return fmt.Errorf("train: the schedule is set for %d epochs of %d updates, the run has %d of %d",
				s.Epochs, s.StepsPerEpoch, cfg.Epochs, updates)
		}
		if err := SetLR(cfg.Store, s.Rate()); err != nil {
			return err
		}
	}
	if cfg.EarlyStop != nil {
		if err := cfg.EarlyStop.Check(); err != nil {
			return err
		}
		if cfg.Resume == nil {
			cfg.EarlyStop.Reset()
		}
	}
	if cfg.Checkpoint != nil {
		return cfg.Checkpoint.check()
	}
	return nil
}

func (l *loop) close() { l.batches.Close() }

// run trains the epochs left, then measures the final metrics.
func (l *loop) run() (*Result, error) {
	for l.epoch = l.res.Epochs + 1; l.epoch <= l.cfg.Epochs && !l.stopped; l.epoch++ {
		if err := l.trainEpoch(); err != nil {
			return l.fail(err)
		}
		if l.stopped {
			break // ErrStop from OnStep, inside the epoch
		}
		if err := l.endEpoch(); err != nil {
			return l.fail(err)
		}
	}
	if err := l.finish(); err != nil {
		return l.fail(err)
	}
	l.res.Duration = time.Since(l.start)
	return l.res, nil
}

// fail returns the result of an error: a cancellation writes a checkpoint
// of the position reached and returns the result so far; any other error
// returns no result.
func (l *loop) fail(err error) (*Result, error) {
	var c *cancelled
	if !errors.As(err, &c) {
		return nil, err
	}
	l.res.Duration = time.Since(l.start)
	if l.cfg.Checkpoint != nil {
		if _, serr := l.save(); serr != nil {
			return nil, fmt.Errorf("training stopped %s, and its checkpoint could not be written: %w", c.where, serr)
		}
	}
	return l.res, fmt.Errorf("training stopped %s after %d steps (%d epochs completed): %w", c.where, l.res.Steps, l.res.Epochs, c.err)
}

// isCancel reports whether err is the cancellation of l's context.
func (l *loop) isCancel(err error) bool {
	return l.ctx.Err() != nil && errors.Is(err, l.ctx.Err())
}

// trainEpoch runs the steps of epoch l.epoch, from its batch l.batch (0,
// or the position of a resumed run).
func (l *loop) trainEpoch() error {
	if l.cfg.Resample != nil {
		if err := l.cfg.Resample(l.epoch); err != nil {
			return fmt.Errorf("epoch %d: %w", l.epoch, err)
		}
	}
	l.epochStart = time.Now()
	l.batches.Start(l.epoch - 1)
	for i := 0; i < l.batch && l.batches.Next(); i++ {
		// batches done before the run was resumed
	}
	for l.batches.Next() {
		if err := l.oneStep(l.batches.Batch()); err != nil {
			return err
		}
		if l.stopped {
			return nil
		}
	}
	if err := l.batches.Err(); err != nil {
		if l.isCancel(err) {
			return &cancelled{fmt.Sprintf("during epoch %d", l.epoch), l.ctx.Err()}
		}
		return fmt.Errorf("epoch %d: preparing a batch: %w", l.epoch, err)
	}
	return nil
}

// oneStep runs the step of one batch and what follows it: the schedule,
// validation every ValEvery steps, the log, a checkpoint every
// EverySteps steps, OnStep.
func (l *loop) oneStep(b *data.Batch) error {
	cfg := &l.cfg
	where := func(when string) string { return fmt.Sprintf("%s epoch %d, step %d", when, l.epoch, l.batch+1) }
	if err := l.ctx.Err(); err != nil {
		return &cancelled{where("before"), err}
	}
	l.lr = cfg.LR
	if cfg.Schedule != nil {
		l.lr = cfg.Schedule.Rate()
		if err := SetLR(cfg.Store, l.lr); err != nil {
			return err
		}
	}
	seed := stepSeed(cfg.Seed, l.res.Steps)
	var lg *stepLog
	if cfg.Log != nil && (l.res.Steps+1)%max(cfg.LogEvery, 1) == 0 {
		var err error
		if lg, err = l.beforeLogged(seed, b); err != nil {
			if l.isCancel(err) {
				return &cancelled{where("before"), l.ctx.Err()}
			}
			return fmt.Errorf("epoch %d, step %d: measuring the gradients' norms: %w", l.epoch, l.batch+1, err)
		}
	}
	t0 := time.Now()
	out, err := l.runStep(seed, b) // parallel_loop.go
	if err != nil {
		if l.isCancel(err) {
			return &cancelled{where("during"), l.ctx.Err()} // the step applied no update
		}
		if l.par != nil {
			return fmt.Errorf("epoch %d, step %d: %w", l.epoch, l.batch+1, err)
		}
		if e := l.num.explain(l.ctx, err, seed, l.batches, b, l.epoch, !l.hooks.updates(b)); e != nil {
			return e
		}
		return fmt.Errorf("epoch %d, step %d: %w", l.epoch, l.batch+1, err)
	}
	loss := out[l.num.loss].At(0)
	l.num.done(out, loss, l.epoch, l.batch+1)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("epoch %d, step %d: the loss is %v", l.epoch, l.batch+1, loss)
	}
	l.sum += loss * float64(b.Size)
	l.rows += b.Size
	l.batch++
	l.res.Steps++
	if err := l.hooks.done(l.res.Steps, b); err != nil {
		return err
	}
	if cfg.Schedule != nil && l.hooks.updates(b) {
		cfg.Schedule.StepDone() // a schedule's steps are updates, as an optimizer's are
	}
	info := StepInfo{Epoch: l.epoch, Epochs: cfg.Epochs, Step: l.batch, Steps: l.perEpoch, GlobalStep: l.res.Steps,
		Samples: b.Size, EpochSamples: l.rows, Loss: loss, RunningLoss: l.sum / float64(l.rows), LR: l.lr,
		Elapsed: time.Since(l.epochStart)}
	if cfg.ValEvery > 0 && l.res.Steps%cfg.ValEvery == 0 && l.ev != nil && cfg.Val != nil {
		m, err := l.ev.EvaluateContext(l.ctx, cfg.Val)
		if err != nil {
			if l.isCancel(err) {
				return &cancelled{fmt.Sprintf("while evaluating the validation set after step %d", l.res.Steps), l.ctx.Err()}
			}
			return fmt.Errorf("evaluating the validation set after step %d: %w", l.res.Steps, err)
		}
		info.Metrics = m.Prefixed("val_")
	}
	if lg != nil {
		if err := l.writeStepLog(lg, info, time.Since(t0), out); err != nil {
			return err
		}
	}
	if p := cfg.Checkpoint; p != nil && p.EverySteps > 0 && l.res.Steps%p.EverySteps == 0 {
		if _, err := l.save(); err != nil {
			return err
		}
	}
	return l.callback(cfg.OnStep != nil, func() error { return cfg.OnStep(info) })
}

// callback runs a callback when there is one: ErrStop stops training.
func (l *loop) callback(has bool, f func() error) error {
	if !has {
		return nil
	}
	if err := f(); errors.Is(err, ErrStop) {
		l.stopped = true
	} else if err != nil {
		return err
	}
	return nil
}

// evaluate measures d, reporting a cancellation as such.
func (l *loop) evaluate(what string, d *data.Dataset) (Metrics, error) {
	m, err := l.ev.EvaluateContext(l.ctx, d)
	if err != nil {
		if l.isCancel(err) {
			return m, &cancelled{"while " + what, l.ctx.Err()}
		}
		return m, fmt.Errorf("%s: %w", what, err)
	}
	return m, nil
}

// endEpoch evaluates the epoch and does what follows it: the schedule's
// and early stopping's updates, the best checkpoint, the history, a
// checkpoint every EveryEpochs epochs, the progress line, the log and
// AfterEpoch.
func (l *loop) endEpoch() error {
	cfg := &l.cfg
	st := EpochStats{Epoch: l.epoch, Loss: l.sum / float64(l.rows), Steps: l.batch, Samples: l.rows, LR: l.lr}
	st.Metrics = map[string]float64{"train_loss": st.Loss}
	l.trainFresh, l.valFresh = false, false
	if l.ev != nil && !cfg.SkipTrainEval {
		m, err := l.evaluate("evaluating the training set", cfg.Train)
		if err != nil {
			return err
		}
		st.Train, l.trainM, l.trainFresh = m, m, true
		for k, v := range m.Prefixed("train_") {
			if k != "train_loss" {
				st.Metrics[k] = v
			}
		}
	}
	if l.ev != nil && cfg.Val != nil {
		m, err := l.evaluate("evaluating the validation set", cfg.Val)
		if err != nil {
			return err
		}
		st.Val, l.valM, l.valFresh = m, m, true
		for k, v := range m.Prefixed("val_") {
			st.Metrics[k] = v
		}
	}
	if cfg.Schedule != nil {
		if err := cfg.Schedule.EpochDone(st.Metrics); err != nil {
			return err
		}
	}
	if es := cfg.EarlyStop; es != nil {
		improved, stop, err := es.Update(l.epoch, st.Metrics)
		if err != nil {
			return err
		}
		st.Improved = improved
		if improved && es.RestoreBest {
			l.snapshot = l.capture()
		}
		if stop {
			l.stopped, l.res.StoppedEarly = true, true
		}
	}
	l.res.Epochs = l.epoch
	l.lastLoss, l.hasLastLoss = st.Loss, true
	l.sum, l.rows, l.batch = 0, 0, 0
	if err := l.saveBest(st.Metrics); err != nil {
		return err
	}
	if p := cfg.Checkpoint; p != nil && p.EveryEpochs > 0 && l.epoch%p.EveryEpochs == 0 {
		if _, err := l.save(); err != nil {
			return err
		}
	}
	st.Duration = time.Since(l.epochStart)
	l.res.History = append(l.res.History, st)
	if cfg.Progress != nil {
		fmt.Fprintln(cfg.Progress, progressLine(st, cfg.Epochs))
	}
	if cfg.Log != nil {
		if err := l.writeEpochLog(st); err != nil {
			return err
		}
	}
	return l.callback(cfg.AfterEpoch != nil, func() error { return cfg.AfterEpoch(st) })
}

// finish puts back early stopping's best parameters when asked, then
// measures the final metrics: the training set in evaluation mode (again
// unless the last epoch measured it with the parameters kept; not at all
// with SkipFinalTrainEval), the validation set (likewise) and the test
// set.
func (l *loop) finish() error {
	cfg := &l.cfg
	if es := cfg.EarlyStop; es != nil && es.RestoreBest && l.snapshot != nil {
		l.res.BestEpoch = int(es.State.BestEpoch)
		if l.res.BestEpoch != l.res.Epochs || l.batch > 0 {
			if err := l.restoreSnapshot(); err != nil {
				return err
			}
			l.trainFresh, l.valFresh = false, false
		}
	}
	if l.ev == nil {
		// Without evaluation graphs, the training loss is the last epoch's
		// mean step loss.
		if l.hasLastLoss {
			l.res.record("train", Metrics{Loss: l.lastLoss, HasLoss: true}, &l.res.TrainLoss, &l.res.TrainAccuracy)
		}
		return nil
	}
	var err error
	switch {
	case l.trainFresh:
		l.res.record("train", l.trainM, &l.res.TrainLoss, &l.res.TrainAccuracy)
	case !cfg.SkipFinalTrainEval:
		if l.trainM, err = l.evaluate("evaluating the training set", cfg.Train); err != nil {
			return err
		}
		l.res.record("train", l.trainM, &l.res.TrainLoss, &l.res.TrainAccuracy)
	}
	if cfg.Val != nil {
		if !l.valFresh {
			if l.valM, err = l.evaluate("evaluating the validation set", cfg.Val); err != nil {
				return err
			}
		}
		l.res.record("val", l.valM, &l.res.ValLoss, &l.res.ValAccuracy)
	}
	if cfg.Test != nil {
		testM, err := l.evaluate("evaluating the test set", cfg.Test)
		if err != nil {
			return err
		}
		l.res.record("test", testM, &l.res.TestLoss, &l.res.TestAccuracy)
		l.res.Confusion = l.ev.Confusion()
	}
	return nil
}
