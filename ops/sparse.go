package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Products with a sparse matrix A in CSR form, given as three operands:
// its row pointers ptr (i32[N+1]), column indices col (i32[nnz]) and
// values val (f32 or f64 [nnz]). spmm is A·X; spmm_t (Aᵀ·G) and sddmm
// (G[row k]·X[col k] for every entry k) are its gradients, and each of the
// three is the others' gradient, so every order of derivative is made of
// them. The structure is checked when the kernel runs (ptr from 0,
// non-decreasing, to nnz; every column in range): a bad one fails the run
// with an *IndexError, never reading out of bounds. Gradients flow to the
// values and the dense operands, not to the integer structure.

// Handles of the ops this file registers.
var (
	// Spmm is the op "spmm": spmm(ptr, col, val, x): the product A·x of the sparse N×M matrix A in CSR form
	Spmm *Op
	// SpmmT is the op "spmm_t": spmm_t(ptr, col, val, g; shape [M, F]): the product Aᵀ·g of the transposed sparse
	SpmmT *Op
	// Sddmm is the op "sddmm": sddmm(ptr, col, g, x): for every entry k of the sparse matrix A (row i, column j),
	Sddmm *Op
)

// csrOperands checks the structure operands ptr and col (i32 vectors) and
// returns N (ptr's length less one) and nnz.
func csrOperands(name string, ptr, col Type) (Dim, Dim, error) {
	if ptr.DType != I32 || ptr.Shape.Rank() != 1 {
		return Dim{}, Dim{}, &InferError{name, fmt.Sprintf("the row pointers {0} must be an i32 vector, got %v", ptr)}
	}
	if col.DType != I32 || col.Shape.Rank() != 1 {
		return Dim{}, Dim{}, &InferError{name, fmt.Sprintf("the column indices {1} must be an i32 vector, got %v", col)}
	}
	if c, ok := ptr.Shape[0].IsConst(); ok && c < 1 {
		return Dim{}, Dim{}, &InferError{name, fmt.Sprintf("the row pointers {0} (%v) need at least one entry", ptr)}
	}
	return ptr.Shape[0].Sub(DimConst(1)), col.Shape[0], nil
}

// denseOperand checks that operand k is a float matrix of element type dt.
func denseOperand(name string, t Type, k int, dt DType) error {
	if !t.DType.IsFloat() || t.DType != dt {
		return &InferError{name, fmt.Sprintf("{%d} must be an f32 or f64 matrix of the values' type %v, got %v", k, dt, t)}
	}
	if t.Shape.Rank() != 2 {
		return &InferError{name, fmt.Sprintf("{%d} must be a matrix, got %v", k, t)}
	}
	return nil
}

// valuesOperand checks the values operand {2}: a float vector of nnz
// entries.
func valuesOperand(name string, val Type, nnz Dim) error {
	if !val.DType.IsFloat() || val.Shape.Rank() != 1 || val.Shape[0] != nnz {
		return &InferError{name, fmt.Sprintf("the values {2} must be an f32 or f64 vector of one entry per column index (%v), got %v", nnz, val)}
	}
	return nil
}

// sparseFlops is two FLOPs (a multiply-add) per entry and column of the
// dense operand (operand 3).
func sparseFlops(_ *Node, in [][]int, _ []int) int64 {
	return 2 * elems(in[1]) * int64(in[3][1])
}

// csrCheck fails the run (and returns false) when the structure in
// operands 0 and 1 is not a CSR matrix of cols columns.
func csrCheck(ctx *Ctx, n *Node, ptr, col []int32, cols int) bool {
	at, part, v, lo, hi := kernels.CSRFault(ptr, col, cols)
	if at < 0 {
		return true
	}
	e := &IndexError{Pos: n.Pos, Op: n.Op.Name, What: "row pointer", Of: "row pointers", Value: v, Lo: lo, Hi: hi, At: []int{at}}
	if part == 1 {
		e.What, e.Of = "column index", "column indices"
	}
	ctx.Fail(e)
	return false
}

func floatsOf[T kernels.Float](t *tensor.Tensor) []T {
	var z T
	if _, ok := any(z).(float32); ok {
		return any(t.F32).([]T)
	}
	return any(t.F64).([]T)
}

// sparseKernel prepares the kernel of node n (spmm, spmm_t or sddmm) for
// element type T: rows and cols are A's, f the dense operands' columns.
func sparseKernel[T kernels.Float](n *Node, rows, cols, nnz, f int) KernelFunc {
	switch n.Op {
	case Spmm:
		k := kernels.NewSpmm[T](rows, nnz, f)
		return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if csrCheck(ctx, n, in[0].I32, in[1].I32, cols) {
				k.Run(floatsOf[T](o), in[0].I32, in[1].I32, floatsOf[T](in[2]), floatsOf[T](in[3]))
			}
		}
	case SpmmT:
		k := kernels.NewSpmmT[T](rows, cols, nnz, f)
		return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			if csrCheck(ctx, n, in[0].I32, in[1].I32, cols) {
				k.Run(floatsOf[T](o), in[0].I32, in[1].I32, floatsOf[T](in[2]), floatsOf[T](in[3]))
			}
		}
	}
	k := kernels.NewSddmm[T](rows, nnz, f)
	return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
		if csrCheck(ctx, n, in[0].I32, in[1].I32, cols) {
			k.Run(floatsOf[T](o), in[0].I32, in[1].I32, floatsOf[T](in[2]), floatsOf[T](in[3]))
		}
	}
}

// sparseKernelOf prepares the kernel of a sparse product node. A has
// len(ptr)-1 rows; its columns are the rows of x (spmm, sddmm) or of the
// result (spmm_t).
func sparseKernelOf(n *Node, in [][]int, out []int) (KernelFunc, error) {
	rows, nnz, f := in[0][0]-1, in[1][0], in[3][1]
	cols := in[3][0]
	if n.Op == SpmmT {
		cols = out[0]
	}
	switch n.In[3].Type.DType {
	case F32:
		return sparseKernel[float32](n, rows, cols, nnz, f), nil
	case F64:
		return sparseKernel[float64](n, rows, cols, nnz, f), nil
	}
	return nil, fmt.Errorf("%s: no kernel for %v", n.Op.Name, n.Type)
}

// sumOf adds the non-nil terms; zeros of type t when there are none.
func sumOf(b *Builder, t Type, terms ...*Node) *Node {
	var out *Node
	for _, x := range terms {
		switch {
		case x == nil:
		case out == nil:
			out = x
		default:
			out = b.Add(out, x)
		}
	}
	if out == nil {
		return b.Full(t, 0)
	}
	return out
}

// sparseCases are the gradient-check cases of the three ops: a 4×3 matrix
// with an empty row and a repeated entry, a 3×5 one and a 2×2 one.
func sparseCases(op string) []CheckCase {
	dom := []Domain{RowPointers, Columns}
	shapes := []struct{ n, m, nnz, f int }{{4, 3, 6, 2}, {3, 5, 7, 4}, {2, 2, 2, 3}}
	var out []CheckCase
	for _, s := range shapes {
		switch op {
		case "spmm":
			out = append(out, CheckCase{In: []Type{TI(s.n + 1), TI(s.nnz), T(s.nnz), T(s.m, s.f)}, Domain: dom})
		case "spmm_t":
			out = append(out, CheckCase{In: []Type{TI(s.n + 1), TI(s.nnz), T(s.nnz), T(s.n, s.f)},
				Attrs: Attrs{"shape": ShapeOf(s.m, s.f)}, Domain: dom})
		case "sddmm":
			out = append(out, CheckCase{In: []Type{TI(s.n + 1), TI(s.nnz), T(s.n, s.f), T(s.m, s.f)}, Domain: dom})
		}
	}
	return out
}

func init() {
	Register(&Spmm, &Op{
		Name: "spmm", Arity: 4,
		Doc: "spmm(ptr, col, val, x): the product A·x of the sparse N×M matrix A in CSR form " +
			"(row pointers ptr i32[N+1], column indices col i32[nnz], values val [nnz]; repeated entries add up) " +
			"and the dense x [M, F]: [N, F]. A structure that is not CSR (ptr not from 0 non-decreasing to nnz, " +
			"a column outside [0, M)) is an error at run time. The gradients are sddmm (values) and spmm_t (x).",
		Infer: func(in []Type, a Attrs) (Type, error) {
			n, nnz, err := csrOperands("spmm", in[0], in[1])
			if err != nil {
				return Type{}, err
			}
			if err := valuesOperand("spmm", in[2], nnz); err != nil {
				return Type{}, err
			}
			if err := denseOperand("spmm", in[3], 3, in[2].DType); err != nil {
				return Type{}, err
			}
			return Type{in[2].DType, Shape{n, in[3].Shape[1]}}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			p, c, v, x := n.In[0], n.In[1], n.In[2], n.In[3]
			return []*Node{nil, nil, b.Must(Sddmm, nil, p, c, g, x), b.Must(SpmmT, Attrs{"shape": x.Type.Shape}, p, c, v, g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			p, c, v, x := n.In[0], n.In[1], n.In[2], n.In[3]
			var dv, dx *Node
			if t[2] != nil {
				dv = b.Must(Spmm, nil, p, c, t[2], x)
			}
			if t[3] != nil {
				dx = b.Must(Spmm, nil, p, c, v, t[3])
			}
			return sumOf(b, n.Type, dv, dx)
		},
		Kernel: sparseKernelOf,
		Flops:  sparseFlops,
		Check:  sparseCases("spmm"),
	})
	Register(&SpmmT, &Op{
		Name: "spmm_t", Arity: 4,
		Doc: "spmm_t(ptr, col, val, g; shape [M, F]): the product Aᵀ·g of the transposed sparse " +
			"N×M matrix A in CSR form (as spmm) and the dense g [N, F]: [M, F], summed per column of A in entry " +
			"order (deterministic for any number of threads); spmm's gradient with respect to x",
		Infer: func(in []Type, a Attrs) (Type, error) {
			n, nnz, err := csrOperands("spmm_t", in[0], in[1])
			if err != nil {
				return Type{}, err
			}
			if err := valuesOperand("spmm_t", in[2], nnz); err != nil {
				return Type{}, err
			}
			if err := denseOperand("spmm_t", in[3], 3, in[2].DType); err != nil {
				return Type{}, err
			}
			s := a.Shape("shape")
			if s.Rank() != 2 {
				return Type{}, &InferError{"spmm_t", fmt.Sprintf("the attribute shape must be the result's [M, F], got %v", s)}
			}
			if in[3].Shape[0] != n || in[3].Shape[1] != s[1] {
				return Type{}, &InferError{"spmm_t", fmt.Sprintf("{3} (%v) must be [%v, %v] for a matrix of %v rows and a result %v", in[3], n, s[1], n, s)}
			}
			return Type{in[2].DType, s}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			p, c, v, gr := n.In[0], n.In[1], n.In[2], n.In[3]
			return []*Node{nil, nil, b.Must(Sddmm, nil, p, c, gr, g), b.Must(Spmm, nil, p, c, v, g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			p, c, v, gr := n.In[0], n.In[1], n.In[2], n.In[3]
			var dv, dg *Node
			if t[2] != nil {
				dv = b.Must(SpmmT, n.Attrs, p, c, t[2], gr)
			}
			if t[3] != nil {
				dg = b.Must(SpmmT, n.Attrs, p, c, v, t[3])
			}
			return sumOf(b, n.Type, dv, dg)
		},
		Kernel: sparseKernelOf,
		Flops:  sparseFlops,
		Scratch: func(_ *Node, in [][]int, out []int, _ bool) int64 {
			return kernels.SpmmTScratch(out[0], in[1][0])
		},
		Check: sparseCases("spmm_t"),
	})
	Register(&Sddmm, &Op{
		Name: "sddmm", Arity: 4,
		Doc: "sddmm(ptr, col, g, x): for every entry k of the sparse matrix A (row i, column j), " +
			"the dot product g[i, :]·x[j, :] of the dense g [N, F] and x [M, F]: [nnz], A's pattern sampled from " +
			"g·xᵀ; spmm's gradient with respect to A's values",
		Infer: func(in []Type, a Attrs) (Type, error) {
			n, nnz, err := csrOperands("sddmm", in[0], in[1])
			if err != nil {
				return Type{}, err
			}
			if !in[2].DType.IsFloat() {
				return Type{}, &InferError{"sddmm", fmt.Sprintf("{2} must be an f32 or f64 matrix, got %v", in[2])}
			}
			if err := denseOperand("sddmm", in[2], 2, in[2].DType); err != nil {
				return Type{}, err
			}
			if err := denseOperand("sddmm", in[3], 3, in[2].DType); err != nil {
				return Type{}, err
			}
			if in[2].Shape[0] != n || in[2].Shape[1] != in[3].Shape[1] {
				return Type{}, &InferError{"sddmm", fmt.Sprintf("{2} (%v) must be [%v, F] with the columns of {3} (%v)", in[2], n, in[3])}
			}
			return Type{in[2].DType, Shape{nnz}}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			p, c, gr, x := n.In[0], n.In[1], n.In[2], n.In[3]
			return []*Node{nil, nil, b.Must(Spmm, nil, p, c, g, x), b.Must(SpmmT, Attrs{"shape": x.Type.Shape}, p, c, g, gr)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			p, c, gr, x := n.In[0], n.In[1], n.In[2], n.In[3]
			var dg, dx *Node
			if t[2] != nil {
				dg = b.Must(Sddmm, nil, p, c, t[2], x)
			}
			if t[3] != nil {
				dx = b.Must(Sddmm, nil, p, c, gr, t[3])
			}
			return sumOf(b, n.Type, dg, dx)
		},
		Kernel: sparseKernelOf,
		Flops:  sparseFlops,
		Check:  sparseCases("sddmm"),
	})
}
