package lang

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// binding holds the shape variables bound while unifying one signature.
type binding struct {
	dims     map[string]ops.Dim
	where    map[string]string
	ell      ops.Shape
	ellSet   bool
	ellWhere string
}

func newBinding() *binding {
	return &binding{dims: map[string]ops.Dim{}, where: map[string]string{}}
}

type unifyErr struct{ code, msg string }

// dimName resolves a name used in a type: a compile-time int in scope (a
// constant, a model argument, an int parameter, a loop variable). ok is
// false for a shape variable; err is set for a name bound to a non-int.
func (i *interp) dimName(fr *frame, name string) (d ops.Dim, ok bool, err string) {
	var v value
	var found bool
	if v, found = fr.vars[name]; !found && fr.inst != nil {
		v, found = fr.inst.args[name]
	}
	if !found && fr.file != nil {
		v, found = fr.file.consts[name]
	}
	if !found {
		return ops.Dim{}, false, ""
	}
	if x, isInt := v.(intV); isInt {
		return x.d, true, ""
	}
	if isBad(v) {
		return ops.Dim{}, false, silent
	}
	return ops.Dim{}, false, fmt.Sprintf("%s is %s, not a dimension", name, kindOf(v))
}

// shapeVar reports whether a dimension expression is a bare shape variable.
func (i *interp) shapeVar(fr *frame, e expr) (string, bool) {
	id, ok := e.(*ident)
	if !ok {
		return "", false
	}
	_, known, err := i.dimName(fr, id.Name)
	if known || err != "" {
		return "", false
	}
	return id.Name, true
}

// evalDim evaluates a dimension expression; unbound shape variables stay
// symbolic.
func (i *interp) evalDim(fr *frame, bd *binding, e expr) (ops.Dim, string) {
	switch e := e.(type) {
	case *intLit:
		return ops.DimConst(e.Value), ""
	case *ident:
		if bd != nil {
			if d, ok := bd.dims[e.Name]; ok {
				return d, ""
			}
		}
		d, ok, err := i.dimName(fr, e.Name)
		if err != "" {
			return ops.Dim{}, err
		}
		if ok {
			return d, ""
		}
		return ops.DimVar(e.Name), ""
	case *attrExpr:
		if id, ok := e.X.(*ident); ok && fr.file != nil {
			if im, ok := fr.file.imports[id.Name]; ok {
				if v, ok := im.consts[e.Name].(intV); ok {
					return v.d, ""
				}
			}
		}
	case *indexExpr:
		// An element of a compile-time list, such as kernel[0] of an ints
		// argument.
		if _, ok := e.X.(*ident); ok {
			v := i.eval(fr, e)
			if isBad(v) {
				return ops.Dim{}, silent
			}
			if d, ok := v.(intV); ok {
				return d.d, ""
			}
		}
	case *unaryExpr:
		if e.Op == "-" {
			d, err := i.evalDim(fr, bd, e.X)
			return d.Neg(), err
		}
	case *binaryExpr:
		x, err := i.evalDim(fr, bd, e.X)
		if err != "" {
			return x, err
		}
		y, err := i.evalDim(fr, bd, e.Y)
		if err != "" {
			return y, err
		}
		switch e.Op {
		case "+":
			return x.Add(y), ""
		case "-":
			return x.Sub(y), ""
		case "*":
			if tooComplex(x, y) {
				return x, exprLabel(e) + " is too complex a dimension"
			}
			return x.Mul(y), ""
		case "/":
			q, derr := x.Div(y)
			if derr != nil {
				if _, yc := y.IsConst(); !yc && i.checking {
					return q, silent
				}
				return q, derr.Error()
			}
			return q, ""
		}
	}
	return ops.Dim{}, exprLabel(e) + " is not a dimension expression"
}

// silent is the message of an error already reported or not to report:
// an invalid value, or (while checking a model whose arguments have no
// defaults) a division by a symbolic argument, such as d / heads, that is
// only known once the model is built.
const silent = "bad"

// unify matches a declared tensor type against an actual type, binding
// shape variables in bd. what names the value ("x").
func (i *interp) unify(fr *frame, bd *binding, t *typeExpr, got ops.Type, what string) *unifyErr {
	mismatch := func() *unifyErr {
		return &unifyErr{CodeArgType, fmt.Sprintf("%s is %v, want %s%s", what, got, i.renderType(fr, bd, t), i.typeDiff(fr, bd, t, got))}
	}
	if t.Tuple != nil {
		return mismatch()
	}
	dt, ok := parseDType(t.Name)
	if !ok {
		return &unifyErr{CodeUndefined, fmt.Sprintf("unknown element type %s", t.Name)}
	}
	if dt != got.DType && !(i.anyFloat && dt.IsFloat() && got.DType.IsFloat()) {
		return mismatch()
	}
	ell := -1
	for k, d := range t.Dims {
		if d.Ellipsis {
			if ell >= 0 {
				return &unifyErr{CodeSyntax, "... appears twice in one shape"}
			}
			ell = k
		}
	}
	rank := len(got.Shape)
	fixed := len(t.Dims)
	if ell >= 0 {
		fixed--
		if rank < fixed {
			return mismatch()
		}
	} else if rank != fixed {
		return mismatch()
	}
	actual := func(k int) ops.Dim {
		if ell >= 0 && k > ell {
			return got.Shape[rank-(len(t.Dims)-k)]
		}
		return got.Shape[k]
	}
	if ell >= 0 {
		run := got.Shape[ell : rank-(len(t.Dims)-1-ell)]
		if bd.ellSet {
			if !bd.ell.Equal(run) {
				return &unifyErr{CodeShapeVar, fmt.Sprintf("... is %v in %s but %v in %s", bd.ell, bd.ellWhere, ops.Shape(run), what)}
			}
		} else {
			bd.ell, bd.ellSet, bd.ellWhere = append(ops.Shape(nil), run...), true, what
		}
	}
	// Bare shape variables bind first, then compound dimensions are checked.
	for k, d := range t.Dims {
		if d.Ellipsis {
			continue
		}
		name, isVar := i.shapeVar(fr, d.Expr)
		if !isVar {
			continue
		}
		a := actual(k)
		if prev, bound := bd.dims[name]; bound {
			if prev != a {
				return &unifyErr{CodeShapeVar, fmt.Sprintf("shape variable %s is %v in %s but %v in %s", name, prev, bd.where[name], a, what)}
			}
			continue
		}
		bd.dims[name], bd.where[name] = a, what
	}
	for k, d := range t.Dims {
		if d.Ellipsis {
			continue
		}
		if _, isVar := i.shapeVar(fr, d.Expr); isVar {
			continue
		}
		want, err := i.evalDim(fr, bd, d.Expr)
		if err != "" {
			return &unifyErr{CodeValue, err}
		}
		if want != actual(k) {
			return mismatch()
		}
	}
	return nil
}

// renderType prints a declared type with the bindings known so far.
func (i *interp) renderType(fr *frame, bd *binding, t *typeExpr) string {
	if t == nil {
		return "nothing"
	}
	if t.Tuple != nil {
		parts := make([]string, len(t.Tuple))
		for k, e := range t.Tuple {
			parts[k] = i.renderType(fr, bd, e)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	name := t.Name
	if t.Sparse {
		name = "sparse " + name
	}
	if !t.HasDims {
		return name
	}
	var parts []string
	for _, d := range t.Dims {
		if d.Ellipsis {
			if bd != nil && bd.ellSet {
				for _, x := range bd.ell {
					parts = append(parts, x.String())
				}
			} else {
				parts = append(parts, "...")
			}
			continue
		}
		v, err := i.evalDim(fr, bd, d.Expr)
		if err != "" {
			parts = append(parts, exprLabel(d.Expr))
		} else {
			parts = append(parts, v.String())
		}
	}
	return name + "[" + strings.Join(parts, ", ") + "]"
}

// ellipsisDim stands for the leading dimensions `...` of an entry's input:
// one symbolic dimension, printed as "...".
var ellipsisDim = ops.DimVar("...")

// symbolicType evaluates a declared type for an entry's input: shape
// variables become symbolic dimensions of their own name.
func (i *interp) symbolicType(fr *frame, t *typeExpr) (ops.Type, *unifyErr) {
	if t.Tuple != nil {
		return ops.Type{}, &unifyErr{CodeArgType, "a tuple type is not a tensor type"}
	}
	dt, ok := parseDType(t.Name)
	if !ok {
		return ops.Type{}, &unifyErr{CodeUndefined, fmt.Sprintf("unknown element type %s", t.Name)}
	}
	var s ops.Shape
	for _, d := range t.Dims {
		if d.Ellipsis {
			s = append(s, ellipsisDim)
			continue
		}
		v, err := i.evalDim(fr, nil, d.Expr)
		if err != "" {
			return ops.Type{}, &unifyErr{CodeValue, err}
		}
		if c, isC := v.IsConst(); isC && c < 0 {
			return ops.Type{}, &unifyErr{CodeValue, fmt.Sprintf("dimension %s is negative (%d)", exprLabel(d.Expr), c)}
		}
		s = append(s, v)
	}
	ty := ops.Type{DType: dt, Shape: s}
	if err := ty.CheckSize(); err != nil {
		return ops.Type{}, &unifyErr{CodeTooLarge, err.Error()}
	}
	return ty, nil
}

// typeDiff says where a type differs from a declared one: " (axis 1 is 3,
// not 4)", " (rank 2, not 3)", " (element type f64, not f32)"; "" when it
// cannot tell.
func (i *interp) typeDiff(fr *frame, bd *binding, t *typeExpr, got ops.Type) string {
	if t.Tuple != nil {
		return ""
	}
	if dt, ok := parseDType(t.Name); ok && dt != got.DType {
		return fmt.Sprintf(" (element type %v, not %v)", got.DType, dt)
	}
	for _, d := range t.Dims {
		if d.Ellipsis {
			return ""
		}
	}
	if len(t.Dims) != len(got.Shape) {
		return fmt.Sprintf(" (rank %d, not %d)", len(got.Shape), len(t.Dims))
	}
	for k, d := range t.Dims {
		want, err := i.evalDim(fr, bd, d.Expr)
		if err != "" {
			return ""
		}
		if want != got.Shape[k] {
			return fmt.Sprintf(" (axis %d is %v, not %v)", k, got.Shape[k], want)
		}
	}
	return ""
}
