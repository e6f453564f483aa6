package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// fused_reduce is a sum or mean of a fused_elementwise program's values (see
// fused_elementwise for "program", "shape" and "dtype"), made by the
// optimizer's fusion pass so that the values are summed as they are made,
// never stored. "reduce" is "sum" or "mean"; "axes" and "keepdims" are the
// reduction's: every axis (axes absent) or the last one only.

// Handles of the ops this file registers.
var (
	// FusedReduce is the op "fused_reduce": sum or mean over the last axis or every axis of a fused elementwise program
	FusedReduce *Op
)

func init() {
	Register(&FusedReduce, &Op{
		Name: "fused_reduce", Arity: -1,
		Flops:   fusedReduceFlops,
		Scratch: fusedReduceScratch,
		Doc: "sum or mean over the last axis or every axis of a fused elementwise program " +
			"(attributes program, shape, dtype, reduce, axes, keepdims; made by the optimizer)",
		Infer: func(in []Type, a Attrs) (Type, error) {
			t, err := fusedInfer("fused_reduce", in, a)
			if err != nil {
				return Type{}, err
			}
			if r := a.Str("reduce", ""); r != "sum" && r != "mean" {
				return Type{}, &InferError{"fused_reduce", fmt.Sprintf("reduce is %q, not sum or mean", r)}
			}
			if _, err := fusedReduceAll(t, a); err != nil {
				return Type{}, err
			}
			red, err := resolveReduction("fused_reduce", t, a)
			if err != nil {
				return Type{}, err
			}
			return Type{t.DType, red.out}, nil
		},
		NoGrad: "fusion runs after differentiation",
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			prog, imms, err := ParseFused(n.Attrs.Str("program", ""), len(in))
			if err != nil {
				return nil, err
			}
			shape, err := fusedShape(n, in)
			if err != nil {
				return nil, err
			}
			all, err := fusedReduceAll(Type{n.Type.DType, n.Attrs.Shape("shape")}, n.Attrs)
			if err != nil {
				return nil, err
			}
			mean := n.Attrs.Str("reduce", "") == "mean"
			switch n.Type.DType {
			case F32:
				r, err := kernels.NewFusedReduce[float32](prog, imms, shape, in, all, mean)
				if err != nil {
					return nil, err
				}
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					for k, x := range in {
						r.F.SetInput(k, x.F32)
					}
					r.Run(o.F32)
				}, nil
			case F64:
				r, err := kernels.NewFusedReduce[float64](prog, imms, shape, in, all, mean)
				if err != nil {
					return nil, err
				}
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					for k, x := range in {
						r.F.SetInput(k, x.F64)
					}
					r.Run(o.F64)
				}, nil
			}
			return nil, fmt.Errorf("fused_reduce: no kernel for %v", n.Type.DType)
		},
	})
}

// fusedReduceAll says whether a fused reduction of program type t reduces
// every axis (axes absent) or only the last one.
func fusedReduceAll(t Type, a Attrs) (bool, error) {
	axes, ok := a.Ints("axes")
	if !ok {
		return true, nil
	}
	r := t.Shape.Rank()
	if len(axes) == 1 && r > 0 && (axes[0] == r-1 || axes[0] == -1) {
		return false, nil
	}
	return false, &InferError{"fused_reduce", fmt.Sprintf("axes %v: only the last axis or every axis of %v", axes, t)}
}

// fusedInfer checks the operands and program of a fused node and returns the
// program's type (attributes shape and dtype).
func fusedInfer(name string, in []Type, a Attrs) (Type, error) {
	dt := a.DType("dtype", tensor.Invalid)
	if !dt.IsFloat() {
		return Type{}, &InferError{name, fmt.Sprintf("dtype %v is not f32 or f64", dt)}
	}
	s := a.Shape("shape")
	for i, t := range in {
		if t.DType != dt {
			return Type{}, &InferError{name, fmt.Sprintf("{%d} is %v, not %v", i, t, dt)}
		}
		got, err := BroadcastShapes(t.Shape, s)
		if err != nil || !got.Equal(s) {
			return Type{}, &InferError{name, fmt.Sprintf("{%d} of type %v does not broadcast to %v", i, t, s)}
		}
	}
	if _, _, err := ParseFused(a.Str("program", ""), len(in)); err != nil {
		return Type{}, &InferError{name, err.Error()}
	}
	return Type{dt, s}, nil
}

// fusedShape is the concrete shape of a fused node's program: its "shape"
// attribute, whose dimensions are those of the operands they come from.
func fusedShape(n *Node, in [][]int) ([]int, error) {
	s := n.Attrs.Shape("shape")
	out := make([]int, len(s))
	for i, d := range s {
		if c, ok := d.IsConst(); ok {
			out[i] = int(c)
			continue
		}
		found := false
		for k, x := range n.In {
			xs := x.Type.Shape
			j := i - (len(s) - len(xs))
			if j >= 0 && xs[j] == d {
				out[i], found = in[k][j], true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: no operand gives dimension %v of %v", n.Op.Name, d, s)
		}
	}
	return out, nil
}

// fusedReduceFlops is the program's FLOPs and one add per element.
func fusedReduceFlops(n *Node, in [][]int, out []int) int64 {
	s, err := n.Attrs.Shape("shape").Eval(nil)
	if err != nil {
		// A symbolic program shape: the operands' largest.
		s = largest(in)
	}
	return satAdd(programFlops(n, len(in), s), elems(s))
}

// largest is the shape of the most elements among in.
func largest(in [][]int) []int {
	var best []int
	for _, s := range in {
		if best == nil || elems(s) > elems(best) {
			best = s
		}
	}
	return best
}

// fusedReduceScratch is the program's tiles and the reduction's buffer.
func fusedReduceScratch(n *Node, in [][]int, _ []int, f32 bool) int64 {
	nInstr, nImms := fusedCounts(n.Attrs.Str("program", ""), len(in))
	if f32 {
		return kernels.FusedReduceScratch[float32](nInstr, nImms, counts(in))
	}
	return kernels.FusedReduceScratch[float64](nInstr, nImms, counts(in))
}
