package nnc

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
)

// The train block's preprocess and augment settings:
//
//	preprocess = standardize()                         // or minmax(low = -1, high = 1)
//	preprocess = [one_hot(columns = [3]), standardize(arrays = ["x"])]
//	augment    = augment(crop = 4, flip = true, rotate = 10, translate = 0.1, scale = 0.1, noise = 0.01)

// preprocessSteps are the calls preprocess = ... may make.
var preprocessSteps = []string{"minmax", "one_hot", "standardize"}

// preprocessExample shows the preprocess setting in errors.
const preprocessExample = "standardize(), minmax(low = 0, high = 1), one_hot(columns = [3]), or a list of them"

// blockPreprocess reads the block's preprocess setting: nil when the block
// gives none. Every error is at the value at fault.
func (s *settings) blockPreprocess() (*data.Preprocess, []*lang.Error) {
	v, ok := s.spec.Fields["preprocess"]
	if !ok {
		return nil, nil
	}
	steps, paths := []lang.Value{v}, [][]string{nil}
	if l, isList := v.([]lang.Value); isList {
		if len(l) == 0 {
			return nil, []*lang.Error{s.errorf(lang.CodeArgType, "preprocess", "want %s, got []", preprocessExample)}
		}
		steps, paths = l, make([][]string, len(l))
		for i := range l {
			paths[i] = []string{itoa(i)}
		}
	}
	p := &data.Preprocess{}
	var errs []*lang.Error
	for i, st := range steps {
		errs = append(errs, s.preprocessStep(p, st, paths[i])...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if err := p.Check(); err != nil {
		return nil, []*lang.Error{s.errorf(lang.CodeValue, "preprocess", "%s", strings.TrimPrefix(err.Error(), "data: preprocess: "))}
	}
	return p, nil
}

// preprocessStep adds one step of the preprocess setting, found at path,
// to p.
func (s *settings) preprocessStep(p *data.Preprocess, v lang.Value, path []string) []*lang.Error {
	call, ok := v.(lang.Call)
	if name, isName := v.(string); isName {
		call, ok = lang.Call{Name: name, Kwargs: map[string]lang.Value{}}, true
	}
	at := func(code string, sub []string, format string, args ...any) *lang.Error {
		return s.errorAt(s.spec.NestedPos("preprocess", append(append([]string(nil), path...), sub...)...), code, "preprocess", format, args...)
	}
	if !ok {
		return []*lang.Error{at(lang.CodeArgType, nil, "want %s, got %s", preprocessExample, showValue(v))}
	}
	known := map[string][]string{"standardize": {"arrays"}, "minmax": {"arrays", "high", "low"}, "one_hot": {"array", "classes", "columns"}}
	args, isStep := known[call.Name]
	if !isStep {
		msg := fmt.Sprintf("unknown step %s (known: %s)", call.Name, strings.Join(preprocessSteps, ", "))
		if sug := closest(call.Name, preprocessSteps); sug != "" {
			msg += fmt.Sprintf("; did you mean %s?", sug)
		}
		return []*lang.Error{at(lang.CodeUndefined, nil, "%s", msg)}
	}
	var errs []*lang.Error
	if len(call.Args) > 0 {
		errs = append(errs, at(lang.CodeArgs, []string{"0"}, "%s takes keyword arguments only (%s)", call.Name, strings.Join(args, ", ")))
	}
	for _, k := range sortedKwargs(call) {
		if !containsStr(args, k) {
			errs = append(errs, s.errorAt(s.spec.NestedKeyPos("preprocess", append(append([]string(nil), path...), k)...), lang.CodeArgs, "preprocess", "%s has no argument %s (arguments: %s)", call.Name, k, strings.Join(args, ", ")))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	kwErr := func(k, format string, a ...any) {
		errs = append(errs, at(lang.CodeValue, []string{k}, "%s: %s = %s: %s", call.Name, k, showValue(call.Kwargs[k]), fmt.Sprintf(format, a...)))
	}
	if call.Name == "one_hot" {
		oh := data.OneHot{}
		if v, ok := call.Kwargs["array"]; ok {
			if oh.Array, ok = v.(string); !ok || oh.Array == "" {
				kwErr("array", "want an array name in quotes")
			}
		}
		if v, ok := call.Kwargs["columns"]; ok {
			cols, good := positiveInts(v)
			if !good {
				kwErr("columns", "want a list of columns of the array, each counted from 1")
			}
			for _, c := range cols {
				oh.Columns = append(oh.Columns, c-1)
			}
		}
		if v, ok := call.Kwargs["classes"]; ok {
			if n, isInt := v.(int64); isInt {
				v = []lang.Value{n}
			}
			var good bool
			if oh.Classes, good = positiveInts(v); !good {
				kwErr("classes", "want the number of classes of each column (a list), or of the array")
			}
		}
		p.OneHot = append(p.OneHot, oh)
		return errs
	}
	if p.Scaling != data.NoScaling {
		return []*lang.Error{at(lang.CodeDuplicate, nil, "a second scaling (%s after %s): give one", call.Name, p.Scaling)}
	}
	p.Scaling = data.Standardize
	if call.Name == "minmax" {
		p.Scaling = data.MinMax
	}
	if v, ok := call.Kwargs["arrays"]; ok {
		l, isList := v.([]lang.Value)
		p.Arrays = []string{}
		for _, e := range l {
			if name, ok := e.(string); ok && name != "" {
				p.Arrays = append(p.Arrays, name)
			}
		}
		if !isList || len(l) == 0 || len(p.Arrays) != len(l) {
			kwErr("arrays", "want a list of array names in quotes")
		}
	}
	if call.Name == "minmax" {
		bounds := [2]float64{0, 1}
		for i, k := range []string{"low", "high"} {
			if v, ok := call.Kwargs[k]; ok {
				f, isNum := number(v)
				if !isNum || math.IsNaN(f) || math.IsInf(f, 0) {
					kwErr(k, "want a finite number")
				}
				bounds[i] = f
			}
		}
		if !(bounds[0] < bounds[1]) || math.IsInf(bounds[1]-bounds[0], 0) {
			errs = append(errs, at(lang.CodeValue, nil, "minmax: the range [%v, %v] needs low < high", bounds[0], bounds[1]))
		}
		p.Low, p.High = bounds[0], bounds[1]
	}
	return errs
}

// positiveInts reads a list of integers from 1 (to 2^24).
func positiveInts(v lang.Value) ([]int, bool) {
	l, ok := v.([]lang.Value)
	if !ok || len(l) == 0 {
		return nil, false
	}
	out := make([]int, len(l))
	for i, e := range l {
		n, ok := e.(int64)
		if !ok || n < 1 || n > 1<<24 {
			return nil, false
		}
		out[i] = int(n)
	}
	return out, true
}

func containsStr(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// augmentArgs are the arguments of augment(...).
var augmentArgs = []string{"array", "crop", "flip", "image", "noise", "rotate", "scale", "translate"}

// blockAugment reads the block's augment = augment(...) setting: nil when
// the block gives none. The seed is the training seed, set later.
func (s *settings) blockAugment() (*data.Augment, []*lang.Error) {
	v, ok := s.spec.Fields["augment"]
	if !ok {
		return nil, nil
	}
	call, ok := v.(lang.Call)
	if !ok || call.Name != "augment" {
		return nil, []*lang.Error{s.errorf(lang.CodeArgType, "augment", "want augment(crop = 4, flip = true, ...), got %s", showValue(v))}
	}
	var errs []*lang.Error
	if len(call.Args) > 0 {
		errs = append(errs, s.errorAt(s.spec.NestedPos("augment", "0"), lang.CodeArgs, "augment", "augment takes keyword arguments only (%s)", strings.Join(augmentArgs, ", ")))
	}
	a := &data.Augment{}
	for _, k := range sortedKwargs(call) {
		if msg := setAugmentArg(a, k, call.Kwargs[k]); msg != "" {
			code := lang.CodeValue
			if !containsStr(augmentArgs, k) {
				errs = append(errs, s.errorAt(s.spec.NestedKeyPos("augment", k), lang.CodeArgs, "augment", "%s", msg))
				continue
			}
			errs = append(errs, s.errorAt(s.spec.NestedPos("augment", k), code, "augment", "%s = %s: %s", k, showValue(call.Kwargs[k]), msg))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return a, nil
}

// setAugmentArg sets argument k of augment(...) to v, or says what is
// wrong with it.
func setAugmentArg(a *data.Augment, k string, v lang.Value) string {
	f, isNum := number(v)
	switch k {
	case "array":
		name, ok := v.(string)
		if !ok || name == "" {
			return "want an array name in quotes"
		}
		a.Array = name
		return ""
	case "flip":
		b, ok := v.(bool)
		if !ok {
			return "want true or false"
		}
		a.Flip = b
		return ""
	case "image":
		dims, ok := positiveInts(v)
		if !ok || len(dims) < 2 || len(dims) > 3 {
			return "want [height, width] or [channels, height, width]"
		}
		a.Image = dims
		return ""
	case "crop":
		n, ok := v.(int64)
		if !ok || n < 0 || n > 1<<16 {
			return "want the padding in pixels, from 0"
		}
		a.Crop = int(n)
	case "rotate", "translate", "scale", "noise":
		if !isNum {
			return "want a number"
		}
		*map[string]*float64{"rotate": &a.Rotate, "translate": &a.Translate, "scale": &a.Scale, "noise": &a.Noise}[k] = f
	default:
		return fmt.Sprintf("augment has no argument %s (arguments: %s)", k, strings.Join(augmentArgs, ", "))
	}
	if err := a.CheckSettings(); err != nil {
		return strings.TrimPrefix(err.Error(), "data: augment: ")
	}
	return ""
}

// dataPrep is the preprocessing and augmentation of a training run.
type dataPrep struct {
	s   *settings
	pre *data.Preprocess // nil: none
	aug *data.Augment    // nil: none
}

// newDataPrep reads the block's settings with the options over them (nil
// options: the block's only).
func (s *settings) newDataPrep(opts *TrainOptions, seed uint64) (*dataPrep, error) {
	pre, errs := s.blockPreprocess()
	if len(errs) > 0 {
		return nil, lang.ErrorList(errs)
	}
	aug, errs := s.blockAugment()
	if len(errs) > 0 {
		return nil, lang.ErrorList(errs)
	}
	if opts != nil {
		switch opts.Preprocess {
		case "":
		case "none":
			pre = nil
		default:
			sc, _ := data.ParseScaling(opts.Preprocess) // checked by TrainOptions.check
			if pre == nil {
				pre = &data.Preprocess{}
			}
			pre.Scaling, pre.Low, pre.High = sc, 0, 0
		}
		if opts.NoAugment {
			aug = nil
		}
	}
	if aug != nil {
		aug.Seed = seed
	}
	return &dataPrep{s: s, pre: pre, aug: aug}, nil
}

// fit fits the preprocessing on the training set (for full-batch data,
// the rows its mask selects) and applies it to every set, and checks the
// augmented array; prepareData calls it once the sets are read.
func (dp *dataPrep) fit(sets *dataSets) error {
	s := dp.s
	if dp.pre != nil {
		if sets.resample != nil {
			return s.errorf(lang.CodeValue, "preprocess", "applies to arrays of numbers, not to text windows")
		}
		if sets.stream != nil {
			return s.errorf(lang.CodeValue, "preprocess", "needs the training data in memory; it is streamed (stream = false, or scale the file beforehand)")
		}
		var rows []int
		if sets.fullBatch && sets.mask != "" {
			if m := sets.train.Get(sets.mask); m != nil {
				rows = []int{}
				for i := range m.Len() {
					if m.At(i) != 0 {
						rows = append(rows, i)
					}
				}
			}
		}
		if err := dp.pre.FitRows(sets.train, rows); err != nil {
			return s.errorf(lang.CodeValue, "preprocess", "%s", strings.TrimPrefix(err.Error(), "data: preprocess: "))
		}
		if err := applyPreprocess(dp.pre, sets); err != nil {
			return s.errorf(lang.CodeValue, "preprocess", "%s", strings.TrimPrefix(err.Error(), "data: preprocess: "))
		}
	}
	if dp.aug != nil {
		if sets.fullBatch {
			return s.errorf(lang.CodeValue, "augment", "applies to batches of rows, not to full-batch data")
		}
		arr := augArray(dp.aug)
		dt, shape, ok := sets.train.Type(arr)
		if !ok {
			return s.errorf(lang.CodeUndefined, "augment", "the data has no array %q (arrays: %s)", arr, strings.Join(sets.train.Names(), ", "))
		}
		if !dt.IsFloat() {
			return s.errorf(lang.CodeValue, "augment", "array %q is %v; images are augmented as floats", arr, dt)
		}
		if err := dp.aug.Check(shape[1:]); err != nil {
			return s.errorf(lang.CodeValue, "augment", "%s", strings.TrimPrefix(err.Error(), "data: augment: "))
		}
		if dp.aug.Image == nil {
			// The data's rows as images, whatever shape the input reads.
			dp.aug.Image = append([]int(nil), shape[1:]...)
		}
	}
	return nil
}

func augArray(a *data.Augment) string {
	if a.Array == "" {
		return "x"
	}
	return a.Array
}

// applyPreprocess applies p to every set that is there.
func applyPreprocess(p *data.Preprocess, sets *dataSets) error {
	for _, d := range []**data.Dataset{&sets.train, &sets.val, &sets.test} {
		if *d == nil {
			continue
		}
		out, err := p.Apply(*d)
		if err != nil {
			return err
		}
		*d = out
	}
	return nil
}

// batchPrep is the Prep of train.Config: the augmentation of the inputs
// bound to the augmented array (nil without augmentation).
func (dp *dataPrep) batchPrep(b *binding) data.Prep {
	if dp.aug == nil {
		return nil
	}
	var augs []*data.Augment
	for _, in := range b.inputs {
		if b.array(in.Name) == augArray(dp.aug) {
			a := *dp.aug
			a.Array = in.Name
			augs = append(augs, &a)
		}
	}
	return func(bt *data.Batch, epoch int) error {
		for _, a := range augs {
			if _, ok := bt.Arrays[a.Array]; !ok {
				continue // an input of forward only, not in the training batches
			}
			if err := a.Apply(bt, epoch); err != nil {
				return err
			}
		}
		return nil
	}
}

// save writes the statistics beside the parameters written to output
// (data.PreprocessPath), or removes statistics left there by an earlier
// training when this one has none, so that eval and run never apply
// another model's.
func (dp *dataPrep) save(output string, b *binding) error {
	path := data.PreprocessPath(output)
	if dp.pre == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	arrays := dp.pre.Arrays
	if arrays == nil {
		arrays = []string{"x"}
	}
	dp.pre.Inputs = map[string]string{}
	for _, arr := range arrays {
		for _, in := range b.inputs {
			if b.array(in.Name) == arr {
				dp.pre.Inputs[arr] = in.Name
			}
		}
	}
	return dp.pre.Save(path)
}

// applySaved applies the statistics saved beside the parameters file
// params, when there are any, to the sets Eval reads. A block that
// preprocesses needs them.
func (s *settings) applySaved(sets *dataSets, params string) error {
	path := data.PreprocessPath(params)
	pre, err := data.LoadPreprocess(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, ok := s.spec.Fields["preprocess"]; ok {
			return s.errorf(lang.CodeValue, "preprocess", "no statistics beside the parameters: %s is missing (nnc train -o %s writes it)", path, params)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if err := applyPreprocess(pre, sets); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// PreprocessInputs returns inputs scaled as the training data of the model
// whose parameters are in the file params was: with the statistics saved
// beside it (data.PreprocessPath: "m.safetensors" → "m.preprocess.json"),
// each applied to the input its array was bound to. Without that file the
// inputs are returned as they are. Inputs are not changed: a scaled one is
// a new tensor. One-hot encoding is not applied: give encoded inputs.
func PreprocessInputs(params string, inputs map[string]*Tensor) (map[string]*Tensor, error) {
	path := data.PreprocessPath(params)
	pre, err := data.LoadPreprocess(path)
	if errors.Is(err, fs.ErrNotExist) {
		return inputs, nil
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Tensor, len(inputs))
	for k, v := range inputs {
		out[k] = v
	}
	for arr, in := range pre.Inputs {
		t, ok := out[in]
		if !ok {
			continue
		}
		c := t.Clone()
		if err := pre.ScaleTensor(arr, c); err != nil {
			return nil, fmt.Errorf("%s: input %s: %w", path, in, err)
		}
		out[in] = c
	}
	return out, nil
}
