package nnc

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/train"
)

// settings is a model's train block with typed accessors. Its values are
// checked when it is made (see check), so the accessors cannot fail.
type settings struct {
	model   string
	options string // the options type that overrides it: "TrainOptions", "EvalOptions"
	spec    *lang.TrainSpec
	over    map[string]override // settings the options give (train_setting.go)
}

// settings returns the train block of model, or of the first model with a
// train block when model is "". options names the options type the call
// took ("TrainOptions"), for errors.
func (p *Program) settings(options, model string) (*settings, error) {
	return p.settingsWith(options, model, nil)
}

// settingsWith is settings with the block's settings over replaced by
// options' (train_setting.go), checked with the block's.
func (p *Program) settingsWith(options, model string, over map[string]override) (*settings, error) {
	if model == "" {
		ms := p.mod.TrainModels()
		if len(ms) == 0 {
			return nil, &OptionError{Where: p.path, Option: options + ".Model", Missing: true, Msg: "no train block"}
		}
		model = ms[0]
	}
	s := &settings{model: model, options: options, over: over}
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
		case "entry", "labels":
			if str, ok := v.(string); !ok || str == "" {
				err = s.errorf(lang.CodeArgType, k, "want a name in quotes, got %s", showValue(v))
			}
		case "data":
			errs = append(errs, s.checkData()...)
		case "inputs":
			errs = append(errs, s.checkInputs()...)
		case "preprocess":
			_, e := s.blockPreprocess()
			errs = append(errs, e...)
		case "augment":
			_, e := s.blockAugment()
			errs = append(errs, e...)
		case "accumulate", "class_weights", "clip_norm", "clip_value", "ema", "groups", "noise", "prune", "sampler":
			errs = append(errs, s.checkStepKey(k)...) // train_stability.go
		case "freeze", "init_from":
			errs = append(errs, s.checkFreezeKey(k)...) // train_freeze.go
		case "optimizer":
			if _, e := s.optimizer("", 0); e != nil && !errors.As(e, &err) {
				err = s.errorf(lang.CodeValue, k, "%v", e)
			}
		case "split":
			if _, err = s.blockSplit(); err == nil {
				if c, ok := s.spec.Fields["data"].(lang.Call); ok {
					if _, dup := c.Kwargs["split"]; dup {
						err = s.errorf(lang.CodeDuplicate, k, "the split is given twice: here and in data = %s(..., split = ...)", c.Name)
					}
				}
			}
		case "schedule", "metrics", "early_stop", "checkpoint", "eval_train", "val_every", "log_every", "seeds":
			if _, over := s.over[k]; !over {
				errs = append(errs, s.loopKey(k, &loopSettings{})...) // train_keys.go
			}
		default:
			err = s.errorAt(s.spec.KeyPos(k), lang.CodeArgs, k, "unknown setting (known: %s)", strings.Join(knownKeys(), ", "))
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, k := range loopKeys { // given by the options
		if _, over := s.over[k]; over {
			errs = append(errs, s.loopKey(k, &loopSettings{})...)
		}
	}
	return errs
}

// knownKeys lists every key a train block may give, sorted.
func knownKeys() []string {
	keys := slices.Concat(trainKeys, loopKeys)
	slices.Sort(keys)
	return slices.Compact(keys)
}

// checkInputs checks inputs = {input: "array", ...}: every value a name in
// quotes. (The inputs are checked against the entry when data is bound.)
func (s *settings) checkInputs() []*lang.Error {
	m, ok := s.spec.Fields["inputs"].(lang.Map)
	if !ok {
		return []*lang.Error{s.errorf(lang.CodeArgType, "inputs", "want {input: \"array\", ...} such as {ids: \"x\", next: \"y\"}, got %s", showValue(s.spec.Fields["inputs"]))}
	}
	var errs []*lang.Error
	for _, k := range m.Keys {
		if str, ok := m.Values[k].(string); !ok || str == "" {
			errs = append(errs, s.errorAt(s.spec.NestedPos("inputs", k), lang.CodeArgType, "inputs", "%s: want an array name in quotes, got %s", k, showValue(m.Values[k])))
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
	case []lang.Value:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = showValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case lang.Map:
		parts := make([]string, len(x.Keys))
		for i, k := range x.Keys {
			parts[i] = k + ": " + showValue(x.Values[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// errorf makes the error of the value of one setting, at the position
// where that value starts (the block's, for a setting the block does not
// give).
func (s *settings) errorf(code, key, format string, args ...any) *lang.Error {
	return s.errorAt(s.setPos(key), code, key, format, args...)
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
	if v, _ := s.value(key); v != nil {
		if str, ok := v.(string); ok {
			return str
		}
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
// and the overrides: name replaces the block's optimizer, and its settings,
// when it differs (a name, or a call written as in a train block,
// "sgd(lr = 0.1, momentum = 0.9)", which replaces the block's call
// whole); a positive lr replaces the learning rate. The hyperparameters
// are checked (see the Check method of each of package train's
// optimizers).
func (s *settings) optimizer(name string, lr float64) (train.Optimizer, error) {
	if math.IsNaN(lr) || math.IsInf(lr, 0) || lr < 0 {
		return nil, fmt.Errorf("the learning rate is %v: want a positive, finite number (0: the optimizer's)", lr)
	}
	call, err := s.optimizerCall()
	if err != nil {
		return nil, err
	}
	if strings.Contains(name, "(") {
		v, err := parseSetting(s.options+".Optimizer", "optimizer", name)
		if err != nil {
			return nil, err
		}
		c, ok := v.(lang.Call)
		if !ok {
			return nil, &OptionError{Option: s.options + ".Optimizer", Value: strconv.Quote(name), Msg: "want a call such as adam(lr = 1e-3)"}
		}
		call = c
	} else if name != "" && name != call.Name {
		call = lang.Call{Name: name, Kwargs: map[string]lang.Value{}}
	}
	if !slices.Contains(optimizerNames, call.Name) {
		return nil, s.errorf(lang.CodeArgs, "optimizer", "unknown optimizer %q (%s)", call.Name, strings.Join(optimizerNames, ", "))
	}
	kw, err := s.optimizerArgs(call)
	if err != nil {
		return nil, err
	}
	if lr > 0 {
		kw["lr"] = lr
	}
	opt, checkErr := newOptimizer(call.Name, kw)
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

// optimizerArgs reads an optimizer call's arguments as numbers (the flags
// nesterov and centered as 1 or 0), the learning rate given positionally
// or as lr.
func (s *settings) optimizerArgs(call lang.Call) (map[string]float64, error) {
	kw := map[string]float64{}
	keys := make([]string, 0, len(call.Kwargs))
	for k := range call.Kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	flags := map[string]bool{"nesterov": true, "centered": true}
	for _, k := range keys {
		v := call.Kwargs[k]
		if b, ok := v.(bool); ok && flags[k] {
			kw[k] = map[bool]float64{false: 0, true: 1}[b]
			continue
		}
		f, ok := number(v)
		if !ok || flags[k] {
			want := "a number"
			if flags[k] {
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
	return kw, nil
}

// newOptimizer makes the optimizer name with the settings of kw, PyTorch's
// defaults for those not given (lion: the paper's). It deletes from kw the
// settings it reads; what is left is unknown to the optimizer.
func newOptimizer(name string, kw map[string]float64) (train.Optimizer, error) {
	get := func(k string, def float64) float64 {
		if v, ok := kw[k]; ok {
			delete(kw, k)
			return v
		}
		return def
	}
	switch name {
	case "sgd":
		o := &train.SGD{LR: get("lr", 1e-2), Momentum: get("momentum", 0), Nesterov: get("nesterov", 0) != 0, WeightDecay: get("weight_decay", 0)}
		return o, o.Check()
	case "rmsprop":
		o := train.NewRMSprop(get("lr", 1e-2))
		o.Alpha, o.Eps, o.WeightDecay = get("alpha", o.Alpha), get("eps", o.Eps), get("weight_decay", 0)
		o.Momentum, o.Centered = get("momentum", 0), get("centered", 0) != 0
		return o, o.Check()
	case "adagrad":
		o := train.NewAdagrad(get("lr", 1e-2))
		o.LRDecay, o.WeightDecay = get("lr_decay", 0), get("weight_decay", 0)
		o.InitialAccumulator, o.Eps = get("initial_accumulator_value", 0), get("eps", o.Eps)
		return o, o.Check()
	case "lion":
		o := train.NewLion(get("lr", 1e-4))
		o.Beta1, o.Beta2, o.WeightDecay = get("beta1", o.Beta1), get("beta2", o.Beta2), get("weight_decay", 0)
		return o, o.Check()
	}
	a := train.NewAdam(get("lr", 1e-3)) // adam, adamw
	if name == "adamw" {
		a = train.NewAdamW(a.LR, get("weight_decay", 1e-2))
	} else {
		a.WeightDecay = get("weight_decay", 0)
	}
	a.Beta1, a.Beta2, a.Eps = get("beta1", a.Beta1), get("beta2", a.Beta2), get("eps", a.Eps)
	return a, a.Check()
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

// blockSplit reads the block's split = [train, val, test] (DefaultSplit
// when the block gives none): three numbers, each a non-negative, finite
// fraction, summing to 1 within 1e-9, the first positive (Split.Check).
func (s *settings) blockSplit() (Split, *lang.Error) {
	v, ok := s.spec.Fields["split"]
	if !ok {
		return DefaultSplit(), nil
	}
	list, ok := v.([]lang.Value)
	if !ok || len(list) != 3 {
		return Split{}, s.errorf(lang.CodeArgType, "split", "want three fractions [train, val, test] such as [0.8, 0.1, 0.1], got %s", showValue(v))
	}
	var f [3]float64
	for i, x := range list {
		n, ok := number(x)
		if !ok {
			return Split{}, s.errorf(lang.CodeArgType, "split", "want three fractions [train, val, test] such as [0.8, 0.1, 0.1], got %s", showValue(v))
		}
		f[i] = n
	}
	sp := Split{Train: f[0], Val: f[1], Test: f[2]}
	if err := sp.Check(); err != nil {
		return Split{}, s.errorf(lang.CodeValue, "split", "%v", err)
	}
	return sp, nil
}

// split is the block's split; the block was checked when s was made.
func (s *settings) split() Split {
	sp, err := s.blockSplit()
	if err != nil {
		return DefaultSplit()
	}
	return sp
}

// noTestSet is Eval's error for a split without a test set: given gives the
// option's split (the zero Split when the block's applies).
func (s *settings) noTestSet(given Split) error {
	if given != (Split{}) {
		return &OptionError{Option: s.options + ".Split", Value: given.String(), Msg: "the test fraction is 0: there is nothing to evaluate"}
	}
	if c, ok := s.spec.Fields["data"].(lang.Call); ok {
		if _, inCall := c.Kwargs["split"]; inCall {
			return s.errorAt(s.spec.NestedPos("data", "split"), lang.CodeValue, "data", "%s: the split has no test set: there is nothing to evaluate", c.Name)
		}
	}
	return s.errorf(lang.CodeValue, "split", "the test fraction is 0: there is nothing to evaluate")
}

// CheckTrainBlocks checks the settings of every train block of the program
// as Train would (unknown keys, values out of range, data constructors'
// arguments), without loading data, and returns every error found, each at
// its setting's position; nil when all are right. nnc check runs it, so a
// block that train would refuse does not pass check.
func (p *Program) CheckTrainBlocks() (err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return errNoProgram
	}
	var all lang.ErrorList
	for _, m := range p.mod.TrainModels() {
		s, err := p.settings("TrainOptions", m)
		if err != nil {
			var list lang.ErrorList
			if errors.As(err, &list) {
				all = append(all, list...)
				continue
			}
			return err
		}
		all = append(all, p.checkFreezing(s)...) // train_freeze.go
	}
	if len(all) == 0 {
		return nil
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i].Pos, all[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return all
}
