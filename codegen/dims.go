package codegen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// symShapeExpr writes a symbolic shape as a Go expression that rebuilds
// it with ops' own arithmetic (ops.DimVar, Add, Mul, and divDim for a
// floor quotient), so that the generated package's shapes are equal, as
// ops.Dim values, to the plan's.
func symShapeExpr(s ops.Shape) (string, error) {
	if s == nil {
		return "ops.Shape(nil)", nil
	}
	parts := make([]string, len(s))
	for i, d := range s {
		e, err := dimExpr(d)
		if err != nil {
			return "", err
		}
		parts[i] = e
	}
	return "ops.Shape{" + strings.Join(parts, ", ") + "}", nil
}

// dimExpr writes d as Go and checks, by rebuilding it, that the text is d.
func dimExpr(d ops.Dim) (string, error) {
	if c, ok := d.IsConst(); ok {
		return "ops.DimConst(" + strconv.FormatInt(c, 10) + ")", nil
	}
	if d.Overflowed() {
		return "", fmt.Errorf("a dimension overflows")
	}
	expr, got, err := parseDim(d.String())
	if err != nil {
		return "", fmt.Errorf("dimension %v: %v", d, err)
	}
	if got != d {
		return "", fmt.Errorf("dimension %v reads back as %v", d, got)
	}
	return expr, nil
}

// parseDim reads Dim.String's text ("2*B*T + 1", "⌊B - 1/2⌋ + 1") and
// returns it as Go and as the Dim it builds.
func parseDim(s string) (string, ops.Dim, error) {
	terms, signs := splitTerms(s)
	expr, sum := "", ops.DimConst(0)
	for i, t := range terms {
		e, v, err := parseTerm(t)
		if err != nil {
			return "", ops.Dim{}, err
		}
		if signs[i] < 0 {
			e, v = e+".Neg()", v.Neg()
		}
		if i == 0 {
			expr, sum = e, v
		} else {
			expr, sum = expr+".Add("+e+")", sum.Add(v)
		}
	}
	if expr == "" {
		return "", ops.Dim{}, fmt.Errorf("empty")
	}
	return expr, sum, nil
}

// splitTerms splits s at the " + " and " - " outside ⌊⌋, with each term's
// sign.
func splitTerms(s string) ([]string, []int) {
	var terms []string
	var signs []int
	sign, depth, start := 1, 0, 0
	if strings.HasPrefix(s, "-") {
		sign, start = -1, 1
	}
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "⌊"):
			depth++
		case strings.HasPrefix(s[i:], "⌋"):
			depth--
		case depth == 0 && (strings.HasPrefix(s[i:], " + ") || strings.HasPrefix(s[i:], " - ")):
			terms, signs = append(terms, s[start:i]), append(signs, sign)
			sign = 1
			if s[i+1] == '-' {
				sign = -1
			}
			start = i + 3
			i += 2
		}
	}
	return append(terms, s[start:]), append(signs, sign)
}

// parseTerm reads coef*atom*atom..., an atom a name or ⌊dim/k⌋.
func parseTerm(t string) (string, ops.Dim, error) {
	var factors []string
	depth, start := 0, 0
	for i := 0; i < len(t); i++ {
		switch {
		case strings.HasPrefix(t[i:], "⌊"):
			depth++
		case strings.HasPrefix(t[i:], "⌋"):
			depth--
		case depth == 0 && t[i] == '*':
			factors = append(factors, t[start:i])
			start = i + 1
		}
	}
	factors = append(factors, t[start:])
	var expr string
	var v ops.Dim
	for i, f := range factors {
		var e string
		var x ops.Dim
		if n, err := strconv.ParseInt(f, 10, 64); err == nil {
			e, x = "ops.DimConst("+f+")", ops.DimConst(n)
		} else if inner, ok := strings.CutPrefix(f, "⌊"); ok && strings.HasSuffix(inner, "⌋") {
			inner = strings.TrimSuffix(inner, "⌋")
			slash := strings.LastIndex(inner, "/")
			k, err := strconv.ParseInt(inner[slash+1:], 10, 64)
			if slash < 0 || err != nil || k <= 0 {
				return "", ops.Dim{}, fmt.Errorf("quotient %q", f)
			}
			ne, nv, err := parseDim(inner[:slash])
			if err != nil {
				return "", ops.Dim{}, err
			}
			q, err := nv.Div(ops.DimConst(k))
			if err != nil {
				return "", ops.Dim{}, err
			}
			e, x = "divDim("+ne+", "+strconv.FormatInt(k, 10)+")", q
		} else if isName(f) {
			e, x = "ops.DimVar("+strconv.Quote(f)+")", ops.DimVar(f)
		} else {
			return "", ops.Dim{}, fmt.Errorf("factor %q", f)
		}
		if i == 0 {
			expr, v = e, x
		} else {
			expr, v = expr+".Mul("+e+")", v.Mul(x)
		}
	}
	return expr, v, nil
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// fixed maps every shape variable of the plan but Dynamic to its value.
func (m *model) fixed(p *runtime.Plan) map[string]ops.Dim {
	f := map[string]ops.Dim{}
	for k, v := range p.Env() {
		if k != m.Dynamic {
			f[k] = ops.DimConst(v)
		}
	}
	return f
}

// substAttrs returns a with the shapes in its values substituted.
func substAttrs(a ops.Attrs, env map[string]ops.Dim) ops.Attrs {
	if len(a) == 0 {
		return a
	}
	out := make(ops.Attrs, len(a))
	for k, v := range a {
		switch x := v.(type) {
		case ops.Shape:
			v = x.Subst(env)
		case ops.Type:
			v = ops.Type{DType: x.DType, Shape: x.Shape.Subst(env)}
		}
		out[k] = v
	}
	return out
}

// dynamicArgs writes the inputs' and outputs' symbolic shapes and picks
// the input Dynamic is read off: the first with it as a whole dimension
// and every other dimension constant.
func (m *model) dynamicArgs(p *runtime.Plan) error {
	fixed := m.fixed(p)
	v := ops.DimVar(m.Dynamic)
	set := func(a *arg, n *ops.Node) error {
		s := n.Type.Shape.Subst(fixed)
		var err error
		if a.Sym, err = symShapeExpr(s); err != nil {
			return nodeErr(n, "%v", err)
		}
		a.Dims = s.String()
		return nil
	}
	found := false
	for i, n := range p.Graph.Inputs() {
		a := &m.Inputs[i]
		if err := set(a, n); err != nil {
			return err
		}
		s := n.Type.Shape.Subst(fixed)
		row, whole, ok := 1, 0, true
		for _, d := range s {
			if d == v {
				whole++
			} else if c, isConst := d.IsConst(); isConst {
				row *= int(c)
			} else {
				ok = false
			}
		}
		if !found && ok && whole == 1 && row > 0 {
			m.Key, m.KeyRow, found = *a, row, true
		}
	}
	for i, o := range p.Graph.Outputs {
		if err := set(&m.Outputs[i], o.Node); err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("dynamic %s: no input has %s as a whole dimension with the others constant, to read it off", m.Dynamic, m.Dynamic)
	}
	return nil
}
