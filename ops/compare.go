package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Comparisons giving bool tensors (the language's == != < <= > >=), the
// logical ops on bools (&& || !) and the any/all reductions. None has a
// gradient: a bool carries none. Unlike the float masks of mask.go (which
// gradient rules multiply by), these are what user programs compute.

// Handles of the ops this file registers.
var (
	// Eq is the op "eq": x == y, a bool tensor (broadcasting).
	Eq *Op
	// Ne is the op "ne": x != y, a bool tensor (broadcasting).
	Ne *Op
	// Lt is the op "lt": x < y, a bool tensor (broadcasting).
	Lt *Op
	// Le is the op "le": x <= y, a bool tensor (broadcasting).
	Le *Op
	// Gt is the op "gt": x > y, a bool tensor (broadcasting).
	Gt *Op
	// Ge is the op "ge": x >= y, a bool tensor (broadcasting).
	Ge *Op
	// LogicalAnd is the op "logical_and": x && y on bools (broadcasting).
	LogicalAnd *Op
	// LogicalOr is the op "logical_or": x || y on bools (broadcasting).
	LogicalOr *Op
	// LogicalNot is the op "logical_not": !x on bools.
	LogicalNot *Op
	// ReduceAny is the op "any": whether some element along the axes is true.
	ReduceAny *Op
	// ReduceAll is the op "all": whether every element along the axes is true.
	ReduceAll *Op
)

// compareCases are the operand types comparisons are checked on.
var compareCases = []CheckCase{
	{In: []Type{T(3, 4), T(3, 4)}, Domain: []Domain{Labels, Labels}},
	{In: []Type{T(3, 4), T(4)}, Domain: []Domain{Labels, Labels}},
	{In: []Type{TI(2, 1, 3), TI(4, 1)}, Domain: []Domain{Labels, Labels}},
	{In: []Type{{DType: F64, Shape: ShapeOf()}, {DType: F64, Shape: ShapeOf(2, 3)}}},
}

func init() {
	for _, c := range []struct {
		h        **Op
		name, op string
	}{{&Eq, "eq", "=="}, {&Ne, "ne", "!="}, {&Lt, "lt", "<"}, {&Le, "le", "<="}, {&Gt, "gt", ">"}, {&Ge, "ge", ">="}} {
		name, sym := c.name, c.op
		Register(c.h, &Op{
			Name: name, Arity: 2,
			Doc: "x " + sym + " y elementwise, a bool tensor (broadcasting); operands share one of f32, f64, i32, i64" +
				map[bool]string{true: " or bool", false: ""}[name == "eq" || name == "ne"] + "; NaN compares unequal",
			Infer: func(in []Type, a Attrs) (Type, error) {
				return boolInfer(name, in, name == "eq" || name == "ne", false)
			},
			NoGrad: "a bool result",
			VJP:    func(b *Builder, n *Node, g *Node) []*Node { return []*Node{nil, nil} },
			JVP:    func(b *Builder, n *Node, t []*Node) *Node { return nil }, // no tangent: a bool
			Kernel: compareKernel(name),
			Flops:  perOut(1),
			Check:  compareCases,
		})
	}
	boolCases := []CheckCase{
		{In: []Type{{DType: Bool, Shape: ShapeOf(3, 4)}, {DType: Bool, Shape: ShapeOf(3, 4)}}},
		{In: []Type{{DType: Bool, Shape: ShapeOf(2, 1, 3)}, {DType: Bool, Shape: ShapeOf(4, 1)}}},
	}
	for _, c := range []struct {
		h    **Op
		name string
	}{{&LogicalAnd, "logical_and"}, {&LogicalOr, "logical_or"}} {
		name, or := c.name, c.name == "logical_or"
		Register(c.h, &Op{
			Name: name, Arity: 2,
			Doc:    name + "(x, y): " + map[bool]string{true: "x || y", false: "x && y"}[or] + " on bool tensors (broadcasting)",
			Infer:  func(in []Type, a Attrs) (Type, error) { return boolInfer(name, in, true, true) },
			NoGrad: "a bool result",
			VJP:    func(b *Builder, n *Node, g *Node) []*Node { return []*Node{nil, nil} },
			JVP:    func(b *Builder, n *Node, t []*Node) *Node { return nil }, // no tangent: a bool
			Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
				p := kernels.NewBcast(out, in[0], in[1])
				idx, off := p.Scratch(), make([]int, 2)
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					kernels.Logical(p, or, o.Bool, in[0].Bool, in[1].Bool, idx, off)
				}, nil
			},
			Flops: perOut(1),
			Check: boolCases,
		})
	}
	Register(&LogicalNot, &Op{
		Name: "logical_not", Arity: 1,
		Doc: "logical_not(x): !x on a bool tensor",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if in[0].DType != Bool {
				return Type{}, &InferError{"logical_not", fmt.Sprintf("needs a bool operand, {0} is %v (compare it first: x != 0)", in[0])}
			}
			return in[0], nil
		},
		NoGrad: "a bool result",
		VJP:    func(b *Builder, n *Node, g *Node) []*Node { return []*Node{nil} },
		JVP:    func(b *Builder, n *Node, t []*Node) *Node { return nil }, // no tangent: a bool
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { kernels.Not(o.Bool, in[0].Bool) }, nil
		},
		Flops: perOut(1),
		Check: []CheckCase{{In: []Type{{DType: Bool, Shape: ShapeOf(3, 4)}}}},
	})
	for _, c := range []struct {
		h    **Op
		name string
	}{{&ReduceAny, "any"}, {&ReduceAll, "all"}} {
		name, all := c.name, c.name == "all"
		bt := func(s ...int) Type { return Type{DType: Bool, Shape: ShapeOf(s...)} }
		Register(c.h, &Op{
			Name: name, Arity: 1,
			Builtin: reduceBuiltin(nil),
			Doc: name + "(x; axis ints, keepdims bool): whether " + map[bool]string{true: "every", false: "some"}[all] +
				" element of the bool tensor x along axis is true (over all of x without axis; NumPy: an empty " +
				name + " is " + fmt.Sprint(all) + ")",
			Infer: func(in []Type, a Attrs) (Type, error) {
				if in[0].DType != Bool {
					return Type{}, &InferError{name, fmt.Sprintf("needs a bool operand, {0} is %v (compare it first: %s(x != 0))", in[0], name)}
				}
				red, err := resolveReduction(name, in[0], a)
				if err != nil {
					return Type{}, err
				}
				return Type{Bool, red.out}, nil
			},
			NoGrad: "a bool result",
			VJP:    func(b *Builder, n *Node, g *Node) []*Node { return []*Node{nil} },
			JVP:    func(b *Builder, n *Node, t []*Node) *Node { return nil }, // no tangent: a bool
			Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
				red, err := resolveReduction(name, n.In[0].Type, n.Attrs)
				if err != nil {
					return nil, err
				}
				s := append([]int(nil), in[0]...)
				idx := make([]int, len(s))
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					kernels.AnyAll(o.Bool, in[0].Bool, s, red.mask, all, idx)
				}, nil
			},
			Flops: perIn(1),
			Check: []CheckCase{
				{In: []Type{bt(3, 4)}},
				{In: []Type{bt(3, 4)}, Attrs: Attrs{"axes": []int{1}}},
				{In: []Type{bt(2, 3, 4)}, Attrs: Attrs{"axes": []int{0, 2}, "keepdims": true}},
			},
		})
	}
}

// boolInfer is the type rule of the comparisons (numeric operands of one
// type, or bools when bools is set) and of the logical ops (onlyBool):
// a bool tensor of the broadcast shape.
func boolInfer(name string, in []Type, bools, onlyBool bool) (Type, error) {
	x, y := in[0], in[1]
	if x.DType != y.DType {
		return Type{}, &InferError{name, fmt.Sprintf("element types differ: {0} is %v, {1} is %v (cast one: cast(x, f32))", x, y)}
	}
	switch {
	case onlyBool && x.DType != Bool:
		return Type{}, &InferError{name, fmt.Sprintf("needs bool operands, {0} is %v (compare it first: x != 0)", x)}
	case x.DType == Bool && !bools:
		return Type{}, &InferError{name, fmt.Sprintf("bools are not ordered: {0} is %v (== and != compare them)", x)}
	case x.DType.Size() == 0:
		return Type{}, &InferError{name, fmt.Sprintf("{0} has no element type: %v", x)}
	}
	s, err := BroadcastShapes(x.Shape, y.Shape)
	if err != nil {
		return Type{}, &InferError{name, fmt.Sprintf("shapes do not broadcast: {0} is %v, {1} is %v (%v)", x, y, err)}
	}
	return Type{Bool, s}, nil
}

func compareKernel(name string) func(*Node, [][]int, []int) (KernelFunc, error) {
	return func(n *Node, in [][]int, out []int) (KernelFunc, error) {
		p := kernels.NewBcast(out, in[0], in[1])
		idx, off := p.Scratch(), make([]int, 2)
		switch n.In[0].Type.DType {
		case F32:
			return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				kernels.Compare(p, name, o.Bool, in[0].F32, in[1].F32, idx, off)
			}, nil
		case F64:
			return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				kernels.Compare(p, name, o.Bool, in[0].F64, in[1].F64, idx, off)
			}, nil
		case I32:
			return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				kernels.Compare(p, name, o.Bool, in[0].I32, in[1].I32, idx, off)
			}, nil
		case I64:
			return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				kernels.Compare(p, name, o.Bool, in[0].I64, in[1].I64, idx, off)
			}, nil
		case Bool:
			return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				kernels.EqualBool(p, name == "ne", o.Bool, in[0].Bool, in[1].Bool, idx, off)
			}, nil
		}
		return nil, fmt.Errorf("%s: no kernel for %v", name, n.In[0].Type)
	}
}
