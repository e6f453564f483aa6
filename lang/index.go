package lang

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

// NumPy indexing and slicing of tensors: x[0], x[-1], x[:, 1:3],
// x[..., ::2], pos[:T] (bounds may be symbolic dimensions), and one integer
// tensor index x[ids] (NumPy's take along that axis). An integer index
// drops its axis. Constant bounds follow NumPy (negative counts from the
// end, clamping, negative steps); with a symbolic bound the step must be 1
// and the bounds are taken as in range (the plan checks the sizes).

// idxAxis is one axis of an index expression once `...` is expanded.
type idxAxis struct {
	drop   bool      // an integer index
	ids    *ops.Node // an integer tensor index
	lo, hi value     // bounds (intV); nil when omitted
	step   int
	item   *indexItem
}

func (i *interp) indexTensor(f *frame, e *indexExpr, x *ops.Node) value {
	label := exprLabel(e.X)
	r := len(x.Type.Shape)
	nItems, ell := 0, -1
	for k, it := range e.Indices {
		if it.Ellipsis {
			if ell >= 0 {
				i.errorf(it.Pos, CodeValue, "an index can have only one ...")
				return bad
			}
			ell = k
			continue
		}
		nItems++
	}
	if nItems > r {
		i.errorf(e.Pos, CodeValue, "too many indices for %s of type %v: %d indices, %d axes", label, x.Type, nItems, r)
		return bad
	}
	axes := make([]idxAxis, 0, r)
	whole := func() idxAxis { return idxAxis{step: 1} }
	for _, it := range e.Indices {
		if it.Ellipsis {
			for j := 0; j < r-nItems; j++ {
				axes = append(axes, whole())
			}
			continue
		}
		a, ok := i.indexAxis(f, it)
		if !ok {
			return bad
		}
		axes = append(axes, a)
	}
	for len(axes) < r {
		axes = append(axes, whole())
	}
	nIDs := 0
	symbolic := false
	for k := range axes {
		a := &axes[k]
		if a.ids != nil {
			nIDs++
		}
		for _, v := range []value{a.lo, a.hi} {
			if v == nil {
				continue
			}
			if _, isC := constInt(v); !isC {
				symbolic = true
			}
		}
		if a.drop {
			if c, isC := constInt(a.lo); isC {
				if n, dimC := x.Type.Shape[k].IsConst(); dimC && (c >= n || c < -n) {
					i.errorf(a.item.Pos, CodeValue, "index %d is out of range for axis %d of %s, which has size %d", c, k, label, n)
					return bad
				}
			}
		}
	}
	first, last := -1, -1
	for k, a := range axes {
		if a.ids != nil {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	if nIDs > 1 && last-first+1 != nIDs {
		i.errorf(e.Pos, CodeUnsupported, "tensor indices on axes that are not adjacent are not supported; index adjacent axes or use take or gather")
		return bad
	}
	old := i.b.SetPos(e.Pos)
	defer i.b.SetPos(old)
	cur := x
	var ok bool
	if symbolic {
		cur, ok = i.sliceSymbolic(e, cur, axes, label)
	} else {
		cur, ok = i.sliceConst(e, cur, axes, label)
	}
	if !ok {
		return bad
	}
	if nIDs > 1 {
		return i.indexND(e, cur, axes, first, label)
	}
	// An integer tensor index takes along its axis.
	var final ops.Shape
	for k, a := range axes {
		switch {
		case a.drop:
		case a.ids != nil:
			final = append(final, a.ids.Type.Shape...)
		default:
			final = append(final, cur.Type.Shape[k])
		}
	}
	for k, a := range axes {
		if a.ids != nil {
			if cur, ok = node(i.apply(e.Pos, ops.Take, ops.Attrs{"axis": k}, []string{label, exprLabel(a.item.Lo)}, cur, a.ids)); !ok {
				return bad
			}
		}
	}
	if !cur.Type.Shape.Equal(final) {
		if cur, ok = node(i.apply(e.Pos, ops.Reshape, ops.Attrs{"shape": final}, []string{label}, cur)); !ok {
			return bad
		}
	}
	return tensorV{cur}
}

// indexAxis evaluates one index item that is not `...`: an int (the axis is
// dropped), an integer tensor or list (taken along), or a slice with its
// compile-time bounds and constant step.
func (i *interp) indexAxis(f *frame, it *indexItem) (idxAxis, bool) {
	a := idxAxis{step: 1, item: it}
	if !it.Slice {
		v := i.eval(f, it.Lo)
		if isBad(v) {
			return idxAxis{}, false
		}
		switch iv := v.(type) {
		case intV:
			a.drop, a.lo = true, iv
		case tensorV:
			if !iv.n.Type.DType.IsInt() {
				i.errorf(startPos(it.Lo), CodeArgType, "index %s is %v; a tensor index must be i32 or i64", exprLabel(it.Lo), iv.n.Type)
				return idxAxis{}, false
			}
			a.ids = iv.n
		case listV:
			n, ok := i.literalTensor(it.Lo, iv, ops.I32, true)
			if !ok {
				return idxAxis{}, false
			}
			a.ids = n
		default:
			i.errorf(startPos(it.Lo), CodeArgType, "index %s is %s, not an int", exprLabel(it.Lo), kindOf(v))
			return idxAxis{}, false
		}
	} else {
		for _, b := range []struct {
			e   expr
			dst *value
		}{{it.Lo, &a.lo}, {it.Hi, &a.hi}} {
			if b.e == nil {
				continue
			}
			v := i.eval(f, b.e)
			if isBad(v) {
				return idxAxis{}, false
			}
			if _, ok := v.(intV); !ok {
				i.errorf(startPos(b.e), CodeNotConst, "slice bound %s must be a compile-time int, got %s", exprLabel(b.e), kindOf(v))
				return idxAxis{}, false
			}
			*b.dst = v
		}
		if it.Step != nil {
			v := i.eval(f, it.Step)
			if isBad(v) {
				return idxAxis{}, false
			}
			s, ok := constInt(v)
			if !ok {
				i.errorf(startPos(it.Step), CodeNotConst, "slice step %s must be a constant int, got %s", exprLabel(it.Step), kindOf(v))
				return idxAxis{}, false
			}
			if s == 0 {
				i.errorf(startPos(it.Step), CodeValue, "slice step cannot be 0")
				return idxAxis{}, false
			}
			a.step = int(s)
		}
	}
	return a, true
}

// sliceConst is one NumPy-form slice op (every bound a constant).
func (i *interp) sliceConst(e *indexExpr, x *ops.Node, axes []idxAxis, label string) (*ops.Node, bool) {
	n := len(axes)
	starts, stops, steps := make([]int, n), make([]int, n), make([]int, n)
	trivial := true
	for k, a := range axes {
		starts[k], stops[k], steps[k] = ops.SliceNone, ops.SliceNone, a.step
		if a.step != 1 {
			trivial = false
		}
		if a.lo != nil {
			c, _ := constInt(a.lo)
			starts[k] = int(c)
			trivial = false
		}
		if a.hi != nil {
			c, _ := constInt(a.hi)
			stops[k] = int(c)
			trivial = false
		}
		if a.drop {
			c, _ := constInt(a.lo)
			stops[k] = int(c) + 1
			if c == -1 {
				stops[k] = ops.SliceNone
			}
		}
	}
	if trivial {
		return x, true
	}
	return node(i.apply(e.Pos, ops.Slice, ops.Attrs{"starts": starts, "stops": stops, "steps": steps}, []string{label}, x))
}

// sliceSymbolic is one begin/end slice op (step 1, bounds symbolic).
func (i *interp) sliceSymbolic(e *indexExpr, x *ops.Node, axes []idxAxis, label string) (*ops.Node, bool) {
	n := len(axes)
	begin, end := make(ops.Shape, n), make(ops.Shape, n)
	for k, a := range axes {
		d := x.Type.Shape[k]
		if a.step != 1 {
			i.errorf(a.item.Pos, CodeUnsupported, "a slice with a symbolic bound must have step 1")
			return nil, false
		}
		bound := func(v value, absent ops.Dim) ops.Dim {
			if v == nil {
				return absent
			}
			b := v.(intV).d
			if c, isC := b.IsConst(); isC {
				if c < 0 {
					b = d.Add(b)
				}
				if dc, dimC := d.IsConst(); dimC {
					c2, _ := b.IsConst()
					b = ops.DimConst(max(0, min(c2, dc)))
				}
			}
			return b
		}
		begin[k] = bound(a.lo, ops.DimConst(0))
		end[k] = bound(a.hi, d)
		if a.drop {
			end[k] = begin[k].Add(ops.DimConst(1))
		}
	}
	n2, err := i.b.Apply(ops.Slice, ops.Attrs{"begin": begin, "end": end}, x)
	if err != nil {
		i.errorf(e.Pos, CodeShape, "%s[%s]: %v", label, indexText(e), sliceMsg(err, label))
		return nil, false
	}
	return n2, true
}

func indexText(e *indexExpr) string {
	s := exprString(e)
	return s[len(exprString(e.X))+1 : len(s)-1]
}

func sliceMsg(err error, label string) string {
	if ie, ok := err.(*ops.InferError); ok {
		return ie.Format([]string{label})
	}
	return fmt.Sprint(err)
}

// indexND applies several integer tensor indices on adjacent axes from
// first (x[i, j], NumPy's advanced indexing): they broadcast together and
// their shape replaces the axes they index (gather_nd, whose gradient is a
// deterministic scatter-add and whose indices are checked at run time).
// cur is x after the slices, with the int-indexed axes still there.
func (i *interp) indexND(e *indexExpr, cur *ops.Node, axes []idxAxis, first int, label string) value {
	operands := []*ops.Node{cur}
	labels := []string{label}
	for _, a := range axes {
		if a.ids != nil {
			operands = append(operands, a.ids)
			labels = append(labels, exprLabel(a.item.Lo))
		}
	}
	g, ok := node(i.apply(e.Pos, ops.GatherND, ops.Attrs{"axis": first}, labels, operands...))
	if !ok {
		return bad
	}
	nb := g.Type.Shape.Rank() - (cur.Type.Shape.Rank() - (len(operands) - 1))
	var final ops.Shape
	for k, a := range axes {
		switch {
		case k == first:
			final = append(final, g.Type.Shape[first:first+nb]...)
		case a.drop, a.ids != nil:
		default:
			final = append(final, cur.Type.Shape[k])
		}
	}
	if !g.Type.Shape.Equal(final) {
		if g, ok = node(i.apply(e.Pos, ops.Reshape, ops.Attrs{"shape": final}, []string{label}, g)); !ok {
			return bad
		}
	}
	return tensorV{g}
}
