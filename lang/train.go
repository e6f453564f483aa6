package lang

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// TrainSpec is a model's train block: the defaults `nnc train` uses.
//
// Pos is the position of the block's `train` keyword. Each setting's own
// position is kept too: KeyPos gives where its name is written and ValuePos
// where its value starts, so that an error about one setting (an unknown
// key, a wrong type, a value out of range) points at that setting. A spec
// built by hand, without positions, answers Pos for every key.
type TrainSpec struct {
	Model  string
	Pos    ops.Pos
	Fields map[string]Value

	keyPos     map[string]ops.Pos
	valuePos   map[string]ops.Pos
	nested     map[string]ops.Pos // NestedPos, by nestedKey
	nestedName map[string]ops.Pos // NestedKeyPos, by nestedKey
}

// KeyPos returns the position of the name of setting key (`epochs` in
// `epochs = 20`), or the block's Pos when the block does not give key.
func (t *TrainSpec) KeyPos(key string) ops.Pos {
	if p, ok := t.keyPos[key]; ok {
		return p
	}
	return t.Pos
}

// ValuePos returns the position where the value of setting key starts
// (`20` in `epochs = 20`, `adam` in `optimizer = adam(lr = 1e-3)`), or
// the block's Pos when the block does not give key.
func (t *TrainSpec) ValuePos(key string) ops.Pos {
	if p, ok := t.valuePos[key]; ok {
		return p
	}
	return t.Pos
}

// NestedPos returns where the value at path inside setting key starts.
// The elements of path are the keyword names and argument indices ("0",
// "1") of calls, the indices of lists and the keys of maps:
// NestedPos("data", "split") is where planetoid starts in data =
// graph("g.npz", split = planetoid(20, 500, 1000)), NestedPos("data", "0")
// where "g.npz" starts. When path is not found, the position of its
// longest prefix that is, down to ValuePos(key).
func (t *TrainSpec) NestedPos(key string, path ...string) ops.Pos {
	for n := len(path); n > 0; n-- {
		if p, ok := t.nested[nestedKey(key, path[:n])]; ok {
			return p
		}
	}
	return t.ValuePos(key)
}

// NestedKeyPos returns where the keyword name or map key that ends path is
// written inside setting key (`ids` in inputs = {ids: "x"}: path "ids"),
// or NestedPos(key, path...) when it is not known.
func (t *TrainSpec) NestedKeyPos(key string, path ...string) ops.Pos {
	if p, ok := t.nestedName[nestedKey(key, path)]; ok {
		return p
	}
	return t.NestedPos(key, path...)
}

func nestedKey(key string, path []string) string {
	return key + "\x00" + strings.Join(path, "\x00")
}

// Value is a compile-time value of a train block: int64, float64, string,
// bool, []Value, Call, or Map (a setting's value only). A bare name that is
// not a constant is its string.
type Value any

// Call is a call written in a train block, such as adam(lr = 1e-3).
type Call struct {
	Name   string
	Args   []Value
	Kwargs map[string]Value
}

// Map is `{key: value, ...}`, written as the value of a train setting
// (inputs = {ids: "x", next: "y"}). Keys holds the keys in the order
// written, each once (a key written twice is an error).
type Map struct {
	Keys   []string
	Values map[string]Value
}

// MapLit is the syntax of a Map: `{key: value, ...}`. The grammar allows it
// only as the whole value of a train setting.
type MapLit struct {
	Pos    ops.Pos
	Keys   []string
	KeyPos []ops.Pos
	Values []expr
}

func (*MapLit) exprNode() {}

// Position implements expr.
func (e *MapLit) Position() ops.Pos { return e.Pos }

// fieldValue converts the value of a train setting: a map or an
// expression.
func (c *converter) fieldValue(fl *gField) expr {
	if fl.Map == nil {
		return c.expr(fl.Value)
	}
	m := &MapLit{Pos: toPos(fl.Map.Pos)}
	for _, e := range fl.Map.Entries {
		m.Keys = append(m.Keys, e.Key)
		m.KeyPos = append(m.KeyPos, toPos(e.Pos))
		m.Values = append(m.Values, c.expr(e.Value))
	}
	return m
}

// fieldEndLine is the source line where train setting f ends: the line of
// the closing brace of a map written over several lines (the lexer ends
// the line before that brace).
func (p *printer) fieldEndLine(f *trainField) int {
	if m, ok := f.Value.(*MapLit); ok {
		if i := p.ix.close(p.ix.at(m.Pos)); i < len(p.ix.toks) {
			return p.ix.toks[i].Pos.Line
		}
	}
	return p.ix.endLine(f.Pos)
}

// fieldValue prints the value of a train setting: a map on one line
// ({ids: "x", next: "y"}), or an expression.
func (p *printer) fieldValue(e expr) string {
	m, ok := e.(*MapLit)
	if !ok {
		return p.expr(e)
	}
	parts := make([]string, len(m.Keys))
	for i, k := range m.Keys {
		parts[i] = k + ": " + p.expr(m.Values[i])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// TrainModels lists the models that have a train block, in file order.
func (m *Module) TrainModels() []string { return append([]string(nil), m.order...) }

// TrainBlock returns the train block of model.
func (m *Module) TrainBlock(model string) (*TrainSpec, bool) {
	t, ok := m.trains[model]
	return t, ok
}

func (m *Module) loadTrains(ast *sourceFile, errs *ErrorList) {
	for _, t := range ast.Trains {
		if _, ok := m.file.models[t.Model]; !ok {
			msg := fmt.Sprintf("train block for undefined model %q", t.Model)
			if s := suggest(t.Model, sortedKeys(m.file.models)); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			*errs = append(*errs, &Error{Pos: t.Pos, Code: CodeUndefined, Msg: msg})
			continue
		}
		if _, dup := m.trains[t.Model]; dup {
			*errs = append(*errs, &Error{Pos: t.Pos, Code: CodeDuplicate, Msg: fmt.Sprintf("model %s already has a train block", t.Model)})
			continue
		}
		spec := &TrainSpec{Model: t.Model, Pos: t.Pos, Fields: map[string]Value{},
			keyPos: map[string]ops.Pos{}, valuePos: map[string]ops.Pos{},
			nested: map[string]ops.Pos{}, nestedName: map[string]ops.Pos{}}
		for _, f := range t.Fields {
			if _, dup := spec.Fields[f.Name]; dup {
				*errs = append(*errs, &Error{Pos: f.Pos, Code: CodeDuplicate, Msg: fmt.Sprintf("train field %s given twice", f.Name)})
				continue
			}
			tv := &trainValues{m: m, spec: spec, key: f.Name, errs: errs}
			v, ok := tv.value(f.Value, nil)
			if ok {
				spec.Fields[f.Name] = v
				spec.keyPos[f.Name] = f.Pos
				spec.valuePos[f.Name] = startPos(f.Value)
			}
		}
		m.trains[t.Model] = spec
		m.order = append(m.order, t.Model)
	}
}

// trainValues evaluates the value of one train setting, recording the
// positions of the values nested in it (TrainSpec.NestedPos).
type trainValues struct {
	m    *Module
	spec *TrainSpec
	key  string
	errs *ErrorList
}

// at records that the value at path starts at pos.
func (tv *trainValues) at(path []string, pos ops.Pos) {
	if len(path) > 0 {
		tv.spec.nested[nestedKey(tv.key, path)] = pos
	}
}

// sub is path extended by one element (a fresh slice).
func sub(path []string, elem string) []string {
	return append(append(make([]string, 0, len(path)+1), path...), elem)
}

// value evaluates a train block value found at path.
func (tv *trainValues) value(e expr, path []string) (Value, bool) {
	tv.at(path, startPos(e))
	switch x := e.(type) {
	case *intLit:
		return x.Value, true
	case *floatLit:
		return x.Value, true
	case *stringLit:
		return x.Value, true
	case *boolLit:
		return x.Value, true
	case *ident:
		switch v := tv.m.file.consts[x.Name].(type) {
		case intV:
			if c, ok := v.d.IsConst(); ok {
				return c, true
			}
		case floatV:
			return float64(v), true
		case boolV:
			return bool(v), true
		case stringV:
			return string(v), true
		}
		return x.Name, true
	case *unaryExpr:
		if x.Op == "-" {
			v, ok := tv.value(x.X, nil)
			switch n := v.(type) {
			case int64:
				return -n, ok
			case float64:
				return -n, ok
			}
		}
	case *listLit:
		out := []Value{}
		ok := true
		for i, el := range x.Elems {
			v, vok := tv.value(el, sub(path, strconv.Itoa(i)))
			ok = ok && vok
			out = append(out, v)
		}
		return out, ok
	case *callExpr:
		if id, ok := x.Fn.(*ident); ok {
			return tv.call(id.Name, x, path)
		}
	case *MapLit:
		return tv.mapValue(x, path)
	}
	*tv.errs = append(*tv.errs, &Error{Pos: startPos(e), Code: CodeNotConst, Msg: fmt.Sprintf("train block values are numbers, strings, bools, lists, names or calls such as adam(lr = 1e-3), not %s", exprLabel(e))})
	return nil, false
}

// call evaluates a call of a train block, such as adam(lr = 1e-3). A
// keyword given twice is an error at its second value.
func (tv *trainValues) call(name string, x *callExpr, path []string) (Value, bool) {
	c := Call{Name: name, Kwargs: map[string]Value{}}
	ok := true
	for i, a := range x.Args {
		v, vok := tv.value(a, sub(path, strconv.Itoa(i)))
		ok = ok && vok
		c.Args = append(c.Args, v)
	}
	for _, kw := range x.Kwargs {
		if _, dup := c.Kwargs[kw.Name]; dup {
			*tv.errs = append(*tv.errs, &Error{Pos: startPos(kw.Value), Code: CodeDuplicate, Msg: fmt.Sprintf("%s: argument %s given twice", name, kw.Name)})
			ok = false
			continue
		}
		p := sub(path, kw.Name)
		v, vok := tv.value(kw.Value, p)
		ok = ok && vok
		c.Kwargs[kw.Name] = v
		tv.spec.nestedName[nestedKey(tv.key, p)] = kw.Pos
	}
	return c, ok
}

// mapValue evaluates a `{key: value, ...}` setting. A key written twice
// is an error at its second place.
func (tv *trainValues) mapValue(x *MapLit, path []string) (Value, bool) {
	out := Map{Keys: []string{}, Values: map[string]Value{}}
	ok := true
	for i, k := range x.Keys {
		if _, dup := out.Values[k]; dup {
			*tv.errs = append(*tv.errs, &Error{Pos: x.KeyPos[i], Code: CodeDuplicate, Msg: fmt.Sprintf("key %s given twice", k)})
			ok = false
			continue
		}
		p := sub(path, k)
		v, vok := tv.value(x.Values[i], p)
		ok = ok && vok
		out.Keys = append(out.Keys, k)
		out.Values[k] = v
		tv.spec.nestedName[nestedKey(tv.key, p)] = x.KeyPos[i]
	}
	return out, ok
}
