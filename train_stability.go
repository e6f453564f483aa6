package nnc

import (
	"errors"
	"fmt"
	"math"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/train"
)

// The train block's settings of the step beyond the optimizer
// (train.StepOptions), and of the sampler:
//
//	clip_norm     = 1.0
//	clip_value    = 0.5
//	groups        = [group("*.b", weight_decay = 0), group("norm*", lr = 1e-4)]
//	accumulate    = 4
//	ema           = 0.999                 // or ema(decay = 0.999, start = 2000)
//	noise         = noise(input = 0.1, weight = 0.01, inputs = ["x"])
//	prune         = prune(sparsity = 0.9, start = 0, end = 1000, every = 100, scope = "layer", params = ["*.W"])
//	class_weights = "balanced"            // or [1.0, 2.0, 0.5]
//	sampler       = "balanced"            // or "shuffle"

// stepKeys are those settings; they join trainKeys.
var stepKeys = []string{"accumulate", "class_weights", "clip_norm", "clip_value", "ema", "groups", "noise", "prune", "sampler"}

func init() {
	trainKeys = append(trainKeys, stepKeys...)
	sort.Strings(trainKeys)
}

// Group, Noise and Prune are the settings of the train block's group(...),
// noise(...) and prune(...), as package train defines them (see
// train.Group, train.Noise, train.Prune).
type (
	Group = train.Group
	Noise = train.Noise
	Prune = train.Prune
)

// StepSettings are the fields of TrainOptions that override the train
// block's settings of the training step beyond the optimizer (see
// docs/training.md, "Stability and regularization"). The zero value of a
// field means "not given": the block's setting applies.
type StepSettings struct {
	// ClipNorm scales the gradients to this global L2 norm at most
	// (clip_norm); ClipValue clamps each element to ±ClipValue
	// (clip_value).
	ClipNorm, ClipValue float64
	// Groups give the parameters their patterns select other optimizer
	// settings (groups), replacing the block's groups.
	Groups []Group
	// Accumulate sums the gradients of this many batches into one update
	// (accumulate).
	Accumulate int
	// EMA keeps a moving average of the weights with this decay, used for
	// evaluation and written as the trained parameters (ema); -1 turns the
	// train block's ema off.
	EMA float64
	// EMAStart makes the moving average a copy of the weights through
	// this many updates before it starts averaging (ema's start; 0: the
	// train block's, else from the first update). It needs EMA or the
	// block's ema.
	EMAStart int
	// Noise adds Gaussian noise to the inputs and weights in training
	// (noise), replacing the block's noise.
	Noise *Noise
	// Prune prunes the weights gradually by magnitude (prune), replacing
	// the block's pruning.
	Prune *Prune
	// ClassWeights weighs the classes of cross entropy: "balanced", a
	// list of weights "1,2,0.5", or "none" (class_weights).
	ClassWeights string
	// Sampler draws the training rows: "balanced" (each class equally
	// often) or "shuffle" (sampler).
	Sampler string
}

// check reports the fields no setting can take.
func (o *StepSettings) check() error {
	bad := func(field string, v any, msg string) error {
		return &OptionError{Option: "TrainOptions." + field, Value: fmt.Sprint(v), Msg: msg}
	}
	switch {
	case !(o.ClipNorm >= 0 && !math.IsInf(o.ClipNorm, 0)):
		return bad("ClipNorm", o.ClipNorm, "want a positive, finite norm (0: the train block's)")
	case !(o.ClipValue >= 0 && !math.IsInf(o.ClipValue, 0)):
		return bad("ClipValue", o.ClipValue, "want a positive, finite value (0: the train block's)")
	case o.Accumulate < 0:
		return bad("Accumulate", o.Accumulate, "want a positive number of batches (0: the train block's)")
	case !(o.EMA >= 0 && o.EMA < 1) && o.EMA != -1:
		return bad("EMA", o.EMA, "want a decay in (0, 1) (0: the train block's; -1: none)")
	case o.EMAStart < 0 || o.EMAStart > train.MaxEMAStart:
		return bad("EMAStart", o.EMAStart, fmt.Sprintf("want a number of updates from 0 to %d (0: the train block's)", train.MaxEMAStart))
	case o.Sampler != "" && o.Sampler != "balanced" && o.Sampler != "shuffle":
		return bad("Sampler", strconv.Quote(o.Sampler), "want \"balanced\" or \"shuffle\" (\"\": the train block's)")
	}
	if o.ClassWeights != "" {
		if _, _, err := parseClassWeights(o.ClassWeights); err != nil {
			return bad("ClassWeights", strconv.Quote(o.ClassWeights), err.Error())
		}
	}
	return nil
}

// parseClassWeights reads "balanced", "none" or "w0,w1,...".
func parseClassWeights(s string) (w []float64, balanced bool, err error) {
	switch s {
	case "balanced":
		return nil, true, nil
	case "none":
		return nil, false, nil
	}
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v < 0 || math.IsInf(v, 0) {
			return nil, false, fmt.Errorf("want \"balanced\", \"none\" or non-negative weights such as \"1,2,0.5\"")
		}
		w = append(w, v)
	}
	return w, false, nil
}

// checkStepKey checks the block's setting k, one of stepKeys.
func (s *settings) checkStepKey(k string) []*lang.Error {
	so := &train.StepOptions{}
	var sampler string
	errs := s.stepKey(k, so, &sampler)
	if len(errs) > 0 {
		return errs
	}
	if base, err := s.optimizer("", 0); err == nil && k == "groups" {
		so.Optimizer = base
		if err := so.Check(); err != nil {
			return []*lang.Error{s.settingError(err)}
		}
	}
	return nil
}

// stepKey reads the block's setting k into so (sampler: into sampler).
func (s *settings) stepKey(k string, so *train.StepOptions, sampler *string) []*lang.Error {
	v, ok := s.spec.Fields[k]
	if !ok {
		return nil
	}
	one := func(err *lang.Error) []*lang.Error {
		if err == nil {
			return nil
		}
		return []*lang.Error{err}
	}
	switch k {
	case "clip_norm", "clip_value", "ema":
		if c, isCall := v.(lang.Call); isCall && k == "ema" {
			return s.blockEMA(c, so)
		}
		f, ok := number(v)
		switch {
		case !ok:
			return one(s.errorf(lang.CodeArgType, k, "want a number, got %s", showValue(v)))
		case k == "ema" && !(f > 0 && f < 1):
			return one(s.errorf(lang.CodeValue, k, "want a decay in (0, 1) such as 0.999, got %v", f))
		case k != "ema" && !(f > 0 && !math.IsInf(f, 0)):
			return one(s.errorf(lang.CodeValue, k, "want a positive number, got %v", f))
		}
		*map[string]*float64{"clip_norm": &so.ClipNorm, "clip_value": &so.ClipValue, "ema": &so.EMA}[k] = f
	case "accumulate":
		n, ok := v.(int64)
		if !ok || n < 1 || n > 1<<20 {
			return one(s.errorf(lang.CodeValue, k, "want a number of batches from 1 to %d, got %s", 1<<20, showValue(v)))
		}
		so.Accumulate = int(n)
	case "sampler":
		str, ok := v.(string)
		if !ok || str != "balanced" && str != "shuffle" {
			return one(s.errorf(lang.CodeValue, k, "want \"balanced\" or \"shuffle\", got %s", showValue(v)))
		}
		*sampler = str
	case "class_weights":
		return one(s.blockClassWeights(v, so))
	case "groups":
		return s.blockGroups(v, so)
	case "noise":
		return s.blockNoise(v, so)
	case "prune":
		return s.blockPrune(v, so)
	}
	return nil
}

// blockClassWeights reads class_weights = "balanced" or [w0, w1, ...].
func (s *settings) blockClassWeights(v lang.Value, so *train.StepOptions) *lang.Error {
	const want = "want \"balanced\" or a list of weights such as [1, 2, 0.5]"
	if str, ok := v.(string); ok {
		if str != "balanced" {
			return s.errorf(lang.CodeValue, "class_weights", "%s, got %s", want, showValue(v))
		}
		so.BalancedClasses = true
		return nil
	}
	list, ok := v.([]lang.Value)
	if !ok || len(list) == 0 {
		return s.errorf(lang.CodeArgType, "class_weights", "%s, got %s", want, showValue(v))
	}
	for i, x := range list {
		f, ok := number(x)
		if !ok || !(f >= 0 && !math.IsInf(f, 0)) {
			return s.errorAt(s.spec.NestedPos("class_weights", itoa(i)), lang.CodeValue, "class_weights", "weight %d is %s: want a non-negative number", i, showValue(x))
		}
		so.ClassWeights = append(so.ClassWeights, f)
	}
	if err := (&train.StepOptions{Optimizer: &train.SGD{LR: 1}, ClassWeights: so.ClassWeights}).Check(); err != nil {
		return s.settingError(err)
	}
	return nil
}

// callOf reads setting k as a call of name; the error says want.
func (s *settings) callOf(k string, v lang.Value, name, want string) (lang.Call, *lang.Error) {
	c, ok := v.(lang.Call)
	if !ok || c.Name != name {
		return c, s.errorf(lang.CodeArgType, k, "want %s, got %s", want, showValue(v))
	}
	return c, nil
}

// kwargs checks that c has only the keyword arguments known (and no
// positional argument past the first npos) and returns the known ones it
// has, sorted.
func (s *settings) kwargs(k string, path []string, c lang.Call, npos int, known ...string) ([]string, []*lang.Error) {
	var errs []*lang.Error
	if len(c.Args) > npos {
		errs = append(errs, s.errorAt(s.spec.NestedPos(k, append(path, itoa(npos))...), lang.CodeArgs, k, "%s takes %s", c.Name, argsText(npos, known)))
	}
	keys := make([]string, 0, len(c.Kwargs))
	for kw := range c.Kwargs {
		keys = append(keys, kw)
	}
	sort.Strings(keys)
	var ok []string
	for _, kw := range keys {
		if !slices.Contains(known, kw) {
			errs = append(errs, s.errorAt(s.spec.NestedKeyPos(k, append(path, kw)...), lang.CodeArgs, k, "%s has no argument %s (arguments: %s)", c.Name, kw, strings.Join(known, ", ")))
			continue
		}
		ok = append(ok, kw)
	}
	return ok, errs
}

func argsText(npos int, known []string) string {
	if npos == 0 {
		return "keyword arguments only (" + strings.Join(known, ", ") + ")"
	}
	return "one pattern, then keyword arguments"
}

// blockGroups reads groups = [group("pattern", setting = value, ...), ...]
// (or one group(...)).
func (s *settings) blockGroups(v lang.Value, so *train.StepOptions) []*lang.Error {
	const want = "want group(\"pattern\", setting = value, ...) or a list of them"
	items, paths := []lang.Value{v}, [][]string{nil}
	if l, ok := v.([]lang.Value); ok {
		items, paths = l, make([][]string, len(l))
		for i := range l {
			paths[i] = []string{itoa(i)}
		}
	}
	if len(items) == 0 {
		return []*lang.Error{s.errorf(lang.CodeArgType, "groups", "%s, got []", want)}
	}
	var errs []*lang.Error
	for i, it := range items {
		c, ok := it.(lang.Call)
		if !ok || c.Name != "group" {
			errs = append(errs, s.errorAt(s.spec.NestedPos("groups", paths[i]...), lang.CodeArgType, "groups", "%s, got %s", want, showValue(it)))
			continue
		}
		pat, ok := "", len(c.Args) > 0
		if ok {
			pat, ok = c.Args[0].(string)
		}
		if !ok || pat == "" {
			errs = append(errs, s.errorAt(s.spec.NestedPos("groups", append(paths[i], "0")...), lang.CodeArgType, "groups", "group takes a parameter pattern in quotes first, such as \"*.b\""))
			continue
		}
		if _, err := path.Match(pat, ""); err != nil {
			errs = append(errs, s.errorAt(s.spec.NestedPos("groups", append(paths[i], "0")...), lang.CodeValue, "groups", "group(%q): not a pattern (* any characters, ? one, [...] a class)", pat))
			continue
		}
		g := train.Group{Pattern: pat, Set: map[string]float64{}}
		keys, e := s.kwargs("groups", paths[i], c, 1, groupSettings...)
		errs = append(errs, e...)
		for _, kw := range keys {
			x := c.Kwargs[kw]
			if b, isBool := x.(bool); isBool {
				g.Set[kw] = map[bool]float64{false: 0, true: 1}[b]
			} else if f, isNum := number(x); isNum {
				g.Set[kw] = f
			} else {
				errs = append(errs, s.errorAt(s.spec.NestedPos("groups", append(paths[i], kw)...), lang.CodeArgType, "groups", "%s = %s: want a number", kw, showValue(x)))
			}
		}
		so.Groups = append(so.Groups, g)
	}
	return errs
}

// groupSettings are the optimizer settings a group may give (each
// optimizer takes some of them; see train.Override).
var groupSettings = []string{"alpha", "beta1", "beta2", "centered", "eps", "initial_accumulator_value", "lr", "lr_decay", "momentum", "nesterov", "weight_decay"}

// blockNoise reads noise = noise(input = σ, weight = σ, inputs = [...]).
func (s *settings) blockNoise(v lang.Value, so *train.StepOptions) []*lang.Error {
	c, err := s.callOf("noise", v, "noise", "noise(input = 0.1, weight = 0.01)")
	if err != nil {
		return []*lang.Error{err}
	}
	keys, errs := s.kwargs("noise", nil, c, 0, "input", "inputs", "weight")
	for _, kw := range keys {
		x := c.Kwargs[kw]
		at := s.spec.NestedPos("noise", kw)
		if kw == "inputs" {
			names, ok := stringList(x)
			if !ok {
				errs = append(errs, s.errorAt(at, lang.CodeArgType, "noise", "inputs = %s: want a list of input names in quotes", showValue(x)))
			}
			so.Noise.Inputs = names
			continue
		}
		f, ok := number(x)
		if !ok || !(f >= 0 && !math.IsInf(f, 0)) {
			errs = append(errs, s.errorAt(at, lang.CodeValue, "noise", "%s = %s: want a non-negative standard deviation", kw, showValue(x)))
			continue
		}
		*map[string]*float64{"input": &so.Noise.Input, "weight": &so.Noise.Weight}[kw] = f
	}
	if len(errs) == 0 {
		if e := so.Noise.Check(); e != nil {
			errs = append(errs, s.settingError(e))
		}
	}
	return errs
}

// blockEMA reads ema = ema(decay = 0.999, start = 2000): the decay (needed)
// and the updates through which the average copies the weights.
func (s *settings) blockEMA(c lang.Call, so *train.StepOptions) []*lang.Error {
	if _, err := s.callOf("ema", c, "ema", "a decay such as 0.999 or ema(decay = 0.999, start = 2000)"); err != nil {
		return []*lang.Error{err}
	}
	keys, errs := s.kwargs("ema", nil, c, 0, "decay", "start")
	if !slices.Contains(keys, "decay") && len(errs) == 0 {
		errs = append(errs, s.errorf(lang.CodeArgs, "ema", "ema(...) needs decay = d"))
	}
	for _, kw := range keys {
		x, at := c.Kwargs[kw], s.spec.NestedPos("ema", kw)
		if kw == "decay" {
			f, ok := number(x)
			if !ok || !(f > 0 && f < 1) {
				errs = append(errs, s.errorAt(at, lang.CodeValue, "ema", "decay = %s: want a decay in (0, 1) such as 0.999", showValue(x)))
				continue
			}
			so.EMA = f
			continue
		}
		n, ok := x.(int64)
		if !ok || n < 0 || n > train.MaxEMAStart {
			errs = append(errs, s.errorAt(at, lang.CodeValue, "ema", "start = %s: want a number of updates from 0 to %d", showValue(x), train.MaxEMAStart))
			continue
		}
		so.EMAStart = int(n)
	}
	return errs
}

// stringList reads a list of non-empty strings.
func stringList(v lang.Value) ([]string, bool) {
	l, ok := v.([]lang.Value)
	if !ok {
		return nil, false
	}
	var out []string
	for _, x := range l {
		str, ok := x.(string)
		if !ok || str == "" {
			return nil, false
		}
		out = append(out, str)
	}
	return out, true
}

// blockPrune reads prune = prune(sparsity = 0.9, start = 0, end = N,
// every = 100, scope = "layer", params = [...]).
func (s *settings) blockPrune(v lang.Value, so *train.StepOptions) []*lang.Error {
	c, err := s.callOf("prune", v, "prune", "prune(sparsity = 0.9, end = 1000)")
	if err != nil {
		return []*lang.Error{err}
	}
	pr := &train.Prune{Every: 100, Scope: train.ScopeLayer}
	keys, errs := s.kwargs("prune", nil, c, 0, "end", "every", "params", "scope", "sparsity", "start")
	for _, kw := range []string{"sparsity", "end"} {
		if _, ok := c.Kwargs[kw]; !ok {
			errs = append(errs, s.errorf(lang.CodeArgs, "prune", "prune needs %s", kw))
		}
	}
	for _, kw := range keys {
		x := c.Kwargs[kw]
		at := s.spec.NestedPos("prune", kw)
		switch kw {
		case "sparsity":
			f, ok := number(x)
			if !ok || !(f > 0 && f < 1) {
				errs = append(errs, s.errorAt(at, lang.CodeValue, "prune", "sparsity = %s: want a fraction in (0, 1)", showValue(x)))
			}
			pr.Sparsity = f
		case "start", "end", "every":
			n, ok := x.(int64)
			if !ok || n < 0 || kw == "every" && n < 1 {
				errs = append(errs, s.errorAt(at, lang.CodeValue, "prune", "%s = %s: want a number of steps", kw, showValue(x)))
			}
			*map[string]*int64{"start": &pr.Start, "end": &pr.End, "every": &pr.Every}[kw] = n
		case "scope":
			str, ok := x.(string)
			if !ok || str != train.ScopeLayer && str != train.ScopeGlobal {
				errs = append(errs, s.errorAt(at, lang.CodeValue, "prune", "scope = %s: want \"layer\" or \"global\"", showValue(x)))
			}
			pr.Scope = str
		case "params":
			names, ok := stringList(x)
			if !ok {
				errs = append(errs, s.errorAt(at, lang.CodeArgType, "prune", "params = %s: want a list of parameter patterns in quotes", showValue(x)))
			}
			for i, pat := range names {
				if _, err := path.Match(pat, ""); err != nil {
					errs = append(errs, s.errorAt(s.spec.NestedPos("prune", kw, itoa(i)), lang.CodeValue, "prune", "params: %q is not a pattern (* any characters, ? one, [...] a class)", pat))
				}
			}
			pr.Params = names
		}
	}
	if len(errs) == 0 {
		if e := pr.Check(); e != nil {
			errs = append(errs, s.settingError(e))
		}
	}
	so.Prune = pr
	return errs
}

// settingError places an error of train.StepOptions at the setting it
// names (the block's position for a setting the block does not give).
func (s *settings) settingError(err error) *lang.Error {
	var se *train.SettingError
	if errors.As(err, &se) {
		return s.errorf(lang.CodeValue, se.Key, "%v", se.Err)
	}
	return s.errorAt(s.spec.Pos, lang.CodeValue, "train", "%v", err)
}

// stepOptions builds the step settings around the optimizer o from the
// block's settings and the options' overrides, and the sampler's name
// ("balanced" or ""). The data-dependent parts are set by stepData.
func (s *settings) stepOptions(o train.Optimizer, opts *StepSettings) (*train.StepOptions, string, error) {
	so := &train.StepOptions{Optimizer: o}
	var sampler string
	var errs lang.ErrorList
	for _, k := range stepKeys {
		errs = append(errs, s.stepKey(k, so, &sampler)...)
	}
	if len(errs) > 0 {
		return nil, "", errs
	}
	if err := opts.check(); err != nil {
		return nil, "", err
	}
	if opts.ClipNorm > 0 {
		so.ClipNorm = opts.ClipNorm
	}
	if opts.ClipValue > 0 {
		so.ClipValue = opts.ClipValue
	}
	if opts.Groups != nil {
		so.Groups = opts.Groups
	}
	if opts.Accumulate > 0 {
		so.Accumulate = opts.Accumulate
	}
	switch {
	case opts.EMA > 0:
		so.EMA = opts.EMA
	case opts.EMA == -1:
		so.EMA, so.EMAStart = 0, 0
	}
	if opts.EMAStart > 0 {
		so.EMAStart = opts.EMAStart
	}
	if opts.Noise != nil {
		so.Noise = *opts.Noise
	}
	if opts.Prune != nil {
		p := *opts.Prune
		so.Prune = &p
	}
	if opts.ClassWeights != "" {
		so.ClassWeights, so.BalancedClasses, _ = parseClassWeights(opts.ClassWeights)
	}
	if opts.Sampler != "" {
		sampler = opts.Sampler
	}
	if sampler == "shuffle" {
		sampler = ""
	}
	if err := so.Check(); err != nil {
		return nil, "", s.settingError(err)
	}
	return so, sampler, nil
}

// stepData completes so with what the data decides: the balanced class
// weights (from the training labels), the inputs that get noise (every
// float input but the labels and the mask), and makes the balanced
// sampler when sampler is "balanced".
func (s *settings) stepData(so *train.StepOptions, sampler string, pd *preparedData, seed uint64) (*train.BalancedSampler, error) {
	labels := func(key string) error {
		if pd.b.label == "" || pd.train.Get(pd.b.label) == nil {
			return s.errorf(lang.CodeValue, key, "needs class labels (set labels)")
		}
		return nil
	}
	if so.BalancedClasses {
		if err := labels("class_weights"); err != nil {
			return nil, err
		}
		var mask *Tensor
		if pd.b.mask != "" {
			mask = pd.train.Get(pd.b.mask)
		}
		w, err := train.BalancedClassWeights(pd.train.Get(pd.b.label), mask)
		if err != nil {
			return nil, s.errorf(lang.CodeValue, "class_weights", "the training labels %q: %s", pd.b.label, labelText(pd, err))
		}
		so.ClassWeights = w
	}
	if so.Noise.Input > 0 && so.Noise.Inputs == nil {
		for _, a := range pd.b.inputs {
			if a.Type.DType.IsFloat() && a.Name != pd.b.label && a.Name != pd.b.mask && !slices.Contains(so.Noise.Inputs, a.Name) {
				so.Noise.Inputs = append(so.Noise.Inputs, a.Name)
			}
		}
		if so.Noise.Inputs == nil {
			return nil, s.errorf(lang.CodeValue, "noise", "the entry has no float input besides the labels to add input noise to")
		}
	}
	if so.Accumulate > 1 && pd.fullBatch {
		return nil, s.errorf(lang.CodeValue, "accumulate", "full-batch data has one batch an epoch: there is nothing to accumulate")
	}
	if sampler != "balanced" {
		return nil, nil
	}
	if err := labels("sampler"); err != nil {
		return nil, err
	}
	if pd.fullBatch {
		return nil, s.errorf(lang.CodeValue, "sampler", "full-batch data is not sampled")
	}
	smp, err := train.NewBalancedSampler(pd.train.Get(pd.b.label), seed)
	if err != nil {
		return nil, s.errorf(lang.CodeValue, "sampler", "the training labels %q: %s", pd.b.label, labelText(pd, err))
	}
	return smp, nil
}

// labelText says where a label that is not a class id is in the data
// ("file:17" for a CSV line); other errors as they are.
func labelText(pd *preparedData, err error) string {
	var le *train.LabelError
	if errors.As(err, &le) {
		return fmt.Sprintf("%s: label %v is not a class id (an integer from 0 below %d)", pd.train.Source.Where(le.Row), le.Value, 1<<20)
	}
	var se *train.SettingError
	if errors.As(err, &se) {
		return se.Err.Error()
	}
	return err.Error()
}

// stepRun prepares what the loop and the end of training need of so once
// the step is built and the store initialized: the class weights in the
// store, the evaluation graphs reading the moving averages, and the store
// whose parameters are written at the end (savedStore).
func (p *Program) stepRun(so *train.StepOptions, store *runtime.Store, params []*ops.Node, fwd, loss *ops.Graph) (*ops.Graph, *ops.Graph, *runtime.Store, error) {
	if err := so.InitStates(store); err != nil {
		return nil, nil, nil, err
	}
	if so.EMA > 0 {
		var err error
		if fwd != nil {
			if fwd, err = train.AveragedGraph(fwd); err != nil {
				return nil, nil, nil, err
			}
		}
		if loss != nil {
			if loss, err = train.AveragedGraph(loss); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	saved, err := savedStore(so, store, params)
	return fwd, loss, saved, err
}

// savedStore is the store whose parameters are written at the end of
// training: with a moving average, the averages under the parameters'
// names (the store's tensors themselves, so it may be made before
// training).
func savedStore(so *train.StepOptions, store *runtime.Store, params []*ops.Node) (*runtime.Store, error) {
	if so.EMA <= 0 {
		return store, nil
	}
	names := make([]string, len(params))
	for i, n := range params {
		names[i] = n.Name()
	}
	return train.AveragedParams(store, names)
}
