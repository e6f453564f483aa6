package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// concat and stack join any number of operands along an axis; squeeze and
// unsqueeze drop and insert axes of size 1.

// sameTypes checks that the operands of a joining op share one float element
// type and rank; it returns that element type.
func sameTypes(name string, in []Type) (DType, error) {
	if len(in) == 0 {
		return 0, &InferError{name, "needs at least one operand"}
	}
	if err := floatOperand(name, in[0]); err != nil {
		return 0, err
	}
	for i, t := range in {
		if t.DType != in[0].DType || t.Shape.Rank() != in[0].Shape.Rank() {
			return 0, &InferError{name, fmt.Sprintf("operands differ: {0} is %v, {%d} is %v", in[0], i, t)}
		}
	}
	return in[0].DType, nil
}

// joinKernel copies the operands, each viewed as [outer, rows[k]], into the
// result viewed as [outer, Σ rows].
func joinKernel(n *Node, rows []int, outer int) (KernelFunc, error) {
	s32, s64 := make([][]float32, len(rows)), make([][]float64, len(rows))
	return floatKernel(n,
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			for i, t := range in {
				s32[i] = t.F32
			}
			kernels.Concat(o.F32, s32, rows, outer)
		},
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			for i, t := range in {
				s64[i] = t.F64
			}
			kernels.Concat(o.F64, s64, rows, outer)
		})
}

// cut is x[..., off:off+d, ...] along axis, or nil when the slice's kernel
// could not evaluate off from its shapes.
func cut(b *Builder, x *Node, axis int, off, d Dim) *Node {
	begin := make(Shape, len(x.Type.Shape))
	for j := range begin {
		begin[j] = DimConst(0)
	}
	begin[axis] = off
	end := append(Shape(nil), x.Type.Shape...)
	end[axis] = off.Add(d)
	part := append(Shape(nil), x.Type.Shape...)
	part[axis] = d
	if !boundsResolvable(begin, end, x.Type.Shape, part) {
		return nil
	}
	if off == DimConst(0) && d == x.Type.Shape[axis] {
		return x
	}
	return b.Must(Slice, Attrs{"begin": begin, "end": end}, x)
}

// joinTangents are the tangents of a joining op n, zeros for the missing ones.
func joinTangents(b *Builder, n *Node, t []*Node) []*Node {
	out := make([]*Node, len(t))
	for i, x := range t {
		out[i] = Tangent(b, x, n.In[i])
	}
	return out
}

// Handles of the ops this file registers.
var (
	// Concat is the op "concat": concat(x0, x1, ...; axis int = 0): the operands joined along axis (negative counts from the end);
	Concat *Op
	// Stack is the op "stack": stack(x0, x1, ...; axis int = 0): the operands, of one type, joined along a new axis at position
	Stack *Op
	// Squeeze is the op "squeeze": squeeze(x; axes []int): x without the given axes, which must have size 1; without axes,
	Squeeze *Op
	// Unsqueeze is the op "unsqueeze": unsqueeze(x; axes []int): x with new axes of size 1 at the given positions of the result
	Unsqueeze *Op
)

func init() {
	Register(&Concat, &Op{
		Name: "concat", Arity: -1,
		Builtin: joinBuiltin(),
		Flops:   NoFlops,
		Doc: "concat(x0, x1, ...; axis int = 0): the operands joined along axis (negative counts from the end); " +
			"they share the element type and every other dimension",
		Infer: func(in []Type, a Attrs) (Type, error) {
			dt, err := sameTypes("concat", in)
			if err != nil {
				return Type{}, err
			}
			if err := intAttr("concat", a, "axis"); err != nil {
				return Type{}, err
			}
			r := in[0].Shape.Rank()
			ax, err := NormAxis(a.Int("axis", 0), r)
			if err != nil {
				return Type{}, &InferError{"concat", fmt.Sprintf("axis %d is out of range for {0} of type %v", a.Int("axis", 0), in[0])}
			}
			out := append(Shape(nil), in[0].Shape...)
			for i, t := range in[1:] {
				for j, d := range t.Shape {
					if j != ax && d != out[j] {
						return Type{}, &InferError{"concat", fmt.Sprintf("dimension %d differs: {0} is %v, {%d} is %v", j, in[0], i+1, t)}
					}
				}
				out[ax] = out[ax].Add(t.Shape[ax])
			}
			return Type{dt, out}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			ax, _ := NormAxis(n.Attrs.Int("axis", 0), n.Type.Shape.Rank())
			out := make([]*Node, len(n.In))
			// Each part is g[..., off:off+d, ...]. When a symbolic offset
			// cannot be read back from the shapes the kernel sees, the part
			// is cut from the tail g[..., off:, ...] instead, whose start is
			// its size's complement.
			rest, off := g, DimConst(0)
			for i, x := range n.In {
				part := cut(b, rest, ax, off, x.Type.Shape[ax])
				if part == nil {
					rest = cut(b, rest, ax, off, rest.Type.Shape[ax].Sub(off))
					off = DimConst(0)
					part = cut(b, rest, ax, off, x.Type.Shape[ax])
				}
				out[i] = part
				off = off.Add(x.Type.Shape[ax])
			}
			return out
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(Concat, n.Attrs, joinTangents(b, n, t)...)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			ax, err := NormAxis(n.Attrs.Int("axis", 0), len(out))
			if err != nil {
				return nil, err
			}
			rows := make([]int, len(in))
			for i, s := range in {
				rows[i] = tensor.NumElems(s[ax:])
			}
			return joinKernel(n, rows, tensor.NumElems(out[:ax]))
		},
		Check: []CheckCase{
			{In: []Type{T(2, 3), T(4, 3)}},
			{In: []Type{T(2, 3), T(2, 1), T(2, 4)}, Attrs: Attrs{"axis": -1}},
			{In: []Type{T(2, 3, 4), T(2, 2, 4)}, Attrs: Attrs{"axis": 1}},
			{In: []Type{T(3)}},
		},
	})
	Register(&Stack, &Op{
		Name: "stack", Arity: -1,
		Builtin: joinBuiltin(),
		Flops:   NoFlops,
		Doc: "stack(x0, x1, ...; axis int = 0): the operands, of one type, joined along a new axis at position " +
			"axis of the result (negative counts from the end of the result)",
		Infer: func(in []Type, a Attrs) (Type, error) {
			dt, err := sameTypes("stack", in)
			if err != nil {
				return Type{}, err
			}
			for i, t := range in {
				if !t.Equal(in[0]) {
					return Type{}, &InferError{"stack", fmt.Sprintf("operands differ: {0} is %v, {%d} is %v", in[0], i, t)}
				}
			}
			if err := intAttr("stack", a, "axis"); err != nil {
				return Type{}, err
			}
			r := in[0].Shape.Rank()
			ax, err := NormAxis(a.Int("axis", 0), r+1)
			if err != nil {
				return Type{}, &InferError{"stack", fmt.Sprintf("axis %d is out of range for stacking {0} of type %v", a.Int("axis", 0), in[0])}
			}
			out := append(Shape(nil), in[0].Shape[:ax]...)
			out = append(out, DimConst(int64(len(in))))
			return Type{dt, append(out, in[0].Shape[ax:]...)}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			ax, _ := NormAxis(n.Attrs.Int("axis", 0), n.Type.Shape.Rank())
			out := make([]*Node, len(n.In))
			for i, x := range n.In {
				starts, stops := make([]int, ax+1), make([]int, ax+1)
				for j := range ax {
					starts[j], stops[j] = SliceNone, SliceNone
				}
				starts[ax], stops[ax] = i, i+1
				part := b.Must(Slice, Attrs{"starts": starts, "stops": stops}, g)
				out[i] = reshapeTo(b, part, x.Type.Shape)
			}
			return out
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(Stack, n.Attrs, joinTangents(b, n, t)...)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			ax, err := NormAxis(n.Attrs.Int("axis", 0), len(out))
			if err != nil {
				return nil, err
			}
			rows := make([]int, len(in))
			for i, s := range in {
				rows[i] = tensor.NumElems(s[ax:])
			}
			return joinKernel(n, rows, tensor.NumElems(out[:ax]))
		},
		Check: []CheckCase{
			{In: []Type{T(2, 3), T(2, 3)}},
			{In: []Type{T(2, 3), T(2, 3), T(2, 3)}, Attrs: Attrs{"axis": -1}},
			{In: []Type{T(2, 3), T(2, 3)}, Attrs: Attrs{"axis": 1}},
			{In: []Type{T(), T()}},
		},
	})
	Register(&Squeeze, &Op{
		Name: "squeeze", Arity: 1,
		Builtin: &Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{{Name: "axis", Key: "axes", Kind: IntsAttr}}},
		Flops:   NoFlops,
		Doc: "squeeze(x; axes []int): x without the given axes, which must have size 1; without axes, " +
			"every axis of constant size 1 is dropped",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if err := floatOperand("squeeze", in[0]); err != nil {
				return Type{}, err
			}
			axes, _, err := sliceInts(a, "axes")
			if err != nil {
				return Type{}, &InferError{"squeeze", err.Error()}
			}
			r := in[0].Shape.Rank()
			drop := make([]bool, r)
			one := DimConst(1)
			if _, ok := a["axes"]; !ok {
				for i, d := range in[0].Shape {
					drop[i] = d == one
				}
			}
			for _, ax := range axes {
				i, err := NormAxis(ax, r)
				if err != nil || drop[i] || in[0].Shape[i] != one {
					return Type{}, &InferError{"squeeze", fmt.Sprintf("axis %d of {0} (%v) is not a distinct axis of size 1", ax, in[0])}
				}
				drop[i] = true
			}
			var out Shape
			for i, d := range in[0].Shape {
				if !drop[i] {
					out = append(out, d)
				}
			}
			return Type{in[0].DType, out}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{reshapeTo(b, g, n.In[0].Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return reshapeTo(b, Tangent(b, t[0], n.In[0]), n.Type.Shape)
		},
		Kernel: copyKernel,
		Check: []CheckCase{
			{In: []Type{T(3, 1, 4, 1)}},
			{In: []Type{T(3, 1, 4, 1)}, Attrs: Attrs{"axes": []int{-1}}},
			{In: []Type{T(1)}, Attrs: Attrs{"axes": []int{0}}},
		},
	})
	Register(&Unsqueeze, &Op{
		Name: "unsqueeze", Arity: 1,
		Builtin: &Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{
			{Name: "axis", Key: "axes", Kind: IntsAttr, Missing: "missing axis (unsqueeze(x, axis = 0))"},
		}},
		Flops: NoFlops,
		Doc: "unsqueeze(x; axes []int): x with new axes of size 1 at the given positions of the result " +
			"(NumPy's expand_dims; negative counts from the end of the result)",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if err := floatOperand("unsqueeze", in[0]); err != nil {
				return Type{}, err
			}
			axes, _, err := sliceInts(a, "axes")
			if err != nil {
				return Type{}, &InferError{"unsqueeze", err.Error()}
			}
			r := in[0].Shape.Rank() + len(axes)
			add := make([]bool, r)
			for _, ax := range axes {
				i, err := NormAxis(ax, r)
				if err != nil || add[i] {
					return Type{}, &InferError{"unsqueeze", fmt.Sprintf("axis %d is out of range or repeated for a result of rank %d from {0} (%v)", ax, r, in[0])}
				}
				add[i] = true
			}
			out := make(Shape, r)
			k := 0
			for i := range out {
				if add[i] {
					out[i] = DimConst(1)
				} else {
					out[i] = in[0].Shape[k]
					k++
				}
			}
			return Type{in[0].DType, out}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{reshapeTo(b, g, n.In[0].Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return reshapeTo(b, Tangent(b, t[0], n.In[0]), n.Type.Shape)
		},
		Kernel: copyKernel,
		Check: []CheckCase{
			{In: []Type{T(3, 4)}, Attrs: Attrs{"axes": []int{0}}},
			{In: []Type{T(3, 4)}, Attrs: Attrs{"axes": []int{-1, 1}}},
			{In: []Type{T()}, Attrs: Attrs{"axes": []int{0}}},
		},
	})
}

func copyKernel(n *Node, in [][]int, out []int) (KernelFunc, error) {
	return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { o.CopyFrom(in[0]) }, nil
}
