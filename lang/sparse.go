package lang

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// Sparse matrices. A parameter declared `A: sparse f32[N, M]` is a sparse
// N×M matrix in CSR form: the entry gets three graph inputs, A.indptr
// (i32[N+1]), A.indices (i32[A.nnz]) and A.values (f32[A.nnz]), where
// A.nnz is a shape variable of its own, and the body sees one value.
// What a program may do with it is small on purpose: `A @ X` and
// spmm(A, X) with a dense matrix X (ops.Spmm, whose gradients flow to X
// and to the values), and passing it on to a function whose parameter is
// declared sparse. Every other use is an error E311 at its place: nothing
// densifies a sparse matrix silently.

// The parts of a sparse input, the suffixes of its graph inputs' names.
const (
	SparseIndptr  = "indptr"
	SparseIndices = "indices"
	SparseValues  = "values"
)

// SparseParts lists the parts of a sparse input in the order of the
// entry's inputs.
var SparseParts = []string{SparseIndptr, SparseIndices, SparseValues}

// SparseInput splits the name of a graph input made for a sparse
// parameter ("A.indptr") into the parameter's name and the part; ok is
// false for other inputs.
func SparseInput(name string) (param, part string, ok bool) {
	param, part, ok = cutLast(name, ".")
	if !ok || param == "" {
		return "", "", false
	}
	for _, p := range SparseParts {
		if part == p {
			return param, part, true
		}
	}
	return "", "", false
}

func cutLast(s, sep string) (string, string, bool) {
	k := strings.LastIndex(s, sep)
	if k < 0 {
		return s, "", false
	}
	return s[:k], s[k+len(sep):], true
}

// sparseV is a sparse matrix: its CSR parts and its shape [N, M].
type sparseV struct {
	ptr, col, val *ops.Node
	shape         ops.Shape
}

// typeString prints the sparse matrix's type: sparse f32[N, M].
func (s sparseV) typeString() string {
	return "sparse " + ops.Type{DType: s.val.Type.DType, Shape: s.shape}.String()
}

// sparseType checks a declared sparse type: a float element type and two
// dimensions without `...`.
func (i *interp) sparseType(fr *frame, t *typeExpr) (ops.Type, *unifyErr) {
	if !t.HasDims || len(t.Dims) != 2 || t.Dims[0].Ellipsis || t.Dims[1].Ellipsis {
		return ops.Type{}, &unifyErr{CodeSparse, fmt.Sprintf("a sparse type is a matrix: sparse %s[N, M], not %s", t.Name, i.renderType(fr, nil, t))}
	}
	ty, ue := i.symbolicType(fr, &typeExpr{Pos: t.Pos, Name: t.Name, Dims: t.Dims, HasDims: true})
	if ue != nil {
		return ty, ue
	}
	if !ty.DType.IsFloat() {
		return ty, &unifyErr{CodeSparse, fmt.Sprintf("a sparse matrix holds f32 or f64 values, not %v", ty.DType)}
	}
	return ty, nil
}

// sparseInput makes the three graph inputs of an entry's sparse parameter
// (see the top of this file).
func (i *interp) sparseInput(fr *frame, fnName string, p *paramDecl, name string, t *typeExpr) (value, []*ops.Node, bool) {
	ty, ue := i.sparseType(fr, t)
	if ue == nil && len(i.shapes) > 0 {
		env := map[string]ops.Dim{}
		for k, v := range i.shapes {
			env[k] = ops.DimConst(v)
		}
		ty.Shape = ty.Shape.Subst(env)
	}
	if ue != nil {
		if ue.msg != silent {
			i.errorf(t.Pos, ue.code, "%s: parameter %s: %s", fnName, p.Name, ue.msg)
		}
		return bad, nil, false
	}
	nnz := ops.DimVar(name + ".nnz")
	if v, ok := i.shapes[name+".nnz"]; ok {
		nnz = ops.DimConst(v)
	}
	types := []ops.Type{
		{DType: ops.I32, Shape: ops.Shape{ty.Shape[0].Add(ops.DimConst(1))}},
		{DType: ops.I32, Shape: ops.Shape{nnz}},
		{DType: ty.DType, Shape: ops.Shape{nnz}},
	}
	old := i.b.SetPos(p.Pos)
	defer i.b.SetPos(old)
	var ns []*ops.Node
	for k, part := range SparseParts {
		in := name + "." + part
		if n, exists := i.b.Leaf(ops.Input, in); exists && !n.Type.Equal(types[k]) {
			i.errorf(p.Pos, CodeArgType, "input %s is %v here but %v in the graph being built", in, types[k], n.Type)
			return bad, nil, false
		}
		ns = append(ns, i.b.Input(in, types[k]))
	}
	return sparseV{ptr: ns[0], col: ns[1], val: ns[2], shape: ty.Shape}, ns, true
}

// bindLoose binds parameter p to v, and says so (handled), when p has no
// type or a tuple type (anything goes), or p is sparse or v is (see
// bindSparse); good is false after an error.
func (i *interp) bindLoose(fr *frame, bd *binding, p *paramDecl, v value, where ops.Pos, fnName string) (handled, good bool) {
	if _, isS := v.(sparseV); p.Type != nil && p.Type.Tuple == nil && !isS && !p.Type.Sparse {
		return false, false
	}
	if p.Type != nil && p.Type.Tuple == nil && !i.bindSparse(fr, bd, p, v, where, fnName) {
		return true, false
	}
	fr.vars[p.Name] = v
	return true, true
}

// bindSparse binds a function's sparse parameter p to v, which must be a
// sparse matrix of the declared element type and shape.
func (i *interp) bindSparse(fr *frame, bd *binding, p *paramDecl, v value, where ops.Pos, fnName string) bool {
	s, ok := v.(sparseV)
	if p.Type == nil || !p.Type.Sparse {
		if ok {
			i.errorf(where, CodeSparse, "%s: argument %s is %s; only a parameter declared sparse takes one (use A @ X or spmm(A, X) for a dense product)", fnName, p.Name, s.typeString())
		}
		return false
	}
	if !ok {
		i.errorf(where, CodeSparse, "%s: argument %s must be a sparse matrix (%s), got %s", fnName, p.Name, i.renderType(fr, bd, p.Type), kindOf(v))
		return false
	}
	dense := &typeExpr{Pos: p.Type.Pos, Name: p.Type.Name, Dims: p.Type.Dims, HasDims: p.Type.HasDims}
	if ue := i.unify(fr, bd, dense, ops.Type{DType: s.val.Type.DType, Shape: s.shape}, p.Name); ue != nil {
		if ue.msg != silent {
			i.errorf(where, ue.code, "%s: (sparse) %s", fnName, ue.msg)
		}
		return false
	}
	return true
}

// spmm is A @ x for a sparse A and a dense matrix x.
func (i *interp) spmm(p ops.Pos, a sparseV, x value, labels []string) value {
	xt, ok := x.(tensorV)
	if !ok {
		i.errorf(p, CodeSparse, "%s @ %s: a sparse matrix multiplies a dense matrix, not %s", labels[0], labels[1], kindOf(x))
		return bad
	}
	xs := xt.n.Type.Shape
	if len(xs) != 2 || xs[0] != a.shape[1] || xt.n.Type.DType != a.val.Type.DType {
		i.errorf(p, CodeShape, "%s @ %s: %s (%s) and %s (%v): the dense operand must be %v[%v, F]", labels[0], labels[1],
			labels[0], a.typeString(), labels[1], xt.n.Type, a.val.Type.DType, a.shape[1])
		return bad
	}
	return i.apply(p, ops.Spmm, nil, []string{labels[0] + ".indptr", labels[0] + ".indices", labels[0] + ".values", labels[1]}, a.ptr, a.col, a.val, xt.n)
}

// sparseMisuse reports a sparse matrix used where it is not defined.
func (i *interp) sparseMisuse(p ops.Pos, what string, s sparseV) value {
	i.errorf(p, CodeSparse, "%s does not apply to a sparse matrix (%s): a sparse matrix only multiplies a dense one, A @ X or spmm(A, X)", what, s.typeString())
	return bad
}

// firstSparse returns the first sparse matrix among vs.
func firstSparse(vs ...value) (sparseV, bool) {
	for _, v := range vs {
		switch x := v.(type) {
		case sparseV:
			return x, true
		case tupleV:
			if s, ok := firstSparse(x...); ok {
				return s, true
			}
		case listV:
			if s, ok := firstSparse(x...); ok {
				return s, true
			}
		}
	}
	return sparseV{}, false
}

// spmmBuiltin is spmm(A, X): A @ X for a sparse A.
func (c *builtinCall) spmmBuiltin() value {
	if !c.check(2, 2) {
		return bad
	}
	a, ok := c.args[0].(sparseV)
	if !ok {
		return c.errorf(startPos(c.e.Args[0]), CodeSparse, "spmm: the first argument must be a sparse matrix, got %s", kindOf(c.args[0]))
	}
	if s, isS := c.args[1].(sparseV); isS {
		return c.i.sparseMisuse(startPos(c.e.Args[1]), "spmm's second argument", s)
	}
	return c.i.spmm(c.e.Pos, a, c.args[1], []string{exprLabel(c.e.Args[0]), exprLabel(c.e.Args[1])})
}
