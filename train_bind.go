package nnc

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// binding says which array of the data feeds each input of the training
// entry and of forward (by name unless inputs = {...} says otherwise),
// and which bound arrays hold the labels and the mask for accuracy.
type binding struct {
	model     string
	entry     string
	inputs    []lang.Arg        // the inputs of the entry, then forward's that the entry lacks
	arrays    map[string]string // input → array of the data
	label     string            // the name of the labels in a bound set ("": no accuracy)
	mask      string            // the name of the mask in a bound set ("": every example counts)
	fullBatch bool
	// shapes are the values of the inputs' shape variables the data gives
	// (the batch axis of rows left out).
	shapes    map[string]int64
	where     func(input string) ops.Pos // where the input's array is chosen, for errors
	s         *settings
	optInputs map[string]string
	cache     map[*tensor.Tensor]*tensor.Tensor // conversions made, by source
}

// inputMap is the block's inputs = {...} with the option's entries over it,
// and the positions of the block's values (nil for an option's).
func (s *settings) inputMap(opt map[string]string) map[string]string {
	out := map[string]string{}
	if m, ok := s.spec.Fields["inputs"].(lang.Map); ok {
		for _, k := range m.Keys {
			out[k] = m.Values[k].(string)
		}
	}
	for k, v := range opt {
		out[k] = v
	}
	return out
}

// bindingOf checks the inputs map against the inputs of entry and of the
// model's forward before any data is read; attach then checks the data.
// Every unknown input is reported, each at its place.
func (p *Program) bindingOf(s *settings, entry string, optInputs map[string]string) (*binding, error) {
	sig, err := p.signature(entry)
	if err != nil {
		return nil, err
	}
	b := &binding{model: s.model, entry: entry, arrays: s.inputMap(optInputs), s: s, optInputs: optInputs,
		shapes: map[string]int64{}, cache: map[*tensor.Tensor]*tensor.Tensor{}}
	b.inputs = append(b.inputs, sig...)
	if fsig, err := p.signature(s.model + ".forward"); err == nil {
		for _, a := range fsig {
			if !b.isInput(a.Name) {
				b.inputs = append(b.inputs, a)
			}
		}
	}
	block, _ := s.spec.Fields["inputs"].(lang.Map)
	b.where = func(in string) ops.Pos {
		if _, opt := optInputs[in]; !opt && block.Values[in] != nil {
			return s.spec.NestedPos("inputs", in)
		}
		return s.spec.ValuePos("data")
	}
	var errs lang.ErrorList
	names := make([]string, len(b.inputs))
	for i, a := range b.inputs {
		names[i] = a.Name
	}
	for _, k := range sortedMapKeys(b.arrays) {
		if slices.Contains(names, k) || b.isSparse(k) {
			continue
		}
		msg := fmt.Sprintf("%s has no input %s (inputs of %s and %s.forward: %s)", s.model, k, entry, s.model, strings.Join(names, ", "))
		if _, ok := optInputs[k]; ok {
			return nil, &OptionError{Option: s.options + ".Inputs", Value: k + "=" + optInputs[k], Msg: msg}
		}
		errs = append(errs, s.errorAt(s.spec.NestedKeyPos("inputs", k), lang.CodeUndefined, "inputs", "%s", msg))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return b, nil
}

// attach checks that the data has an array for every input and the labels
// the labels setting names, and chooses the labels and mask for accuracy.
func (b *binding) attach(sets *dataSets, optLabels string) error {
	b.fullBatch = sets.fullBatch
	s := b.s
	var errs lang.ErrorList
	d := sets.reference()
	for _, a := range b.inputs {
		arr := b.array(a.Name)
		if _, _, ok := d.Type(arr); ok {
			continue
		}
		if _, given := b.arrays[a.Name]; given {
			errs = append(errs, s.errorAt(b.where(a.Name), lang.CodeUndefined, "inputs", "%s: the data has no array %q (arrays: %s)", a.Name, arr, strings.Join(d.Names(), ", ")))
		} else {
			errs = append(errs, s.errorAt(s.spec.ValuePos("data"), lang.CodeUndefined, "data",
				"input %s of %s has no array of that name in the data (arrays: %s); bind one with inputs = {%s: \"...\"}", a.Name, b.entry, strings.Join(d.Names(), ", "), a.Name))
		}
	}
	if e := b.chooseLabels(sets, optLabels); e != nil {
		le, ok := e.(*lang.Error)
		if !ok {
			return e
		}
		errs = append(errs, le)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// array is the data's array bound to input in. A part of a sparse input
// binds to that part of the array its parameter is bound to: A.indptr to
// adjacency.indptr for inputs = {A: "adjacency"}.
func (b *binding) array(in string) string {
	if a, ok := b.arrays[in]; ok {
		return a
	}
	if param, part, ok := lang.SparseInput(in); ok {
		if a, ok := b.arrays[param]; ok {
			return a + "." + part
		}
	}
	return in
}

// isSparse says whether name is a sparse parameter of the inputs.
func (b *binding) isSparse(name string) bool {
	return slices.ContainsFunc(b.inputs, func(a lang.Arg) bool {
		p, _, ok := lang.SparseInput(a.Name)
		return ok && p == name
	})
}

// chooseLabels picks the labels and mask that accuracy reads: the labels
// setting (an input, or an array of the data), else the input bound to the
// data's labels array, else that array itself.
func (b *binding) chooseLabels(sets *dataSets, opt string) error {
	s := b.s
	want, fromOpt := opt, opt != ""
	if !fromOpt {
		want, _ = s.spec.Fields["labels"].(string)
	}
	boundTo := func(arr string) string {
		for _, a := range b.inputs {
			if b.array(a.Name) == arr {
				return a.Name
			}
		}
		if b.isInput(arr) {
			return "" // the name is an input fed by another array
		}
		return arr
	}
	if want != "" {
		if b.isInput(want) {
			b.label = want
		} else if _, _, ok := sets.reference().Type(want); ok {
			b.label = boundTo(want)
		}
		if b.label == "" {
			msg := fmt.Sprintf("%q is neither an input of %s nor an array of the data (arrays: %s)", want, b.model, strings.Join(sets.reference().Names(), ", "))
			if fromOpt {
				return &OptionError{Option: s.options + ".Labels", Value: want, Msg: msg}
			}
			return s.errorf(lang.CodeUndefined, "labels", "%s", msg)
		}
	} else if sets.labels != "" {
		b.label = boundTo(sets.labels)
	}
	if sets.mask != "" {
		b.mask = boundTo(sets.mask)
	}
	return nil
}

func (b *binding) isInput(name string) bool {
	return slices.ContainsFunc(b.inputs, func(a lang.Arg) bool { return a.Name == name })
}

// bind makes the set the graphs read: each input's array under the
// input's name, converted to its element type and shaped to its rows, and
// the labels and mask for accuracy. refresh redoes the conversions from
// the data's arrays (after Resample changed them).
func (b *binding) bind(d *data.Dataset) (out *data.Dataset, refresh func(), err error) {
	if d == nil {
		return nil, func() {}, nil
	}
	out = &data.Dataset{Arrays: map[string]*tensor.Tensor{}, Source: d.Source, Categories: d.Categories}
	var errs lang.ErrorList
	var pairs [][2]*tensor.Tensor
	add := func(name, arr string, typ *ops.Type) {
		if _, done := out.Arrays[name]; done {
			return
		}
		if _, done := out.Bytes[name]; done {
			return
		}
		if bt, ok := d.Bytes[arr]; ok {
			nb, err := b.bindBytes(name, bt, typ)
			if err != nil {
				errs = append(errs, err)
				return
			}
			if out.Bytes == nil {
				out.Bytes = map[string]*data.ByteArray{}
			}
			out.Bytes[name] = nb
			return
		}
		t := d.Arrays[arr]
		if t == nil {
			errs = append(errs, b.s.errorAt(b.where(name), lang.CodeUndefined, "inputs", "%s: the set has no array %q (arrays: %s)", name, arr, strings.Join(d.Names(), ", ")))
			return
		}
		nt, err := b.bindTensor(name, t, typ)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if nt.DType != t.DType {
			pairs = append(pairs, [2]*tensor.Tensor{nt, t})
		}
		out.Arrays[name] = nt
	}
	for _, a := range b.inputs {
		add(a.Name, b.array(a.Name), &a.Type)
	}
	for _, extra := range []string{b.label, b.mask} {
		if extra != "" && !b.isInput(extra) {
			add(extra, extra, nil)
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	refresh = func() {
		for _, p := range pairs {
			convertInto(p[0], p[1])
		}
	}
	return out, refresh, nil
}

// bindTensor converts t to the element type of the input (when typ is not
// nil), shapes its rows to the input's, and checks the dimensions.
func (b *binding) bindTensor(name string, t *tensor.Tensor, typ *ops.Type) (*tensor.Tensor, *lang.Error) {
	if typ == nil {
		return t, nil
	}
	shape, err := b.shapeFor(name, t.Shape, typ)
	if err != nil {
		return nil, err
	}
	out := t
	if t.DType != typ.DType {
		if c, ok := b.cache[t]; ok && c.DType == typ.DType {
			out = c
		} else {
			if !convertible(t.DType, typ.DType) {
				return nil, b.typeError(name, typ, typ2(t.DType, t.Shape), "floats do not become integers: store the array as integers, or cast it in the model")
			}
			out = tensor.New(typ.DType, t.Shape...)
			if msg := convertInto(out, t); msg != "" {
				return nil, b.typeError(name, typ, typ2(t.DType, t.Shape), msg)
			}
			b.cache[t] = out
		}
	}
	if !slices.Equal(shape, out.Shape) {
		view := *out
		view.Shape = shape
		out = &view
	}
	return out, nil
}

// bindBytes binds a byte array: it converts to the input's element type
// when batched.
func (b *binding) bindBytes(name string, bt *data.ByteArray, typ *ops.Type) (*data.ByteArray, *lang.Error) {
	if typ == nil {
		return bt, nil
	}
	shape, err := b.shapeFor(name, bt.Shape, typ)
	if err != nil {
		return nil, err
	}
	nb := *bt
	nb.Shape = shape
	switch typ.DType {
	case tensor.F32, tensor.F64, tensor.I32, tensor.I64:
		nb.DType = typ.DType
	default:
		return nil, b.typeError(name, typ, typ2(bt.DType, bt.Shape), "bytes convert to f32, f64, i32 or i64")
	}
	return &nb, nil
}

// shapeFor checks an array's shape against the input's type and returns
// the shape it binds with: rows reshaped to the input's when the input's
// row dimensions are constants of the same element count (MNIST's [N, 28,
// 28] binds to f32[B, 1, 28, 28] or f32[B, 784]). Shape variables take the
// array's sizes (b.shapes), the batch axis of rows left out.
func (b *binding) shapeFor(name string, shape []int, typ *ops.Type) ([]int, *lang.Error) {
	first := 1
	if b.fullBatch {
		first = 0
	}
	want := typ.Shape
	got := typ2(typ.DType, shape)
	if len(shape) < first || len(want) < first {
		return nil, b.typeError(name, typ, got, "the ranks differ")
	}
	row := make([]int, 0, len(want))
	allConst := true
	for _, d := range want[first:] {
		c, ok := d.IsConst()
		allConst = allConst && ok
		row = append(row, int(c))
	}
	if allConst && tensor.NumElems(row) == tensor.NumElems(shape[first:]) && len(shape) > 0 {
		return append(slices.Clone(shape[:first]), row...), nil
	}
	if len(want) != len(shape) {
		return nil, b.typeError(name, typ, got, "the ranks differ")
	}
	for j := first; j < len(want); j++ {
		d := want[j]
		if c, ok := d.IsConst(); ok {
			if int64(shape[j]) != c {
				return nil, b.typeError(name, typ, got, fmt.Sprintf("axis %d is %d, not %d", j, shape[j], c))
			}
			continue
		}
		vs := d.Vars()
		if len(vs) != 1 || d != ops.DimVar(vs[0]) {
			continue
		}
		if prev, ok := b.shapes[vs[0]]; ok && prev != int64(shape[j]) {
			return nil, b.typeError(name, typ, got, fmt.Sprintf("%s is %d here but %d in another input", vs[0], shape[j], prev))
		}
		b.shapes[vs[0]] = int64(shape[j])
	}
	return shape, nil
}

// typeError is an error about the array bound to input name.
func (b *binding) typeError(name string, typ *ops.Type, got, why string) *lang.Error {
	return b.s.errorAt(b.where(name), lang.CodeArgType, "inputs", "input %s is %v but its array %q is %s: %s", name, *typ, b.array(name), got, why)
}

// typ2 prints a dtype and a shape as a type ("f32[60000, 28, 28]").
func typ2(dt tensor.DType, shape []int) string {
	return ops.Type{DType: dt, Shape: ops.ShapeOf(shape...)}.String()
}

// convertible says whether values of type from convert to type to without
// loss of meaning: floats to floats, integers and bools to anything but
// bool, bools to bools.
func convertible(from, to tensor.DType) bool {
	switch {
	case to == tensor.Bool:
		return from == tensor.Bool
	case from.IsFloat():
		return to.IsFloat()
	}
	return true
}

// convertInto writes src's values into dst (same length), checking that
// integers fit dst's type; it returns what does not fit, or "".
func convertInto(dst, src *tensor.Tensor) string {
	for i := range src.Len() {
		v := src.At(i)
		switch dst.DType {
		case tensor.I32:
			if v < math.MinInt32 || v > math.MaxInt32 {
				return fmt.Sprintf("element %d is %v, beyond i32", i, v)
			}
		case tensor.I64:
			if src.DType == tensor.I64 {
				dst.I64[i] = src.I64[i]
				continue
			}
		}
		dst.Set(i, v)
	}
	return ""
}

func sortedMapKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
