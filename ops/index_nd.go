package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// gather_nd is indexing with several integer tensors on adjacent axes,
// x[i, j] (NumPy's advanced indexing): the index tensors broadcast together
// and replace the axes they index. scatter_nd_add is its adjoint. Every
// index is checked against its axis at run time (negative ones count from
// the end); the first one outside is the run's IndexError.

// Handles of the ops this file registers.
var (
	// GatherND is the op "gather_nd": gather_nd(x, i1, ..., in; axis int): x[..., i1, ..., in, ...] indexing n adjacent axes from axis.
	GatherND *Op
	// ScatterNDAdd is the op "scatter_nd_add": scatter_nd_add(g, i1, ..., in; axis int, shape Shape): the adjoint of gather_nd.
	ScatterNDAdd *Op
)

// ndLayout is the type rule shared by both ops: x (or the scatter's
// result) of type full, index operands ids; it returns the gather's result
// shape.
func ndLayout(name string, full Type, ids []Type, a Attrs) (Shape, error) {
	if err := intAttr(name, a, "axis"); err != nil {
		return nil, err
	}
	k, n := a.Int("axis", 0), len(ids)
	if n == 0 || k < 0 || k+n > full.Shape.Rank() {
		return nil, &InferError{name, fmt.Sprintf("%d index tensors from axis %d do not fit %v", n, k, full)}
	}
	var b Shape
	for m, t := range ids {
		if !t.DType.IsInt() {
			return nil, &InferError{name, fmt.Sprintf("indices must be i32 or i64: {%d} is %v", m+1, t)}
		}
		s, err := BroadcastShapes(b, t.Shape)
		if err != nil {
			return nil, &InferError{name, fmt.Sprintf("index tensors do not broadcast: {%d} is %v (%v)", m+1, t, err)}
		}
		b = s
	}
	out := append(Shape(nil), full.Shape[:k]...)
	out = append(out, b...)
	return append(out, full.Shape[k+n:]...), nil
}

func types(ns []*Node) []Type {
	out := make([]Type, len(ns))
	for i, n := range ns {
		out[i] = n.Type
	}
	return out
}

func init() {
	Register(&GatherND, &Op{
		Name: "gather_nd", Arity: -1,
		Flops: NoFlops,
		Doc: "gather_nd(x, i1, ..., in; axis int): x indexed on the n adjacent axes from axis by integer tensors " +
			"that broadcast together (NumPy's x[:, i, j]); negative indices count from the end, one outside its axis is an " +
			"error at run time. The gradient is scatter_nd_add.",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if len(in) < 2 {
				return Type{}, &InferError{"gather_nd", "needs x and at least one index tensor"}
			}
			if err := floatOperand("gather_nd", in[0]); err != nil {
				return Type{}, err
			}
			s, err := ndLayout("gather_nd", in[0], in[1:], a)
			return Type{in[0].DType, s}, err
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			out := make([]*Node, len(n.In))
			out[0] = b.Must(ScatterNDAdd, Attrs{"axis": n.Attrs.Int("axis", 0), "shape": n.In[0].Type.Shape}, append([]*Node{g}, n.In[1:]...)...)
			return out
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return nil
			}
			return b.Must(GatherND, n.Attrs, append([]*Node{t[0]}, n.In[1:]...)...)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return ndKernel(n, in[0], in[1:], out, false)
		},
		Scratch: func(n *Node, in [][]int, out []int, _ bool) int64 { return ndScratch(n, in[0], len(in)-1, out) },
		Check: []CheckCase{
			{In: []Type{T(4, 4), TI(3), TI(3)}, Attrs: Attrs{"axis": 0}, Domain: []Domain{AnyReal, Labels, Labels}},
			{In: []Type{T(2, 3, 3), TI(2, 1), TI(4)}, Attrs: Attrs{"axis": 1}, Domain: []Domain{AnyReal, Labels, Labels}},
			{In: []Type{T(3, 3, 2), TI(5), {DType: I64, Shape: ShapeOf()}}, Attrs: Attrs{"axis": 0}, Domain: []Domain{AnyReal, Labels, Labels}},
		},
	})
	Register(&ScatterNDAdd, &Op{
		Name: "scatter_nd_add", Arity: -1,
		Flops: scatterFlops(0),
		Doc: "scatter_nd_add(g, i1, ..., in; axis int, shape Shape): zeros of shape with each row of g added where " +
			"gather_nd(x of that shape, i1, ..., in, axis) read it (repeated indices add up, in order); its adjoint",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if len(in) < 2 {
				return Type{}, &InferError{"scatter_nd_add", "needs g and at least one index tensor"}
			}
			if err := floatOperand("scatter_nd_add", in[0]); err != nil {
				return Type{}, err
			}
			full := Type{in[0].DType, a.Shape("shape")}
			s, err := ndLayout("scatter_nd_add", full, in[1:], a)
			if err != nil {
				return Type{}, err
			}
			if !s.Equal(in[0].Shape) {
				return Type{}, &InferError{"scatter_nd_add", fmt.Sprintf("{0} is %v, but the indices into %v need %v", in[0], full.Shape, s)}
			}
			return full, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			out := make([]*Node, len(n.In))
			out[0] = b.Must(GatherND, Attrs{"axis": n.Attrs.Int("axis", 0)}, append([]*Node{g}, n.In[1:]...)...)
			return out
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return nil
			}
			return b.Must(ScatterNDAdd, n.Attrs, append([]*Node{t[0]}, n.In[1:]...)...)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return ndKernel(n, out, in[1:], in[0], true)
		},
		Scratch: func(n *Node, in [][]int, out []int, _ bool) int64 { return ndScratch(n, out, len(in)-1, in[0]) },
		Check: []CheckCase{
			{In: []Type{T(3), TI(3), TI(3)}, Attrs: Attrs{"axis": 0, "shape": ShapeOf(4, 4)}, Domain: []Domain{AnyReal, Labels, Labels}},
			{In: []Type{T(2, 2, 4), TI(2, 1), TI(4)}, Attrs: Attrs{"axis": 1, "shape": ShapeOf(2, 4, 4)}, Domain: []Domain{AnyReal, Labels, Labels}},
		},
	})
}

// ndKernel prepares gather_nd (full is x's shape, part the result's) or
// scatter_nd_add (full the result's, part g's).
func ndKernel(n *Node, full []int, ids [][]int, part []int, scatter bool) (KernelFunc, error) {
	k, m := n.Attrs.Int("axis", 0), len(ids)
	outer, span, inner := tensor.NumElems(full[:k]), tensor.NumElems(full[k:k+m]), tensor.NumElems(full[k+m:])
	b := part[k : len(part)-(len(full)-k-m)]
	p := kernels.NewBcast(b, ids...)
	idx, off := p.Scratch(), make([]int, m)
	pos := make([]int, tensor.NumElems(b))
	dims := full[k : k+m]
	of := make([]string, m)
	for j := range of {
		of[j] = fmt.Sprintf("index tensor %d", j+1)
	}
	positions := func(c *Ctx, in []*tensor.Tensor) bool {
		for j, t := range in {
			lo, hi := -int64(dims[j]), int64(dims[j])
			ok := true
			if t.DType == I32 {
				ok = checkRange(c, n, t.I32, t.Shape, lo, hi, "index", of[j])
			} else {
				ok = checkRange(c, n, t.I64, t.Shape, lo, hi, "index", of[j])
			}
			if !ok {
				return false
			}
		}
		for r := 0; r < p.Rows; r++ {
			p.Offsets(r, idx, off)
			for i := 0; i < p.Row; i++ {
				q := 0
				for j, t := range in {
					e := off[j] + i*p.Inner[j]
					var v int
					if t.DType == I32 {
						v = int(t.I32[e])
					} else {
						v = int(t.I64[e])
					}
					if v < 0 {
						v += dims[j]
					}
					q = q*dims[j] + v
				}
				pos[r*p.Row+i] = q
			}
		}
		return true
	}
	switch {
	case n.Type.DType == F32 && !scatter:
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if positions(c, in[1:]) {
				kernels.GatherRows(o.F32, in[0].F32, pos, outer, span, inner)
			}
		}, nil
	case n.Type.DType == F64 && !scatter:
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if positions(c, in[1:]) {
				kernels.GatherRows(o.F64, in[0].F64, pos, outer, span, inner)
			}
		}, nil
	case n.Type.DType == F32:
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if positions(c, in[1:]) {
				kernels.ScatterAddRows(o.F32, in[0].F32, pos, outer, span, inner)
			}
		}, nil
	case n.Type.DType == F64:
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if positions(c, in[1:]) {
				kernels.ScatterAddRows(o.F64, in[0].F64, pos, outer, span, inner)
			}
		}, nil
	}
	return nil, fmt.Errorf("%s: no kernel for %v", n.Op.Name, n.Type)
}

// ndScratch is the bytes of the kernel's table of positions: one int per
// element of the broadcast index shape.
func ndScratch(n *Node, full []int, m int, part []int) int64 {
	k := n.Attrs.Int("axis", 0)
	return satMul(8, elems(part[k:len(part)-(len(full)-k-m)]))
}
