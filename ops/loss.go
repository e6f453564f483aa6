package ops

import (
	"fmt"

	"github.com/nnclang/nnc/runtime/kernels"
	"github.com/nnclang/nnc/runtime/tensor"
)

// cross_entropy with integer labels, and one_hot.

func init() {
	Register(&Op{
		Name: "cross_entropy", Arity: 2,
		Doc: "cross_entropy(logits [N, C], labels int[N]): the mean over N of -log_softmax(logits)[i, labels[i]]; " +
			"a label outside [0, C) makes the loss NaN",
		Infer: func(in []Type, a Attrs) (Type, error) {
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
			return Scalar(lg.DType), nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{mul(b, crossEntropyResidual(b, n), div(b, g, batchSize(b, n))), nil}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			s := b.Must("sum", nil, mul(b, crossEntropyResidual(b, n), t[0]))
			return div(b, s, batchSize(b, n))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			rows, c := in[0][0], in[0][1]
			switch {
			case n.Type.DType == F32 && n.In[1].Type.DType == I32:
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					o.F32[0] = kernels.CrossEntropy(in[0].F32, in[1].I32, rows, c)
				}, nil
			case n.Type.DType == F32 && n.In[1].Type.DType == I64:
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					o.F32[0] = kernels.CrossEntropy(in[0].F32, in[1].I64, rows, c)
				}, nil
			case n.Type.DType == F64 && n.In[1].Type.DType == I32:
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					o.F64[0] = kernels.CrossEntropy(in[0].F64, in[1].I32, rows, c)
				}, nil
			case n.Type.DType == F64 && n.In[1].Type.DType == I64:
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					o.F64[0] = kernels.CrossEntropy(in[0].F64, in[1].I64, rows, c)
				}, nil
			}
			return nil, fmt.Errorf("cross_entropy: no kernel for %v, %v", n.In[0].Type, n.In[1].Type)
		},
		Check: []CheckCase{
			{In: []Type{T(4, 5), TI(4)}, Domain: []Domain{AnyReal, Labels}},
			{In: []Type{T(1, 3), {DType: I64, Shape: ShapeOf(1)}}, Domain: []Domain{AnyReal, Labels}},
		},
	})
	Register(&Op{
		Name: "one_hot", Arity: 1,
		Doc: "one_hot(labels int[...], n, dtype): [..., n] with 1 at each label's position; " +
			"a label outside [0, n) gives a row of zeros. Gradient rules whose class count is " +
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
		NoGrad: "its operand is integer labels",
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			c := out[len(out)-1]
			var f KernelFunc
			switch n.Type.DType {
			case F32:
				f = oneHotKernel(func(o *tensor.Tensor) []float32 { return o.F32 }, c)
			case F64:
				f = oneHotKernel(func(o *tensor.Tensor) []float64 { return o.F64 }, c)
			case I32:
				f = oneHotKernel(func(o *tensor.Tensor) []int32 { return o.I32 }, c)
			case I64:
				f = oneHotKernel(func(o *tensor.Tensor) []int64 { return o.I64 }, c)
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

func oneHotKernel[T float32 | float64 | int32 | int64](data func(*tensor.Tensor) []T, c int) KernelFunc {
	return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
		if in[0].DType == I32 {
			kernels.OneHot(data(o), in[0].I32, c)
		} else {
			kernels.OneHot(data(o), in[0].I64, c)
		}
	}
}

// crossEntropyResidual is softmax(logits) - one_hot(labels): the gradient of
// the summed (not averaged) loss with respect to the logits.
func crossEntropyResidual(b *Builder, n *Node) *Node {
	logits, labels := n.In[0], n.In[1]
	p := b.Must("softmax", Attrs{"axis": -1}, logits)
	oh := b.Must("one_hot", Attrs{"depth": Shape{logits.Type.Shape[1]}, "dtype": logits.Type.DType}, labels)
	return sub(b, p, oh)
}

// batchSize is N, the number of rows of cross_entropy n's logits, as a scalar.
func batchSize(b *Builder, n *Node) *Node {
	return b.Must("size", Attrs{"axes": []int{0}, "dtype": n.Type.DType}, n.In[0])
}
