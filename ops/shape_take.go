package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// take gathers along an axis with integer ids (NumPy's take); scatter_add is
// its adjoint.

// takeAxis resolves the "axis" of take or scatter_add against a shape of
// rank r; all is true without one (the operand is taken as flattened).
func takeAxis(name string, t Type, a Attrs, r int) (ax int, all bool, err error) {
	if _, ok := a["axis"]; !ok {
		return 0, true, nil
	}
	if err := intAttr(name, a, "axis"); err != nil {
		return 0, false, err
	}
	ax, err = NormAxis(a.Int("axis", 0), r)
	if err != nil {
		return 0, false, &InferError{name, fmt.Sprintf("axis %d is out of range for %v", a.Int("axis", 0), t)}
	}
	return ax, false, nil
}

// takeShape is the shape of take(x of shape s, ids, axis).
func takeShape(s Shape, ids Shape, ax int, all bool) Shape {
	if all {
		return append(Shape(nil), ids...)
	}
	out := append(Shape(nil), s[:ax]...)
	out = append(out, ids...)
	return append(out, s[ax+1:]...)
}

// takeDims views a concrete shape s as [outer, n, inner] around axis.
func takeDims(s []int, ax int, all bool) (outer, n, inner int) {
	if all {
		return 1, tensor.NumElems(s), 1
	}
	return tensor.NumElems(s[:ax]), s[ax], tensor.NumElems(s[ax+1:])
}

func idsOperand(name string, t Type) error {
	if !t.DType.IsInt() {
		return &InferError{name, fmt.Sprintf("ids must be i32 or i64: {1} is %v", t)}
	}
	return nil
}

// Handles of the ops this file registers.
var (
	// Take is the op "take": take(x, ids; axis int): NumPy's take: x[..., ids, ...] with ids (i32 or i64, any shape) indexing
	Take *Op
	// ScatterAdd is the op "scatter_add": scatter_add(g, ids; shape Shape, axis int): zeros of shape with each slice of g added at the
	ScatterAdd *Op
)

func init() {
	Register(&Take, &Op{
		Name: "take", Arity: 2,
		Builtin: takeBuiltin(nil),
		Flops:   NoFlops,
		Doc: "take(x, ids; axis int): NumPy's take: x[..., ids, ...] with ids (i32 or i64, any shape) indexing " +
			"axis, giving x.shape[:axis] + ids.shape + x.shape[axis+1:]; without axis x is flattened. " +
			"Negative ids count from the end; an id outside [-n, n) is an error at run time. The gradient is scatter_add.",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if err := floatOperand("take", in[0]); err != nil {
				return Type{}, err
			}
			if err := idsOperand("take", in[1]); err != nil {
				return Type{}, err
			}
			ax, all, err := takeAxis("take", in[0], a, in[0].Shape.Rank())
			if err != nil {
				return Type{}, err
			}
			return Type{in[0].DType, takeShape(in[0].Shape, in[1].Shape, ax, all)}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.Must(ScatterAdd, n.Attrs.With("shape", n.In[0].Type.Shape), g, n.In[1]), nil}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			return b.Must(Take, n.Attrs, t[0], n.In[1])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			ax, all, err := takeAxis("take", n.In[0].Type, n.Attrs, len(in[0]))
			if err != nil {
				return nil, err
			}
			outer, m, inner := takeDims(in[0], ax, all)
			return idsKernel(n, n.In[1].Type.DType, m,
				func(o, x []float32, ids []int32) { kernels.Take(o, x, ids, outer, m, inner) },
				func(o, x []float32, ids []int64) { kernels.Take(o, x, ids, outer, m, inner) },
				func(o, x []float64, ids []int32) { kernels.Take(o, x, ids, outer, m, inner) },
				func(o, x []float64, ids []int64) { kernels.Take(o, x, ids, outer, m, inner) })
		},
		Check: []CheckCase{
			{In: []Type{T(3, 4), TI(2, 3)}, Attrs: Attrs{"axis": 1}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(4, 4), TI(5)}, Attrs: Attrs{"axis": 0}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(2, 3, 4), {DType: I64, Shape: ShapeOf(3)}}, Attrs: Attrs{"axis": -1}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(2, 3), TI(4)}, Domain: []Domain{AnyReal, Labels}},
		},
	})
	Register(&ScatterAdd, &Op{
		Name: "scatter_add", Arity: 2,
		Flops: scatterFlops(0),
		Doc: "scatter_add(g, ids; shape Shape, axis int): zeros of shape with each slice of g added at the " +
			"position ids gives along axis (repeated ids add up; an id outside [-n, n) is an error at run time); " +
			"the adjoint of take(x, ids, axis) for x of that shape",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if err := floatOperand("scatter_add", in[0]); err != nil {
				return Type{}, err
			}
			if err := idsOperand("scatter_add", in[1]); err != nil {
				return Type{}, err
			}
			full := Type{in[0].DType, a.Shape("shape")}
			ax, all, err := takeAxis("scatter_add", full, a, full.Shape.Rank())
			if err != nil {
				return Type{}, err
			}
			if want := takeShape(full.Shape, in[1].Shape, ax, all); !want.Equal(in[0].Shape) {
				return Type{}, &InferError{"scatter_add", fmt.Sprintf("{0} is %v, but ids {1} of type %v into %v need %v", in[0], in[1], full.Shape, want)}
			}
			return full, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			a := Attrs{}
			if ax, ok := n.Attrs["axis"]; ok {
				a["axis"] = ax
			}
			return []*Node{b.Must(Take, a, g, n.In[1]), nil}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			return b.Must(ScatterAdd, n.Attrs, t[0], n.In[1])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			ax, all, err := takeAxis("scatter_add", n.Type, n.Attrs, len(out))
			if err != nil {
				return nil, err
			}
			outer, m, inner := takeDims(out, ax, all)
			return idsKernel(n, n.In[1].Type.DType, m,
				func(o, g []float32, ids []int32) { kernels.ScatterAdd(o, g, ids, outer, m, inner) },
				func(o, g []float32, ids []int64) { kernels.ScatterAdd(o, g, ids, outer, m, inner) },
				func(o, g []float64, ids []int32) { kernels.ScatterAdd(o, g, ids, outer, m, inner) },
				func(o, g []float64, ids []int64) { kernels.ScatterAdd(o, g, ids, outer, m, inner) })
		},
		Check: []CheckCase{
			{In: []Type{T(3, 2), TI(2)}, Attrs: Attrs{"axis": 1, "shape": ShapeOf(3, 4)}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(2, 3, 2), TI(3)}, Attrs: Attrs{"axis": 1, "shape": ShapeOf(2, 4, 2)}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(2, 3), TI(2, 3)}, Attrs: Attrs{"shape": ShapeOf(5)}, Domain: []Domain{AnyReal, Labels}},
		},
	})
}

// idsKernel picks the kernel for the float type of n and the ids' type.
// Before the kernel runs, every id is checked against [-bound, bound) (the
// size of the indexed axis; negative ids count from the end): the first one
// outside is the run's error, naming the op, its position and the id.
func idsKernel(n *Node, ids DType, bound int,
	f32i32 func(o, x []float32, ids []int32), f32i64 func(o, x []float32, ids []int64),
	f64i32 func(o, x []float64, ids []int32), f64i64 func(o, x []float64, ids []int64)) (KernelFunc, error) {
	lo, hi := -int64(bound), int64(bound)
	switch {
	case n.Type.DType == F32 && ids == I32:
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if checkRange(c, n, in[1].I32, in[1].Shape, lo, hi, "index", "indices") {
				f32i32(o.F32, in[0].F32, in[1].I32)
			}
		}, nil
	case n.Type.DType == F32 && ids == I64:
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if checkRange(c, n, in[1].I64, in[1].Shape, lo, hi, "index", "indices") {
				f32i64(o.F32, in[0].F32, in[1].I64)
			}
		}, nil
	case n.Type.DType == F64 && ids == I32:
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if checkRange(c, n, in[1].I32, in[1].Shape, lo, hi, "index", "indices") {
				f64i32(o.F64, in[0].F64, in[1].I32)
			}
		}, nil
	case n.Type.DType == F64 && ids == I64:
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if checkRange(c, n, in[1].I64, in[1].Shape, lo, hi, "index", "indices") {
				f64i64(o.F64, in[0].F64, in[1].I64)
			}
		}, nil
	}
	return nil, fmt.Errorf("%s: no kernel for %v with %v ids", n.Op.Name, n.Type, ids)
}
