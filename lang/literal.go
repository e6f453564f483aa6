package lang

import "github.com/nnclang/nnc/ops"

// Tensor literals. A list `[[1, 2], [3, 4]]` stays a compile-time list
// (shapes, axes and sub-model lists are lists too) until it is used where
// a tensor is needed: an operand of an arithmetic operator, a tensor
// argument of a built-in or function, a declared tensor result. There it
// becomes a constant tensor (stacked scalars) of the element type the
// context gives: the other operand's, the parameter's, the declared
// result's; f32 otherwise (i32 for index arguments such as take's ids).

// literalTensor converts a compile-time number or a (nested) list of
// numbers and tensors into a tensor of element type dt. ok is false, with
// nothing reported, when v is not such a value; with report, a ragged or
// non-numeric list is reported.
func (i *interp) literalTensor(e expr, v value, dt ops.DType, report bool) (*ops.Node, bool) {
	old := i.b.SetPos(startPos(e))
	defer i.b.SetPos(old)
	var build func(v value) (*ops.Node, string)
	build = func(v value) (*ops.Node, string) {
		switch x := v.(type) {
		case tensorV:
			if x.n.Type.DType != dt {
				return i.b.Must(ops.Cast, ops.Attrs{"dtype": dt}, x.n), ""
			}
			return x.n, ""
		case boolV:
			if x {
				return i.b.Scalar(dt, 1), ""
			}
			return i.b.Scalar(dt, 0), ""
		case floatV, intV:
			n, ok := number(x)
			if !ok {
				return nil, "the symbolic dimension " + x.(intV).d.String() + " is not a value known at compile time"
			}
			return i.b.Scalar(dt, n), ""
		case listV:
			if len(x) == 0 {
				return nil, "an empty list has no shape"
			}
			var parts []*ops.Node
			for _, el := range x {
				n, msg := build(el)
				if msg != "" {
					return nil, msg
				}
				if len(parts) > 0 && !n.Type.Equal(parts[0].Type) {
					return nil, "its elements have different shapes (" + parts[0].Type.Shape.String() + " and " + n.Type.Shape.String() + ")"
				}
				parts = append(parts, n)
			}
			n, err := i.b.Apply(ops.Stack, ops.Attrs{"axis": 0}, parts...)
			if err != nil {
				return nil, err.Error()
			}
			return n, ""
		}
		return nil, "it holds " + kindOf(v)
	}
	if _, isList := v.(listV); !isList {
		if _, isNum := number(v); !isNum {
			return nil, false
		}
	}
	want := dt
	if !dt.IsFloat() {
		dt = ops.F64 // stack joins floats: integer literals are cast after
	}
	n, msg := build(v)
	if msg == "" && n.Type.DType != want {
		n = i.b.Must(ops.Cast, ops.Attrs{"dtype": want}, n)
	}
	if msg != "" {
		if report {
			i.errorf(startPos(e), CodeArgType, "%s is not a tensor literal: %s", exprLabel(e), msg)
		}
		return nil, false
	}
	return n, true
}

// asTensorLike converts a list literal to a tensor of element type dt when
// v is one; other values are returned unchanged.
func (i *interp) asTensorLike(e expr, v value, dt ops.DType) value {
	if _, isList := v.(listV); !isList {
		return v
	}
	n, ok := i.literalTensor(e, v, dt, true)
	if !ok {
		return bad
	}
	return tensorV{n}
}

// listDType is the element type a list literal takes beside v: v's when it
// is a tensor, f32 otherwise.
func listDType(v value) ops.DType {
	if t, ok := v.(tensorV); ok {
		return t.n.Type.DType
	}
	return ops.F32
}

// resultLiterals converts list literals in a result to tensors of the
// declared element types.
func (i *interp) resultLiterals(t *typeExpr, v value) value {
	if t.Tuple != nil {
		tv, ok := v.(tupleV)
		if !ok || len(tv) != len(t.Tuple) {
			return v
		}
		out := make(tupleV, len(tv))
		for k := range tv {
			out[k] = i.resultLiterals(t.Tuple[k], tv[k])
		}
		return out
	}
	if _, isList := v.(listV); !isList || isKind(t) {
		return v
	}
	dt, ok := parseDType(t.Name)
	if !ok {
		return v
	}
	if n, ok := i.literalTensor(&ident{Pos: i.pos, Name: "the result"}, v, dt, false); ok {
		return tensorV{n}
	}
	return v
}
