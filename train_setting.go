package nnc

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
)

// Settings of a train block given by options: TrainOptions fields such
// as Schedule hold a value written as in a train block
// ("cosine(warmup = 100)"), which replaces the block's value of that key.
// The block's settings and the options' are checked the same way; an
// error about an option's value is placed at the option (its Pos.File is
// the field's name, "TrainOptions.Schedule", with no line), where the
// command line names the flag instead.

// override is one setting given by an option: its value and the option's
// name.
type override struct {
	value  lang.Value
	option string // "TrainOptions.Schedule"
}

// value returns the setting key: the option's value when an option gives
// it, else the block's; ok is false when neither does.
func (s *settings) value(key string) (lang.Value, bool) {
	if o, ok := s.over[key]; ok {
		return o.value, true
	}
	v, ok := s.spec.Fields[key]
	return v, ok
}

// setPos returns where the value of setting key starts (the option's
// name for an option), and nestedPos where the value at path inside it
// does.
func (s *settings) setPos(key string) ops.Pos {
	if o, ok := s.over[key]; ok {
		return ops.Pos{File: o.option}
	}
	return s.spec.ValuePos(key)
}

func (s *settings) nestedPos(key string, path ...string) ops.Pos {
	if o, ok := s.over[key]; ok {
		return ops.Pos{File: o.option}
	}
	return s.spec.NestedPos(key, path...)
}

// parseSetting reads text, a value written as in a train block
// ("cosine(warmup = 100, min_lr = 1e-5)", "[\"accuracy\", \"f1\"]",
// "0.5"), given by the option named option for the setting key. A syntax
// error says at which column of text it is.
func parseSetting(option, key, text string) (lang.Value, error) {
	bad := func(msg string) error {
		return &OptionError{Option: option, Value: strconv.Quote(text), Msg: msg}
	}
	if strings.TrimSpace(text) == "" {
		return nil, bad("want a value, got nothing")
	}
	if strings.ContainsAny(text, "\n\r{}") {
		return nil, bad("want one value as a train block writes it, on one line (no braces)")
	}
	const model = "model Options_ {\n    fn f(x: f32) -> f32 { return x }\n}\n"
	prefix := "train Options_ { " + key + " = "
	src := model + prefix + text + " }\n"
	m, err := lang.Load(option, []byte(src))
	if err != nil {
		var list lang.ErrorList
		var one *lang.Error
		switch {
		case errors.As(err, &list) && len(list) > 0:
			one = list[0]
		case errors.As(err, &one):
		default:
			return nil, bad(err.Error())
		}
		msg := strings.TrimPrefix(one.Msg, "train Options_: ")
		if col := one.Pos.Col - len(prefix); one.Pos.Line == 4 && col > len(text) {
			msg = fmt.Sprintf("column %d: the value ends too soon (%s)", len(text)+1, strings.Replace(msg, `unexpected "}"`, "unexpected end", 1))
		} else if one.Pos.Line == 4 && col > 0 {
			msg = fmt.Sprintf("column %d: %s", col, msg)
		}
		return nil, bad(msg)
	}
	spec, ok := m.TrainBlock("Options_")
	v, has := spec.Fields[key]
	if !ok || !has || len(spec.Fields) != 1 {
		return nil, bad("want one value as a train block writes it")
	}
	return v, nil
}

// canonical writes a train block value in one form, with keyword
// arguments and map keys sorted and numbers in their shortest exact form:
// the settings a checkpoint records are compared as these strings.
func canonical(v lang.Value) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case lang.Call:
		parts := make([]string, 0, len(x.Args)+len(x.Kwargs))
		for _, a := range x.Args {
			parts = append(parts, canonical(a))
		}
		keys := make([]string, 0, len(x.Kwargs))
		for k := range x.Kwargs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, k+" = "+canonical(x.Kwargs[k]))
		}
		return x.Name + "(" + strings.Join(parts, ", ") + ")"
	case []lang.Value:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = canonical(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case lang.Map:
		keys := append([]string(nil), x.Keys...)
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + canonical(x.Values[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// trainSettings returns the train block of opts.Model with the settings
// opts gives by its fields (Entry, Schedule, Metrics, ...), checked
// together, and the loop's keys read.
func (p *Program) trainSettings(opts *TrainOptions) (*settings, loopSettings, error) {
	over := map[string]override{}
	var errs []error
	text := func(field, key, v string) {
		if v == "" {
			return
		}
		val, err := parseSetting("TrainOptions."+field, key, v)
		if err != nil {
			errs = append(errs, err)
			return
		}
		over[key] = override{val, "TrainOptions." + field}
	}
	text("Schedule", "schedule", opts.Schedule)
	text("EarlyStop", "early_stop", opts.EarlyStop)
	text("Checkpoint", "checkpoint", opts.Checkpoint)
	if opts.Entry != "" {
		over["entry"] = override{opts.Entry, "TrainOptions.Entry"}
	}
	if opts.Metrics != nil {
		over["metrics"] = override{stringValues(opts.Metrics), "TrainOptions.Metrics"}
	}
	if opts.EvalTrain != nil {
		over["eval_train"] = override{*opts.EvalTrain, "TrainOptions.EvalTrain"}
	}
	if opts.Freeze != nil {
		over["freeze"] = override{stringValues(opts.Freeze), "TrainOptions.Freeze"}
	}
	for _, n := range []struct {
		field, key string
		v          int
	}{{"ValEvery", "val_every", opts.ValEvery}, {"LogEvery", "log_every", opts.LogEvery}} {
		if n.v > 0 {
			over[n.key] = override{int64(n.v), "TrainOptions." + n.field}
		}
	}
	if len(errs) > 0 {
		return nil, loopSettings{}, errors.Join(errs...)
	}
	s, err := p.settingsWith("TrainOptions", opts.Model, over)
	if err != nil {
		return nil, loopSettings{}, err
	}
	ls, _ := s.loopSettings() // checked by settingsWith
	return s, ls, nil
}
