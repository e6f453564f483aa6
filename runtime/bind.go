package runtime

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// bindShapes unifies the symbolic types of leaves with the tensors given for
// them and returns the values of the shape variables. A dimension that is a
// variable binds it; a dimension linear in one unbound variable (2*B, T+1)
// is solved for it; every dimension must then evaluate to the given size.
// Errors are the user's and name the leaf, its declared type and the tensor's.
func bindShapes(leaves []*ops.Node, vals []*tensor.Tensor) (map[string]int64, error) {
	env := map[string]int64{}
	from := map[string]int{} // variable -> index of the leaf that bound it
	mismatch := func(i int, why string) error {
		n, t := leaves[i], vals[i]
		msg := fmt.Sprintf("%s: expected %v, got %s", leafLabel(n), n.Type, typeString(t))
		if why != "" {
			msg += " (" + why + ")"
		}
		return fmt.Errorf("%s", msg)
	}
	type pend struct{ leaf, axis int }
	var pending []pend
	for i, n := range leaves {
		t := vals[i]
		if t == nil {
			return nil, fmt.Errorf("%s: no tensor given", leafLabel(n))
		}
		if t.DType != n.Type.DType || len(t.Shape) != len(n.Type.Shape) {
			return nil, mismatch(i, "")
		}
		if err := checkData(n, t); err != nil {
			return nil, err
		}
		for k := range n.Type.Shape {
			pending = append(pending, pend{i, k})
		}
	}
	// why explains a mismatch by the bindings of the variables involved.
	why := func(d ops.Dim) string {
		var parts []string
		for _, v := range d.Vars() {
			if j, ok := from[v]; ok {
				parts = append(parts, fmt.Sprintf("%s = %d from %s", v, env[v], leafLabel(leaves[j])))
			}
		}
		return strings.Join(parts, ", ")
	}
	for progress := true; progress && len(pending) > 0; {
		progress = false
		rest := pending[:0]
		for _, q := range pending {
			d, given := leaves[q.leaf].Type.Shape[q.axis], int64(vals[q.leaf].Shape[q.axis])
			var unbound []string
			for _, v := range d.Vars() {
				if _, ok := env[v]; !ok {
					unbound = append(unbound, v)
				}
			}
			switch len(unbound) {
			case 0:
				got, err := d.Eval(env)
				if err != nil {
					return nil, fmt.Errorf("%s: %v", leafLabel(leaves[q.leaf]), err)
				}
				if got != given {
					return nil, mismatch(q.leaf, why(d))
				}
				progress = true
				continue
			case 1:
				v := unbound[0]
				if x, ok := solve(d, v, given, env); ok {
					env[v], from[v] = x, q.leaf
					progress = true
					continue
				}
			}
			rest = append(rest, q)
		}
		pending = rest
	}
	if len(pending) > 0 {
		q := pending[0]
		d := leaves[q.leaf].Type.Shape[q.axis]
		return nil, fmt.Errorf("%s: cannot determine the shape variables of %v from %s", leafLabel(leaves[q.leaf]), d, typeString(vals[q.leaf]))
	}
	return env, nil
}

// solve finds x ≥ 0 with d(v = x) = given, for d linear in v.
func solve(d ops.Dim, v string, given int64, env map[string]int64) (int64, bool) {
	defer delete(env, v)
	at := func(x int64) (int64, bool) {
		env[v] = x
		r, err := d.Eval(env)
		return r, err == nil
	}
	f0, ok0 := at(0)
	f1, ok1 := at(1)
	if !ok0 || !ok1 || f1 == f0 || (given-f0)%(f1-f0) != 0 {
		return 0, false
	}
	x := (given - f0) / (f1 - f0)
	if r, ok := at(x); x < 0 || !ok || r != given {
		return 0, false
	}
	return x, true
}

// checkData reports a tensor whose data slice does not match its shape.
func checkData(n *ops.Node, t *tensor.Tensor) error {
	l := dataLen(t)
	if l != tensor.NumElems(t.Shape) {
		return fmt.Errorf("%s: a tensor of shape %v holds %d values", leafLabel(n), t.Shape, l)
	}
	return nil
}

// leafLabel names a leaf in messages: "input x", "param l1.W".
func leafLabel(n *ops.Node) string { return n.Op.Name + " " + n.Name() }

// typeString prints a tensor's type as .nn spells it: "f32[32, 10]".
func typeString(t *tensor.Tensor) string {
	if len(t.Shape) == 0 {
		return t.DType.String()
	}
	parts := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		parts[i] = strconv.Itoa(d)
	}
	return t.DType.String() + "[" + strings.Join(parts, ", ") + "]"
}
