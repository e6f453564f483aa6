package lang

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

// initializers are the names allowed after `param name: type =`, with the
// keyword arguments each takes (stored as float64 attributes).
var initializers = map[string][]string{
	"zeros": nil, "ones": nil, "constant": {"value"},
	"normal": {"mean", "std"}, "uniform": {"low", "high"},
	"glorot_uniform": {"gain"}, "glorot_normal": {"gain"},
	"he_uniform": {"gain"}, "he_normal": {"gain"}, "orthogonal": {"gain"},
}

// instantiate builds model m at path: arguments, params and states (as
// builder leaves), sub-models and methods. With symbolic, arguments without
// a value become symbolic dimensions.
func (i *interp) instantiate(callPos ops.Pos, m *modelDecl, fs *fileScope, path string, as argSet, symbolic bool) value {
	if i.depth >= maxDepth {
		i.errorf(callPos, CodeValue, "models nested more than %d deep (is %s recursive?)", maxDepth, m.Name)
		i.aborted = true
		return bad
	}
	i.depth++
	i.calls = append(i.calls, callPos)
	defer func() { i.depth--; i.calls = i.calls[:len(i.calls)-1] }()
	inst := &instance{decl: m, file: fs, path: path, args: map[string]value{}, members: map[string]value{}}
	fr := &frame{vars: map[string]value{}, inst: inst, file: fs, fnName: m.Name}
	ok := true
	for k, a := range m.Args {
		if _, dup := inst.args[a.Name]; dup {
			i.errorf(a.Pos, CodeDuplicate, "argument %s declared twice", a.Name)
			continue
		}
		v := as.vals[k]
		where := as.pos[k]
		if v == nil {
			switch {
			case a.Default != nil:
				v, where = i.eval(fr, a.Default), startPos(a.Default)
			case symbolic && a.Type != nil && a.Type.Name == "int":
				v = i.valueDim(a.Name)
			case symbolic && a.Type != nil && (a.Type.Name == "int" || !isKind(a.Type)):
				v = intV{ops.DimVar(a.Name)}
			case symbolic && i.checking && a.Type != nil:
				// Checking only: a stand-in value of the argument's kind.
				v = map[string]value{"float": floatV(0.5), "bool": boolV(false), "str": stringV(""), "string": stringV(""),
					"ints": listV{intV{ops.DimConst(1)}}}[a.Type.Name]
			case symbolic:
				i.errorf(callPos, CodeArgs, "model %s: argument %s has no default: give it a value", m.Name, a.Name)
				v = bad
			default:
				i.errorf(callPos, CodeArgs, "%s: missing argument %s", m.Name, a.Name)
				v = bad
			}
		}
		if isBad(v) {
			inst.args[a.Name] = bad
			ok = false
			continue
		}
		kind := "int"
		if a.Type != nil {
			kind = a.Type.Name
		}
		if !isKind(a.Type) {
			i.errorf(a.Type.Pos, CodeArgType, "model argument %s: kind must be int, ints, float, bool or str, not %s", a.Name, i.renderType(fr, nil, a.Type))
			inst.args[a.Name] = bad
			ok = false
			continue
		}
		c, good := coerceKind(kind, v)
		if !good {
			i.errorf(where, CodeArgType, "%s: argument %s must be a compile-time %s, got %s", m.Name, a.Name, kind, kindOf(v))
			inst.args[a.Name] = bad
			ok = false
			continue
		}
		inst.args[a.Name] = c
	}
	if !ok {
		return bad
	}
	declared := map[string]ops.Pos{}
	for _, mem := range m.Members {
		var name string
		var p ops.Pos
		switch d := mem.(type) {
		case *leafDecl:
			name, p = d.Name, d.Pos
		case *subDecl:
			name, p = d.Name, d.Pos
		case *fnDecl:
			name, p = d.Name, d.Pos
		}
		if prev, dup := declared[name]; dup {
			i.errorf(p, CodeDuplicate, "%s is already declared in %s at %v", name, m.Name, prev)
			continue
		}
		if _, dup := inst.args[name]; dup {
			i.errorf(p, CodeDuplicate, "%s is already an argument of %s", name, m.Name)
			continue
		}
		declared[name] = p
		switch d := mem.(type) {
		case *leafDecl:
			inst.members[name] = i.leaf(fr, inst, d)
		case *subDecl:
			i.pos = d.Pos
			i.instPath, i.instOK = joinPath(path, name), true
			v := i.eval(fr, d.Value)
			i.instOK = false
			switch x := v.(type) {
			case *instance:
				inst.subs = append(inst.subs, x)
			case listV:
				for _, el := range x {
					if s, isInst := el.(*instance); isInst {
						inst.subs = append(inst.subs, s)
					}
				}
			case tensorV:
				i.errorf(startPos(d.Value), CodeNotConst, "member %s of %s must be a sub-model or a compile-time value, not %s", name, m.Name, kindOf(v))
				v = bad
			}
			inst.members[name] = v
		case *fnDecl:
			inst.members[name] = methodV{inst, d}
		}
	}
	return inst
}

// leaf declares a param or state of inst in the builder.
func (i *interp) leaf(fr *frame, inst *instance, d *leafDecl) value {
	i.pos = d.Pos
	what := "param"
	if d.State {
		what = "state"
	}
	path := joinPath(inst.path, d.Name)
	if d.Type == nil || d.Type.Tuple != nil || isKind(d.Type) && d.Type.Name != "bool" {
		i.errorf(d.Pos, CodeArgType, "%s %s must have a tensor type", what, d.Name)
		return bad
	}
	dt, ok := parseDType(d.Type.Name)
	if !ok {
		i.errorf(d.Type.Pos, CodeUndefined, "unknown element type %s", d.Type.Name)
		return bad
	}
	var shape ops.Shape
	for _, de := range d.Type.Dims {
		if de.Ellipsis {
			i.errorf(de.Pos, CodeParamShape, "%s %s: ... is not allowed in a %s's shape", what, d.Name, what)
			return bad
		}
		if name, isVar := i.shapeVar(fr, de.Expr); isVar {
			i.errorf(de.Pos, CodeParamShape, "%s %s: dimension %s is not a model argument or constant (shape variables are not allowed in a %s's shape)", what, d.Name, name, what)
			return bad
		}
		v, err := i.evalDim(fr, nil, de.Expr)
		if err != "" {
			if err != silent {
				i.errorf(de.Pos, CodeValue, "%s", err)
			}
			return bad
		}
		if c, isC := v.IsConst(); isC && c < 0 {
			i.errorf(de.Pos, CodeValue, "%s %s: dimension %s is negative (%d)", what, d.Name, exprLabel(de.Expr), c)
			return bad
		}
		if _, isC := v.IsConst(); !isC && !i.checking {
			i.errorf(de.Pos, CodeParamShape, "%s %s: dimension %s is not known when the model is built: give model argument %v a value", what, path, exprLabel(de.Expr), v)
			return bad
		}
		shape = append(shape, v)
	}
	t := ops.Type{DType: dt, Shape: shape}
	if err := t.CheckSize(); err != nil {
		i.errorf(d.Pos, CodeTooLarge, "%s %s: %v", what, path, err)
		return bad
	}
	attrs, ok := i.initAttrs(fr, d)
	if !ok {
		return bad
	}
	op := ops.Param
	if d.State {
		op = ops.State
	}
	if n, exists := i.b.Leaf(op, path); exists && !n.Type.Equal(t) {
		i.errorf(d.Pos, CodeParamShape, "%s %s is %v here but %v in the graph being built", what, path, t, n.Type)
		return bad
	}
	old := i.b.SetPos(d.Pos)
	defer i.b.SetPos(old)
	var n *ops.Node
	if d.State {
		n = i.b.State(path, t, attrs)
		inst.states = append(inst.states, n)
	} else {
		n = i.b.Param(path, t, attrs)
		inst.params = append(inst.params, n)
	}
	return tensorV{n}
}

// initAttrs reads a param's initializer call into attributes.
func (i *interp) initAttrs(fr *frame, d *leafDecl) (ops.Attrs, bool) {
	if d.Init == nil {
		return ops.Attrs{"init": "zeros"}, true
	}
	call, ok := d.Init.(*callExpr)
	var name string
	if ok {
		if id, isID := call.Fn.(*ident); isID {
			name = id.Name
		}
	}
	keys, known := initializers[name]
	if !known {
		if name == "" {
			i.errorf(startPos(d.Init), CodeNotCallable, "the initializer of %s must be a call such as glorot_uniform() or zeros()", d.Name)
			return nil, false
		}
		var names []string
		for k := range initializers {
			names = append(names, k)
		}
		msg := fmt.Sprintf("unknown initializer %s", name)
		if s := suggest(name, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		i.errorf(call.Pos, CodeUndefined, "%s", msg)
		return nil, false
	}
	attrs := ops.Attrs{"init": name}
	set := func(key string, e expr) bool {
		v := i.eval(fr, e)
		if isBad(v) {
			return false
		}
		n, isNum := number(v)
		if !isNum {
			i.errorf(startPos(e), CodeArgType, "%s: %s must be a compile-time number, got %s", name, key, kindOf(v))
			return false
		}
		attrs[key] = n
		return true
	}
	good := true
	if len(call.Args) > len(keys) {
		i.errorf(call.Pos, CodeArgs, "%s takes %d positional arguments, got %d", name, len(keys), len(call.Args))
		return nil, false
	}
	for k, a := range call.Args {
		good = set(keys[k], a) && good
	}
	for _, kw := range call.Kwargs {
		allowed := false
		for _, k := range keys {
			allowed = allowed || k == kw.Name
		}
		if !allowed {
			msg := fmt.Sprintf("%s has no argument %s", name, kw.Name)
			if s := suggest(kw.Name, keys); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			i.errorf(kw.Pos, CodeArgs, "%s", msg)
			good = false
			continue
		}
		good = set(kw.Name, kw.Value) && good
	}
	return attrs, good
}
