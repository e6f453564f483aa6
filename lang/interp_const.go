package lang

import (
	"math"

	"github.com/nnclang/nnc/ops"
)

// Compile-time arithmetic: operators on ints (shape dimensions, possibly
// symbolic), floats, bools and strings, overflow-checked; and compile-time
// numbers used with tensors (weak scalars).

// constBinary folds an operation on compile-time values.
func (i *interp) constBinary(e *binaryExpr, x, y value) value {
	fail := func() value {
		i.errorf(e.Pos, CodeNotCallable, "operator %s does not apply to %s and %s", e.Op, kindOf(x), kindOf(y))
		return bad
	}
	switch e.Op {
	case "&&", "||":
		a, ok1 := x.(boolV)
		b, ok2 := y.(boolV)
		if !ok1 || !ok2 {
			return fail()
		}
		if e.Op == "&&" {
			return a && b
		}
		return a || b
	}
	xi, xInt := x.(intV)
	yi, yInt := y.(intV)
	if xInt && yInt {
		v := i.intBinary(e, xi.d, yi.d, fail)
		if r, ok := v.(intV); ok && r.d.Overflowed() {
			i.errorf(e.Pos, CodeTooLarge, "integer overflow: %s does not fit in int64", exprLabel(e))
			return bad
		}
		return v
	}
	return i.otherBinary(e, x, y, fail)
}

// intBinary applies a binary operator to two compile-time ints (or
// dimensions); an overflow gives ops.DimOverflow.
func (i *interp) intBinary(e *binaryExpr, a, b ops.Dim, fail func() value) value {
	{
		switch e.Op {
		case "+":
			return intV{a.Add(b)}
		case "-":
			return intV{a.Sub(b)}
		case "*":
			if tooComplex(a, b) {
				i.errorf(e.Pos, CodeValue, "dimension expression %s is too complex", exprLabel(e))
				return bad
			}
			return intV{a.Mul(b)}
		case "/", "%":
			bc, bconst := b.IsConst()
			if bconst && bc == 0 {
				i.errorf(e.Pos, CodeValue, "integer division by zero")
				return bad
			}
			if e.Op == "%" {
				ac, aconst := a.IsConst()
				if !aconst || !bconst {
					return fail()
				}
				return intV{ops.DimConst(ac % bc)}
			}
			if ac, aconst := a.IsConst(); aconst && bconst {
				if ac == math.MinInt64 && bc == -1 {
					return intV{ops.DimOverflow}
				}
				return intV{ops.DimConst(ac / bc)} // Go's truncation, as written
			}
			if bconst && bc < 0 {
				return fail()
			}
			q, err := a.Div(b)
			if err != nil {
				if !bconst && i.checking {
					return bad // d / heads: known once the model is built
				}
				i.errorf(e.Pos, CodeValue, "%v", err)
				return bad
			}
			return intV{q}
		case "**":
			ac, ok1 := a.IsConst()
			bc, ok2 := b.IsConst()
			if ok1 && ok2 && bc >= 0 {
				return intV{intPow(ac, bc)}
			}
			if !ok1 && ok2 && bc >= 0 && bc < 8 && len(a.String()) < 20 {
				r := ops.DimConst(1)
				for k := int64(0); k < bc; k++ {
					r = r.Mul(a)
				}
				return intV{r}
			}
			return fail()
		case "==", "!=", "<", "<=", ">", ">=":
			ac, ok1 := a.IsConst()
			bc, ok2 := b.IsConst()
			if !ok1 || !ok2 {
				if e.Op == "==" || e.Op == "!=" {
					return boolV((a == b) == (e.Op == "=="))
				}
				return fail()
			}
			return cmpNum(e.Op, float64(ac), float64(bc))
		}
		return fail()
	}
}

// intPow is a ** b for b >= 0, or ops.DimOverflow.
func intPow(a, b int64) ops.Dim {
	switch {
	case b == 0 || a == 1:
		return ops.DimConst(1)
	case a == 0:
		return ops.DimConst(0)
	case a == -1:
		return ops.DimConst(1 - 2*(b%2))
	}
	r := ops.DimConst(1)
	for k := int64(0); k < b && !r.Overflowed(); k++ { // |a| >= 2: at most 64 steps
		r = r.Mul(ops.DimConst(a))
	}
	return r
}

// otherBinary applies a binary operator to compile-time strings, bools and
// numbers.
func (i *interp) otherBinary(e *binaryExpr, x, y value, fail func() value) value {
	_, xInt := x.(intV)
	_, yInt := y.(intV)
	if s1, ok := x.(stringV); ok {
		if s2, ok := y.(stringV); ok {
			switch e.Op {
			case "==":
				return boolV(s1 == s2)
			case "!=":
				return boolV(s1 != s2)
			case "+":
				return s1 + s2
			}
		}
		return fail()
	}
	if b1, ok := x.(boolV); ok {
		if b2, ok := y.(boolV); ok && (e.Op == "==" || e.Op == "!=") {
			return boolV((b1 == b2) == (e.Op == "=="))
		}
		return fail()
	}
	a, ok1 := number(x)
	b, ok2 := number(y)
	if !ok1 || !ok2 {
		if xInt || yInt {
			i.errorf(e.Pos, CodeNotConst, "operator %s: a symbolic dimension is not a value known at compile time", e.Op)
			return bad
		}
		return fail()
	}
	switch e.Op {
	case "+":
		return floatV(a + b)
	case "-":
		return floatV(a - b)
	case "*":
		return floatV(a * b)
	case "/":
		return floatV(a / b)
	case "**":
		return floatV(math.Pow(a, b))
	case "==", "!=", "<", "<=", ">", ">=":
		return cmpNum(e.Op, a, b)
	}
	return fail()
}

// tooComplex reports whether the product of two symbolic dimensions would
// be too large a polynomial to be a sensible dimension.
func tooComplex(a, b ops.Dim) bool {
	_, ca := a.IsConst()
	_, cb := b.IsConst()
	if ca || cb {
		return false
	}
	return len(a.String())*len(b.String()) > 400
}

func cmpNum(op string, a, b float64) value {
	switch op {
	case "==":
		return boolV(a == b)
	case "!=":
		return boolV(a != b)
	case "<":
		return boolV(a < b)
	case "<=":
		return boolV(a <= b)
	case ">":
		return boolV(a > b)
	}
	return boolV(a >= b)
}

// weakScalar turns a compile-time number into a constant of element type dt.
func (i *interp) weakScalar(e expr, v value, dt ops.DType) (*ops.Node, bool) {
	n, ok := number(v)
	if !ok {
		if b, isB := v.(boolV); isB {
			n, ok = 0, true
			if b {
				n = 1
			}
		}
	}
	if !ok {
		if iv, isInt := v.(intV); isInt {
			old := i.b.SetPos(startPos(e))
			n, ok := i.placeholderScalar(iv.d, dt)
			i.b.SetPos(old)
			if ok {
				return n, true
			}
			if vars := iv.d.Vars(); len(vars) == 1 && i.valueDims[vars[0]] {
				i.errorf(startPos(e), CodeNotConst, "%s needs the value of int argument %s, which has no default: give it a value", exprLabel(e), vars[0])
				return nil, false
			}
			i.errorf(startPos(e), CodeNotConst, "%s is the symbolic dimension %v, not a value known at compile time", exprLabel(e), iv.d)
		} else {
			i.errorf(startPos(e), CodeNotCallable, "%s is %s, not a number or tensor", exprLabel(e), kindOf(v))
		}
		return nil, false
	}
	old := i.b.SetPos(startPos(e))
	defer i.b.SetPos(old)
	return i.b.Scalar(dt, n), true
}
