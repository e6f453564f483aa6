package lang

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/nnclang/nnc/ops"
)

// Signature is the callee of the call around a position, for signature
// help.
type Signature struct {
	// Label is the call form: "Dense(n_in: int, n_out: int)",
	// "softmax(x, axis = -1)".
	Label string
	// Params are each parameter's start and end (exclusive) in Label,
	// counted in runes.
	Params [][2]int
	// Active is the index in Params of the argument the position is in:
	// the count of commas before it, or the parameter a keyword argument
	// names; -1 when it is in none (an unknown keyword, too many
	// arguments).
	Active int
	// Doc is a built-in's documentation, "" for a declared function.
	Doc string
	// names are the parameters' names, for keyword arguments.
	names []string
	// variadic is set when the last parameter takes any number of
	// arguments.
	variadic bool
}

// SignatureAt describes the call whose parentheses enclose line:col of
// src, the text being edited (which need not parse: the tokens before the
// position are read from src, the callee's declaration from the analysis,
// which may be of an older text). The callee may be a built-in, a
// function, a model (its constructor's arguments), a model value (its
// forward method), a module's function or model (nn.Dense) or a model
// value's method. It reports false outside a call or when the callee is
// unknown.
func (a *Analysis) SignatureAt(file string, src []byte, line, col int) (*Signature, bool) {
	qf := a.files[file]
	if qf == nil {
		return nil, false
	}
	off, ok := byteOffset(src, line, col)
	if !ok {
		return nil, false
	}
	toks, err := tokenize(file, src[:off])
	if err != nil {
		return nil, false
	}
	callee, qual, kw, commas, ok := openCall(toks)
	if !ok {
		return nil, false
	}
	ctx := qf.scopeAt(line, col)
	sig, ok := a.calleeSignature(qf, ctx, qual, callee)
	if !ok {
		return nil, false
	}
	sig.Active = commas
	if kw != "" {
		sig.Active = -1
		for k, n := range sig.names {
			if n == kw {
				sig.Active = k
			}
		}
	} else if commas >= len(sig.Params) {
		sig.Active = -1
		if sig.variadic {
			sig.Active = len(sig.Params) - 1
		}
	}
	return sig, true
}

// byteOffset is the byte offset of line:col (1-based, runes) in src.
func byteOffset(src []byte, line, col int) (int, bool) {
	l, c := 1, 1
	for i := 0; i <= len(src); {
		if l == line && c == col {
			return i, true
		}
		if i == len(src) || l > line {
			break
		}
		r, n := utf8.DecodeRune(src[i:])
		if r == '\n' {
			if l == line {
				return i, true // past the line's end: at its end
			}
			l, c = l+1, 1
		} else {
			c++
		}
		i += n
	}
	return 0, false
}

// openCall scans toks backwards for the innermost call left open: its
// callee's name and qualifier (nn in nn.Dense), the keyword argument being
// written, if any, and the count of commas before the last argument.
func openCall(toks []lexer.Token) (callee, qual, kw string, commas int, ok bool) {
	depth := 0
	k := len(toks) - 1
	for k >= 0 && (toks[k].Type == tokNL || toks[k].Type == tokEOF) {
		k-- // the newline the lexer supplies at the end
	}
	for ; k >= 0; k-- {
		t := toks[k]
		if t.Type != tokPunct {
			if t.Type == tokNL && depth == 0 {
				return "", "", "", 0, false
			}
			continue
		}
		switch t.Value {
		case ")", "]":
			depth++
		case "[":
			if depth == 0 {
				return "", "", "", 0, false
			}
			depth--
		case "(":
			if depth == 0 {
				goto open
			}
			depth--
		case "{", "}":
			return "", "", "", 0, false
		case ",":
			if depth == 0 {
				commas++
			}
		case "=":
			if depth == 0 && commas == 0 && k > 0 && toks[k-1].Type == tokIdent {
				kw = toks[k-1].Value
			}
		}
	}
	return "", "", "", 0, false
open:
	if k == 0 || toks[k-1].Type != tokIdent || isKeyword(toks[k-1].Value) {
		return "", "", "", 0, false
	}
	if k >= 2 && (toks[k-2].Value == "fn" || toks[k-2].Value == "model") {
		return "", "", "", 0, false // a declaration's parameters
	}
	callee = toks[k-1].Value
	if k >= 3 && toks[k-2].Value == "." && toks[k-3].Type == tokIdent {
		qual = toks[k-3].Value
	}
	return callee, qual, kw, commas, true
}

// isKeyword reports whether a name is one of the language's keywords.
func isKeyword(s string) bool {
	for _, k := range keywords {
		if k == s {
			return true
		}
	}
	return false
}

// calleeSignature finds the declaration of the callee qual.name (name
// alone when qual is "") in ctx and writes its signature.
func (a *Analysis) calleeSignature(qf *queryFile, ctx scopeCtx, qual, name string) (*Signature, bool) {
	var d declRef
	found := false
	if qual == "" {
		d, found = a.resolve(qf, name, ops.Pos{}, ctx)
		if !found && isBuiltin(name) {
			return builtinSig(name), true
		}
	} else if q, ok := a.resolve(qf, qual, ops.Pos{}, ctx); ok {
		switch {
		case q.kind == "import":
			if im := qf.scope.imports[qual]; im != nil && a.files[im.ast.Name] != nil {
				d, found = a.files[im.ast.Name].top[name]
			}
		case q.value != nil:
			if inst, ok := a.obs.vals[q.value].(*instance); ok && a.files[inst.file.ast.Name] != nil {
				d, found = a.files[inst.file.ast.Name].members[inst.decl][name]
			}
		}
	}
	if !found {
		return nil, false
	}
	switch {
	case d.fn != nil:
		return declSig(d.fn.Name, d.fn.Params, d.fn.Result), true
	case d.model != nil:
		return declSig(d.model.Name, d.model.Args, nil), true
	case d.value != nil:
		// A model value: calling it calls its forward method.
		if inst, ok := a.obs.vals[d.value].(*instance); ok && a.files[inst.file.ast.Name] != nil {
			if f, ok := a.files[inst.file.ast.Name].members[inst.decl]["forward"]; ok && f.fn != nil {
				return declSig(name, f.fn.Params, f.fn.Result), true
			}
		}
	}
	return nil, false
}

// declSig writes a declared function's or model's signature.
func declSig(name string, ps []*paramDecl, result *typeExpr) *Signature {
	s := &Signature{}
	var b strings.Builder
	b.WriteString(name + "(")
	for k, p := range ps {
		if k > 0 {
			b.WriteString(", ")
		}
		start := utf8.RuneCountInString(b.String())
		b.WriteString(paramsText([]*paramDecl{p}))
		s.names = append(s.names, p.Name)
		s.Params = append(s.Params, [2]int{start, utf8.RuneCountInString(b.String())})
	}
	b.WriteString(")")
	if result != nil {
		b.WriteString(" -> " + typeText(result))
	}
	s.Label = b.String()
	return s
}

// builtinSig writes a built-in's signature: its operands, then its
// keyword arguments with their defaults, and its documentation.
func builtinSig(name string) *Signature {
	s := &Signature{}
	op := registryBuiltins()[name]
	if op == nil || op.Builtin == nil {
		s.Label = builtinSignature(name)
		return s
	}
	var parts []string
	for _, o := range op.Builtin.Operands {
		p := o.Name
		s.names = append(s.names, o.Name)
		if o.Kind == ops.VariadicOperand {
			p += "..."
			s.variadic = len(op.Builtin.Attrs) == 0
		}
		if o.Optional {
			p += "?"
		}
		parts = append(parts, p)
	}
	for _, at := range op.Builtin.Attrs {
		p := at.Name
		s.names = append(s.names, at.Name)
		if at.Default != nil {
			p += fmt.Sprintf(" = %v", at.Default)
		} else if !at.Required && at.Missing == "" {
			p += "?" // optional, without a default: left out unless given
		}
		parts = append(parts, p)
	}
	at := utf8.RuneCountInString(name) + 1
	for _, p := range parts {
		n := utf8.RuneCountInString(p)
		s.Params = append(s.Params, [2]int{at, at + n})
		at += n + 2
	}
	s.Label, s.Doc = name+"("+strings.Join(parts, ", ")+")", op.Doc
	return s
}
