package lang

import (
	"fmt"
	"strconv"
	"strings"
)

// Expression and type printing for Format. Precedence classes follow the
// grammar (grammar.go), lowest first: || && comparisons + - (@ * / %)
// unary ** postfix.
const (
	precOr = iota + 1
	precAnd
	precCmp
	precAdd
	precMul
	precUnary
	precPow
	precPostfix
)

// fmtPrec is the precedence class of a binary operator.
var fmtPrec = map[string]int{
	"||": precOr, "&&": precAnd,
	"==": precCmp, "!=": precCmp, "<": precCmp, "<=": precCmp, ">": precCmp, ">=": precCmp,
	"+": precAdd, "-": precAdd,
	"@": precMul, "*": precMul, "/": precMul, "%": precMul,
	"**": precPow,
}

func quote(s string) string { return strconv.Quote(s) }

// expr prints e at the loosest precedence.
func (p *printer) expr(e expr) string {
	var sb strings.Builder
	p.writeExpr(&sb, e, 0)
	return sb.String()
}

func (p *printer) exprs(es []expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = p.expr(e)
	}
	return strings.Join(parts, ", ")
}

// rangeExpr prints `from..to`.
func (p *printer) rangeExpr(from, to expr) string {
	return p.expr(from) + ".." + p.expr(to)
}

// writeExpr writes e where the grammar expects precedence class prec or
// tighter, adding parentheses when e's class is looser.
func (p *printer) writeExpr(sb *strings.Builder, e expr, prec int) {
	switch x := e.(type) {
	case *ident:
		sb.WriteString(x.Name)
	case *intLit:
		sb.WriteString(strconv.FormatInt(x.Value, 10))
	case *floatLit:
		sb.WriteString(x.Text)
	case *stringLit:
		sb.WriteString(quote(x.Value))
	case *boolLit:
		sb.WriteString(strconv.FormatBool(x.Value))
	case *binaryExpr:
		q, ok := fmtPrec[x.Op]
		if !ok {
			p.fail("operator " + x.Op)
			return
		}
		paren := q < prec
		if paren {
			sb.WriteString("(")
		}
		if x.Op == "**" {
			// base ** unary: right-associative, the base a postfix expression.
			p.writeExpr(sb, x.X, precPostfix)
			sb.WriteString(" ** ")
			p.writeExpr(sb, x.Y, precUnary)
		} else {
			p.writeOperand(sb, x.Op, x.X, q)
			sb.WriteString(" " + x.Op + " ")
			p.writeOperand(sb, x.Op, x.Y, q+1)
		}
		if paren {
			sb.WriteString(")")
		}
	case *unaryExpr:
		paren := precUnary < prec
		if paren {
			sb.WriteString("(")
		}
		sb.WriteString(x.Op)
		p.writeExpr(sb, x.X, precUnary)
		if paren {
			sb.WriteString(")")
		}
	case *callExpr:
		p.writeExpr(sb, x.Fn, precPostfix)
		sb.WriteString("(")
		for i, a := range x.Args {
			if i > 0 {
				sb.WriteString(", ")
			}
			p.writeExpr(sb, a, 0)
		}
		for i, k := range x.Kwargs {
			if i > 0 || len(x.Args) > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(k.Name + " = ")
			p.writeExpr(sb, k.Value, 0)
		}
		sb.WriteString(")")
	case *attrExpr:
		p.writeExpr(sb, x.X, precPostfix)
		sb.WriteString("." + x.Name)
	case *indexExpr:
		p.writeExpr(sb, x.X, precPostfix)
		sb.WriteString("[")
		for i, it := range x.Indices {
			if i > 0 {
				sb.WriteString(", ")
			}
			p.writeIndex(sb, it)
		}
		sb.WriteString("]")
	case *tupleLit:
		sb.WriteString("(" + p.exprs(x.Elems) + ")")
	case *listLit:
		sb.WriteString("[" + p.exprs(x.Elems) + "]")
	case *listComp:
		sb.WriteString("[" + p.expr(x.Elem) + " for " + x.Var + " in " + p.rangeExpr(x.From, x.To) + "]")
	default:
		p.fail(fmt.Sprintf("expression %T", e))
	}
}

// writeOperand writes an operand of binary operator op. A matrix product
// that is an operand of an elementwise * / %, or the reverse, keeps its
// parentheses although they are not needed: (x @ W) * k.
func (p *printer) writeOperand(sb *strings.Builder, op string, e expr, prec int) {
	if b, ok := e.(*binaryExpr); ok && fmtPrec[op] == precMul && fmtPrec[b.Op] == precMul && (op == "@") != (b.Op == "@") {
		prec = precPostfix
	}
	p.writeExpr(sb, e, prec)
}

func (p *printer) writeIndex(sb *strings.Builder, it *indexItem) {
	if it.Ellipsis {
		sb.WriteString("...")
		return
	}
	if it.Lo != nil {
		p.writeExpr(sb, it.Lo, 0)
	}
	if !it.Slice {
		return
	}
	sb.WriteString(":")
	if it.Hi != nil {
		p.writeExpr(sb, it.Hi, 0)
	}
	if it.Step != nil {
		sb.WriteString(":")
		p.writeExpr(sb, it.Step, 0)
	}
}

// typ prints a written type.
func (p *printer) typ(t *typeExpr) string {
	if t == nil {
		return ""
	}
	if t.Tuple != nil {
		parts := make([]string, len(t.Tuple))
		for i, e := range t.Tuple {
			parts[i] = p.typ(e)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	name := t.Name
	if t.Sparse {
		name = "sparse " + name
	}
	if !t.HasDims {
		return name
	}
	parts := make([]string, len(t.Dims))
	for i, d := range t.Dims {
		if d.Ellipsis {
			parts[i] = "..."
		} else {
			parts[i] = p.expr(d.Expr)
		}
	}
	return name + "[" + strings.Join(parts, ", ") + "]"
}
