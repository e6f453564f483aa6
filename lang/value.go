package lang

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/nnclang/nnc/ops"
)

// The checker interprets a program symbolically: every expression evaluates
// to one of these values.

type value any

// invalidV is the value of an expression whose error was already reported;
// operations on it report nothing and give invalidV again (no cascades).
type invalidV struct{}

var bad value = invalidV{}

type tensorV struct{ n *ops.Node } // a graph node
type intV struct{ d ops.Dim }      // a compile-time int, possibly symbolic
type floatV float64                // a compile-time float
type boolV bool                    // a compile-time bool
type stringV string                // a compile-time string
type dtypeV ops.DType              // an element type used as a value (cast(x, f64))
type tupleV []value                // several values (returned, destructured)
type listV []value                 // [a, b]: shapes, axes, sub-model lists
type fnV struct {                  // a top-level function
	fn   *fnDecl
	file *fileScope
}
type methodV struct { // a model instance's method
	inst *instance
	fn   *fnDecl
}
type builtinV string // a built-in function
type modelDeclV struct {
	m    *modelDecl
	file *fileScope
}
type namespaceV struct{ file *fileScope } // an imported module (nn)
type paramsV struct{ inst *instance }     // `params`

// instance is a model built with concrete (or symbolic) arguments.
type instance struct {
	decl    *modelDecl
	file    *fileScope
	path    string // "" for the entry model, "l1", "blocks.3"
	args    map[string]value
	members map[string]value
	params  []*ops.Node // own params, in declaration order
	states  []*ops.Node
	subs    []*instance // direct sub-models, in declaration order
}

// allLeaves collects the params (or states) of inst and its sub-models.
func (inst *instance) allLeaves(states bool) []*ops.Node {
	var out []*ops.Node
	var walk func(*instance)
	walk = func(x *instance) {
		if states {
			out = append(out, x.states...)
		} else {
			out = append(out, x.params...)
		}
		for _, s := range x.subs {
			walk(s)
		}
	}
	walk(inst)
	sortByName(out)
	return out
}

// sortByName sorts leaves by their name (path), stably.
func sortByName(ns []*ops.Node) {
	type named struct {
		name string
		n    *ops.Node
	}
	ks := make([]named, len(ns))
	for i, n := range ns {
		ks[i] = named{n.Name(), n}
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].name < ks[j].name })
	for i, k := range ks {
		ns[i] = k.n
	}
}

func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// kindOf names a value's kind for messages.
func kindOf(v value) string {
	switch x := v.(type) {
	case tensorV:
		return "a tensor of type " + x.n.Type.String()
	case sparseV:
		return "a sparse matrix of type " + x.typeString()
	case intV:
		return "an int"
	case floatV:
		return "a float"
	case boolV:
		return "a bool"
	case stringV:
		return "a string"
	case dtypeV:
		return "an element type"
	case tupleV:
		return fmt.Sprintf("a tuple of %d values", len(x))
	case listV:
		return "a list"
	case fnV:
		return "function " + x.fn.Name
	case methodV:
		return "method " + x.fn.Name
	case builtinV:
		return "built-in " + string(x)
	case modelDeclV:
		return "model " + x.m.Name
	case namespaceV:
		return "module " + x.file.name
	case paramsV:
		return "params"
	case *instance:
		return "a " + x.decl.Name + " instance"
	}
	return "a value"
}

// constInt reports whether v is a compile-time int with a known value.
func constInt(v value) (int64, bool) {
	if x, ok := v.(intV); ok {
		return x.d.IsConst()
	}
	return 0, false
}

// number returns a compile-time numeric value as float64.
func number(v value) (float64, bool) {
	switch x := v.(type) {
	case floatV:
		return float64(x), true
	case intV:
		if c, ok := x.d.IsConst(); ok {
			return float64(c), true
		}
	}
	return 0, false
}

func isBad(vs ...value) bool {
	for _, v := range vs {
		if _, ok := v.(invalidV); ok {
			return true
		}
		if t, ok := v.(tupleV); ok && isBad(t...) {
			return true
		}
		if l, ok := v.(listV); ok && isBad(l...) {
			return true
		}
	}
	return false
}

// exprString prints an expression as source text, in full (used where the
// text is a key; messages use exprLabel).
func exprString(e expr) string {
	w := &exprWriter{maxDepth: 1 << 30, maxLen: 1 << 62}
	writeExpr(w, e, 0)
	return w.String()
}

// Operand labels in messages are cut to this depth of the expression tree
// and about this many bytes, so that labelling costs O(1) per operand and
// checking stays linear in the size of the source.
const (
	maxLabelDepth = 12
	maxLabelLen   = 100
)

// exprLabel prints an expression as source text to label an operand in a
// message ("x is f32[B, 64], W is f32[32, 128]"): subexpressions deeper
// than maxLabelDepth print as "…", and a label longer than maxLabelLen
// is cut and ends in "…".
func exprLabel(e expr) string {
	w := &exprWriter{maxDepth: maxLabelDepth, maxLen: maxLabelLen}
	writeExpr(w, e, 0)
	s := w.String()
	if len(s) <= maxLabelLen+len("…") {
		return s
	}
	cut := maxLabelLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// exprWriter collects the text of an expression, with limits on the depth
// it descends to and the length it writes.
type exprWriter struct {
	strings.Builder
	depth, maxDepth, maxLen int
}

var precOf = map[string]int{
	"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
	"+": 4, "-": 4, "*": 5, "/": 5, "@": 5, "%": 5, "**": 7,
}

// full reports whether the label has reached its length: what follows is
// cut, so a list stops there instead of writing "…" once per element.
func (w *exprWriter) full() bool { return w.Len() >= w.maxLen }

// sep writes the separator before an item of a list (nothing before the
// first) and reports whether to write the item: once the label is full, it
// writes ", …" instead and the list stops.
func (w *exprWriter) sep(first bool) bool {
	switch {
	case first:
		return true
	case w.full():
		w.WriteString(", …")
		return false
	}
	w.WriteString(", ")
	return true
}

func writeExpr(w *exprWriter, e expr, prec int) {
	if w.depth >= w.maxDepth || w.full() {
		w.WriteString("…")
		return
	}
	w.depth++
	defer func() { w.depth-- }()
	switch x := e.(type) {
	case *ident:
		w.WriteString(x.Name)
	case *intLit:
		fmt.Fprint(w, x.Value)
	case *floatLit:
		w.WriteString(x.Text)
	case *stringLit:
		fmt.Fprintf(w, "%q", x.Value)
	case *boolLit:
		fmt.Fprint(w, x.Value)
	case *binaryExpr:
		p := precOf[x.Op]
		if p < prec {
			w.WriteString("(")
		}
		if x.Op == "**" {
			writeExpr(w, x.X, p+1)
			w.WriteString(" ** ")
			writeExpr(w, x.Y, 6)
		} else {
			writeExpr(w, x.X, p)
			w.WriteString(" " + x.Op + " ")
			writeExpr(w, x.Y, p+1)
		}
		if p < prec {
			w.WriteString(")")
		}
	case *unaryExpr:
		if prec > 6 {
			w.WriteString("(")
		}
		w.WriteString(x.Op)
		writeExpr(w, x.X, 6)
		if prec > 6 {
			w.WriteString(")")
		}
	case *callExpr:
		writeExpr(w, x.Fn, 8)
		w.WriteString("(")
		for i, a := range x.Args {
			if !w.sep(i == 0) {
				break
			}
			writeExpr(w, a, 0)
		}
		for i, k := range x.Kwargs {
			if !w.sep(i == 0 && len(x.Args) == 0) {
				break
			}
			w.WriteString(k.Name + " = ")
			writeExpr(w, k.Value, 0)
		}
		w.WriteString(")")
	case *attrExpr:
		writeExpr(w, x.X, 8)
		w.WriteString("." + x.Name)
	case *indexExpr:
		writeExpr(w, x.X, 8)
		w.WriteString("[")
		for i, it := range x.Indices {
			if !w.sep(i == 0) {
				break
			}
			writeIndexItem(w, it)
		}
		w.WriteString("]")
	case *tupleLit:
		w.WriteString("(")
		for i, el := range x.Elems {
			if !w.sep(i == 0) {
				break
			}
			writeExpr(w, el, 0)
		}
		w.WriteString(")")
	case *listLit:
		w.WriteString("[")
		for i, el := range x.Elems {
			if !w.sep(i == 0) {
				break
			}
			writeExpr(w, el, 0)
		}
		w.WriteString("]")
	case *listComp:
		w.WriteString("[")
		writeExpr(w, x.Elem, 0)
		w.WriteString(" for " + x.Var + " in ")
		writeExpr(w, x.From, 4)
		w.WriteString("..")
		writeExpr(w, x.To, 4)
		w.WriteString("]")
	}
}

// writeIndexItem writes one index of x[...]: `...`, an expression or a
// slice lo:hi:step.
func writeIndexItem(w *exprWriter, it *indexItem) {
	if it.Ellipsis {
		w.WriteString("...")
		return
	}
	if it.Lo != nil {
		writeExpr(w, it.Lo, 0)
	}
	if it.Slice {
		w.WriteString(":")
		if it.Hi != nil {
			writeExpr(w, it.Hi, 0)
		}
		if it.Step != nil {
			w.WriteString(":")
			writeExpr(w, it.Step, 0)
		}
	}
}
