package ops

import (
	"fmt"
	"math"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// slice, its adjoint unslice, and pad.
//
// A slice is given per axis in one of two forms:
//   - NumPy's: "starts", "stops", "steps" ([]int, one entry per leading axis;
//     axes past their length are taken whole). SliceNone marks an absent
//     bound (x[a:], x[::-1]); negative bounds count from the end; bounds are
//     clamped as NumPy does; a step may be negative but not 0.
//   - explicit: "begin" and "end" (Shape, one Dim per axis, step 1), for
//     gradient rules whose bounds are symbolic (concat's).
//
// On a symbolic dimension a NumPy bound is taken as in range (NumPy's
// clamping needs the size); the kernel checks that the result has the size
// the type promised when the plan is built.

// SliceNone marks an absent bound in a slice's "starts" or "stops".
const SliceNone = math.MinInt

// sliceAxis is one axis of a slice: count elements from start by step.
type sliceAxis struct {
	start Dim
	step  int
	count Dim
}

func sliceInts(a Attrs, key string) ([]int, bool, error) {
	v, ok := a[key]
	if !ok || v == nil {
		return nil, false, nil
	}
	s, ok := v.([]int)
	if !ok {
		return nil, false, fmt.Errorf("attribute %s must be a list of integers, got %v", key, v)
	}
	return s, true, nil
}

// resolveSlice reads a slice's attributes against a shape.
func resolveSlice(name string, t Type, a Attrs) ([]sliceAxis, error) {
	r := t.Shape.Rank()
	ax := make([]sliceAxis, r)
	if _, ok := a["begin"]; ok {
		begin, bok := a["begin"].(Shape)
		end, eok := a["end"].(Shape)
		if !bok || !eok || len(begin) != r || len(end) != r {
			return nil, &InferError{name, fmt.Sprintf("begin and end must give one dimension per axis of {0}, which is %v", t)}
		}
		for i := range ax {
			ax[i] = sliceAxis{begin[i], 1, end[i].Sub(begin[i])}
			c, cok := ax[i].count.IsConst()
			d, dok := t.Shape[i].IsConst()
			b, bok := begin[i].IsConst()
			if (cok && c < 0) || (bok && b < 0) || (cok && bok && dok && b+c > d) {
				return nil, &InferError{name, fmt.Sprintf("range [%v, %v) is out of bounds for axis %d of {0}, which is %v", begin[i], end[i], i, t)}
			}
		}
		return ax, nil
	}
	starts, _, err1 := sliceInts(a, "starts")
	stops, _, err2 := sliceInts(a, "stops")
	steps, _, err3 := sliceInts(a, "steps")
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return nil, &InferError{name, err.Error()}
		}
	}
	if len(starts) > r || len(stops) > r || len(steps) > r {
		return nil, &InferError{name, fmt.Sprintf("%d axes sliced, {0} has %d: %v", max(len(starts), len(stops), len(steps)), r, t)}
	}
	get := func(s []int, i int) int {
		if i < len(s) {
			return s[i]
		}
		return SliceNone
	}
	for i, d := range t.Shape {
		step := 1
		if i < len(steps) {
			step = steps[i]
		}
		if step == 0 {
			return nil, &InferError{name, fmt.Sprintf("step 0 on axis %d", i)}
		}
		ax[i] = sliceOne(d, get(starts, i), get(stops, i), step)
	}
	return ax, nil
}

// sliceOne resolves one axis of size d with NumPy's rules: exact when d is
// constant, assuming in-range bounds when it is symbolic.
func sliceOne(d Dim, start, stop, step int) sliceAxis {
	if n, ok := d.IsConst(); ok {
		s, c := numpySlice(int(n), start, stop, step)
		return sliceAxis{DimConst(int64(s)), step, DimConst(int64(c))}
	}
	bound := func(v int, absent Dim) Dim {
		switch {
		case v == SliceNone:
			return absent
		case v < 0:
			return d.Add(DimConst(int64(v)))
		}
		return DimConst(int64(v))
	}
	var lo, hi Dim // count = ceil((hi - lo) / |step|)
	var first Dim
	if step > 0 {
		first = bound(start, DimConst(0))
		lo, hi = first, bound(stop, d)
	} else {
		first = bound(start, d.Sub(DimConst(1)))
		lo, hi = bound(stop, DimConst(-1)), first
	}
	s := step
	if s < 0 {
		s = -s
	}
	// ceil(span/s): exactly span/s when s divides every coefficient.
	span := hi.Sub(lo)
	count, err := span.Div(DimConst(int64(s)))
	if err == nil && count.Mul(DimConst(int64(s))) != span {
		count, err = span.Add(DimConst(int64(s - 1))).Div(DimConst(int64(s)))
	}
	if err != nil {
		panic("ops: division by a positive constant: " + err.Error())
	}
	return sliceAxis{first, step, count}
}

// numpySlice is Python's slice.indices for a concrete size: the first index
// and the number of elements.
func numpySlice(n, start, stop, step int) (first, count int) {
	norm := func(v, absent, lo, hi int) int {
		if v == SliceNone {
			return absent
		}
		if v < 0 {
			v += n
		}
		return min(max(v, lo), hi)
	}
	if step > 0 {
		first = norm(start, 0, 0, n)
		end := norm(stop, n, 0, n)
		if end > first {
			count = (end-first-1)/step + 1 // no overflow for a huge step
		}
	} else {
		first = norm(start, n-1, -1, n-1)
		end := norm(stop, -1, -1, n-1)
		if first > end {
			count = int(uint64(first-end-1)/(0-uint64(step))) + 1 // |step|, even for the most negative int
		}
	}
	return first, count
}

func sliceShape(ax []sliceAxis) Shape {
	s := make(Shape, len(ax))
	for i, a := range ax {
		s[i] = a.count
	}
	return s
}

// sliceView prepares the strided walk of a slice: full is the concrete shape
// sliced, part the slice's concrete shape; fullSym and partSym are their
// types, used to evaluate explicit symbolic bounds.
func sliceView(n *Node, a Attrs, fullSym, partSym Shape, full, part []int) (*kernels.View, error) {
	r := len(full)
	strides := make([]int, r)
	st := 1
	for i := r - 1; i >= 0; i-- {
		strides[i] = st
		st *= full[i]
	}
	vs := make([]int, r)
	base := 0
	if _, ok := a["begin"]; ok {
		env := bindConcrete([]Shape{fullSym, partSym}, [][]int{full, part})
		begin, end := a.Shape("begin"), a.Shape("end")
		for i := range full {
			b, err := begin[i].Eval(env)
			if err != nil && end[i] == fullSym[i] {
				b, err = int64(full[i]-part[i]), nil // a slice to the end
			}
			if err != nil {
				return nil, fmt.Errorf("%s: cannot evaluate the bound %v from the shapes %v and %v", n.Op.Name, begin[i], full, part)
			}
			if b < 0 || int(b)+part[i] > full[i] {
				return nil, fmt.Errorf("%s: range [%d, %d) is out of bounds for axis %d of size %d", n.Op.Name, b, int(b)+part[i], i, full[i])
			}
			base += int(b) * strides[i]
			vs[i] = strides[i]
		}
		return kernels.NewView(part, base, vs), nil
	}
	starts, _, _ := sliceInts(a, "starts")
	stops, _, _ := sliceInts(a, "stops")
	steps, _, _ := sliceInts(a, "steps")
	for i := range full {
		start, stop, step := SliceNone, SliceNone, 1
		if i < len(starts) {
			start = starts[i]
		}
		if i < len(stops) {
			stop = stops[i]
		}
		if i < len(steps) {
			step = steps[i]
		}
		first, count := numpySlice(full[i], start, stop, step)
		if count != part[i] {
			return nil, fmt.Errorf("%s: axis %d of size %d gives %d elements, but the type says %v (%d): a bound is out of range",
				n.Op.Name, i, full[i], count, partSym[i], part[i])
		}
		if count > 0 {
			base += first * strides[i]
		}
		vs[i] = step * strides[i]
	}
	return kernels.NewView(part, base, vs), nil
}

// boundsResolvable reports whether the kernel of a slice with explicit
// bounds begin and end can evaluate them from the shapes full (sliced) and
// part (the result), by binding the variables with arbitrary values.
func boundsResolvable(begin, end, full, part Shape) bool {
	env0 := map[string]int64{}
	for _, s := range []Shape{begin, end, full, part} {
		for _, d := range s {
			for _, v := range d.Vars() {
				env0[v] = 1000 + int64(len(env0))*37
			}
		}
	}
	fc, err1 := full.Eval(env0)
	pc, err2 := part.Eval(env0)
	if err1 != nil || err2 != nil {
		return false
	}
	env := bindConcrete([]Shape{full, part}, [][]int{fc, pc})
	for i, d := range begin {
		if _, err := d.Eval(env); err != nil && end[i] != full[i] {
			return false
		}
	}
	return true
}

// bindConcrete binds the shape variables of symbolic shapes from their
// concrete values: plain variables first, then dimensions linear in one
// unknown variable.
func bindConcrete(sym []Shape, conc [][]int) map[string]int64 {
	env := map[string]int64{}
	for k, s := range sym {
		for i, d := range s {
			if name, ok := plainVar(d); ok {
				env[name] = int64(conc[k][i])
			}
		}
	}
	for progress := true; progress; {
		progress = false
		for k, s := range sym {
			for i, d := range s {
				if _, err := d.Eval(env); err == nil {
					continue
				}
				name, coef, other, ok := linearIn(d, env)
				if !ok {
					continue
				}
				o, err := other.Eval(env)
				if err != nil {
					continue
				}
				env[name] = (int64(conc[k][i]) - o) / coef
				progress = true
			}
		}
	}
	return env
}

// anyKernel picks a kernel for a float element type.
func viewKernel(n *Node, f32 func([]float32, []float32), f64 func([]float64, []float64)) (KernelFunc, error) {
	return floatKernel(n,
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { f32(o.F32, in[0].F32) },
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { f64(o.F64, in[0].F64) })
}

// sliceAttrs are a's slice attributes alone (without unslice's "shape").
func sliceAttrs(a Attrs) Attrs {
	out := Attrs{}
	for _, k := range []string{"starts", "stops", "steps", "begin", "end"} {
		if v, ok := a[k]; ok {
			out[k] = v
		}
	}
	return out
}

func floatOperand(name string, t Type) error {
	if !t.DType.IsFloat() {
		return &InferError{name, fmt.Sprintf("needs an f32 or f64 operand, {0} is %v", t)}
	}
	return nil
}

// Handles of the ops this file registers.
var (
	// Slice is the op "slice": slice(x; starts, stops, steps []int) is NumPy's x[start:stop:step, ...] on the leading axes
	Slice *Op
	// Unslice is the op "unslice": unslice(g; shape Shape, and slice's attributes): zeros of the given shape with g written where
	Unslice *Op
	// Pad is the op "pad": pad(x; pads []int, value float64 = 0, mode = "constant"): x surrounded by value: pads = [before_0, after_0,
	Pad *Op
)

func init() {
	Register(&Slice, &Op{
		Name: "slice", Arity: 1,
		Flops: NoFlops,
		Doc: "slice(x; starts, stops, steps []int) is NumPy's x[start:stop:step, ...] on the leading axes " +
			"(ops.SliceNone for an absent bound; negative bounds count from the end; negative steps reverse); " +
			"or slice(x; begin, end Shape): x[begin:end] per axis with symbolic bounds. " +
			"x[i] is a slice [i:i+1] (for i = -1: [-1:SliceNone]) then a reshape dropping the axis.",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if err := floatOperand("slice", in[0]); err != nil {
				return Type{}, err
			}
			ax, err := resolveSlice("slice", in[0], a)
			if err != nil {
				return Type{}, err
			}
			return Type{in[0].DType, sliceShape(ax)}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.Must(Unslice, sliceAttrs(n.Attrs).With("shape", n.In[0].Type.Shape), g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(Slice, n.Attrs, Tangent(b, t[0], n.In[0]))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			v, err := sliceView(n, n.Attrs, n.In[0].Type.Shape, n.Type.Shape, in[0], out)
			if err != nil {
				return nil, err
			}
			return viewKernel(n,
				func(o, x []float32) { kernels.Gather(v, o, x) },
				func(o, x []float64) { kernels.Gather(v, o, x) })
		},
		Check: []CheckCase{
			{In: []Type{T(5, 4)}, Attrs: Attrs{"starts": []int{1}, "stops": []int{4}}},
			{In: []Type{T(5, 4)}, Attrs: Attrs{"starts": []int{SliceNone, -1}, "stops": []int{SliceNone, SliceNone}, "steps": []int{-2, -1}}},
			{In: []Type{T(3, 6)}, Attrs: Attrs{"starts": []int{0, 1}, "stops": []int{1, SliceNone}, "steps": []int{1, 2}}},
			{In: []Type{T(2, 3, 4)}, Attrs: Attrs{"starts": []int{SliceNone, SliceNone, -1}, "stops": []int{SliceNone, SliceNone, 0}, "steps": []int{1, 1, -1}}},
			{In: []Type{T(4, 3)}, Attrs: Attrs{"begin": ShapeOf(1, 0), "end": ShapeOf(3, 3)}},
		},
	})
	Register(&Unslice, &Op{
		Name: "unslice", Arity: 1,
		Flops: NoFlops,
		Doc: "unslice(g; shape Shape, and slice's attributes): zeros of the given shape with g written where " +
			"slice would read; the adjoint of slice",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if err := floatOperand("unslice", in[0]); err != nil {
				return Type{}, err
			}
			full := Type{in[0].DType, a.Shape("shape")}
			ax, err := resolveSlice("unslice", full, a)
			if err != nil {
				return Type{}, err
			}
			if s := sliceShape(ax); !s.Equal(in[0].Shape) {
				return Type{}, &InferError{"unslice", fmt.Sprintf("{0} is %v, but the slice of %v is %v", in[0], full.Shape, s)}
			}
			return full, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.Must(Slice, sliceAttrs(n.Attrs), g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(Unslice, n.Attrs, Tangent(b, t[0], n.In[0]))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			v, err := sliceView(n, n.Attrs, n.Type.Shape, n.In[0].Type.Shape, out, in[0])
			if err != nil {
				return nil, err
			}
			return viewKernel(n,
				func(o, x []float32) { clear(o); kernels.Scatter(v, o, x) },
				func(o, x []float64) { clear(o); kernels.Scatter(v, o, x) })
		},
		Check: []CheckCase{
			{In: []Type{T(3, 4)}, Attrs: Attrs{"shape": ShapeOf(5, 4), "starts": []int{1}, "stops": []int{4}}},
			{In: []Type{T(3, 4)}, Attrs: Attrs{"shape": ShapeOf(5, 4), "starts": []int{SliceNone, -1}, "steps": []int{-2, -1}}},
		},
	})
	Register(&Pad, &Op{
		Name: "pad", Arity: 1,
		Flops: NoFlops,
		Doc: "pad(x; pads []int, value float64 = 0, mode = \"constant\"): x surrounded by value: pads = [before_0, after_0, " +
			"before_1, after_1, ...] gives the count added on each side of each axis; a list of 2k numbers " +
			"pads the last k axes. Pads are not negative. Its gradient is a slice. mode \"reflect\" mirrors " +
			"each axis about its end elements, \"edge\" repeats them (their gradient is pad_grad).",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if err := floatOperand("pad", in[0]); err != nil {
				return Type{}, err
			}
			if err := floatAttr("pad", a, "value"); err != nil {
				return Type{}, err
			}
			lo, hi, err := padWidths(in[0], a)
			if err != nil {
				return Type{}, err
			}
			mode, err := padMode(a)
			if err != nil {
				return Type{}, err
			}
			if _, ok := a["value"]; ok && mode != "constant" {
				return Type{}, &InferError{"pad", fmt.Sprintf("a value is for mode \"constant\", not %q", mode)}
			}
			if err := checkPadFits("pad", mode, in[0].Shape, lo, hi); err != nil {
				return Type{}, err
			}
			return Type{in[0].DType, padShape(in[0].Shape, lo, hi)}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			if mode, _ := padMode(n.Attrs); mode != "constant" {
				return []*Node{b.Must(PadGrad, n.Attrs.With("shape", n.In[0].Type.Shape), g)}
			}
			lo, hi, _ := padWidths(n.In[0].Type, n.Attrs)
			stops := make([]int, len(hi))
			for i, h := range hi {
				stops[i] = -h
				if h == 0 {
					stops[i] = SliceNone
				}
			}
			return []*Node{b.Must(Slice, Attrs{"starts": lo, "stops": stops}, g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			if mode, _ := padMode(n.Attrs); mode != "constant" {
				return b.Must(Pad, n.Attrs, t[0])
			}
			return b.Must(Pad, n.Attrs.With("value", 0.0), t[0])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			if mode, _ := padMode(n.Attrs); mode != "constant" {
				return padMapKernel(n, in[0], out, true)
			}
			lo, _, err := padWidths(n.In[0].Type, n.Attrs)
			if err != nil {
				return nil, err
			}
			r := len(out)
			strides := make([]int, r)
			base, st := 0, 1
			for i := r - 1; i >= 0; i-- {
				strides[i] = st
				base += lo[i] * st
				st *= out[i]
			}
			v := kernels.NewView(in[0], base, strides)
			val := n.Attrs.Float("value", 0)
			return viewKernel(n,
				func(o, x []float32) { kernels.Fill(o, float32(val)); kernels.Scatter(v, o, x) },
				func(o, x []float64) { kernels.Fill(o, val); kernels.Scatter(v, o, x) })
		},
		Check: []CheckCase{
			{In: []Type{T(3, 4)}, Attrs: Attrs{"pads": []int{1, 2, 0, 1}}},
			{In: []Type{T(2, 3, 4)}, Attrs: Attrs{"pads": []int{2, 0}, "value": 1.5}},
			{In: []Type{T(3)}, Attrs: Attrs{"pads": []int{0, 0}}},
			{In: []Type{T(3, 4)}, Attrs: Attrs{"pads": []int{1, 1, 0, 1}, "mode": "reflect"}},
			{In: []Type{T(2, 3, 4)}, Attrs: Attrs{"pads": []int{2, 0, 3, 1}, "mode": "edge"}},
		},
	})
}

// padWidths reads pad's "pads" as before and after counts per axis.
func padWidths(t Type, a Attrs) (lo, hi []int, err error) {
	p, _, err := sliceInts(a, "pads")
	if err != nil {
		return nil, nil, &InferError{"pad", err.Error()}
	}
	r := t.Shape.Rank()
	if len(p)%2 != 0 || len(p) > 2*r {
		return nil, nil, &InferError{"pad", fmt.Sprintf("pads %v must hold a (before, after) pair for each of at most %d axes of {0}, which is %v", p, r, t)}
	}
	lo, hi = make([]int, r), make([]int, r)
	first := r - len(p)/2
	for k := 0; k < len(p)/2; k++ {
		if p[2*k] < 0 || p[2*k+1] < 0 {
			return nil, nil, &InferError{"pad", fmt.Sprintf("pads %v are negative", p)}
		}
		if int64(p[2*k]) > MaxTensorBytes || int64(p[2*k+1]) > MaxTensorBytes {
			return nil, nil, &SizeError{"pad", fmt.Errorf("pads %v are more than the limit of %d", p, MaxTensorBytes)}
		}
		lo[first+k], hi[first+k] = p[2*k], p[2*k+1]
	}
	return lo, hi, nil
}

// SliceOffset reports whether the slice n, with the concrete shapes in (its
// operand's) and out (its result's), selects one run of consecutive
// elements of its operand, in order, and where that run starts: such a
// slice (whole rows or planes, x[t] of a [T, B, H] sequence) can be a view
// of its operand's memory instead of a copy. An empty result is not a run.
func SliceOffset(n *Node, in, out []int) (int, bool) {
	if n.Op != Slice || len(n.In) != 1 || tensor.NumElems(out) == 0 {
		return 0, false
	}
	v, err := sliceView(n, n.Attrs, n.In[0].Type.Shape, n.Type.Shape, in, out)
	if err != nil || len(v.Shape) != 1 || v.Stride[0] != 1 {
		return 0, false
	}
	return v.Base, true
}

// SliceAxis is one axis of a slice resolved against the sliced shape:
// Count elements from Start, Step apart.
type SliceAxis struct {
	Start Dim
	Step  int
	Count Dim
}

// SliceAxes resolves the attributes of a slice node (against its operand's
// shape) or of an unslice node (against its "shape"), one SliceAxis per
// axis of the full shape; false for another op or attributes that do not
// resolve. A symbolic dimension's bounds are taken as in range, as the
// ops' own type rules take them.
func SliceAxes(n *Node) ([]SliceAxis, bool) {
	var full Type
	switch {
	case n.Op == Slice && len(n.In) == 1:
		full = n.In[0].Type
	case n.Op == Unslice && len(n.In) == 1:
		full = Type{n.Type.DType, n.Attrs.Shape("shape")}
	default:
		return nil, false
	}
	ax, err := resolveSlice(n.Op.Name, full, n.Attrs)
	if err != nil {
		return nil, false
	}
	out := make([]SliceAxis, len(ax))
	for i, a := range ax {
		out[i] = SliceAxis{a.start, a.step, a.count}
	}
	return out, true
}
