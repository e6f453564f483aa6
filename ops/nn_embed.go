package ops

import (
	"fmt"
	"math"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// embedding(ids int[...], table [V, D]) gives [..., D]: row ids[i] of the
// table for each id (PyTorch's F.embedding(input, weight) order). An id
// outside [0, V) is an error at run time (the kernel checks the ids before
// it copies). Its gradient with respect to the table
// is embedding_grad, a scatter-add; ids get none.

func embedInfer(in []Type, a Attrs) (Type, error) {
	ids, table := in[0], in[1]
	if !ids.DType.IsInt() {
		return Type{}, &InferError{"embedding", fmt.Sprintf("ids must be i32 or i64: {0} is %v", ids)}
	}
	if !table.DType.IsFloat() || table.Shape.Rank() != 2 {
		return Type{}, &InferError{"embedding", fmt.Sprintf("the table must be f32 or f64 [V, D]: {1} is %v", table)}
	}
	return Type{table.DType, append(append(Shape(nil), ids.Shape...), table.Shape[1])}, nil
}

func embedGradInfer(in []Type, a Attrs) (Type, error) {
	ids, g := in[0], in[1]
	s := a.Shape("shape")
	if len(s) != 2 {
		return Type{}, &InferError{"embedding_grad", fmt.Sprintf("needs the table's shape [V, D], got %v", s)}
	}
	if !ids.DType.IsInt() || !g.DType.IsFloat() {
		return Type{}, &InferError{"embedding_grad", fmt.Sprintf("needs int ids and a float gradient: {0} is %v, {1} is %v", ids, g)}
	}
	want := append(append(Shape(nil), ids.Shape...), s[1])
	if !g.Shape.Equal(want) {
		return Type{}, &InferError{"embedding_grad", fmt.Sprintf("{1} must be %v for ids {0}: {0} is %v, {1} is %v", want, ids, g)}
	}
	return Type{g.DType, s}, nil
}

// gatherRows copies table rows into out. The ids are checked by the kernel
// beforehand; an id out of range would still give a row of NaNs, never a
// read outside the table.
func gatherRows[T kernels.Float, L kernels.Label](out, table []T, ids []L, v, d int) {
	nan := T(math.NaN())
	for i, id := range ids {
		o := out[i*d : (i+1)*d]
		if id < 0 || int64(id) >= int64(v) {
			for j := range o {
				o[j] = nan
			}
			continue
		}
		copy(o, table[int(id)*d:(int(id)+1)*d])
	}
}

// scatterRows sets dt = 0 and adds each row of g to row ids[i] of dt. The
// ids are checked by the kernel beforehand; one out of range would be
// skipped, never written outside dt.
func scatterRows[T kernels.Float, L kernels.Label](dt, g []T, ids []L, v, d int) {
	clear(dt)
	for i, id := range ids {
		if id < 0 || int64(id) >= int64(v) {
			continue
		}
		r := dt[int(id)*d : (int(id)+1)*d]
		for j, x := range g[i*d : (i+1)*d] {
			r[j] += x
		}
	}
}

// embedKernel prepares gather (or scatter) for table shape [v, d]. The
// kernel first checks every id against [0, v): the first one outside is the
// run's error, naming the op, its position and the id.
func embedKernel(n *Node, v, d int, scatter bool) (KernelFunc, error) {
	i32 := n.In[0].Type.DType == I32
	hi := int64(v)
	switch {
	case n.Type.DType == F32 && i32:
		f := gatherRows[float32, int32]
		if scatter {
			f = scatterRows[float32, int32]
		}
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if checkRange(c, n, in[0].I32, in[0].Shape, 0, hi, "id", "ids") {
				f(o.F32, in[1].F32, in[0].I32, v, d)
			}
		}, nil
	case n.Type.DType == F32:
		f := gatherRows[float32, int64]
		if scatter {
			f = scatterRows[float32, int64]
		}
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if checkRange(c, n, in[0].I64, in[0].Shape, 0, hi, "id", "ids") {
				f(o.F32, in[1].F32, in[0].I64, v, d)
			}
		}, nil
	case n.Type.DType == F64 && i32:
		f := gatherRows[float64, int32]
		if scatter {
			f = scatterRows[float64, int32]
		}
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if checkRange(c, n, in[0].I32, in[0].Shape, 0, hi, "id", "ids") {
				f(o.F64, in[1].F64, in[0].I32, v, d)
			}
		}, nil
	case n.Type.DType == F64:
		f := gatherRows[float64, int64]
		if scatter {
			f = scatterRows[float64, int64]
		}
		return func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if checkRange(c, n, in[0].I64, in[0].Shape, 0, hi, "id", "ids") {
				f(o.F64, in[1].F64, in[0].I64, v, d)
			}
		}, nil
	}
	return nil, fmt.Errorf("%s: no kernel for %v", n.Op.Name, n.Type.DType)
}

// Handles of the ops this file registers.
var (
	// Embedding is the op "embedding": embedding(ids int[...], table [V, D]): [..., D], the table's row for each id (an id outside [0, V) is an error at run time)
	Embedding *Op
	// EmbeddingGrad is the op "embedding_grad": embedding_grad(ids int[...], g [..., D]; shape [V, D]): the gradient of embedding(ids, table)
	EmbeddingGrad *Op
)

func init() {
	Register(&Embedding, &Op{
		Name: "embedding", Arity: 2,
		Builtin: &Builtin{Operands: []Operand{{Name: "ids"}, {Name: "table"}}},
		Flops:   NoFlops,
		Doc:     "embedding(ids int[...], table [V, D]): [..., D], the table's row for each id (an id outside [0, V) is an error at run time)",
		Infer:   embedInfer,
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			ids, table := n.In[0], n.In[1]
			return []*Node{nil, b.Must(EmbeddingGrad, Attrs{"shape": table.Type.Shape}, ids, g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[1] == nil {
				return b.Full(n.Type, 0)
			}
			return b.Must(Embedding, nil, n.In[0], t[1])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return embedKernel(n, in[1][0], in[1][1], false)
		},
		// The ids' last axis has the table's V rows, so that the checker's
		// labels (drawn below operand 0's last dimension) are valid ids,
		// also after resizing.
		Check: []CheckCase{
			{In: []Type{TI(2, 5), T(5, 3)}, Domain: []Domain{Labels}},
			{In: []Type{{DType: I64, Shape: ShapeOf(4)}, T(4, 2)}, Domain: []Domain{Labels}},
		},
	})
	Register(&EmbeddingGrad, &Op{
		Name: "embedding_grad", Arity: 2,
		Flops: scatterFlops(1),
		Doc: "embedding_grad(ids int[...], g [..., D]; shape [V, D]): the gradient of embedding(ids, table) " +
			"with respect to the table: g's rows added into row ids[i] (an id outside [0, V) is an error at run time)",
		Infer: embedGradInfer,
		VJP: func(b *Builder, n *Node, h *Node) []*Node {
			return []*Node{nil, b.Must(Embedding, nil, n.In[0], h)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[1] == nil {
				return b.Full(n.Type, 0)
			}
			return b.Must(EmbeddingGrad, n.Attrs, n.In[0], t[1])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return embedKernel(n, out[0], out[1], true)
		},
		Check: []CheckCase{
			{In: []Type{TI(2, 5), T(2, 5, 3)}, Attrs: Attrs{"shape": ShapeOf(5, 3)}, Domain: []Domain{Labels}},
		},
	})
}
