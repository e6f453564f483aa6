package opt

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// ruleCase builds y from inputs x [2, 3] and w [3] (f64) and says which op
// computes y once the pass has run ("input" when y is x itself).
type ruleCase struct {
	rule  string
	build func(b *ops.Builder, x, w *ops.Node) *ops.Node
	want  string
}

// zeroSign lists the rules that may turn a +0 into -0 (0 == -0 still holds).
var zeroSign = map[string]bool{"sum_to the same shape": true}

func neg0(b *ops.Builder) *ops.Node { return b.Scalar(ops.F64, math.Copysign(0, -1)) }

var simplifyCases = []ruleCase{
	{"x+(-0)", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Add, nil, x, neg0(b)) }, "input"},
	{"x+(-0)", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return b.Must(ops.Add, nil, b.Full(f64(2, 3), math.Copysign(0, -1)), x)
	}, "input"},
	{"x+(-0)", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return b.Must(ops.Add, nil, w, b.Full(f64(2, 3), math.Copysign(0, -1)))
	}, "broadcast_to"},
	{"x-0", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Sub, nil, x, b.Scalar(ops.F64, 0)) }, "input"},
	{"x*1", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Mul, nil, b.Scalar(ops.F64, 1), x) }, "input"},
	{"x*1", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Mul, nil, x, b.Full(f64(3), 1)) }, "input"},
	{"x*-1", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Mul, nil, x, b.Scalar(ops.F64, -1)) }, "neg"},
	{"x/1", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Div, nil, x, b.Scalar(ops.F64, 1)) }, "input"},
	{"x**1", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Pow, nil, x, b.Scalar(ops.F64, 1)) }, "input"},
	{"neg(neg(x))", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Neg, nil, b.Must(ops.Neg, nil, x)) }, "input"},
	{"neg(neg(x))", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return b.Must(ops.Neg, nil, b.Must(ops.Neg, nil, b.Must(ops.Neg, nil, x)))
	}, "neg"},
	{"transpose(transpose(x))", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return b.Must(ops.Transpose, nil, b.Must(ops.Transpose, nil, x))
	}, "input"},
	{"transpose(transpose(x))", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		x3 := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(1, 2, 3)}, x)
		t := b.Must(ops.Transpose, ops.Attrs{"perm": []int{1, 0, 2}}, x3)
		return b.Must(ops.Transpose, ops.Attrs{"perm": []int{0, 2, 1}}, t)
	}, "transpose"},
	{"reshape to the same shape", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(2, 3)}, x)
	}, "input"},
	{"reshape(reshape(x))", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		r := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(6)}, x)
		return b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(3, 2)}, r)
	}, "reshape"},
	{"reshape(reshape(x))", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		r := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(6)}, x)
		return b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(2, 3)}, r)
	}, "input"},
	{"concat(reshape(x), ...) along axis 0", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		r1 := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(1, 2, 3)}, x)
		r2 := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(1, 2, 3)}, b.Must(ops.Neg, nil, x))
		return b.Must(ops.Concat, ops.Attrs{"axis": 0}, r1, r2, r1)
	}, "reshape"},
	{"concat(reshape(x), ...) along axis 0", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		// [2, 3] and [3] as [6, 1] and [3, 1]: the operands' shapes differ
		// past axis 0, so their concat is not possible: the concat stays.
		r1 := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(6, 1)}, x)
		r2 := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(3, 1)}, w)
		return b.Must(ops.Concat, ops.Attrs{"axis": 0}, r1, r2)
	}, "concat"},
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { // along axis 1: stays
		r1 := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(1, 2, 3)}, x)
		return b.Must(ops.Concat, ops.Attrs{"axis": 1}, r1, r1)
	}, "concat"},
	{"broadcast_to the same shape", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return b.Must(ops.BroadcastTo, ops.Attrs{"shape": ops.ShapeOf(2, 3)}, x)
	}, "input"},
	{"sum_to the same shape", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return b.Must(ops.SumTo, ops.Attrs{"shape": ops.ShapeOf(2, 3)}, x)
	}, "input"},
	{"sum_to(reshape(x)) over leading axes", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		r := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(2, 1, 1, 3)}, x)
		return b.Must(ops.SumTo, ops.Attrs{"shape": ops.ShapeOf(1, 3)}, r)
	}, "sum_to"},
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { // one leading axis: stays
		r := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(6, 1)}, x)
		return b.Must(ops.SumTo, ops.Attrs{"shape": ops.ShapeOf(1)}, r)
	}, "sum_to"},
	{"transpose(stack(xs)) that moves the new axis only", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		s := b.Must(ops.Stack, nil, x, b.Must(ops.Neg, nil, x), b.Must(ops.Exp, nil, x)) // [3, 2, 3]
		return b.Must(ops.Transpose, ops.Attrs{"perm": []int{1, 0, 2}}, s)
	}, "stack"},
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { // the other axes swap: stays
		s := b.Must(ops.Stack, nil, x, b.Must(ops.Neg, nil, x))
		return b.Must(ops.Transpose, ops.Attrs{"perm": []int{0, 2, 1}}, s)
	}, "transpose"},
	{"slice(stack(xs)) of one operand", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		s := b.Must(ops.Stack, ops.Attrs{"axis": 1}, x, b.Must(ops.Neg, nil, x)) // [2, 2, 3]
		return b.Must(ops.Slice, ops.Attrs{"starts": []int{ops.SliceNone, -1}, "stops": []int{ops.SliceNone, ops.SliceNone}}, s)
	}, "reshape"},
	{"slice(stack(xs)) of one operand", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		// An unrolled scan's hs[:, -1]: the stack along time, made batch
		// first, then the last step.
		s := b.Must(ops.Stack, nil, b.Must(ops.Exp, nil, x), x, b.Must(ops.Neg, nil, x)) // [3, 2, 3]
		t := b.Must(ops.Transpose, ops.Attrs{"perm": []int{1, 0, 2}}, s)
		return b.Must(ops.Slice, ops.Attrs{"starts": []int{ops.SliceNone, -1}, "stops": []int{ops.SliceNone, ops.SliceNone}}, t)
	}, "reshape"},
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { // two operands: stays
		s := b.Must(ops.Stack, nil, x, b.Must(ops.Neg, nil, x), b.Must(ops.Exp, nil, x))
		return b.Must(ops.Slice, ops.Attrs{"starts": []int{1}}, s)
	}, "slice"},
	{"transpose(unslice(g))", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		u := b.Must(ops.Unslice, ops.Attrs{"shape": ops.ShapeOf(5, 3), "starts": []int{1}, "stops": []int{-2}}, x)
		return b.Must(ops.Transpose, nil, u)
	}, "unslice"},
	{"transpose(unslice(g))", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		u := b.Must(ops.Unslice, ops.Attrs{"shape": ops.ShapeOf(2, 7), "begin": ops.ShapeOf(0, 2), "end": ops.ShapeOf(2, 5)}, x)
		return b.Must(ops.Transpose, nil, u)
	}, "unslice"},
	{"slice(unslice(g)) of g's part or of zeros", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		u := b.Must(ops.Unslice, ops.Attrs{"shape": ops.ShapeOf(4, 3), "starts": []int{1}, "stops": []int{3}}, x)
		return b.Must(ops.Slice, ops.Attrs{"starts": []int{-3}, "stops": []int{3}}, u)
	}, "input"},
	{"slice(unslice(g)) of g's part or of zeros", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		u := b.Must(ops.Unslice, ops.Attrs{"shape": ops.ShapeOf(4, 3), "starts": []int{1}, "stops": []int{3}}, x)
		return b.Must(ops.Slice, ops.Attrs{"starts": []int{3}}, u)
	}, "full"},
	{"slice(unslice(g)) of g's part or of zeros", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		// An unrolled scan's backward pass: the gradient of hs[:, -1],
		// made time first, sliced at each step.
		u := b.Must(ops.Unslice, ops.Attrs{"shape": ops.ShapeOf(2, 4, 3), "starts": []int{ops.SliceNone, -1}}, b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(2, 1, 3)}, x))
		t := b.Must(ops.Transpose, ops.Attrs{"perm": []int{1, 0, 2}}, u)
		return b.Must(ops.Slice, ops.Attrs{"starts": []int{3}}, t) // the last step's: g's
	}, "transpose"},
	{"slice(unslice(g)) of g's part or of zeros", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		u := b.Must(ops.Unslice, ops.Attrs{"shape": ops.ShapeOf(2, 4, 3), "starts": []int{ops.SliceNone, -1}}, b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(2, 1, 3)}, x))
		t := b.Must(ops.Transpose, ops.Attrs{"perm": []int{1, 0, 2}}, u)
		return b.Must(ops.Slice, ops.Attrs{"starts": []int{1}, "stops": []int{2}}, t) // another step's: zeros
	}, "full"},
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { // a part of g and zeros: stays
		u := b.Must(ops.Unslice, ops.Attrs{"shape": ops.ShapeOf(4, 3), "starts": []int{1}, "stops": []int{3}}, x)
		return b.Must(ops.Slice, ops.Attrs{"starts": []int{2}}, u)
	}, "slice"},
	{"transpose(reshape(slice(x))) of a part of the last axis", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return headPart(b, b.Input("qkv", f64(2, 3, 12)), 4)
	}, "reshape"},
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { // a part that straddles two: stays
		return headPart(b, b.Input("qkv", f64(2, 3, 12)), 2)
	}, "transpose"},
	{"concat(reshape(transpose(reshape(slice(g))))) of every part", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return joinHeads(b, b.Input("g", f64(3, 2, 2, 3, 2)), 0, 1, 2)
	}, "reshape"},
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { // parts out of order: stays
		return joinHeads(b, b.Input("g", f64(3, 2, 2, 3, 2)), 1, 0, 2)
	}, "concat"},
	{"cast to the same dtype", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return b.Must(ops.Cast, ops.Attrs{"dtype": ops.F64}, x)
	}, "input"},
	{"stop_gradient after differentiation", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return b.Must(ops.StopGradient, nil, x)
	}, "input"},
	// Identities that would lose NaN, Inf or the sign of zero stay.
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Mul, nil, x, b.Scalar(ops.F64, 0)) }, "mul"},
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Add, nil, x, b.Scalar(ops.F64, 0)) }, "add"},
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Sub, nil, x, neg0(b)) }, "sub"},
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Sub, nil, x, x) }, "sub"},
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node { return b.Must(ops.Div, nil, x, x) }, "div"},
}

// TestSimplifyRules runs every case through the simplify pass: y must be
// computed by the expected op and keep its value bitwise on inputs full of
// ±0, ±Inf and NaN. Every rule must have a case.
func TestSimplifyRules(t *testing.T) {
	runRuleCases(t, "simplify", SimplifyRules, simplifyCases, true)
}

func runRuleCases(t *testing.T, pass string, rules []Rule, cases []ruleCase, bitwise bool) {
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.rule] = true
	}
	for _, r := range rules {
		if !covered[r.Name] {
			t.Errorf("rule %q has no test case", r.Name)
		}
	}
	for i, c := range cases {
		b := ops.NewBuilder()
		x := b.Input("x", f64(2, 3))
		w := b.Input("w", f64(3))
		b.Output("y", c.build(b, x, w))
		g := b.G
		after := mustPass(t, pass, g)
		if got := after.Output("y").Op.Name; got != c.want {
			t.Errorf("case %d (%s): y is computed by %s, want %s\n%v", i, c.rule, got, c.want, after)
			continue
		}
		for seed := range uint64(5) {
			in := randomInputs(g, rand.New(rand.NewPCG(seed, uint64(i))), bitwise)
			switch {
			case bitwise && zeroSign[c.rule]:
				compare(t, c.rule, outputs(t, g, in), outputs(t, after, in), 0, math.SmallestNonzeroFloat64)
			case bitwise:
				compare(t, c.rule, outputs(t, g, in), outputs(t, after, in), 0, 0)
			default:
				compare(t, c.rule, outputs(t, g, in), outputs(t, after, in), 1e-12, 1e-12)
			}
		}
	}
}

var stabilityCases = []ruleCase{
	{"log(softmax(x))", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return b.Must(ops.Log, nil, b.Must(ops.Softmax, ops.Attrs{"axis": 0}, x))
	}, "log_softmax"},
	{"log(1+x)", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		sq := b.Must(ops.Square, nil, x) // 1 + x² > 0
		return b.Must(ops.Log, nil, b.Must(ops.Add, nil, b.Scalar(ops.F64, 1), sq))
	}, "log1p"},
	{"log(1+x)", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		e := b.Must(ops.Exp, nil, x)
		return b.Must(ops.Log, nil, b.Must(ops.Add, nil, e, b.Full(f64(2, 3), 1)))
	}, "log1p"},
	{"-mean(sum(one_hot(y)*log_softmax(x)))", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		y := b.Input("labels", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(2)})
		oh := b.Must(ops.OneHot, ops.Attrs{"n": 3, "dtype": ops.F64}, y)
		ls := b.Must(ops.LogSoftmax, nil, x)
		s := b.Must(ops.Sum, ops.Attrs{"axes": []int{1}}, b.Must(ops.Mul, nil, ls, oh))
		return b.Must(ops.Neg, nil, b.Must(ops.Mean, nil, s))
	}, "cross_entropy"},
	// The same with a 1 that is not exactly one: no log1p.
	{"", func(b *ops.Builder, x, w *ops.Node) *ops.Node {
		return b.Must(ops.Log, nil, b.Must(ops.Add, nil, b.Scalar(ops.F64, 1.5), b.Must(ops.Square, nil, x)))
	}, "log"},
}

// TestStabilityRules checks the stability rules on ordinary inputs
// (agreement to 1e-12) and that they do what they are for.
func TestStabilityRules(t *testing.T) {
	runRuleCases(t, "stability", StabilityRules, stabilityCases, false)

	// log(softmax) of a wide row: softmax underflows to 0 and its log is
	// -Inf; log_softmax is x - max - log(sum exp) = -1000 - log(1 + e^-1000).
	b := ops.NewBuilder()
	x := b.Input("x", f64(2))
	b.Output("y", b.Must(ops.Log, nil, b.Must(ops.Softmax, nil, x)))
	after := mustPass(t, "stability", b.G)
	in := map[string]*tensor.Tensor{"x": tensor.FromFloat64s(ops.F64, []int{2}, []float64{0, -1000})}
	before := outputs(t, b.G, in)["y"].F64
	got := outputs(t, after, in)["y"].F64
	if !math.IsInf(before[1], -1) || got[1] != -1000 || got[0] != 0 {
		t.Errorf("log(softmax([0, -1000])) = %v before and %v after, want -Inf before and [0 -1000] after", before, got)
	}

	// log(1 + 1e-20): 0 in floating point, 1e-20 with log1p.
	b = ops.NewBuilder()
	x = b.Input("x", f64())
	b.Output("y", b.Must(ops.Log, nil, b.Must(ops.Add, nil, x, b.Scalar(ops.F64, 1))))
	after = mustPass(t, "stability", b.G)
	in = map[string]*tensor.Tensor{"x": tensor.FromFloat64s(ops.F64, nil, []float64{1e-20})}
	if y := outputs(t, after, in)["y"].F64[0]; y != 1e-20 {
		t.Errorf("log(1 + 1e-20) = %v after the pass, want 1e-20", y)
	}
}

// headPart is multi-head attention's split of x [B, T, 12] at columns
// [c0, c0+4) into 2 heads of 2, head-major: [B, 2, T, 2].
func headPart(b *ops.Builder, x *ops.Node, c0 int) *ops.Node {
	s := b.Must(ops.Slice, ops.Attrs{"starts": []int{ops.SliceNone, ops.SliceNone, c0}, "stops": []int{ops.SliceNone, ops.SliceNone, c0 + 4}}, x)
	r := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(2, 3, 2, 2)}, s)
	return b.Must(ops.Transpose, ops.Attrs{"perm": []int{0, 2, 1, 3}}, r)
}

// joinHeads is multi-head attention's join of the gradients g [P, B, H,
// T, D] (P = 3, B 2, H 2, T 3, D 2) back to [B, T, P·H·D], taking the
// parts in the order given.
func joinHeads(b *ops.Builder, g *ops.Node, order ...int) *ops.Node {
	var parts []*ops.Node
	for _, i := range order {
		s := b.Must(ops.Slice, ops.Attrs{"starts": []int{i}, "stops": []int{i + 1}}, g)
		e := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(2, 2, 3, 2)}, s)
		t := b.Must(ops.Transpose, ops.Attrs{"perm": []int{0, 2, 1, 3}}, e)
		parts = append(parts, b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(2, 3, 4)}, t))
	}
	return b.Must(ops.Concat, ops.Attrs{"axis": -1}, parts...)
}

// TestHeadSplitOneTranspose: q, k and v split from one projection share
// one transpose after simplify and cse; each is a slice of it (a view).
func TestHeadSplitOneTranspose(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("qkv", f64(2, 3, 12))
	for i, name := range []string{"q", "k", "v"} {
		b.Output(name, headPart(b, x, 4*i))
	}
	after := mustPass(t, "cse", mustPass(t, "simplify", b.G))
	if n := opCount(after, "transpose"); n != 1 {
		t.Errorf("%d transposes, want 1:\n%v", n, after)
	}
	in := randomInputs(b.G, rand.New(rand.NewPCG(1, 2)), true)
	compare(t, "heads", outputs(t, b.G, in), outputs(t, after, in), 0, 0)
}

// TestSliceUnsliceSymbolicStays: on an axis of symbolic size the bounds of
// a slice and an unslice are resolved as if in range, which the kernels
// check when the plan is built; so a slice of an unslice that does not
// take such an axis whole is left to them.
func TestSliceUnsliceSymbolicStays(t *testing.T) {
	b := ops.NewBuilder()
	g := b.Input("g", f64(1, 3))
	full := ops.Shape{ops.DimVar("T"), ops.DimConst(3)}
	u := b.Must(ops.Unslice, ops.Attrs{"shape": full, "starts": []int{-1}}, g)
	b.Output("y", b.Must(ops.Slice, ops.Attrs{"starts": []int{-1}}, u))
	after := mustPass(t, "simplify", b.G)
	if op := after.Output("y").Op.Name; op != "slice" {
		t.Errorf("y is computed by %s, want slice:\n%v", op, after)
	}
}
