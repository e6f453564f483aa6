package nnc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
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
// unknown Optimizer.
type TrainOptions struct {
	Model     string    // the model to train; default: the first with a train block
	Epochs    int       // 0: the block's epochs, default 10
	Batch     int       // 0: the block's batch, default 32
	LR        float64   // 0: the optimizer's learning rate
	Optimizer string    // "sgd", "adam" or "adamw"; "": the block's, default adam(lr = 1e-3)
	Seed      *uint64   // initialization, shuffling and dropout; nil: the block's seed, default 0
	Data      string    // a builtin data set ("digits") or a CSV, NPZ file; "": the block's data
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
	return nil
}

// dataOptions are the loaders' options of the data file.
func (o *TrainOptions) dataOptions() data.Options {
	return data.Options{AllowNonFinite: o.AllowNonFinite, MaxBytes: o.MaxDataBytes}
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
var trainKeys = []string{"batch", "data", "entry", "epochs", "optimizer", "seed"}

// Train trains a model of the program with its train block's settings,
// overridden by opts, on the data's fixed 70/15/15 split (seed 0) and returns
// the final metrics. It is TrainContext with a context that is never
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
	s, err := p.settings(opts.Model)
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
	splits, err := p.loadDataWith(s, opts.Data, opts.dataOptions())
	if err != nil {
		return nil, err
	}
	entry := s.model + "." + s.str("entry", "loss")

	step, low, loss, err := p.buildStep(entry, opt)
	if err != nil {
		return nil, err
	}
	if opts.Remat {
		if step, _, err = rematStep(step, loss, splits[0], batch, opts.MaxMemory, opts.Progress); err != nil {
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
		Train: splits[0], Val: splits[1], Test: splits[2],
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
// MaxDataBytes is an error.
type EvalOptions struct {
	Model  string // default: the first model with a train block
	Params string // trained parameters (.safetensors), required
	Data   string // default: the train block's data
	Batch  int    // 0: 256
	// AllowNonFinite and MaxDataBytes apply to the data file as in
	// TrainOptions: NaN and infinite features are refused unless allowed,
	// and MaxDataBytes (0: data.DefaultMaxBytes()) bounds its size.
	AllowNonFinite bool
	MaxDataBytes   int64
}

// dataOptions are the loaders' options of the data file.
func (o *EvalOptions) dataOptions() data.Options {
	return data.Options{AllowNonFinite: o.AllowNonFinite, MaxBytes: o.MaxDataBytes}
}

// Eval measures trained parameters on the test split of the data (the same
// fixed split Train uses) and returns "test_loss" and "test_accuracy". It is
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
	s, err := p.settings(opts.Model)
	if err != nil {
		return nil, err
	}
	splits, err := p.loadDataWith(s, opts.Data, opts.dataOptions())
	if err != nil {
		return nil, err
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
	met, err := ev.EvaluateContext(ctx, splits[2])
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

// settings is a model's train block with typed accessors. Its values are
// checked when it is made (see check), so the accessors cannot fail.
type settings struct {
	model string
	spec  *lang.TrainSpec
}

func (p *Program) settings(model string) (*settings, error) {
	if model == "" {
		ms := p.mod.TrainModels()
		if len(ms) == 0 {
			return nil, fmt.Errorf("%s: no train block; name the model with --model", p.path)
		}
		model = ms[0]
	}
	s := &settings{model: model}
	spec, ok := p.mod.TrainBlock(model)
	if !ok {
		found := false
		for _, e := range p.mod.Entries() {
			found = found || strings.HasPrefix(e, model+".")
		}
		if !found {
			return nil, fmt.Errorf("%s: no model %q with methods", p.path, model)
		}
		spec = &lang.TrainSpec{Model: model, Pos: ops.Pos{File: p.path}, Fields: map[string]lang.Value{}}
	}
	s.spec = spec
	if errs := s.check(); len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// check reports every setting of the block that is unknown or out of
// range, each as its own error at that setting's position, in the order of
// the block.
func (s *settings) check() lang.ErrorList {
	var errs lang.ErrorList
	keys := make([]string, 0, len(s.spec.Fields))
	for k := range s.spec.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	slices.SortStableFunc(keys, func(a, b string) int {
		pa, pb := s.spec.KeyPos(a), s.spec.KeyPos(b)
		if pa.Line != pb.Line {
			return pa.Line - pb.Line
		}
		return pa.Col - pb.Col
	})
	for _, k := range keys {
		v := s.spec.Fields[k]
		var err *lang.Error
		switch k {
		case "epochs", "batch":
			if n, ok := v.(int64); !ok {
				err = s.errorf(lang.CodeArgType, k, "want a positive integer, got %s", showValue(v))
			} else if n < 1 {
				err = s.errorf(lang.CodeValue, k, "want a positive integer, got %d", n)
			}
		case "seed":
			if n, ok := v.(int64); !ok {
				err = s.errorf(lang.CodeArgType, k, "want a non-negative integer, got %s", showValue(v))
			} else if n < 0 {
				err = s.errorf(lang.CodeValue, k, "want a non-negative integer, got %d", n)
			}
		case "entry", "data":
			if _, ok := v.(string); !ok {
				err = s.errorf(lang.CodeArgType, k, "want a name in quotes, got %s", showValue(v))
			}
		case "optimizer":
			if _, e := s.optimizer("", 0); e != nil && !errors.As(e, &err) {
				err = s.errorf(lang.CodeValue, k, "%v", e)
			}
		default:
			err = s.errorAt(s.spec.KeyPos(k), lang.CodeArgs, k, "unknown setting (known: %s)", strings.Join(trainKeys, ", "))
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// showValue prints a train block value for a message.
func showValue(v lang.Value) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case lang.Call:
		return x.Name + "(...)"
	}
	return fmt.Sprint(v)
}

// errorf makes the error of the value of one setting, at the position
// where that value starts (the block's, for a setting the block does not
// give).
func (s *settings) errorf(code, key, format string, args ...any) *lang.Error {
	return s.errorAt(s.spec.ValuePos(key), code, key, format, args...)
}

// errorAt makes the error of one setting at pos.
func (s *settings) errorAt(pos ops.Pos, code, key, format string, args ...any) *lang.Error {
	return &lang.Error{Pos: pos, Code: code, Msg: fmt.Sprintf("train %s: %s: %s", s.model, key, fmt.Sprintf(format, args...))}
}

// int is the block's integer setting key, or def when the block does not
// give it; a positive override takes precedence.
func (s *settings) int(key string, override, def int) (int, error) {
	if override > 0 {
		return override, nil
	}
	if override < 0 {
		return 0, fmt.Errorf("%s is %d: want a positive number (0: the train block's)", key, override)
	}
	v, ok := s.spec.Fields[key]
	if !ok {
		return def, nil
	}
	n, ok := v.(int64)
	if !ok || n < 0 || n > int64(math.MaxInt) {
		return 0, s.errorf(lang.CodeValue, key, "want a non-negative integer, got %s", showValue(v))
	}
	return int(n), nil
}

func (s *settings) str(key, def string) string {
	if v, ok := s.spec.Fields[key].(string); ok {
		return v
	}
	return def
}

func number(v lang.Value) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// optimizer builds the optimizer from the block's optimizer = adam(lr = ...)
// and the overrides (a name replaces the block's optimizer, and its
// settings, when it differs; a positive lr replaces the learning rate). The
// hyperparameters are checked (see train.SGD.Check and train.Adam.Check).
func (s *settings) optimizer(name string, lr float64) (train.Optimizer, error) {
	if math.IsNaN(lr) || math.IsInf(lr, 0) || lr < 0 {
		return nil, fmt.Errorf("the learning rate is %v: want a positive, finite number (0: the optimizer's)", lr)
	}
	call, err := s.optimizerCall()
	if err != nil {
		return nil, err
	}
	if name != "" && name != call.Name {
		call = lang.Call{Name: name, Kwargs: map[string]lang.Value{}}
	}
	if !slices.Contains(optimizerNames, call.Name) {
		return nil, s.errorf(lang.CodeArgs, "optimizer", "unknown optimizer %q (%s)", call.Name, strings.Join(optimizerNames, ", "))
	}
	kw := map[string]float64{}
	keys := make([]string, 0, len(call.Kwargs))
	for k := range call.Kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := call.Kwargs[k]
		if b, ok := v.(bool); ok && k == "nesterov" {
			kw[k] = map[bool]float64{false: 0, true: 1}[b]
			continue
		}
		f, ok := number(v)
		if !ok || k == "nesterov" {
			want := "a number"
			if k == "nesterov" {
				want = "true or false"
			}
			return nil, s.errorf(lang.CodeArgType, "optimizer", "%s = %s: want %s", k, showValue(v), want)
		}
		kw[k] = f
	}
	if len(call.Args) > 0 {
		f, ok := number(call.Args[0])
		if !ok || len(call.Args) > 1 {
			return nil, s.errorf(lang.CodeArgs, "optimizer", "%s takes the learning rate as its only positional argument", call.Name)
		}
		if _, dup := kw["lr"]; dup {
			return nil, s.errorf(lang.CodeArgs, "optimizer", "%s: the learning rate is given twice (positional and lr =)", call.Name)
		}
		kw["lr"] = f
	}
	if lr > 0 {
		kw["lr"] = lr
	}
	get := func(k string, def float64) float64 {
		if v, ok := kw[k]; ok {
			delete(kw, k)
			return v
		}
		return def
	}
	var opt train.Optimizer
	var checkErr error
	switch call.Name {
	case "sgd":
		o := &train.SGD{LR: get("lr", 1e-2), Momentum: get("momentum", 0), Nesterov: get("nesterov", 0) != 0, WeightDecay: get("weight_decay", 0)}
		opt, checkErr = o, o.Check()
	default: // adam, adamw
		a := train.NewAdam(get("lr", 1e-3))
		if call.Name == "adamw" {
			a = train.NewAdamW(a.LR, get("weight_decay", 1e-2))
		} else {
			a.WeightDecay = get("weight_decay", 0)
		}
		a.Beta1, a.Beta2, a.Eps = get("beta1", a.Beta1), get("beta2", a.Beta2), get("eps", a.Eps)
		opt, checkErr = a, a.Check()
	}
	if len(kw) > 0 {
		var unknown []string
		for k := range kw {
			unknown = append(unknown, k)
		}
		sort.Strings(unknown)
		return nil, s.errorf(lang.CodeArgs, "optimizer", "%s has no setting %s", call.Name, strings.Join(unknown, ", "))
	}
	if checkErr != nil {
		return nil, s.errorf(lang.CodeValue, "optimizer", "%v", checkErr)
	}
	return opt, nil
}

// optimizerCall is the block's optimizer setting as a call (adam() when
// the block has none).
func (s *settings) optimizerCall() (lang.Call, error) {
	call := lang.Call{Name: "adam", Kwargs: map[string]lang.Value{}}
	v, ok := s.spec.Fields["optimizer"]
	if !ok {
		return call, nil
	}
	switch x := v.(type) {
	case lang.Call:
		return x, nil
	case string:
		call.Name = x
		return call, nil
	}
	return call, s.errorf(lang.CodeArgType, "optimizer", "want a call such as adam(lr = 1e-3), got %s", showValue(v))
}

// loadDataWith loads the data set named by override or the block's data
// setting and splits it 70/15/15 with seed 0. o applies to a data file.
func (p *Program) loadDataWith(s *settings, override string, o data.Options) ([]*data.Dataset, error) {
	src := override
	if src == "" {
		v, ok := s.spec.Fields["data"]
		if !ok {
			return nil, fmt.Errorf("%s: train %s: no data: set data = \"digits\" (or a file) in the train block, or pass --data", p.path, s.model)
		}
		str, ok := v.(string)
		if !ok {
			return nil, s.errorf(lang.CodeArgType, "data", "want a builtin name or a file path in quotes, got %s", showValue(v))
		}
		src = str
		if !filepath.IsAbs(src) && strings.ContainsAny(src, "./") {
			src = filepath.Join(p.Dir(), src)
		}
	}
	d, err := loadDataset(src, o)
	if err != nil {
		return nil, err
	}
	return d.Split(0, 0.7, 0.15, 0.15)
}

// loadDataset loads a builtin data set (a name without '.' or '/') or a
// data file (.csv, .csv.gz, .npz) with the loaders' options o.
func loadDataset(src string, o data.Options) (*data.Dataset, error) {
	if !strings.ContainsAny(src, "./") {
		return data.Builtin(src)
	}
	return data.LoadDataset(src, o)
}
