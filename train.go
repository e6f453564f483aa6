package nnc

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/train"
)

// TrainOptions override the settings of a model's train block. Zero values
// keep the block's setting (or the default given with each field).
type TrainOptions struct {
	Model     string    // the model to train; default: the first with a train block
	Epochs    int       // default 10
	Batch     int       // default 32
	LR        float64   // overrides the optimizer's learning rate
	Optimizer string    // "sgd", "adam" or "adamw"; default adam(lr = 1e-3)
	Seed      *uint64   // initialization, shuffling and dropout; default 0
	Data      string    // a builtin data set ("digits") or a CSV, NPZ file
	Output    string    // write the trained parameters here (.safetensors)
	Progress  io.Writer // one line per epoch; nil for none
	// Remat recomputes forward values in the backward pass instead of
	// keeping them, to fit MaxMemory bytes (0: the smallest peak found);
	// results are bitwise the same (see options.go).
	Remat     bool
	MaxMemory int64
}

// TrainResult is the outcome of Train.
type TrainResult struct {
	// Metrics holds the final measurements: "train_loss", "train_accuracy",
	// "val_loss", "val_accuracy", "test_loss", "test_accuracy".
	Metrics map[string]float64
	// Details has the per-epoch history.
	Details *train.Result
}

// trainKeys are the settings a train block may give.
var trainKeys = []string{"batch", "data", "entry", "epochs", "optimizer", "seed"}

// Train trains a model of the program with its train block's settings,
// overridden by opts, on the data's fixed 70/15/15 split (seed 0) and returns
// the final metrics.
func (p *Program) Train(opts TrainOptions) (res *TrainResult, err error) {
	defer recoverInternal(&err)
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
	splits, err := p.loadData(s, opts.Data)
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
	r, err := train.Run(train.Config{
		Step: step, Forward: fwd, Loss: lossG, Store: store,
		Train: splits[0], Val: splits[1], Test: splits[2],
		BatchSize: batch, Epochs: epochs, Seed: seed, Progress: opts.Progress,
	})
	if err != nil {
		return nil, err
	}
	if opts.Output != "" {
		if err := saveParams(store, append(low.Params, low.States...), opts.Output); err != nil {
			return nil, err
		}
	}
	return &TrainResult{Metrics: r.Metrics(), Details: r}, nil
}

// EvalOptions say what Eval measures.
type EvalOptions struct {
	Model  string // default: the first model with a train block
	Params string // trained parameters (.safetensors), required
	Data   string // default: the train block's data
	Batch  int    // default 256
}

// Eval measures trained parameters on the test split of the data (the same
// fixed split Train uses) and returns "test_loss" and "test_accuracy".
func (p *Program) Eval(opts EvalOptions) (m map[string]float64, err error) {
	defer recoverInternal(&err)
	s, err := p.settings(opts.Model)
	if err != nil {
		return nil, err
	}
	splits, err := p.loadData(s, opts.Data)
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
	met, err := ev.Evaluate(splits[2])
	if err != nil {
		return nil, err
	}
	return map[string]float64{"test_loss": met.Loss, "test_accuracy": met.Accuracy}, nil
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

// settings is a model's train block with typed accessors.
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
		spec = &lang.TrainSpec{Model: model, Fields: map[string]lang.Value{}}
	}
	s.spec = spec
	var keys []string
	for k := range spec.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if i := sort.SearchStrings(trainKeys, k); i == len(trainKeys) || trainKeys[i] != k {
			return nil, fmt.Errorf("%s: train %s: unknown setting %q (known: %s)", spec.Pos, model, k, strings.Join(trainKeys, ", "))
		}
	}
	return s, nil
}

func (s *settings) errorf(key, format string, args ...any) error {
	return fmt.Errorf("%s: train %s: %s: %s", s.spec.Pos, s.model, key, fmt.Sprintf(format, args...))
}

func (s *settings) int(key string, override, def int) (int, error) {
	if override > 0 {
		return override, nil
	}
	v, ok := s.spec.Fields[key]
	if !ok {
		return def, nil
	}
	n, ok := v.(int64)
	if !ok || n < 0 {
		return 0, s.errorf(key, "want a non-negative integer, got %v", v)
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
// and the overrides.
func (s *settings) optimizer(name string, lr float64) (train.Optimizer, error) {
	call := lang.Call{Name: "adam", Kwargs: map[string]lang.Value{}}
	if v, ok := s.spec.Fields["optimizer"]; ok {
		switch x := v.(type) {
		case lang.Call:
			call = x
		case string:
			call.Name = x
		default:
			return nil, s.errorf("optimizer", "want a call such as adam(lr = 1e-3), got %v", v)
		}
	}
	if name != "" && name != call.Name {
		call = lang.Call{Name: name, Kwargs: map[string]lang.Value{}}
	}
	kw := map[string]float64{}
	for k, v := range call.Kwargs {
		if b, ok := v.(bool); ok {
			kw[k] = map[bool]float64{false: 0, true: 1}[b]
			continue
		}
		f, ok := number(v)
		if !ok {
			return nil, s.errorf("optimizer", "%s = %v is not a number", k, v)
		}
		kw[k] = f
	}
	if len(call.Args) > 0 {
		f, ok := number(call.Args[0])
		if !ok || len(call.Args) > 1 {
			return nil, s.errorf("optimizer", "%s takes the learning rate as its only positional argument", call.Name)
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
	switch call.Name {
	case "sgd":
		opt = &train.SGD{LR: get("lr", 1e-2), Momentum: get("momentum", 0), Nesterov: get("nesterov", 0) != 0, WeightDecay: get("weight_decay", 0)}
	case "adam", "adamw":
		a := train.NewAdam(get("lr", 1e-3))
		if call.Name == "adamw" {
			a = train.NewAdamW(a.LR, get("weight_decay", 1e-2))
		} else {
			a.WeightDecay = get("weight_decay", 0)
		}
		a.Beta1, a.Beta2, a.Eps = get("beta1", a.Beta1), get("beta2", a.Beta2), get("eps", a.Eps)
		opt = a
	default:
		return nil, s.errorf("optimizer", "unknown optimizer %q (sgd, adam, adamw)", call.Name)
	}
	for k := range kw {
		return nil, s.errorf("optimizer", "%s has no setting %q", call.Name, k)
	}
	return opt, nil
}

// loadData loads the data set named by override or the block's data setting
// and splits it 70/15/15 with seed 0.
func (p *Program) loadData(s *settings, override string) ([]*data.Dataset, error) {
	src := override
	if src == "" {
		v, ok := s.spec.Fields["data"]
		if !ok {
			return nil, fmt.Errorf("%s: train %s: no data: set data = \"digits\" (or a file) in the train block, or pass --data", p.path, s.model)
		}
		str, ok := v.(string)
		if !ok {
			return nil, s.errorf("data", "want a builtin name or a file path in quotes, got %v", v)
		}
		src = str
		if !filepath.IsAbs(src) && strings.ContainsAny(src, "./") {
			src = filepath.Join(p.Dir(), src)
		}
	}
	d, err := loadDataset(src)
	if err != nil {
		return nil, err
	}
	return d.Split(0, 0.7, 0.15, 0.15)
}

func loadDataset(src string) (*data.Dataset, error) {
	if !strings.ContainsAny(src, "./") {
		return data.Builtin(src)
	}
	if _, err := os.Stat(src); err != nil {
		return nil, err
	}
	switch {
	case strings.HasSuffix(src, ".csv"), strings.HasSuffix(src, ".csv.gz"):
		return data.LoadCSV(src, data.CSVOptions{})
	case strings.HasSuffix(src, ".npz"):
		arrays, err := data.LoadNPZ(src)
		if err != nil {
			return nil, err
		}
		return data.NewDataset(arrays)
	}
	return nil, fmt.Errorf("%s: unknown data format (want .csv, .csv.gz or .npz)", src)
}
