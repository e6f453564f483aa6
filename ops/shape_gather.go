package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// gather is NumPy's take_along_axis (PyTorch's gather); scatter_add_along is
// its adjoint.

// alongCheck checks ids against the full shape s for an op along axis: the
// same rank, and equal dimensions except along axis. It returns the axis.
func alongCheck(name string, s Shape, ids Type, a Attrs, full string) (int, error) {
	if err := idsOperand(name, ids); err != nil {
		return 0, err
	}
	if err := intAttr(name, a, "axis"); err != nil {
		return 0, err
	}
	r := s.Rank()
	ax, err := NormAxis(a.Int("axis", -1), r)
	if err != nil {
		return 0, &InferError{name, fmt.Sprintf("axis %d is out of range for %s %v", a.Int("axis", -1), full, s)}
	}
	if ids.Shape.Rank() != r {
		return 0, &InferError{name, fmt.Sprintf("ids {1} (%v) must have the rank of %s %v", ids, full, s)}
	}
	for i, d := range ids.Shape {
		if i != ax && d != s[i] {
			return 0, &InferError{name, fmt.Sprintf("ids {1} (%v) and %s %v differ on axis %d", ids, full, s, i)}
		}
	}
	return ax, nil
}

// alongDims views full and ids shapes as [outer, n, inner] and [outer, m, inner].
func alongDims(full, ids []int, ax int) (outer, n, m, inner int) {
	return tensor.NumElems(full[:ax]), full[ax], ids[ax], tensor.NumElems(full[ax+1:])
}

// Handles of the ops this file registers.
var (
	// Gather is the op "gather": gather(x, ids; axis int = -1): NumPy's take_along_axis (PyTorch's gather(x, axis, ids)): ids
	Gather *Op
	// ScatterAddAlong is the op "scatter_add_along": scatter_add_along(g, ids; shape Shape, axis int = -1): zeros of shape with g[..., j, ...] added at
	ScatterAddAlong *Op
)

func init() {
	Register(&Gather, &Op{
		Name: "gather", Arity: 2,
		Builtin: takeBuiltin(-1),
		Flops:   NoFlops,
		Doc: "gather(x, ids; axis int = -1): NumPy's take_along_axis (PyTorch's gather(x, axis, ids)): ids " +
			"(i32 or i64) has x's rank and x's dimensions except along axis, and the result, of ids' shape, holds " +
			"x[..., ids[..., j, ...], ...] at [..., j, ...]. Negative ids count from the end; an id outside " +
			"[-n, n) is an error at run time. The gradient is scatter_add_along.",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if err := floatOperand("gather", in[0]); err != nil {
				return Type{}, err
			}
			if _, err := alongCheck("gather", in[0].Shape, in[1], a, "{0}"); err != nil {
				return Type{}, err
			}
			return Type{in[0].DType, in[1].Shape}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.Must(ScatterAddAlong, n.Attrs.With("shape", n.In[0].Type.Shape), g, n.In[1]), nil}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			return b.Must(Gather, n.Attrs, t[0], n.In[1])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			ax, err := NormAxis(n.Attrs.Int("axis", -1), len(in[0]))
			if err != nil {
				return nil, err
			}
			outer, d, m, inner := alongDims(in[0], in[1], ax)
			return idsKernel(n, n.In[1].Type.DType, d,
				func(o, x []float32, ids []int32) { kernels.GatherAlong(o, x, ids, outer, d, m, inner) },
				func(o, x []float32, ids []int64) { kernels.GatherAlong(o, x, ids, outer, d, m, inner) },
				func(o, x []float64, ids []int32) { kernels.GatherAlong(o, x, ids, outer, d, m, inner) },
				func(o, x []float64, ids []int64) { kernels.GatherAlong(o, x, ids, outer, d, m, inner) })
		},
		Check: []CheckCase{
			{In: []Type{T(3, 4), TI(3, 5)}, Attrs: Attrs{"axis": 1}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(4, 4), TI(2, 4)}, Attrs: Attrs{"axis": 0}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(2, 3, 4), {DType: I64, Shape: ShapeOf(2, 3, 2)}}, Domain: []Domain{AnyReal, Labels}},
		},
	})
	Register(&ScatterAddAlong, &Op{
		Name: "scatter_add_along", Arity: 2,
		Flops: scatterFlops(0),
		Doc: "scatter_add_along(g, ids; shape Shape, axis int = -1): zeros of shape with g[..., j, ...] added at " +
			"[..., ids[..., j, ...], ...] (repeated ids add up; an id outside [-n, n) is an error at run time); the adjoint of gather",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if err := floatOperand("scatter_add_along", in[0]); err != nil {
				return Type{}, err
			}
			full := a.Shape("shape")
			if _, err := alongCheck("scatter_add_along", full, in[1], a, "shape"); err != nil {
				return Type{}, err
			}
			if !in[0].Shape.Equal(in[1].Shape) {
				return Type{}, &InferError{"scatter_add_along", fmt.Sprintf("{0} (%v) and ids {1} (%v) differ", in[0], in[1])}
			}
			return Type{in[0].DType, full}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			a := Attrs{}
			if ax, ok := n.Attrs["axis"]; ok {
				a["axis"] = ax
			}
			return []*Node{b.Must(Gather, a, g, n.In[1]), nil}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			return b.Must(ScatterAddAlong, n.Attrs, t[0], n.In[1])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			ax, err := NormAxis(n.Attrs.Int("axis", -1), len(out))
			if err != nil {
				return nil, err
			}
			outer, d, m, inner := alongDims(out, in[1], ax)
			return idsKernel(n, n.In[1].Type.DType, d,
				func(o, g []float32, ids []int32) { kernels.ScatterAddAlong(o, g, ids, outer, d, m, inner) },
				func(o, g []float32, ids []int64) { kernels.ScatterAddAlong(o, g, ids, outer, d, m, inner) },
				func(o, g []float64, ids []int32) { kernels.ScatterAddAlong(o, g, ids, outer, d, m, inner) },
				func(o, g []float64, ids []int64) { kernels.ScatterAddAlong(o, g, ids, outer, d, m, inner) })
		},
		Check: []CheckCase{
			{In: []Type{T(3, 2), TI(3, 2)}, Attrs: Attrs{"axis": 1, "shape": ShapeOf(3, 4)}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(2, 3, 2), TI(2, 3, 2)}, Attrs: Attrs{"shape": ShapeOf(2, 3, 4)}, Domain: []Domain{AnyReal, Labels}},
		},
	})
}
