package nnc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/train"
)

// ErrStopTraining, returned by TrainOptions.OnStep or OnEpoch, ends
// training after that step or epoch without an error; the final metrics
// are measured as after the last epoch.
var ErrStopTraining = train.ErrStop

// ProgressReporter is a TrainOptions.Progress that follows training by
// its events rather than by lines: Train calls Step after every step and
// Epoch after every epoch, and writes other lines (rematerialization's
// choice) with Write. nnc train's progress bar is one.
type ProgressReporter interface {
	Write(p []byte) (int, error)
	Step(StepEvent)
	Epoch(EpochEvent)
}

// loopFacts are what the loop's controls depend on, once the run is built.
type loopFacts struct {
	entry         string
	opt           train.Optimizer
	epochs, batch int
	stepsPerEpoch int
	// updatesPerEpoch is the parameter updates of an epoch: its steps,
	// or fewer with gradient accumulation; a schedule counts them.
	updatesPerEpoch int
	seed            uint64
	hasVal          bool
	lossG           *ops.Graph // the model, hashed for checkpoints
	shapes          map[string]int64
	settings        map[string]string // the run's settings, as checkpoints record them
	low             *lang.Lowered
	vocab           *data.Vocab // a text's vocabulary, which checkpoints record; nil for none
}

// loopRun is the part of a run the loop's controls add: the log to close.
type loopRun struct {
	log *train.LogWriter
}

func (r *loopRun) close() error {
	if r.log == nil {
		return nil
	}
	return r.log.Close()
}

// loopControls sets the loop's controls of cfg from the block's loop keys
// and the options: metrics, evaluation of the training set, validation
// every N steps, the schedule, early stopping, checkpoints, a resume, the
// log, the callbacks and the progress events.
func (p *Program) loopControls(s *settings, ls loopSettings, o *TrainOptions, f loopFacts, cfg *train.Config) (*loopRun, error) {
	cfg.Metrics, cfg.SkipTrainEval, cfg.ValEvery = ls.metrics, !ls.evalTrain, ls.valEvery
	cfg.SkipFinalTrainEval = o.NoFinalTrainEval
	cfg.LR = optimizerLR(f.opt)
	if err := s.checkMonitors(ls, f.hasVal); err != nil {
		return nil, err
	}
	if ls.schedule != nil {
		sch := *ls.schedule
		sch.LR, sch.Epochs, sch.StepsPerEpoch = cfg.LR, f.epochs, f.updatesPerEpoch
		ns, err := train.NewSchedule(sch)
		if err != nil {
			return nil, s.errorf(lang.CodeValue, "schedule", "%v", err)
		}
		if err := checkPeakRate(f.opt, ns); err != nil {
			return nil, s.errorf(lang.CodeValue, "schedule", "%v", err)
		}
		cfg.Schedule = ns
	}
	if ls.earlyStop != nil {
		es := *ls.earlyStop
		cfg.EarlyStop = &es
	}
	if err := p.checkpointControls(s, ls, o, f, cfg); err != nil {
		return nil, err
	}
	run := &loopRun{}
	if o.Log != "" {
		lw, err := train.CreateLog(o.Log, o.Resume != "")
		if err != nil {
			return nil, &OptionError{Option: "TrainOptions.Log", Value: o.Log, Msg: err.Error()}
		}
		run.log = lw
		cfg.Log, cfg.RunName = lw, s.model
		cfg.LogEvery = ls.logEvery
		if cfg.LogEvery == 0 {
			cfg.LogEvery = max(10, f.stepsPerEpoch/20)
		}
		if o.WarnGradNorm == 0 { // else the step's outputs have the norms
			g, err := p.gradNormsGraph(f.entry, f.shapes)
			if err != nil {
				run.close()
				return nil, err
			}
			cfg.GradNorms = g
		}
	}
	setCallbacks(o, cfg)
	return run, nil
}

// checkMonitors checks that the metrics the schedule, early stopping and
// the best checkpoint monitor can be measured: a training or validation
// metric, and a validation set for the latter.
func (s *settings) checkMonitors(ls loopSettings, hasVal bool) error {
	var errs lang.ErrorList
	check := func(key, monitor string) {
		switch {
		case monitor == "":
		case !strings.HasPrefix(monitor, "train_") && !strings.HasPrefix(monitor, "val_"):
			errs = append(errs, s.errorf(lang.CodeValue, key, "%q is not an epoch metric: name one of the training set (train_loss, train_accuracy, ...) or of the validation set (val_loss, ...)", monitor))
		case strings.HasPrefix(monitor, "val_") && !hasVal:
			errs = append(errs, s.errorf(lang.CodeValue, key, "%q needs a validation set, and the data has none (give split or a val file)", monitor))
		case strings.HasPrefix(monitor, "train_") && monitor != "train_loss" && !ls.evalTrain:
			errs = append(errs, s.errorf(lang.CodeValue, key, "%q is measured only with eval_train = true (each epoch measures train_loss)", monitor))
		}
	}
	if ls.schedule != nil && ls.schedule.Kind == train.SchedulePlateau {
		check("schedule", ls.schedule.Monitor)
	}
	if ls.earlyStop != nil {
		check("early_stop", ls.earlyStop.Monitor)
	}
	if ls.ckpt != nil {
		check("checkpoint", ls.ckpt.best)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// optimizerLR is an optimizer's learning rate (0 for one nnc does not
// know).
func optimizerLR(o train.Optimizer) float64 {
	switch x := o.(type) {
	case *train.SGD:
		return x.LR
	case *train.Adam:
		return x.LR
	case *train.RMSprop:
		return x.LR
	case *train.Adagrad:
		return x.LR
	case *train.Lion:
		return x.LR
	}
	return 0
}

// readLRState makes an optimizer read its learning rate from
// train.LRState (a scheduled run).
func readLRState(o train.Optimizer) {
	switch x := o.(type) {
	case *train.SGD:
		x.LRState = train.LRState
	case *train.Adam:
		x.LRState = train.LRState
	case *train.RMSprop:
		x.LRState = train.LRState
	case *train.Adagrad:
		x.LRState = train.LRState
	case *train.Lion:
		x.LRState = train.LRState
	}
}

// checkPeakRate checks that the schedule's largest rate keeps decoupled
// weight decay below 1 (adamw, lion: p·(1 - lr·wd) must not flip p).
func checkPeakRate(o train.Optimizer, s *train.Schedule) error {
	peak := s.LR
	if s.Kind == train.ScheduleOneCycle {
		peak = s.MaxLR
	}
	var wd float64
	switch x := o.(type) {
	case *train.Adam:
		if x.Decoupled {
			wd = x.WeightDecay
		}
	case *train.Lion:
		wd = x.WeightDecay
	}
	if peak*wd >= 1 {
		return fmt.Errorf("the largest learning rate %v times weight_decay %v is at least 1, which would flip or zero the parameters", peak, wd)
	}
	return nil
}

// checkpointControls sets the checkpoint policy and the resume of cfg.
// Checkpoints are written when the block or the options ask for them,
// and, when a directory is known (given, or the directory of Output), at
// the step where a cancelled run stops. The block's dir, and by default
// "checkpoints", are relative to the .nn file's folder, as its data files.
func (p *Program) checkpointControls(s *settings, ls loopSettings, o *TrainOptions, f loopFacts, cfg *train.Config) error {
	c := ls.ckpt
	dir := o.CheckpointDir
	if dir == "" && c != nil && c.dir != "" {
		dir = p.resolve(c.dir)
	}
	if dir == "" && o.Output != "" {
		dir = filepath.Dir(o.Output)
	}
	if dir == "" && c != nil {
		dir = p.resolve("checkpoints")
	}
	hash := modelHash(f.lossG)
	if dir != "" {
		pol := &train.CheckpointPolicy{Rotation: train.Rotation{Dir: dir, Name: s.model},
			Meta: train.CheckpointMeta{SourceHash: hash, Settings: f.settings, Version: version()}}
		if f.vocab != nil {
			b, err := data.EncodeVocab(f.vocab)
			if err != nil {
				return err
			}
			pol.Meta.Vocab = string(b)
		}
		if c != nil {
			pol.Rotation.Keep, pol.EveryEpochs, pol.EverySteps, pol.Best = c.keep, c.everyEpochs, c.everySteps, c.best
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return &OptionError{Option: "TrainOptions.CheckpointDir", Value: dir, Msg: err.Error()}
			}
		}
		cfg.Checkpoint = pol
	}
	if o.Resume == "" {
		return nil
	}
	ck, err := train.ReadCheckpoint(o.Resume, o.MaxDataBytes)
	if err != nil {
		return &OptionError{Option: "TrainOptions.Resume", Value: o.Resume, Msg: err.Error()}
	}
	if err := ck.Compatible(hash, f.settings); err != nil {
		return &OptionError{Option: "TrainOptions.Resume", Value: o.Resume, Msg: strings.Replace(err.Error(), "the model source differs", "the model differs", 1)}
	}
	cfg.Resume = ck
	return nil
}

// initFrom sets the model's parameters from a checkpoint's, or from a
// parameters file (nnc train -o), leaving the states and the optimizer at
// their start: fine-tuning. With o's options set (a PyTorch state_dict,
// renames, conversions) the file is read as LoadParamsWith reads it, and a
// PyTorch file's states (running statistics) are read too.
func initFrom(store *runtime.Store, low *lang.Lowered, path string, o ParamsOptions, maxBytes int64) error {
	bad := func(err error) error {
		return &OptionError{Option: "TrainOptions.InitFrom", Value: path, Msg: err.Error()}
	}
	var params map[string]*Tensor
	ck, err := train.ReadCheckpoint(path, maxBytes)
	switch {
	case err == nil:
		params = ck.Params
	case strings.Contains(err.Error(), "not an nnc checkpoint"):
		if params, err = data.LoadSafetensors(path); err != nil {
			return bad(err)
		}
	default:
		return bad(err)
	}
	leaves := low.Params
	if o.From != "" || len(o.Rename) > 0 || o.AllowExtra || o.Convert {
		if o.From == "torch" {
			leaves = append(append([]*ops.Node{}, low.Params...), low.States...)
		}
		if params, err = gatherParams(leaves, params, o, path); err != nil {
			return bad(err)
		}
	}
	if err := setParams(store, leaves, params, path); err != nil {
		return bad(err)
	}
	return nil
}

// modelHash is the SHA-256 of a graph's text without its source
// positions: the model as the compiler sees it (a comment or a moved file
// does not change it; a changed layer, argument or loss does).
func modelHash(g *ops.Graph) string {
	var b bytes.Buffer
	ops.Fprint(&b, g)
	h := sha256.New()
	for _, line := range strings.Split(b.String(), "\n") {
		if i := strings.LastIndex(line, "  // "); i >= 0 {
			line = line[:i]
		}
		h.Write([]byte(line + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// version is nnc's version as the build records it.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/nnclang/nnc" {
				return d.Version
			}
		}
		if bi.Main.Path == "github.com/nnclang/nnc" && bi.Main.Version != "" {
			return bi.Main.Version
		}
	}
	return "(devel)"
}

// gradNormsGraph builds the graph of the log's gradient norms: the
// training step's forward and backward passes without updates
// (train.BuildGradNorms), optimized as the step is.
func (p *Program) gradNormsGraph(entry string, shapes map[string]int64) (*ops.Graph, error) {
	if len(shapes) == 0 {
		shapes = nil
	}
	b := ops.NewBuilder()
	low, err := p.lower(entry, lang.LowerOptions{Training: true, Builder: b, Shapes: shapes})
	if err != nil {
		return nil, err
	}
	if err := checkLoss(entry, low); err != nil {
		return nil, err
	}
	if err := train.BuildGradNorms(b, low.Outputs[0], low.Params); err != nil {
		return nil, err
	}
	return p.optimize(b.G)
}

// setCallbacks turns the loop's steps and epochs into the options'
// callbacks and progress events.
func setCallbacks(o *TrainOptions, cfg *train.Config) {
	rep, _ := o.Progress.(ProgressReporter)
	if rep == nil {
		cfg.Progress = o.Progress
	}
	if rep != nil || o.OnStep != nil {
		cfg.OnStep = func(i train.StepInfo) error {
			e := StepEvent{Epoch: i.Epoch, Epochs: i.Epochs, Step: i.Step, Steps: i.Steps, GlobalStep: int64(i.GlobalStep),
				Samples: i.Samples, EpochSamples: int64(i.EpochSamples), Loss: i.Loss, RunningLoss: i.RunningLoss,
				LR: i.LR, Elapsed: i.Elapsed}
			if rep != nil {
				rep.Step(e)
			}
			if o.OnStep != nil {
				return o.OnStep(e)
			}
			return nil
		}
	}
	if rep != nil || o.OnEpoch != nil {
		cfg.AfterEpoch = func(st train.EpochStats) error {
			metrics := make(map[string]float64, len(st.Metrics))
			for k, v := range st.Metrics {
				if k != "train_loss" { // the event's Loss
					metrics[k] = v
				}
			}
			e := EpochEvent{Epoch: st.Epoch, Epochs: cfg.Epochs, Steps: st.Steps, Samples: int64(st.Samples),
				Loss: st.Loss, Metrics: metrics, LR: st.LR, Duration: st.Duration}
			if rep != nil {
				rep.Epoch(e)
			}
			if o.OnEpoch != nil {
				return o.OnEpoch(e)
			}
			return nil
		}
	}
}

// runSettings are the settings a checkpoint records and a resume
// compares: every key of the block (or of the options) that changes the
// parameters a run reaches, with the values in effect. Epochs count only
// for a schedule that spans the run.
func (s *settings) runSettings(o *TrainOptions, f loopFacts, ls loopSettings, p *Program) map[string]string {
	out := map[string]string{}
	skip := map[string]bool{"epochs": true, "metrics": true, "checkpoint": true, "eval_train": true, "val_every": true, "log_every": true, "seeds": true}
	for _, k := range knownKeys() {
		if v, ok := s.value(k); ok && !skip[k] {
			out[k] = canonical(v)
		}
	}
	out["model"], out["entry"] = s.model, f.entry
	out["batch"], out["seed"] = strconv.Itoa(f.batch), strconv.FormatUint(f.seed, 10)
	out["optimizer"] = optimizerText(f.opt)
	if ls.schedule != nil && !ls.schedule.PerEpoch() {
		out["epochs"] = strconv.Itoa(f.epochs)
	}
	for k, v := range map[string]string{"data": o.Data, "labels": o.Labels, "preprocess": o.Preprocess} {
		if v != "" {
			out[k] = strconv.Quote(v)
		}
	}
	if o.Split != (Split{}) {
		out["split"] = o.Split.String()
	}
	if o.Seq > 0 {
		out["seq"] = strconv.Itoa(o.Seq)
	}
	if o.TextContext != 0 {
		out["context"] = strconv.Itoa(max(o.TextContext, 0))
	}
	if o.NoAugment {
		out["augment"] = "none"
	}
	if len(o.Inputs) > 0 {
		out["inputs_options"] = sortedPairs(o.Inputs)
	}
	if len(o.Shapes) > 0 {
		out["shapes"] = sortedPairs(o.Shapes)
	}
	if args := p.modelArgs(); len(args) > 0 {
		out["model_args"] = sortedPairs(args)
	}
	out["opt_level"] = strconv.Itoa(p.optLevel())
	return out
}

// sortedPairs writes a map as "a=1, b=2", keys sorted.
func sortedPairs[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// optimizerText writes an optimizer as a train block would, every
// setting given: "adam(lr = 0.001, beta1 = 0.9, ...)".
func optimizerText(o train.Optimizer) string {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	switch x := o.(type) {
	case *train.SGD:
		return fmt.Sprintf("sgd(lr = %s, momentum = %s, nesterov = %v, weight_decay = %s)", g(x.LR), g(x.Momentum), x.Nesterov, g(x.WeightDecay))
	case *train.Adam:
		name := "adam"
		if x.Decoupled {
			name = "adamw"
		}
		return fmt.Sprintf("%s(lr = %s, beta1 = %s, beta2 = %s, eps = %s, weight_decay = %s)", name, g(x.LR), g(x.Beta1), g(x.Beta2), g(x.Eps), g(x.WeightDecay))
	case *train.RMSprop:
		return fmt.Sprintf("rmsprop(lr = %s, alpha = %s, eps = %s, weight_decay = %s, momentum = %s, centered = %v)", g(x.LR), g(x.Alpha), g(x.Eps), g(x.WeightDecay), g(x.Momentum), x.Centered)
	case *train.Adagrad:
		return fmt.Sprintf("adagrad(lr = %s, lr_decay = %s, weight_decay = %s, initial_accumulator_value = %s, eps = %s)", g(x.LR), g(x.LRDecay), g(x.WeightDecay), g(x.InitialAccumulator), g(x.Eps))
	case *train.Lion:
		return fmt.Sprintf("lion(lr = %s, beta1 = %s, beta2 = %s, weight_decay = %s)", g(x.LR), g(x.Beta1), g(x.Beta2), g(x.WeightDecay))
	}
	return fmt.Sprintf("%T%+v", o, o)
}

// mergeContext returns a context cancelled when ctx or other (when not
// nil) is, and its cancel function. Its Err sees other's cancellation at
// once (the loop checks Err before every step), its Done soon after.
func mergeContext(ctx, other context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	if other == nil {
		return ctx, cancel
	}
	stop := context.AfterFunc(other, cancel)
	return bothContext{ctx, other}, func() {
		stop()
		cancel()
	}
}

// bothContext is a context cancelled with either of two.
type bothContext struct {
	context.Context
	other context.Context
}

func (c bothContext) Err() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	return c.other.Err()
}
