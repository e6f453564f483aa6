package lang

import (
	"fmt"

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

	keyPos   map[string]ops.Pos
	valuePos map[string]ops.Pos
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

// Value is a compile-time value of a train block: int64, float64, string,
// bool, []Value, or Call. A bare name that is not a constant is its string.
type Value any

// Call is a call written in a train block, such as adam(lr = 1e-3).
type Call struct {
	Name   string
	Args   []Value
	Kwargs map[string]Value
}

// TrainModels lists the models that have a train block, in file order.
func (m *Module) TrainModels() []string { return append([]string(nil), m.order...) }

// TrainBlock returns the train block of model.
func (m *Module) TrainBlock(model string) (*TrainSpec, bool) {
	t, ok := m.trains[model]
	return t, ok
}

func (m *Module) loadTrains(ast *File, errs *ErrorList) {
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
			keyPos: map[string]ops.Pos{}, valuePos: map[string]ops.Pos{}}
		for _, f := range t.Fields {
			if _, dup := spec.Fields[f.Name]; dup {
				*errs = append(*errs, &Error{Pos: f.Pos, Code: CodeDuplicate, Msg: fmt.Sprintf("train field %s given twice", f.Name)})
				continue
			}
			v, ok := m.trainValue(f.Value, errs)
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

// trainValue evaluates a train block value.
func (m *Module) trainValue(e Expr, errs *ErrorList) (Value, bool) {
	switch x := e.(type) {
	case *IntLit:
		return x.Value, true
	case *FloatLit:
		return x.Value, true
	case *StringLit:
		return x.Value, true
	case *BoolLit:
		return x.Value, true
	case *Ident:
		switch v := m.file.consts[x.Name].(type) {
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
	case *Unary:
		if x.Op == "-" {
			v, ok := m.trainValue(x.X, errs)
			switch n := v.(type) {
			case int64:
				return -n, ok
			case float64:
				return -n, ok
			}
		}
	case *ListLit:
		out := []Value{}
		for _, el := range x.Elems {
			v, ok := m.trainValue(el, errs)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	case *CallExpr:
		id, ok := x.Fn.(*Ident)
		if !ok {
			break
		}
		c := Call{Name: id.Name, Kwargs: map[string]Value{}}
		for _, a := range x.Args {
			v, ok := m.trainValue(a, errs)
			if !ok {
				return nil, false
			}
			c.Args = append(c.Args, v)
		}
		for _, kw := range x.Kwargs {
			v, ok := m.trainValue(kw.Value, errs)
			if !ok {
				return nil, false
			}
			c.Kwargs[kw.Name] = v
		}
		return c, true
	}
	*errs = append(*errs, &Error{Pos: startPos(e), Code: CodeNotConst, Msg: fmt.Sprintf("train block values are numbers, strings, bools, lists, names or calls such as adam(lr = 1e-3), not %s", exprLabel(e))})
	return nil, false
}
