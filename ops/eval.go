package ops

import (
	"fmt"

	"github.com/nnclang/nnc/tensor"
)

// Evaluate is the reference interpreter: it runs every node of g in order
// (but a loop body's placeholders and the nodes that read them, which a
// front end leaves behind, see ExtractBody),
// allocating a fresh tensor for each, with the op's kernel. inputs holds a
// tensor for every leaf (input, param, state), keyed by its name; shape
// variables are bound by unifying the leaves' types with those tensors. A nil
// ctx means seed 0. The leaves' own tensors are returned for leaf nodes. A
// kernel that finds an operand invalid (ctx.Err, an index out of range) ends
// the evaluation with that error.
func Evaluate(g *Graph, inputs map[string]*tensor.Tensor, ctx *Ctx) (map[*Node]*tensor.Tensor, error) {
	if ctx == nil {
		ctx = &Ctx{}
	}
	var leaves []*Node
	var vals []*tensor.Tensor
	for _, n := range g.Nodes {
		if n.Op.Leaf {
			v, ok := inputs[n.Name()]
			if !ok {
				return nil, fmt.Errorf("%s %q has no value", n.Op.Name, n.Name())
			}
			leaves = append(leaves, n)
			vals = append(vals, v)
		}
	}
	env, err := BindShapes(leaves, vals)
	if err != nil {
		return nil, err
	}
	out := make(map[*Node]*tensor.Tensor, len(g.Nodes))
	for i, n := range leaves {
		out[n] = vals[i]
	}
	var ins []*tensor.Tensor
	var shapes [][]int
	dead := Leftovers(g)
	for _, n := range g.Nodes {
		if n.Op.Leaf || dead[n.ID] {
			continue
		}
		shape, err := n.Type.Shape.Eval(env)
		if err != nil {
			return nil, fmt.Errorf("%v: %s: %v", n.Pos, n.Op.Name, err)
		}
		if n.Op.Kernel == nil {
			return nil, fmt.Errorf("%s has no kernel", n.Op.Name)
		}
		ins, shapes = ins[:0], shapes[:0]
		for _, x := range n.In {
			ins = append(ins, out[x])
			shapes = append(shapes, out[x].Shape)
		}
		k, err := n.Op.Kernel(n, shapes, shape)
		if err != nil {
			return nil, fmt.Errorf("%v: %v", n.Pos, err)
		}
		t := tensor.New(n.Type.DType, shape...)
		k(ctx, t, append([]*tensor.Tensor(nil), ins...))
		if ctx.Err != nil {
			err := ctx.Err
			ctx.Err = nil
			return nil, err
		}
		out[n] = t
	}
	return out, nil
}

// BindShapes unifies the symbolic types of leaves (input, param and state
// nodes) with the tensors vals and returns the values of the shape
// variables. A dimension may be a variable (bound on first sight), a
// constant, or an expression such as n+1 or 2*d (solved for its one unknown
// variable when it is linear in it, checked otherwise). The error names the
// leaf and both shapes.
func BindShapes(leaves []*Node, vals []*tensor.Tensor) (map[string]int64, error) {
	if len(leaves) != len(vals) {
		return nil, fmt.Errorf("%d values for %d inputs", len(vals), len(leaves))
	}
	env := map[string]int64{}
	from := map[string]string{} // variable -> the leaf that bound it
	type pending struct {
		leaf int
		axis int
	}
	var rest []pending
	for i, n := range leaves {
		v := vals[i]
		if v == nil {
			return nil, fmt.Errorf("%s %q has no value", n.Op.Name, n.Name())
		}
		if v.DType != n.Type.DType || len(v.Shape) != n.Type.Shape.Rank() {
			return nil, fmt.Errorf("%s %q: got %v%v, want %v", n.Op.Name, n.Name(), v.DType, shapeString(v.Shape), n.Type)
		}
		for ax, d := range n.Type.Shape {
			got := int64(v.Shape[ax])
			if c, ok := d.IsConst(); ok {
				if c != got {
					return nil, bindError(n, v, ax, fmt.Sprintf("dimension %d is %d, want %d", ax+1, got, c))
				}
				continue
			}
			if name, ok := plainVar(d); ok {
				if have, ok := env[name]; ok {
					if have != got {
						return nil, bindError(n, v, ax, fmt.Sprintf("%s is %d here but %d in %s", name, got, have, from[name]))
					}
					continue
				}
				env[name] = got
				from[name] = fmt.Sprintf("%s %q", n.Op.Name, n.Name())
				continue
			}
			rest = append(rest, pending{i, ax})
		}
	}
	// Expressions: check those whose variables are known, solve those linear
	// in one unknown, until nothing changes.
	for len(rest) > 0 {
		progress := false
		var next []pending
		for _, p := range rest {
			n, v := leaves[p.leaf], vals[p.leaf]
			d, got := n.Type.Shape[p.axis], int64(v.Shape[p.axis])
			if val, err := d.Eval(env); err == nil {
				if val != got {
					return nil, bindError(n, v, p.axis, fmt.Sprintf("%v is %d, but dimension %d is %d", d, val, p.axis+1, got))
				}
				progress = true
				continue
			}
			name, coef, other, ok := linearIn(d, env)
			if !ok {
				next = append(next, p)
				continue
			}
			o, err := other.Eval(env)
			if err != nil {
				next = append(next, p)
				continue
			}
			if (got-o)%coef != 0 || (got-o)/coef < 0 {
				return nil, bindError(n, v, p.axis, fmt.Sprintf("no value of %s makes %v equal %d", name, d, got))
			}
			env[name] = (got - o) / coef
			from[name] = fmt.Sprintf("%s %q", n.Op.Name, n.Name())
			progress = true
		}
		if !progress {
			p := next[0]
			n := leaves[p.leaf]
			return nil, fmt.Errorf("%s %q: cannot infer the shape variables of %v from %v", n.Op.Name, n.Name(), n.Type.Shape[p.axis], n.Type)
		}
		rest = next
	}
	return env, nil
}

func bindError(n *Node, v *tensor.Tensor, ax int, why string) error {
	return fmt.Errorf("%s %q: shape %s does not match %v: %s", n.Op.Name, n.Name(), shapeString(v.Shape), n.Type, why)
}

func shapeString(s []int) string { return ShapeOf(s...).String() }

// plainVar reports whether d is a single shape variable.
func plainVar(d Dim) (string, bool) {
	p := d.poly()
	if len(p) != 1 {
		return "", false
	}
	for _, t := range p {
		if t.coef == 1 && len(t.atoms) == 1 {
			if _, div := divAtoms.Load(t.atoms[0]); !div {
				return t.atoms[0], true
			}
		}
	}
	return "", false
}

// linearIn finds the one variable of d not bound in env, when d is
// coef*name + other with other free of name.
func linearIn(d Dim, env map[string]int64) (name string, coef int64, other Dim, ok bool) {
	var unknown []string
	for _, v := range d.Vars() {
		if _, bound := env[v]; !bound {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) != 1 {
		return "", 0, Dim{}, false
	}
	name = unknown[0]
	other = DimConst(0)
	for _, t := range d.poly() {
		term := DimConst(t.coef)
		uses := false
		for _, a := range t.atoms {
			if a == name {
				uses = true
			} else if _, div := divAtoms.Load(a); div {
				if contains(divVars(a), name) {
					return "", 0, Dim{}, false
				}
			}
		}
		if uses {
			if len(t.atoms) != 1 {
				return "", 0, Dim{}, false
			}
			coef += t.coef
			continue
		}
		for _, a := range t.atoms {
			term = term.Mul(atomDim(a))
		}
		other = other.Add(term)
	}
	return name, coef, other, coef != 0
}

func divVars(atom string) []string {
	def, _ := divAtoms.Load(atom)
	return def.(divDef).num.Vars()
}

func atomDim(a string) Dim {
	if def, ok := divAtoms.Load(a); ok {
		dd := def.(divDef)
		q, err := dd.num.Div(DimConst(dd.den))
		if err != nil {
			panic("ops: stored quotient atoms have positive divisors")
		}
		return q
	}
	return DimVar(a)
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
