package lang

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
)

// Custom gradients: `fn f(x: T) -> R { ... } grad(x, y, g) { ... }`.
//
// Each call of such a function is lowered as usual and its result wrapped
// with autodiff.Custom: the node's gradient is the rule registered for the
// definition, which inlines the gradient block with the call's tensor
// inputs, its output and the output's cotangent. The rule is named by the
// definition's position and name, a fingerprint of the gradient block and
// the call's compile-time values (parameters of kinds int, float, bool,
// str and the shape variables), which the rule binds as the call did.
//
// Every call also checks the block once on a scratch graph, with inputs of
// the call's types, so that a gradient of the wrong count or shape is a
// load error (E309) at the block's return, not a failure inside autodiff.

// customCall is what a rule needs of one call's configuration.
type customCall struct {
	fn       *fnDecl
	file     *fileScope
	consts   map[string]value // compile-time parameters and shape variables
	tensors  []int            // fn.Params indices bound to tensors, in operand order
	training bool
	checking bool
	types    bool
	shapes   map[string]int64
	outDType ops.DType // the output's element type at the call
	anyFloat bool      // the call was inlined with interp.anyFloat
	// active are the functions whose gradient blocks are being checked
	// further up (a block may call its own function: exp's gradient uses
	// exp), so that checking one does not start again.
	active map[*fnDecl]bool
}

// withGrad wraps the result res of a call of fn, whose parameters were
// bound as in bound (before the body ran), with fn's own gradient.
func (i *interp) withGrad(callPos ops.Pos, fn *fnDecl, fs *fileScope, inst *instance, bound map[string]value, res value, name string) value {
	gd := fn.Grad
	if inst != nil {
		i.errorf(gd.Pos, CodeCustomGrad, "%s: only a top-level function can declare its gradient (a method's params would get none)", name)
		return bad
	}
	if want := len(fn.Params) + 2; len(gd.Names) != want {
		i.errorf(gd.Pos, CodeCustomGrad, "%s: the gradient takes %d names (one per parameter, the output, its cotangent), got %d", name, want, len(gd.Names))
		return bad
	}
	seen := map[string]bool{}
	for _, n := range gd.Names {
		if seen[n] {
			i.errorf(gd.Pos, CodeCustomGrad, "%s: the gradient's name %s is given twice", name, n)
			return bad
		}
		seen[n] = true
	}
	out, ok := res.(tensorV)
	if !ok || !out.n.Type.DType.IsFloat() {
		i.errorf(fn.Pos, CodeCustomGrad, "%s: a function with its own gradient must return one float tensor, not %s", name, kindOf(res))
		return bad
	}
	cc := &customCall{fn: fn, file: fs, consts: map[string]value{}, training: i.training, checking: i.checking, types: i.types, shapes: i.shapes, outDType: out.n.Type.DType, anyFloat: i.anyFloat, active: i.activeCustom}
	var operands []*ops.Node
	paramNames := map[string]bool{}
	for k, p := range fn.Params {
		paramNames[p.Name] = true
		switch v := bound[p.Name].(type) {
		case tensorV:
			cc.tensors = append(cc.tensors, k)
			operands = append(operands, v.n)
		case intV, floatV, boolV, stringV, dtypeV:
			cc.consts[p.Name] = v
		default:
			i.errorf(p.Pos, CodeCustomGrad, "%s: parameter %s of a function with its own gradient must be a tensor or a compile-time value, not %s", name, p.Name, kindOf(v))
			return bad
		}
	}
	for k, v := range bound {
		if _, isInt := v.(intV); isInt && !paramNames[k] {
			cc.consts[k] = v // a shape variable
		}
	}
	if !i.checkCustom(cc, operands, out.n) {
		return bad
	}
	rule := cc.name()
	if err := autodiff.RegisterCustom(rule, autodiff.CustomRule{VJP: cc.vjp}); err != nil {
		panic(err) // the name and VJP are set
	}
	old := i.b.SetPos(callPos)
	defer i.b.SetPos(old)
	n, err := autodiff.Custom(i.b, rule, operands, out.n)
	if err != nil {
		panic(err) // registered above
	}
	return tensorV{n}
}

// name is the rule's registry name.
func (cc *customCall) name() string {
	h := fnv.New64a()
	writeStmts(h, cc.fn.Grad.Body)
	fmt.Fprintf(h, "|%s", strings.Join(cc.fn.Grad.Names, ","))
	keys := make([]string, 0, len(cc.consts))
	for k := range cc.consts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var cfg []string
	for _, k := range keys {
		v := cc.consts[k]
		if d, isInt := v.(intV); isInt {
			v = d.d.String()
		}
		cfg = append(cfg, fmt.Sprintf("%s=%v", k, v))
	}
	return fmt.Sprintf("%v %s #%016x [%s]", cc.fn.Pos, cc.fn.Name, h.Sum64(), strings.Join(cfg, " "))
}

// writeStmts writes a rendering of stmts (for the fingerprint).
func writeStmts(w interface{ Write([]byte) (int, error) }, stmts []stmt) {
	for _, s := range stmts {
		switch x := s.(type) {
		case *returnStmt:
			fmt.Fprintf(w, "return %s;", joinExprs(x.Values))
		case *assignStmt:
			fmt.Fprintf(w, "%s=%s;", strings.Join(x.Names, ","), exprString(x.Value))
		case *updateStmt:
			fmt.Fprintf(w, "%s<-%s;", x.Name, exprString(x.Value))
		case *ifStmt:
			fmt.Fprintf(w, "if %s{", exprString(x.Cond))
			writeStmts(w, x.Then)
			fmt.Fprint(w, "}else{")
			writeStmts(w, x.Else)
			fmt.Fprint(w, "}")
		case *forStmt:
			fmt.Fprintf(w, "for %s in %s..%s{", x.Var, exprString(x.From), exprString(x.To))
			writeStmts(w, x.Body)
			fmt.Fprint(w, "}")
		}
	}
}

func joinExprs(es []expr) string {
	parts := make([]string, len(es))
	for k, e := range es {
		parts[k] = exprString(e)
	}
	return strings.Join(parts, ",")
}

// run inlines the gradient block on b for the float tensor inputs among
// operands, and returns one gradient per operand (nil for the others).
// User errors come back in errs.
func (cc *customCall) run(b *ops.Builder, operands []*ops.Node, out, g *ops.Node) ([]*ops.Node, ErrorList) {
	fn, gd := cc.fn, cc.fn.Grad
	sub := &interp{b: b, training: cc.training, checking: cc.checking, types: cc.types, shapes: cc.shapes, activeCustom: cc.active}
	// Differentiated in another float type than the call's (nnc gradcheck
	// rebuilds graphs in f64): declared float types of the functions the
	// block calls accept any float type.
	sub.anyFloat = cc.anyFloat || out.Type.DType != cc.outDType
	label := fn.Name + "'s gradient"
	fr := &frame{vars: map[string]value{}, file: cc.file, fnName: label, retPos: gd.Pos}
	for k, v := range cc.consts {
		fr.vars[k] = v
	}
	for k, p := range fn.Params {
		if v, ok := cc.consts[p.Name]; ok {
			fr.vars[gd.Names[k]] = v
		}
	}
	var floats []int // operand indices of the float inputs
	for j, k := range cc.tensors {
		fr.vars[gd.Names[k]] = tensorV{operands[j]}
		if operands[j].Type.DType.IsFloat() {
			floats = append(floats, j)
		}
	}
	n := len(fn.Params)
	fr.vars[gd.Names[n]] = tensorV{out}
	fr.vars[gd.Names[n+1]] = tensorV{g}
	res, returned := sub.execBlock(fr, gd.Body)
	if len(sub.errs) > 0 {
		return nil, sub.errs
	}
	fail := func(format string, a ...any) ([]*ops.Node, ErrorList) {
		return nil, ErrorList{{Pos: fr.retPos, Code: CodeCustomGrad, Msg: label + ": " + fmt.Sprintf(format, a...)}}
	}
	if !returned {
		return fail("missing return (one cotangent per float tensor parameter)")
	}
	var vals []value
	if len(floats) == 1 {
		vals = []value{res}
	} else if t, ok := res.(tupleV); ok {
		vals = t
	} else {
		vals = []value{res}
	}
	if len(vals) != len(floats) {
		return fail("returns %d values for %d float tensor parameters", len(vals), len(floats))
	}
	grads := make([]*ops.Node, len(operands))
	for k, j := range floats {
		p := fn.Params[cc.tensors[j]]
		t, ok := vals[k].(tensorV)
		if !ok {
			return fail("the cotangent of %s is %s, not a tensor", p.Name, kindOf(vals[k]))
		}
		want := operands[j].Type
		if !t.n.Type.Equal(want) {
			return fail("the cotangent of %s is %v; it must have %s's type %v", p.Name, t.n.Type, p.Name, want)
		}
		grads[j] = t.n
	}
	return grads, nil
}

// vjp is the autodiff rule.
func (cc *customCall) vjp(b *ops.Builder, inputs []*ops.Node, out, g *ops.Node) ([]*ops.Node, error) {
	gs, errs := cc.run(b, inputs, out, g)
	if errs != nil {
		return nil, errs
	}
	return gs, nil
}

// checkCustom runs the gradient block once on a scratch graph with inputs
// of the call's types and reports its errors.
func (i *interp) checkCustom(cc *customCall, operands []*ops.Node, out *ops.Node) bool {
	if cc.active[cc.fn] {
		return true // checked further up
	}
	active := map[*fnDecl]bool{cc.fn: true}
	for f := range cc.active {
		active[f] = true
	}
	defer func(old map[*fnDecl]bool) { cc.active = old }(cc.active)
	cc.active = active
	b := ops.NewBuilder()
	ins := make([]*ops.Node, len(operands))
	for k, o := range operands {
		ins[k] = b.Input(fmt.Sprintf("x%d", k), o.Type)
	}
	y := b.Input("y", out.Type)
	g := b.Input("g", out.Type)
	_, errs := cc.run(b, ins, y, g)
	i.errs = append(i.errs, errs...)
	return len(errs) == 0
}
