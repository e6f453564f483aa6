package lang

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

// Expressions: every expression evaluates to a value (value.go): names,
// literals, operators (on tensors they lower to ops, on compile-time values
// they fold: interp_const.go), calls (call.go), attributes and indexing
// (index.go).

func (i *interp) eval(f *frame, e expr) value {
	if i.obs != nil && !i.obs.inner {
		return i.obs.eval(i, f, e) // the query API's hook (query.go)
	}
	if i.obs != nil {
		i.obs.inner = false
	}
	i.pos = startPos(e)
	if !i.spend(i.pos, 1) {
		return bad
	}
	switch e := e.(type) {
	case *ident:
		return i.lookup(f, e)
	case *intLit:
		return intV{ops.DimConst(e.Value)}
	case *floatLit:
		return floatV(e.Value)
	case *stringLit:
		return stringV(e.Value)
	case *boolLit:
		return boolV(e.Value)
	case *unaryExpr:
		return i.unary(f, e)
	case *binaryExpr:
		return i.binary(f, e)
	case *callExpr:
		return i.call(f, e)
	case *attrExpr:
		return i.attr(f, e)
	case *indexExpr:
		return i.index(f, e)
	case *tupleLit:
		t := make(tupleV, len(e.Elems))
		for k, el := range e.Elems {
			t[k] = i.eval(f, el)
		}
		return t
	case *listLit:
		l := make(listV, len(e.Elems))
		for k, el := range e.Elems {
			l[k] = i.eval(f, el)
		}
		return l
	case *listComp:
		return i.listComp(f, e)
	}
	i.errorf(startPos(e), CodeInternal, "internal compiler error: unknown expression %T", e)
	return bad
}

func (i *interp) listComp(f *frame, e *listComp) value {
	base, ok := i.instPath, i.instOK
	i.instOK = false
	lo, hi, good := i.rangeBounds(f, e.From, e.To)
	if !good {
		return bad
	}
	saved, had := f.vars[e.Var]
	out := listV{}
	for k := lo; k < hi; k++ {
		f.vars[e.Var] = intV{ops.DimConst(k)}
		if ok {
			i.instPath, i.instOK = fmt.Sprintf("%s.%d", base, k), true
		}
		out = append(out, i.eval(f, e.Elem))
		i.instOK = false
	}
	if had {
		f.vars[e.Var] = saved
	} else {
		delete(f.vars, e.Var)
	}
	return out
}

func (i *interp) unary(f *frame, e *unaryExpr) value {
	x := i.eval(f, e.X)
	if s, ok := x.(sparseV); ok {
		return i.sparseMisuse(e.Pos, "operator "+e.Op, s)
	}
	x = i.asTensorLike(e.X, x, ops.F32)
	if isBad(x) {
		return bad
	}
	switch e.Op {
	case "-":
		switch x := x.(type) {
		case intV:
			return intV{x.d.Neg()}
		case floatV:
			return -x
		case tensorV:
			if dt := x.n.Type.DType; dt.IsInt() {
				return i.applyLabelled(e.Pos, ops.IntSub, nil, func() []string { return []string{"0", exprLabel(e.X)} }, i.b.Scalar(dt, 0), x.n)
			}
			return i.applyLabelled(e.Pos, ops.Neg, nil, func() []string { return []string{exprLabel(e.X)} }, x.n)
		}
	case "!":
		if b, ok := x.(boolV); ok {
			return !b
		}
		if t, ok := x.(tensorV); ok {
			return i.applyLabelled(e.Pos, ops.LogicalNot, nil, func() []string { return []string{exprLabel(e.X)} }, t.n)
		}
	}
	i.errorf(e.Pos, CodeNotCallable, "operator %s does not apply to %s", e.Op, kindOf(x))
	return bad
}

// binaryOps are the ops of the binary operators on tensors. Comparisons
// give bool tensors; && and || take them.
var binaryOps = map[string]*ops.Op{
	"+": ops.Add, "-": ops.Sub, "*": ops.Mul, "/": ops.Div, "**": ops.Pow, "@": ops.Matmul,
	"==": ops.Eq, "!=": ops.Ne, "<": ops.Lt, "<=": ops.Le, ">": ops.Gt, ">=": ops.Ge,
	"&&": ops.LogicalAnd, "||": ops.LogicalOr,
}

// intOps are the ops of the arithmetic operators on two integer tensors:
// they wrap around, and / rounds toward minus infinity (Python's //).
var intOps = map[string]*ops.Op{"+": ops.IntAdd, "-": ops.IntSub, "*": ops.IntMul, "/": ops.IntDiv, "%": ops.Mod}

// logicalOps are the operators whose operands stay bool; in any other
// operator a bool tensor becomes the other operand's element type.
var logicalOps = map[string]bool{"==": true, "!=": true, "&&": true, "||": true}

func (i *interp) binary(f *frame, e *binaryExpr) value {
	x, y := i.eval(f, e.X), i.eval(f, e.Y)
	if isBad(x, y) {
		return bad
	}
	if s, ok := firstSparse(x, y); ok {
		_, ySparse := y.(sparseV)
		if xs, xSparse := x.(sparseV); xSparse && e.Op == "@" && !ySparse {
			return i.spmm(e.Pos, xs, y, []string{exprLabel(e.X), exprLabel(e.Y)})
		}
		if _, xSparse := x.(sparseV); e.Op == "@" && ySparse && !xSparse {
			i.errorf(e.Pos, CodeSparse, "%s @ %s: a sparse matrix multiplies from the left only (A @ X); X @ A is (Aᵀ @ Xᵀ)ᵀ with Aᵀ given as a sparse input of its own", exprLabel(e.X), exprLabel(e.Y))
			return bad
		}
		return i.sparseMisuse(e.Pos, "operator "+e.Op, s)
	}
	if _, xl := x.(listV); xl {
		x = i.asTensorLike(e.X, x, listDType(y))
	}
	if _, yl := y.(listV); yl {
		y = i.asTensorLike(e.Y, y, listDType(x))
	}
	if isBad(x, y) {
		return bad
	}
	_, xIsT := x.(tensorV)
	_, yIsT := y.(tensorV)
	if !xIsT && !yIsT {
		return i.constBinary(e, x, y)
	}
	labels := func() []string { return []string{exprLabel(e.X), exprLabel(e.Y)} }
	xt, yt, ok := i.promoteBools(e, x, y)
	if !ok {
		return bad
	}
	if !i.intWithFloat(e, x, y, xt, yt) {
		return bad
	}
	// Weak scalars: a compile-time number takes the tensor's element type.
	if !xIsT {
		n, ok := i.weakScalar(e.X, x, yt.n.Type.DType)
		if !ok {
			return bad
		}
		xt = tensorV{n}
	}
	if !yIsT {
		n, ok := i.weakScalar(e.Y, y, xt.n.Type.DType)
		if !ok {
			return bad
		}
		yt = tensorV{n}
	}
	if dt := xt.n.Type.DType; dt.IsInt() && yt.n.Type.DType == dt && intOps[e.Op] != nil {
		return i.applyLabelled(e.Pos, intOps[e.Op], nil, labels, xt.n, yt.n)
	}
	if e.Op == "%" {
		return i.applyLabelled(e.Pos, ops.Mod, nil, labels, xt.n, yt.n)
	}
	return i.applyLabelled(e.Pos, binaryOps[e.Op], nil, labels, xt.n, yt.n)
}

func (i *interp) attr(f *frame, e *attrExpr) value {
	x := i.eval(f, e.X)
	if isBad(x) {
		return bad
	}
	switch x := x.(type) {
	case namespaceV:
		if v, ok := i.global(x.file, e.Name); ok {
			return v
		}
		if x.file.name == "nn" && futureStd[e.Name] {
			i.errorf(e.Pos, CodeUnsupported, "nn.%s is not in the standard library yet", e.Name)
			return bad
		}
		return i.noMember(e, x.file.name, i.fileNames(x.file))
	case *instance:
		if v, ok := x.members[e.Name]; ok {
			return v
		}
		if v, ok := x.args[e.Name]; ok {
			return v
		}
		var names []string
		for k := range x.members {
			names = append(names, k)
		}
		for k := range x.args {
			names = append(names, k)
		}
		return i.noMember(e, x.decl.Name, names)
	case listV:
		if e.Name == "T" {
			if t, ok := i.asTensorLike(e.X, x, ops.F32).(tensorV); ok {
				return i.transpose(e.Pos, t, nil, exprLabel(e.X))
			}
			return bad
		}
	case tensorV:
		if e.Name == "T" {
			return i.transpose(e.Pos, x, nil, exprLabel(e.X))
		}
		return i.noMember(e, x.n.Type.String(), []string{"T"})
	case sparseV:
		return i.sparseMisuse(e.Pos, "attribute ."+e.Name, x)
	}
	i.errorf(e.Pos, CodeNoMember, "%s has no attribute %s", kindOf(x), e.Name)
	return bad
}

func (i *interp) noMember(e *attrExpr, owner string, names []string) value {
	msg := fmt.Sprintf("%s has no member %s", owner, e.Name)
	if s := suggest(e.Name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	i.errorf(e.Pos, CodeNoMember, "%s", msg)
	return bad
}

func (i *interp) index(f *frame, e *indexExpr) value {
	x := i.eval(f, e.X)
	if isBad(x) {
		return bad
	}
	switch xv := x.(type) {
	case listV, tupleV:
		var elems []value
		if l, ok := xv.(listV); ok {
			elems = l
		} else {
			elems = xv.(tupleV)
		}
		if len(e.Indices) != 1 || e.Indices[0].Slice || e.Indices[0].Ellipsis {
			i.errorf(e.Pos, CodeUnsupported, "lists are indexed by one compile-time int")
			return bad
		}
		k := i.eval(f, e.Indices[0].Lo)
		if isBad(k) {
			return bad
		}
		n, ok := constInt(k)
		if !ok {
			i.errorf(e.Indices[0].Pos, CodeNotConst, "index %s must be a compile-time int", exprLabel(e.Indices[0].Lo))
			return bad
		}
		if n < 0 {
			n += int64(len(elems))
		}
		if n < 0 || n >= int64(len(elems)) {
			i.errorf(e.Indices[0].Pos, CodeValue, "index %s out of range [0, %d)", exprLabel(e.Indices[0].Lo), len(elems))
			return bad
		}
		return elems[n]
	case tensorV:
		return i.indexTensor(f, e, xv.n)
	case sparseV:
		return i.sparseMisuse(e.Pos, "indexing", xv)
	}
	i.errorf(e.Pos, CodeNotCallable, "%s cannot be indexed", kindOf(x))
	return bad
}

func (i *interp) transpose(p ops.Pos, x tensorV, perm []int, label string) value {
	r := len(x.n.Type.Shape)
	if perm == nil {
		if r < 2 {
			return x
		}
		perm = make([]int, r)
		for k := range perm {
			perm[k] = r - 1 - k
		}
	}
	return i.apply(p, ops.Transpose, ops.Attrs{"perm": perm}, []string{label}, x.n)
}

// promoteBools returns the tensor operands of a binary operator with a bool
// tensor converted where the operator computes numbers (NumPy's rule): to
// the other tensor's element type, or to f32 beside a compile-time number
// or another bool. In == != && || bools stay bools.
func (i *interp) promoteBools(e *binaryExpr, x, y value) (tensorV, tensorV, bool) {
	xt, xIsT := x.(tensorV)
	yt, yIsT := y.(tensorV)
	if logicalOps[e.Op] {
		return xt, yt, true
	}
	isBool := func(t tensorV, isT bool) bool { return isT && t.n.Type.DType == ops.Bool }
	to := func(other tensorV, otherT bool) ops.DType {
		if otherT && other.n.Type.DType != ops.Bool {
			return other.n.Type.DType
		}
		return ops.F32
	}
	ok := true
	if isBool(xt, xIsT) {
		xt, ok = i.castBool(e.X, xt, to(yt, yIsT))
	}
	if ok && isBool(yt, yIsT) {
		yt, ok = i.castBool(e.Y, yt, to(xt, xIsT))
	}
	return xt, yt, ok
}

func (i *interp) castBool(e expr, t tensorV, dt ops.DType) (tensorV, bool) {
	v, ok := i.applyLabelled(startPos(e), ops.Cast, ops.Attrs{"dtype": dt}, func() []string { return []string{exprLabel(e)} }, t.n).(tensorV)
	return v, ok
}

// intWithFloat reports an integer tensor in arithmetic with a compile-time
// float (ids * 0.5): the float cannot take the integer type, and nnc does
// not convert the tensor silently.
func (i *interp) intWithFloat(e *binaryExpr, x, y value, xt, yt tensorV) bool {
	for k, v := range []value{x, y} {
		other := []tensorV{yt, xt}[k]
		if _, isF := v.(floatV); isF && other.n != nil && other.n.Type.DType.IsInt() {
			i.errorf(e.Pos, CodeShape, "%s %s %s: %s is %v and %s a float; cast it first (cast(%s, f32))",
				exprLabel(e.X), e.Op, exprLabel(e.Y), exprLabel([]expr{e.Y, e.X}[k]), other.n.Type, exprLabel([]expr{e.X, e.Y}[k]), exprLabel([]expr{e.Y, e.X}[k]))
			return false
		}
	}
	return true
}
