package nnc

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/train"
)

// The train block keys of the loop: schedule, metrics, early_stop,
// checkpoint, eval_train, val_every and log_every. Each is read into a
// loopSettings value; every error is placed at its key's value (or the
// argument inside it), and all are reported together.

// loopSettings are the loop's keys read from the block and the options.
type loopSettings struct {
	// schedule has the kind and its arguments (nil: constant); its rate,
	// epochs and steps are set when the run is known.
	schedule  *train.Schedule
	metrics   []string
	earlyStop *train.EarlyStop
	ckpt      *checkpointSetting
	evalTrain bool
	valEvery  int
	logEvery  int
	seeds     int // 0: not given
}

// checkpointSetting is checkpoint(every = 1 | "N epochs" | "N steps",
// keep = 3, best = "val_loss", dir = "checkpoints").
type checkpointSetting struct {
	everyEpochs, everySteps int
	keep                    int
	best                    string
	dir                     string
}

// loopKeys are the keys loopSettings reads.
var loopKeys = []string{"schedule", "metrics", "early_stop", "checkpoint", "eval_train", "val_every", "log_every", "seeds"}

// scheduleArgs are the arguments of each schedule, in positional order.
var scheduleArgs = map[string][]string{
	train.ScheduleConstant:    {},
	train.ScheduleStep:        {"every", "gamma"},
	train.ScheduleExponential: {"gamma"},
	train.ScheduleCosine:      {"warmup", "min_lr"},
	train.ScheduleLinear:      {"warmup"},
	train.ScheduleOneCycle:    {"max_lr", "pct"},
	train.SchedulePlateau:     {"patience", "factor", "monitor", "mode"},
}

// callArgs matches the arguments of call against names (positional ones
// in that order), reporting each unknown or repeated argument at its place
// in setting key.
func (s *settings) callArgs(key string, call lang.Call, names []string) (map[string]lang.Value, []*lang.Error) {
	var errs []*lang.Error
	out := map[string]lang.Value{}
	if len(call.Args) > len(names) {
		errs = append(errs, s.errorAt(s.nestedPos(key, strconv.Itoa(len(names))), lang.CodeArgs, key,
			"%s takes at most %d positional arguments (%s), got %d", call.Name, len(names), strings.Join(names, ", "), len(call.Args)))
	}
	for i, a := range call.Args {
		if i < len(names) {
			out[names[i]] = a
		}
	}
	for k, v := range call.Kwargs {
		switch {
		case !slices.Contains(names, k):
			known := "no arguments"
			if len(names) > 0 {
				known = strings.Join(names, ", ")
			}
			errs = append(errs, s.errorAt(s.nestedKeyPos(key, k), lang.CodeArgs, key, "%s has no argument %s (%s)", call.Name, k, known))
		case out[k] != nil:
			errs = append(errs, s.errorAt(s.nestedPos(key, k), lang.CodeDuplicate, key, "%s: %s is given twice (positional and %s =)", call.Name, k, k))
		default:
			out[k] = v
		}
	}
	return out, errs
}

func (s *settings) nestedKeyPos(key string, path ...string) ops.Pos {
	if _, ok := s.over[key]; ok {
		return s.setPos(key)
	}
	return s.spec.NestedKeyPos(key, path...)
}

// argReader reads the arguments of one call of setting key, recording
// the first error of each.
type argReader struct {
	s    *settings
	key  string
	name string // the call's name
	args map[string]lang.Value
	errs []*lang.Error
}

func (r *argReader) fail(arg, format string, a ...any) {
	what := arg
	if r.name != r.key { // schedule: cosine: warmup = ...; early_stop: patience = ...
		what = r.name + ": " + arg
	}
	r.errs = append(r.errs, r.s.errorAt(r.s.nestedPos(r.key, arg), lang.CodeValue, r.key, "%s = %s: %s",
		what, showValue(r.args[arg]), fmt.Sprintf(format, a...)))
}

// int reads a whole number in [lo, hi] (def when not given).
func (r *argReader) int(arg string, def, lo, hi int) int {
	v, ok := r.args[arg]
	if !ok {
		return def
	}
	n, isInt := v.(int64)
	if !isInt || n < int64(lo) || n > int64(hi) {
		r.fail(arg, "want a whole number from %d to %d", lo, hi)
		return def
	}
	return int(n)
}

// float reads a finite number (def when not given).
func (r *argReader) float(arg string, def float64) float64 {
	v, ok := r.args[arg]
	if !ok {
		return def
	}
	f, isNum := number(v)
	if !isNum || math.IsNaN(f) || math.IsInf(f, 0) {
		r.fail(arg, "want a finite number")
		return def
	}
	return f
}

// str reads a string (def when not given).
func (r *argReader) str(arg, def string) string {
	v, ok := r.args[arg]
	if !ok {
		return def
	}
	str, isStr := v.(string)
	if !isStr || str == "" {
		r.fail(arg, "want a name in quotes")
		return def
	}
	return str
}

// bool reads true or false (def when not given).
func (r *argReader) bool(arg string, def bool) bool {
	v, ok := r.args[arg]
	if !ok {
		return def
	}
	b, isBool := v.(bool)
	if !isBool {
		r.fail(arg, "want true or false")
		return def
	}
	return b
}

// asCall reads setting key as a call: a call, or a bare name (a call
// without arguments). off reports the value "none" or false (the setting
// turned off, by an option).
func (s *settings) asCall(key, example string) (call lang.Call, off bool, err *lang.Error) {
	v, _ := s.value(key)
	switch x := v.(type) {
	case lang.Call:
		return x, false, nil
	case string:
		if x == "none" {
			return call, true, nil
		}
		return lang.Call{Name: x, Kwargs: map[string]lang.Value{}}, false, nil
	case bool:
		if !x {
			return call, true, nil
		}
	}
	return call, false, s.errorf(lang.CodeArgType, key, "want a call such as %s, got %s", example, showValue(v))
}

// loopSettings reads the loop's keys.
func (s *settings) loopSettings() (loopSettings, lang.ErrorList) {
	var ls loopSettings
	var errs lang.ErrorList
	for _, k := range loopKeys {
		errs = append(errs, s.loopKey(k, &ls)...)
	}
	return ls, errs
}

// loopKey reads the loop's key k into ls, when the block or the options
// give it.
func (s *settings) loopKey(k string, ls *loopSettings) []*lang.Error {
	v, ok := s.value(k)
	if !ok {
		return nil
	}
	var errs []*lang.Error
	switch k {
	case "schedule":
		ls.schedule, errs = s.schedule()
	case "metrics":
		ls.metrics, errs = s.metrics()
	case "early_stop":
		ls.earlyStop, errs = s.earlyStop()
	case "checkpoint":
		ls.ckpt, errs = s.checkpoint()
	case "eval_train":
		b, isBool := v.(bool)
		if !isBool {
			errs = append(errs, s.errorf(lang.CodeArgType, k, "want true or false, got %s", showValue(v)))
		}
		ls.evalTrain = b
	case "val_every", "log_every":
		n, isInt := v.(int64)
		if !isInt || n < 1 || n > math.MaxInt32 {
			errs = append(errs, s.errorf(lang.CodeValue, k, "want a positive number of steps, got %s", showValue(v)))
		} else if k == "val_every" {
			ls.valEvery = int(n)
		} else {
			ls.logEvery = int(n)
		}
	case "seeds":
		n, isInt := v.(int64)
		if !isInt || n < 1 || n > maxSeeds {
			errs = append(errs, s.errorf(lang.CodeValue, k, "want a number of seeds from 1 to %d, got %s", maxSeeds, showValue(v)))
		} else {
			ls.seeds = int(n)
		}
	}
	slices.SortStableFunc(errs, func(a, b *lang.Error) int { // by position within the value
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
	return errs
}

// schedule reads schedule = cosine(warmup = 100, min_lr = 1e-5), ...
func (s *settings) schedule() (*train.Schedule, []*lang.Error) {
	call, off, err := s.asCall("schedule", "cosine(warmup = 100)")
	if err != nil {
		return nil, []*lang.Error{err}
	}
	if off {
		return nil, nil
	}
	names, ok := scheduleArgs[call.Name]
	if !ok {
		return nil, []*lang.Error{s.errorf(lang.CodeArgs, "schedule", "unknown schedule %q (constant, step, exponential, cosine, linear, one_cycle, plateau)", call.Name)}
	}
	args, errs := s.callArgs("schedule", call, names)
	r := &argReader{s: s, key: "schedule", name: call.Name, args: args, errs: errs}
	sch := &train.Schedule{Kind: call.Name}
	switch call.Name {
	case train.ScheduleStep:
		sch.Every, sch.Gamma = r.int("every", 1, 1, math.MaxInt32), r.float("gamma", 0.1)
	case train.ScheduleExponential:
		sch.Gamma = r.float("gamma", 0.9)
	case train.ScheduleCosine:
		sch.Warmup, sch.MinLR = r.int("warmup", 0, 0, math.MaxInt32), r.float("min_lr", 0)
	case train.ScheduleLinear:
		sch.Warmup = r.int("warmup", 0, 0, math.MaxInt32)
	case train.ScheduleOneCycle:
		sch.MaxLR, sch.Pct = r.float("max_lr", 0), r.float("pct", 0.3)
		if _, given := args["max_lr"]; !given {
			r.errs = append(r.errs, s.errorf(lang.CodeArgs, "schedule", "one_cycle needs max_lr, the peak learning rate"))
		}
	case train.SchedulePlateau:
		sch.Patience, sch.Factor = r.int("patience", 10, 0, math.MaxInt32), r.float("factor", 0.1)
		sch.Monitor, sch.Mode = r.str("monitor", "val_loss"), r.str("mode", "")
	}
	if len(r.errs) == 0 {
		probe := *sch
		probe.LR, probe.Epochs, probe.StepsPerEpoch = math.MaxFloat64, 1, math.MaxInt32
		if err := probe.Check(); err != nil {
			r.errs = append(r.errs, s.errorf(lang.CodeValue, "schedule", "%v", err))
		}
	}
	return sch, r.errs
}

// metrics reads metrics = ["accuracy", "f1"] (or one name): "loss" and the
// metrics train.NewMetric knows, each once.
func (s *settings) metrics() ([]string, []*lang.Error) {
	v, _ := s.value("metrics")
	list, ok := v.([]lang.Value)
	if str, isStr := v.(string); isStr {
		list, ok = []lang.Value{str}, true
	}
	if !ok {
		return nil, []*lang.Error{s.errorf(lang.CodeArgType, "metrics", "want a list of names such as [\"accuracy\", \"f1\"], got %s", showValue(v))}
	}
	var errs []*lang.Error
	var names []string
	for i, e := range list {
		at := s.nestedPos("metrics", strconv.Itoa(i))
		name, isStr := e.(string)
		switch {
		case !isStr || name == "":
			errs = append(errs, s.errorAt(at, lang.CodeArgType, "metrics", "want a metric's name in quotes, got %s", showValue(e)))
			continue
		case slices.Contains(names, name):
			errs = append(errs, s.errorAt(at, lang.CodeDuplicate, "metrics", "%q is named twice", name))
			continue
		case name != "loss":
			if _, err := train.NewMetric(name); err != nil {
				errs = append(errs, s.errorAt(at, lang.CodeValue, "metrics", "%v", err))
				continue
			}
		}
		names = append(names, name)
	}
	return names, errs
}

// earlyStop reads early_stop = early_stop(monitor = "val_loss", patience
// = 3, min_delta = 0, restore_best = true, mode = "min").
func (s *settings) earlyStop() (*train.EarlyStop, []*lang.Error) {
	call, off, err := s.asCall("early_stop", `early_stop(monitor = "val_loss", patience = 3)`)
	if err != nil {
		return nil, []*lang.Error{err}
	}
	if off {
		return nil, nil
	}
	if call.Name != "early_stop" {
		return nil, []*lang.Error{s.errorf(lang.CodeArgs, "early_stop", "want early_stop(...), got %s(...)", call.Name)}
	}
	args, errs := s.callArgs("early_stop", call, []string{"monitor", "patience", "min_delta", "restore_best", "mode"})
	r := &argReader{s: s, key: "early_stop", name: call.Name, args: args, errs: errs}
	es := &train.EarlyStop{Monitor: r.str("monitor", "val_loss"), Patience: r.int("patience", 3, 0, 1<<30),
		MinDelta: r.float("min_delta", 0), RestoreBest: r.bool("restore_best", true), Mode: r.str("mode", "")}
	if len(r.errs) == 0 {
		if err := es.Check(); err != nil {
			r.errs = append(r.errs, s.errorf(lang.CodeValue, "early_stop", "%v", err))
		}
	}
	return es, r.errs
}

// checkpoint reads checkpoint = checkpoint(every = 1 | "2 epochs" | "500
// steps", keep = 3, best = "val_loss", dir = "checkpoints").
func (s *settings) checkpoint() (*checkpointSetting, []*lang.Error) {
	call, off, err := s.asCall("checkpoint", `checkpoint(every = 1, keep = 3)`)
	if err != nil {
		return nil, []*lang.Error{err}
	}
	if off {
		return nil, nil
	}
	if call.Name != "checkpoint" {
		return nil, []*lang.Error{s.errorf(lang.CodeArgs, "checkpoint", "want checkpoint(...), got %s(...)", call.Name)}
	}
	args, errs := s.callArgs("checkpoint", call, []string{"every", "keep", "best", "dir"})
	r := &argReader{s: s, key: "checkpoint", name: call.Name, args: args, errs: errs}
	c := &checkpointSetting{everyEpochs: 1, keep: r.int("keep", 3, 0, math.MaxInt32), best: r.str("best", ""), dir: r.str("dir", "")}
	if v, ok := args["every"]; ok {
		c.everyEpochs, c.everySteps = 0, 0
		n, unit, okEvery := every(v)
		if !okEvery {
			r.fail("every", `want a number of epochs, or "N epochs" or "N steps"`)
		} else if unit == "steps" {
			c.everySteps = n
		} else {
			c.everyEpochs = n
		}
	}
	return c, r.errs
}

// every reads checkpoint's every: a positive whole number of epochs, or a
// string "N epochs", "1 epoch", "N steps", "1 step".
func every(v lang.Value) (n int, unit string, ok bool) {
	if i, isInt := v.(int64); isInt {
		return int(i), "epochs", i >= 1 && i <= math.MaxInt32
	}
	str, isStr := v.(string)
	if !isStr {
		return 0, "", false
	}
	num, u, found := strings.Cut(strings.TrimSpace(str), " ")
	i, err := strconv.Atoi(num)
	if !found || err != nil || i < 1 || i > math.MaxInt32 {
		return 0, "", false
	}
	switch strings.TrimSpace(u) {
	case "epoch", "epochs":
		return i, "epochs", true
	case "step", "steps":
		return i, "steps", true
	}
	return 0, "", false
}
