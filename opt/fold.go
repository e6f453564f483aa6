package opt

import (
	"math"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// foldLimit is the largest operand or result (in elements) constant folding
// makes as a tensor; bigger constants fold only when their value does not
// depend on their shape, else they are left for the plan to compute.
const foldLimit = 1 << 16

// Fold replaces nodes whose operands are all constants (const or full) by
// their value, when that value is one number repeated: a const for a scalar,
// a full otherwise. The value is computed with the op's own kernel (through
// ops.Evaluate), so it is bitwise what the plan would compute. Random ops
// (those with a "seed" attribute) and ops without a kernel are left alone.
// With concrete shapes any op folds; with symbolic shapes only ops whose
// value does not depend on the shape (elementwise ops, casts, layout ops)
// do.
func Fold(g *ops.Graph) (*ops.Graph, error) {
	return rebuild(g, foldRule)
}

// shapeFree ops give a uniform result whose value depends only on their
// operands' values: elementwise ops of uniform operands, casts, and the
// layout ops.
var shapeFree = map[*ops.Op]bool{ops.Cast: true}

// layoutOps move elements without changing them: of a uniform operand they
// give its value.
var layoutOps = map[*ops.Op]bool{ops.Reshape: true, ops.Transpose: true, ops.BroadcastTo: true, ops.StopGradient: true}

func init() {
	for _, op := range ops.All() {
		if op.Elementwise != nil {
			shapeFree[op] = true
		}
	}
	for op := range layoutOps {
		shapeFree[op] = true
	}
}

func foldRule(b *ops.Builder, n *ops.Node, in, _ []*ops.Node) *ops.Node {
	if n.Op.Leaf || n.Op.Kernel == nil || len(in) == 0 {
		return nil
	}
	if _, random := n.Attrs["seed"]; random {
		return nil
	}
	for _, x := range in {
		if _, ok := constValue(x); !ok {
			return nil
		}
	}
	sub := ops.NewBuilder()
	sin := make([]*ops.Node, len(in))
	if s, ok := n.Type.Shape.Concrete(); ok && tensor.NumElems(s) <= foldLimit && allConcrete(in) {
		for i, x := range in {
			v, _ := constValue(x)
			sin[i] = uniform(sub, x.Type, v)
		}
	} else if shapeFree[n.Op] {
		// The value of one element, computed on scalars.
		for i, x := range in {
			v, _ := constValue(x)
			sin[i] = sub.Scalar(x.Type.DType, v)
		}
		if layoutOps[n.Op] {
			v, _ := constValue(in[0])
			return uniform(b, n.Type, v)
		}
	} else {
		return nil
	}
	y, err := sub.Apply(n.Op, n.Attrs, sin...)
	if err != nil || y.Type.DType != n.Type.DType {
		return nil
	}
	vals, err := evaluate(sub.G, y)
	if err != nil {
		return nil
	}
	v, ok := uniformValue(vals)
	if !ok {
		return nil
	}
	return uniform(b, n.Type, v)
}

// evaluate runs g (which has no leaves) and returns y's value. An error (an
// index out of range) leaves the node unfolded, to fail when the program
// runs; a kernel's panic is a bug and goes to the caller.
func evaluate(g *ops.Graph, y *ops.Node) (*tensor.Tensor, error) {
	vals, err := ops.Evaluate(g, nil, nil)
	if err != nil {
		return nil, err
	}
	return vals[y], nil
}

// allConcrete reports whether every operand has a concrete shape of at most
// foldLimit elements (folding makes them as tensors).
func allConcrete(in []*ops.Node) bool {
	for _, x := range in {
		s, ok := x.Type.Shape.Concrete()
		if !ok || tensor.NumElems(s) > foldLimit {
			return false
		}
	}
	return true
}

// uniformValue reports whether every element of t is the same number (the
// same bits, so -0 and +0 differ and one NaN matches another).
func uniformValue(t *tensor.Tensor) (float64, bool) {
	if t.Len() == 0 {
		return 0, false
	}
	v := t.At(0)
	for i := 1; i < t.Len(); i++ {
		if math.Float64bits(t.At(i)) != math.Float64bits(v) {
			return 0, false
		}
	}
	return v, true
}
