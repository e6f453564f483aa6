package ops

import (
	"fmt"
	"math"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Ops on integer class labels: cross_entropy (of logits and labels) and
// one_hot.

// Handles of the ops this file registers.
var (
	// CrossEntropy is the op "cross_entropy": cross_entropy(logits [N, C], labels int[N], weights? [C]; label_smoothing = 0): PyTorch's
	CrossEntropy *Op
	// OneHot is the op "one_hot": one_hot(labels int[...], n, dtype): [..., n] with 1 at each label's position;
	OneHot *Op
)

func init() {
	Register(&CrossEntropy, &Op{
		Name: "cross_entropy", Arity: -1,
		Builtin: &Builtin{Operands: []Operand{
			{Name: "logits"}, {Name: "labels"},
			{Name: "weights", Optional: true, Like: []int{0}},
		}, Attrs: []BuiltinAttr{
			{Name: "label_smoothing", Kind: FloatAttr, Default: 0.0, OmitDefault: true},
			{Name: "ignore_index", Kind: IntAttr, KeywordOnly: true},
		}},
		Flops: crossEntropyFlops,
		Doc: "cross_entropy(logits [N, C], labels int[N], weights? [C]; label_smoothing = 0, ignore_index?): PyTorch's " +
			"cross entropy with reduction mean: the per-row loss (1-ε)·w[y]·nll(y) + ε/C·Σ_c w[c]·nll(c), " +
			"nll = -log_softmax(logits), summed and divided by Σ w[labels] (N without weights); " +
			"rows whose label is ignore_index (when given) count in neither sum, so that a batch of only such rows is NaN (0/0), as in PyTorch; " +
			"any other label outside [0, C) is an error at run time",
		Infer: crossEntropyInfer,
		VJP:   crossEntropyVJP,
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return scalarJVP(b, n, t, crossEntropyVJP)
		},
		Kernel: crossEntropyKernel,
		Check: []CheckCase{
			{In: []Type{T(4, 5), TI(4)}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(1, 3), {DType: I64, Shape: ShapeOf(1)}}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(4, 5), TI(4)}, Attrs: Attrs{"label_smoothing": 0.2}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(4, 3), TI(4), T(3)}, Domain: []Domain{AnyReal, Labels, Positive}},
			{In: []Type{T(5, 4), TI(5), T(4)}, Attrs: Attrs{"label_smoothing": 0.3}, Domain: []Domain{AnyReal, Labels, Positive}},
			{In: []Type{T(8, 3), TI(8)}, Attrs: Attrs{"ignore_index": 1}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(8, 3), TI(8), T(3)}, Attrs: Attrs{"ignore_index": 2, "label_smoothing": 0.2}, Domain: []Domain{AnyReal, Labels, Positive}},
		},
	})
	Register(&OneHot, &Op{
		Name: "one_hot", Arity: 1,
		Builtin: &Builtin{Operands: []Operand{{Name: "labels"}}, Attrs: []BuiltinAttr{
			{Name: "n", Kind: IntAttr, Required: true, PositionalOnly: true, Invalid: "the number of classes must be a constant int, got %s"},
			{Name: "dtype", Kind: DTypeAttr, Default: F32},
		}},
		Flops: NoFlops,
		Doc: "one_hot(labels int[...], n, dtype): [..., n] with 1 at each label's position; " +
			"a label outside [0, n) is an error at run time. Gradient rules whose class count is " +
			"symbolic pass it as \"depth\", a Shape of one dimension, instead of n.",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if !in[0].DType.IsInt() {
				return Type{}, &InferError{"one_hot", fmt.Sprintf("labels must be i32 or i64: {0} is %v", in[0])}
			}
			d, err := oneHotDepth(a)
			if err != nil {
				return Type{}, err
			}
			dt := a.DType("dtype", F32)
			if !dt.IsFloat() && !dt.IsInt() {
				return Type{}, &InferError{"one_hot", fmt.Sprintf("dtype %v is not a number type", dt)}
			}
			return Type{dt, append(append(Shape(nil), in[0].Shape...), d)}, nil
		},
		// Gradient rules may set "ignore" (an int): a row whose label is
		// that value is all zeros, whatever n is (cross_entropy's
		// ignore_index).
		NoGrad: "its operand is integer labels",
		JVP:    zeroJVP,
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			c := out[len(out)-1]
			var f KernelFunc
			switch n.Type.DType {
			case F32:
				f = oneHotKernel(n, func(o *tensor.Tensor) []float32 { return o.F32 }, c)
			case F64:
				f = oneHotKernel(n, func(o *tensor.Tensor) []float64 { return o.F64 }, c)
			case I32:
				f = oneHotKernel(n, func(o *tensor.Tensor) []int32 { return o.I32 }, c)
			case I64:
				f = oneHotKernel(n, func(o *tensor.Tensor) []int64 { return o.I64 }, c)
			default:
				return nil, fmt.Errorf("one_hot: no kernel for %v", n.Type.DType)
			}
			return f, nil
		},
	})
}

func oneHotDepth(a Attrs) (Dim, error) {
	if _, ok := a["n"]; ok {
		n := a.Int("n", 0)
		if n < 0 {
			return Dim{}, &InferError{"one_hot", fmt.Sprintf("n is %d, negative", n)}
		}
		return DimConst(int64(n)), nil
	}
	if s := a.Shape("depth"); len(s) == 1 {
		return s[0], nil
	}
	return Dim{}, &InferError{"one_hot", "needs the number of classes n"}
}

// oneHotKernel checks every label against [0, c) (the first one outside,
// other than an "ignore" label, is the run's error), then writes the rows,
// zeros for the ignored label's.
func oneHotKernel[T float32 | float64 | int32 | int64](n *Node, data func(*tensor.Tensor) []T, c int) KernelFunc {
	hi := int64(c)
	ig, skip := ignoreLabel(n.Attrs, "ignore")
	return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
		if in[0].DType == I32 {
			oneHotRows(ctx, n, data(o), in[0].I32, in[0].Shape, hi, ig, skip)
		} else {
			oneHotRows(ctx, n, data(o), in[0].I64, in[0].Shape, hi, ig, skip)
		}
	}
}

func oneHotRows[T float32 | float64 | int32 | int64, L kernels.Label](ctx *Ctx, n *Node, dst []T, labels []L, shape []int, hi, ig int64, skip bool) {
	if !checkLabels(ctx, n, labels, shape, hi, ig, skip) {
		return
	}
	kernels.OneHot(dst, labels, int(hi))
	if skip && ig >= 0 && ig < hi {
		c := int(hi)
		for i, l := range labels {
			if int64(l) == ig {
				clear(dst[i*c : (i+1)*c])
			}
		}
	}
}

func crossEntropyInfer(in []Type, a Attrs) (Type, error) {
	if len(in) != 2 && len(in) != 3 {
		return Type{}, &InferError{"cross_entropy", fmt.Sprintf("takes logits, labels and optional weights, got %d operands", len(in))}
	}
	lg, lb := in[0], in[1]
	if !lg.DType.IsFloat() || lg.Shape.Rank() != 2 {
		return Type{}, &InferError{"cross_entropy", fmt.Sprintf("logits must be f32 or f64 [N, C]: {0} is %v", lg)}
	}
	if !lb.DType.IsInt() || lb.Shape.Rank() != 1 {
		return Type{}, &InferError{"cross_entropy", fmt.Sprintf("labels must be i32 or i64 [N]: {1} is %v", lb)}
	}
	if lg.Shape[0] != lb.Shape[0] {
		return Type{}, &InferError{"cross_entropy", fmt.Sprintf("batch sizes differ: {0} is %v, {1} is %v", lg, lb)}
	}
	if len(in) == 3 && (in[2].DType != lg.DType || !in[2].Shape.Equal(Shape{lg.Shape[1]})) {
		return Type{}, &InferError{"cross_entropy", fmt.Sprintf("weights must be %v[%v], one per class: {0} is %v, {2} is %v", lg.DType, lg.Shape[1], lg, in[2])}
	}
	if e := a.Float("label_smoothing", 0); !(e >= 0 && e <= 1) {
		return Type{}, &InferError{"cross_entropy", fmt.Sprintf("label_smoothing is %g, not in [0, 1]", e)}
	}
	return Scalar(lg.DType), nil
}

// crossEntropyVJP: with P = softmax(z), Y = one_hot(labels), w the weights
// (1 without), w_y = Y·w, W = Σ w_y and ε the smoothing, the loss is
// L = Σ_i [(1-ε)·w_yi·nll_i + ε/C·Σ_c w_c·NLL_ic] / W with NLL = -log P, so
//
//	dL/dz = [(1-ε)·w_y·(P - Y) + ε/C·(Σw·P - w)] / W
//	dL/dw = [Σ_i Y_i·((1-ε)·nll_i - L) + ε/C·Σ_i NLL_i] / W
func crossEntropyVJP(b *Builder, n *Node, g *Node) []*Node {
	eps := n.Attrs.Float("label_smoothing", 0)
	ig, skip := ignoreLabel(n.Attrs, "ignore_index")
	if len(n.In) == 2 && eps == 0 && !skip {
		return []*Node{b.Mul(crossEntropyResidual(b, n), b.Div(g, batchSize(b, n))), nil}
	}
	z, labels := n.In[0], n.In[1]
	ohAttrs := Attrs{"depth": Shape{z.Type.Shape[1]}, "dtype": z.Type.DType}
	if skip {
		ohAttrs["ignore"] = int(ig)
	}
	oh := b.Must(OneHot, ohAttrs, labels) // rows of ignored labels are 0
	p := b.Must(Softmax, Attrs{"axis": -1}, z)
	c := b.Must(Size, Attrs{"axes": []int{1}, "dtype": z.Type.DType}, z)
	ec := b.Div(scalar(b, z, eps), c) // ε/C
	rows := Attrs{"axes": []int{1}, "keepdims": true}
	// kept masks a term to the rows that count: m = Σ_c Y is 1 for a kept
	// row and 0 for an ignored one.
	var m *Node
	kept := func(x *Node) *Node { return x }
	if skip {
		m = b.Must(Sum, rows, oh) // [N, 1]
		kept = func(x *Node) *Node { return b.Mul(x, m) }
	}
	if len(n.In) == 2 {
		// w = 1: dL/dz = (P - (1-ε)·Y - ε/C) / N, with N the kept rows
		// and P and ε/C masked to them.
		t := b.Add(b.Mul(scalar(b, z, 1-eps), oh), kept(ec))
		if !skip {
			return []*Node{b.Mul(b.Sub(p, t), b.Div(g, batchSize(b, n))), nil}
		}
		return []*Node{b.Mul(b.Sub(kept(p), t), b.Div(g, b.Must(Sum, nil, m))), nil}
	}
	w := n.In[2]
	wy := b.Must(Sum, rows, b.Mul(oh, w)) // [N, 1]
	sw := b.Div(g, b.Must(Sum, nil, wy))  // g / W
	dz := b.Mul(scalar(b, z, 1-eps), b.Mul(wy, b.Sub(p, oh)))
	if eps != 0 {
		dz = b.Add(dz, kept(b.Mul(ec, b.Sub(b.Mul(b.Must(Sum, nil, w), p), w))))
	}
	nll := neg(b, b.Must(LogSoftmax, Attrs{"axis": -1}, z))
	nlly := b.Must(Sum, rows, b.Mul(oh, nll)) // [N, 1]
	per := b.Mul(oh, b.Sub(b.Mul(scalar(b, z, 1-eps), nlly), n))
	if eps != 0 {
		per = b.Add(per, kept(b.Mul(ec, nll)))
	}
	dw := b.Must(Sum, Attrs{"axes": []int{0}}, per)
	return []*Node{b.Mul(dz, sw), nil, b.Mul(dw, sw)}
}

func crossEntropyKernel(n *Node, in [][]int, out []int) (KernelFunc, error) {
	rows, c := in[0][0], in[0][1]
	ce := crossEntropyRows{n: n, rows: rows, c: c, eps: n.Attrs.Float("label_smoothing", 0), weighted: len(n.In) == 3}
	ce.ig, ce.skip = ignoreLabel(n.Attrs, "ignore_index")
	i32 := n.In[1].Type.DType == I32
	switch {
	case n.Type.DType == F32 && i32:
		return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			crossEntropyRun(ctx, &ce, o.F32, in[0].F32, in[1].I32, in[1].Shape, weightsOf(in, f32s))
		}, nil
	case n.Type.DType == F32:
		return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			crossEntropyRun(ctx, &ce, o.F32, in[0].F32, in[1].I64, in[1].Shape, weightsOf(in, f32s))
		}, nil
	case n.Type.DType == F64 && i32:
		return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			crossEntropyRun(ctx, &ce, o.F64, in[0].F64, in[1].I32, in[1].Shape, weightsOf(in, f64s))
		}, nil
	case n.Type.DType == F64:
		return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			crossEntropyRun(ctx, &ce, o.F64, in[0].F64, in[1].I64, in[1].Shape, weightsOf(in, f64s))
		}, nil
	}
	return nil, fmt.Errorf("cross_entropy: no kernel for %v, %v", n.In[0].Type, n.In[1].Type)
}

// crossEntropyRows is what a cross_entropy kernel knows of its node.
type crossEntropyRows struct {
	n        *Node
	rows, c  int
	eps      float64
	weighted bool
	ig       int64 // the ignored label, when skip
	skip     bool
}

// weightsOf is the class weights operand's data, nil without one.
func weightsOf[T kernels.Float](in []*tensor.Tensor, data func(*tensor.Tensor) []T) []T {
	if len(in) < 3 {
		return nil
	}
	return data(in[2])
}

// crossEntropyRun checks the labels (each in [0, C) or the ignored label)
// and writes the loss to o[0]: the vectorized kernel without weights,
// smoothing or an ignored label, crossEntropyFull otherwise.
func crossEntropyRun[T kernels.Float, L kernels.Label](ctx *Ctx, ce *crossEntropyRows, o, logits []T, labels []L, shape []int, w []T) {
	if !checkLabels(ctx, ce.n, labels, shape, int64(ce.c), ce.ig, ce.skip) {
		return
	}
	if !ce.skip && !ce.weighted && ce.eps == 0 {
		o[0] = kernels.CrossEntropy(logits, labels, ce.rows, ce.c)
		return
	}
	o[0] = crossEntropyFull(logits, labels, w, ce.rows, ce.c, ce.eps, ce.ig, ce.skip)
}

// checkLabels is checkRange of labels over [0, hi) that, when skip, also
// accepts the ignored label ig.
func checkLabels[L kernels.Label](ctx *Ctx, n *Node, labels []L, shape []int, hi, ig int64, skip bool) bool {
	if !skip {
		return checkRange(ctx, n, labels, shape, 0, hi, "label", "labels")
	}
	for i, v := range labels {
		if l := int64(v); l != ig && (l < 0 || l >= hi) {
			ctx.Fail(&IndexError{Pos: n.Pos, Op: n.Op.Name, What: "label", Of: "labels", Value: l, Lo: 0, Hi: hi, At: unflatten(i, shape)})
			return false
		}
	}
	return true
}

// ignoreLabel returns the int attribute key (cross_entropy's
// "ignore_index", one_hot's "ignore") and whether it is set.
func ignoreLabel(a Attrs, key string) (int64, bool) {
	v, ok := a[key]
	if !ok {
		return 0, false
	}
	return int64(v.(int)), true
}

// crossEntropyFull is cross entropy with class weights w (nil: all 1),
// label smoothing eps and, when skip, rows labelled ig left out, as
// PyTorch defines them (see crossEntropyVJP).
func crossEntropyFull[T kernels.Float, L kernels.Label](logits []T, labels []L, w []T, n, c int, eps float64, ig int64, skip bool) T {
	weight := func(j int) float64 {
		if w == nil {
			return 1
		}
		return float64(w[j])
	}
	var num, den float64
	for i := 0; i < n; i++ {
		row := logits[i*c : (i+1)*c]
		l := int64(labels[i])
		if skip && l == ig {
			continue
		}
		if l < 0 || l >= int64(c) {
			return T(math.NaN())
		}
		m := math.Inf(-1)
		for _, v := range row {
			m = max(m, float64(v))
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v) - m)
		}
		lse := m + math.Log(s)
		var smooth float64
		for j, v := range row {
			smooth += weight(j) * (lse - float64(v))
		}
		wy := weight(int(l))
		num += (1-eps)*wy*(lse-float64(row[l])) + eps/float64(c)*smooth
		den += wy
	}
	return T(num / den)
}

// crossEntropyResidual is softmax(logits) - one_hot(labels): the gradient of
// the summed (not averaged) loss with respect to the logits.
func crossEntropyResidual(b *Builder, n *Node) *Node {
	logits, labels := n.In[0], n.In[1]
	p := b.Must(Softmax, Attrs{"axis": -1}, logits)
	oh := b.Must(OneHot, Attrs{"depth": Shape{logits.Type.Shape[1]}, "dtype": logits.Type.DType}, labels)
	return b.Sub(p, oh)
}

// batchSize is N, the number of rows of cross_entropy n's logits, as a scalar.
func batchSize(b *Builder, n *Node) *Node {
	return b.Must(Size, Attrs{"axes": []int{0}, "dtype": n.Type.DType}, n.In[0])
}

// crossEntropyFlops is log_softmax over [N, C] (5 per element), then a
// pick and an average per row.
func crossEntropyFlops(_ *Node, in [][]int, _ []int) int64 {
	return satAdd(satMul(5, elems(in[0])), satMul(2, elems(in[0][:len(in[0])-1])))
}
