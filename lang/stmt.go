package lang

import "github.com/nnclang/nnc/ops"

// Statements: return, assignments, state updates, if (on compile-time
// conditions) and for (unrolled).

// execBlock runs statements; it reports whether a return ran, and its value.
func (i *interp) execBlock(f *frame, stmts []stmt) (value, bool) {
	for _, s := range stmts {
		if v, ret := i.exec(f, s); ret {
			return v, true
		}
	}
	return nil, false
}

const maxUnroll = 10000

func (i *interp) exec(f *frame, s stmt) (value, bool) {
	switch s := s.(type) {
	case *returnStmt:
		i.pos = s.Pos
		f.retPos = s.Pos
		switch len(s.Values) {
		case 0:
			return tupleV{}, true
		case 1:
			return i.eval(f, s.Values[0]), true
		}
		t := make(tupleV, len(s.Values))
		for k, e := range s.Values {
			t[k] = i.eval(f, e)
		}
		return t, true
	case *assignStmt:
		i.pos = s.Pos
		v := i.eval(f, s.Value)
		if len(s.Names) == 1 {
			f.vars[s.Names[0]] = v
			return nil, false
		}
		t, ok := v.(tupleV)
		if !ok || len(t) != len(s.Names) {
			if !isBad(v) {
				i.errorf(s.Pos, CodeArgs, "cannot assign %s to %d names", kindOf(v), len(s.Names))
			}
			for _, n := range s.Names {
				f.vars[n] = bad
			}
			return nil, false
		}
		for k, n := range s.Names {
			f.vars[n] = t[k]
		}
	case *updateStmt:
		i.pos = s.Pos
		i.update(f, s)
	case *ifStmt:
		i.pos = s.Pos
		c := i.eval(f, s.Cond)
		if isBad(c) {
			return nil, false
		}
		b, ok := c.(boolV)
		if !ok {
			i.errorf(startPos(s.Cond), CodeNotConst, "if condition must be a compile-time bool, not %s", kindOf(c))
			return nil, false
		}
		if b {
			return i.execBlock(f, s.Then)
		}
		return i.execBlock(f, s.Else)
	case *forStmt:
		i.pos = s.Pos
		lo, hi, ok := i.rangeBounds(f, s.From, s.To)
		if !ok {
			return nil, false
		}
		for k := lo; k < hi && !i.aborted; k++ {
			// Every iteration spends a step, even with an empty body:
			// nested ranges multiply (10,000 × 0..A once took 14 s).
			if !i.spend(s.Pos, 1) {
				break
			}
			f.vars[s.Var] = intV{ops.DimConst(k)}
			if v, ret := i.execBlock(f, s.Body); ret {
				return v, true
			}
		}
	}
	return nil, false
}

// rangeBounds evaluates lo..hi, both compile-time constant ints.
func (i *interp) rangeBounds(f *frame, from, to expr) (int64, int64, bool) {
	a, b := i.eval(f, from), i.eval(f, to)
	if isBad(a, b) {
		return 0, 0, false
	}
	lo, ok1 := constInt(a)
	hi, ok2 := constInt(b)
	if ok1 && !ok2 && i.typesOnly() {
		if _, isInt := b.(intV); isInt {
			return lo, lo + 1, true // one representative iteration
		}
	}
	if ok1 && !ok2 {
		if d, isInt := b.(intV); isInt {
			i.errorf(startPos(to), CodeNeedShapes, "range bound %s is the shape variable %v: the loop is unrolled, so it needs the value of %v (LowerOptions.Shapes; --shapes on the command line)", exprLabel(to), d.d, d.d)
			return 0, 0, false
		}
	}
	if !ok1 || !ok2 {
		e := from
		if ok1 {
			e = to
		}
		i.errorf(startPos(e), CodeNotConst, "range bound %s must be a constant int (unrolled at compile time)", exprLabel(e))
		return 0, 0, false
	}
	if hi-lo > maxUnroll {
		i.errorf(startPos(from), CodeValue, "range %d..%d is too long to unroll (more than %d)", lo, hi, maxUnroll)
		return 0, 0, false
	}
	return lo, hi, true
}

func (i *interp) update(f *frame, s *updateStmt) {
	v := i.eval(f, s.Value)
	if f.inst == nil {
		i.errorf(s.Pos, CodeNotCallable, "%s <- ...: state updates are only allowed in model methods", s.Name)
		return
	}
	var target *ops.Node
	for _, st := range f.inst.states {
		if st.Name() == joinPath(f.inst.path, s.Name) {
			target = st
		}
	}
	if target == nil {
		i.errorf(s.Pos, CodeUndefined, "%s is not a state of %s", s.Name, f.inst.decl.Name)
		return
	}
	if isBad(v) {
		return
	}
	t, ok := v.(tensorV)
	if !ok || !t.n.Type.Equal(target.Type) {
		i.errorf(startPos(s.Value), CodeArgType, "state %s is %v; cannot update it with %s", s.Name, target.Type, kindOf(v))
		return
	}
	if i.training {
		i.b.Update(target, t.n)
	}
}
