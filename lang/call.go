package lang

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

const maxDepth = 64

// argSet is a call's arguments matched to the callee's parameters.
type argSet struct {
	vals   []value   // per parameter; nil when not given
	pos    []ops.Pos // where each given argument is
	labels []string  // its source text
}

// call evaluates f(args).
func (i *interp) call(f *frame, e *callExpr) value {
	path, pathOK := i.instPath, i.instOK
	i.instOK = false
	callee := i.eval(f, e.Fn)
	if isBad(callee) {
		return bad
	}
	args := make([]value, len(e.Args))
	for k, a := range e.Args {
		args[k] = i.eval(f, a)
	}
	kw := map[string]value{}
	for _, k := range e.Kwargs {
		if _, dup := kw[k.Name]; dup {
			i.errorf(k.Pos, CodeArgs, "keyword argument %s given twice", k.Name)
		}
		kw[k.Name] = i.eval(f, k.Value)
	}
	if b, ok := callee.(builtinV); ok {
		return i.builtin(f, e, string(b), args, kw)
	}
	if isBad(args...) {
		return bad
	}
	for _, v := range kw {
		if isBad(v) {
			return bad
		}
	}
	i.pos = e.Pos
	switch c := callee.(type) {
	case fnV:
		as, ok := i.matchArgs(e, c.fn.Name, c.fn.Params, args, kw)
		if !ok {
			return bad
		}
		return i.invoke(e.Pos, c.fn, c.file, nil, as, c.fn.Name)
	case methodV:
		name := c.inst.decl.Name + "." + c.fn.Name
		as, ok := i.matchArgs(e, name, c.fn.Params, args, kw)
		if !ok {
			return bad
		}
		return i.invoke(e.Pos, c.fn, c.inst.file, c.inst, as, name)
	case *instance:
		m, ok := c.members["forward"].(methodV)
		if !ok {
			i.errorf(e.Pos, CodeNoMember, "%s has no forward method to call", c.decl.Name)
			return bad
		}
		name := c.decl.Name + ".forward"
		as, ok := i.matchArgs(e, name, m.fn.Params, args, kw)
		if !ok {
			return bad
		}
		return i.invoke(e.Pos, m.fn, c.file, c, as, name)
	case modelDeclV:
		if !pathOK {
			i.errorf(e.Pos, CodeNotCallable, "model %s can only be built in a member declaration (name = %s(...))", c.m.Name, c.m.Name)
			return bad
		}
		as, ok := i.matchArgs(e, c.m.Name, c.m.Args, args, kw)
		if !ok {
			return bad
		}
		return i.instantiate(e.Pos, c.m, c.file, path, as, false)
	}
	i.errorf(e.Pos, CodeNotCallable, "%s is %s, not a function", exprLabel(e.Fn), kindOf(callee))
	return bad
}

// matchArgs pairs positional and keyword arguments with parameters.
func (i *interp) matchArgs(e *callExpr, name string, params []*paramDecl, args []value, kw map[string]value) (argSet, bool) {
	as := argSet{vals: make([]value, len(params)), pos: make([]ops.Pos, len(params)), labels: make([]string, len(params))}
	ok := true
	if len(args) > len(params) {
		i.errorf(startPos(e.Args[len(params)]), CodeArgs, "%s takes %d arguments, got %d", name, len(params), len(args))
		return as, false
	}
	for k, a := range args {
		as.vals[k], as.pos[k], as.labels[k] = a, startPos(e.Args[k]), exprLabel(e.Args[k])
	}
	names := make([]string, len(params))
	for k, p := range params {
		names[k] = p.Name
	}
	for _, kwa := range e.Kwargs {
		idx := -1
		for k, p := range params {
			if p.Name == kwa.Name {
				idx = k
			}
		}
		if idx < 0 {
			msg := fmt.Sprintf("%s has no parameter %s", name, kwa.Name)
			if s := suggest(kwa.Name, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			i.errorf(kwa.Pos, CodeArgs, "%s", msg)
			ok = false
			continue
		}
		if as.vals[idx] != nil {
			i.errorf(kwa.Pos, CodeArgs, "%s: argument %s given twice", name, kwa.Name)
			ok = false
			continue
		}
		as.vals[idx], as.pos[idx], as.labels[idx] = kw[kwa.Name], kwa.Pos, exprLabel(kwa.Value)
	}
	return as, ok
}

// kinds are the types of compile-time parameters: int, ints (an int or a
// list of ints, held as a list), float, bool and str.
func isKind(t *typeExpr) bool {
	if t == nil || t.Tuple != nil || t.HasDims {
		return false
	}
	switch t.Name {
	case "int", "ints", "float", "bool", "str", "string":
		return true
	}
	return false
}

// coerceKind converts a compile-time value to a parameter's kind.
func coerceKind(kind string, v value) (value, bool) {
	switch kind {
	case "int":
		if x, ok := v.(intV); ok {
			return x, true
		}
	case "float":
		if n, ok := number(v); ok {
			return floatV(n), true
		}
	case "bool":
		if x, ok := v.(boolV); ok {
			return x, true
		}
	case "str", "string":
		if x, ok := v.(stringV); ok {
			return x, true
		}
	case "ints": // an int n is the list [n], so that k[0] and k[-1] read both forms
		switch x := v.(type) {
		case intV:
			return listV{x}, true
		case listV:
			for _, e := range x {
				if _, ok := e.(intV); !ok {
					return nil, false
				}
			}
			return append(listV(nil), x...), true
		}
	}
	return nil, false
}

// invoke inlines fn with matched arguments: it binds the shape variables of
// the declared parameter types, runs the body and checks the result against
// the declared result type.
func (i *interp) invoke(callPos ops.Pos, fn *fnDecl, fs *fileScope, inst *instance, as argSet, name string) (ret value) {
	if i.aborted {
		return bad
	}
	if i.depth >= maxDepth {
		i.errorf(callPos, CodeValue, "calls nested more than %d deep (is %s recursive?)", maxDepth, name)
		i.aborted = true
		return bad
	}
	i.depth++
	i.calls = append(i.calls, callPos)
	defer func() { i.depth--; i.calls = i.calls[:len(i.calls)-1] }()
	fr := &frame{vars: map[string]value{}, inst: inst, file: fs, fnName: name}
	bd := newBinding()
	ok := true
	for k, p := range fn.Params {
		v := as.vals[k]
		where := as.pos[k]
		if v == nil {
			if p.Default == nil {
				i.errorf(callPos, CodeArgs, "%s: missing argument %s", name, p.Name)
				ok = false
				continue
			}
			v = i.eval(fr, p.Default)
			where = startPos(p.Default)
			if isBad(v) {
				ok = false
				continue
			}
		}
		if isKind(p.Type) {
			if _, isT := v.(tensorV); !(isT && p.Type.Name == "bool") {
				c, good := coerceKind(p.Type.Name, v)
				if !good {
					i.errorf(where, CodeArgType, "%s: argument %s must be a compile-time %s, got %s", name, p.Name, p.Type.Name, kindOf(v))
					ok = false
					continue
				}
				fr.vars[p.Name] = c
				continue
			}
		}
		if handled, good := i.bindLoose(fr, bd, p, v, where, name); handled {
			ok = ok && good
			continue
		}
		if _, isList := v.(listV); isList {
			if dt, good := parseDType(p.Type.Name); good {
				if n, good := i.literalTensor(&ident{Pos: where, Name: p.Name}, v, dt, false); good {
					v = tensorV{n}
				}
			}
		}
		if _, isT := v.(tensorV); !isT {
			if n, isNum := number(v); isNum && !p.Type.HasDims {
				if dt, good := parseDType(p.Type.Name); good {
					v = tensorV{i.b.Scalar(dt, n)}
				}
			}
		}
		t, isT := v.(tensorV)
		if !isT {
			i.errorf(where, CodeArgType, "%s: argument %s must be a tensor of type %s, got %s", name, p.Name, i.renderType(fr, bd, p.Type), kindOf(v))
			ok = false
			continue
		}
		if ue := i.unify(fr, bd, p.Type, t.n.Type, p.Name); ue != nil {
			if ue.msg != silent {
				i.errorf(where, ue.code, "%s: %s", name, ue.msg)
			}
			ok = false
			continue
		}
		fr.vars[p.Name] = v
	}
	if !ok {
		return bad
	}
	for v, d := range bd.dims {
		if _, taken := fr.vars[v]; !taken {
			fr.vars[v] = intV{d}
		}
	}
	if fn.Grad != nil {
		bound := make(map[string]value, len(fr.vars))
		for k, v := range fr.vars {
			bound[k] = v
		}
		defer func() {
			if !isBad(ret) {
				ret = i.withGrad(callPos, fn, fs, inst, bound, ret, name)
			}
		}()
	}
	res, returned := i.execBlock(fr, fn.Body)
	if !returned {
		if fn.Result != nil {
			i.errorf(fn.Pos, CodeMissingRet, "%s: missing return (declared result %s)", name, i.renderType(fr, bd, fn.Result))
			return bad
		}
		return tupleV{}
	}
	if fn.Result == nil || isBad(res) {
		return res
	}
	res = i.resultLiterals(fn.Result, res)
	if ue := i.checkResult(fr, bd, fn.Result, res); ue != nil {
		if ue.msg != silent {
			diff := ""
			if tv, isT := res.(tensorV); isT {
				diff = i.typeDiff(fr, bd, fn.Result, tv.n.Type)
			}
			i.errorf(fr.retPos, CodeReturn, "%s returns %s, declared %s%s", name, ue.msg, i.renderType(fr, bd, fn.Result), diff)
		}
		return bad
	}
	return res
}

// checkResult unifies a result with the declared result type; the error's
// msg is the result's type.
func (i *interp) checkResult(fr *frame, bd *binding, t *typeExpr, v value) *unifyErr {
	if t.Tuple != nil {
		tv, ok := v.(tupleV)
		if !ok || len(tv) != len(t.Tuple) {
			return &unifyErr{CodeReturn, describeValue(v)}
		}
		for k := range tv {
			if ue := i.checkResult(fr, bd, t.Tuple[k], tv[k]); ue != nil {
				if ue.msg == silent {
					return ue
				}
				return &unifyErr{CodeReturn, describeValue(v)}
			}
		}
		return nil
	}
	if t.Sparse {
		return &unifyErr{CodeSparse, describeValue(v) + "; a function's result cannot be sparse"}
	}
	if isKind(t) {
		if _, ok := coerceKind(t.Name, v); ok {
			return nil
		}
		if tv, isT := v.(tensorV); isT && t.Name == "bool" && tv.n.Type.DType == ops.Bool && tv.n.Type.Shape.Rank() == 0 {
			return nil // a bool scalar tensor (all(x > 0.0)) is a run-time bool
		}
		return &unifyErr{CodeReturn, describeValue(v)}
	}
	tv, ok := v.(tensorV)
	if !ok {
		return &unifyErr{CodeReturn, describeValue(v)}
	}
	if ue := i.unify(fr, bd, t, tv.n.Type, "the result"); ue != nil {
		if ue.msg == silent {
			return ue
		}
		if ue.code == CodeShapeVar {
			return &unifyErr{CodeReturn, tv.n.Type.String() + " (" + ue.msg + ")"}
		}
		return &unifyErr{CodeReturn, tv.n.Type.String()}
	}
	return nil
}

func describeValue(v value) string {
	switch x := v.(type) {
	case tensorV:
		return x.n.Type.String()
	case tupleV:
		s := "("
		for k, e := range x {
			if k > 0 {
				s += ", "
			}
			s += describeValue(e)
		}
		return s + ")"
	}
	return kindOf(v)
}
