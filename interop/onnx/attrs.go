package onnx

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// attrInt returns an int attribute, or def when absent.
func attrInt(n *Node, name string, def int64) int64 {
	if a := n.Attr(name); a != nil {
		return a.I
	}
	return def
}

// attrFloat returns a float attribute, or def when absent.
func attrFloat(n *Node, name string, def float64) float64 {
	if a := n.Attr(name); a != nil {
		return float64(a.F)
	}
	return def
}

// attrString returns a string attribute, or def when absent.
func attrString(n *Node, name, def string) string {
	if a := n.Attr(name); a != nil {
		return string(a.S)
	}
	return def
}

// attrInts returns an ints attribute (nil when absent), each checked to
// fit an int of modest size.
func attrInts(n *Node, name string) ([]int, bool, error) {
	a := n.Attr(name)
	if a == nil {
		return nil, false, nil
	}
	out, err := smallInts(a.Ints, name)
	return out, true, err
}

// smallInts converts int64s that must stay within ±2^31.
func smallInts(xs []int64, what string) ([]int, error) {
	out := make([]int, len(xs))
	for i, x := range xs {
		if x > MaxElements || x < -MaxElements {
			return nil, fmt.Errorf("%s[%d] = %d is out of range", what, i, x)
		}
		out[i] = int(x)
	}
	return out, nil
}

// input returns the name of input i, or "" when the node has fewer.
func input(n *Node, i int) string {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return ""
}

// constInts reads a constant integer input (shape, axes, pads, ...).
func (t *translator) constInts(name, what string) ([]int, error) {
	v, err := t.get(name)
	if err != nil {
		return nil, err
	}
	if v.konst == nil {
		return nil, t.notConstant(name, what)
	}
	xs := make([]int64, v.konst.Len())
	for i := range xs {
		if v.konst.DType == tensor.I64 {
			xs[i] = v.konst.I64[i]
		} else {
			xs[i] = int64(v.konst.At(i))
		}
	}
	return smallInts(xs, what)
}

// constFloat reads a constant scalar input.
func (t *translator) constFloat(name, what string) (float64, error) {
	v, err := t.get(name)
	if err != nil {
		return 0, err
	}
	if v.konst == nil {
		return 0, t.notConstant(name, what)
	}
	if v.konst.Len() != 1 {
		return 0, fmt.Errorf("%s must be a scalar", what)
	}
	return v.konst.At(0), nil
}

// axis normalizes a possibly negative axis of a rank-r tensor.
func axis(a, r int) (int, error) {
	if a < 0 {
		a += r
	}
	if a < 0 || a >= r {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", a, r)
	}
	return a, nil
}

// intList spells ints as a .nn list.
func intList(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// intOrList spells ints as one int when they are all equal, else a list.
func intOrList(xs []int) string {
	for _, x := range xs[1:] {
		if x != xs[0] {
			return intList(xs)
		}
	}
	return strconv.Itoa(xs[0])
}

// broadcast is NumPy's broadcast of two shapes.
func broadcast(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := 0; i < r; i++ {
		x, y := 1, 1
		if j := len(a) - r + i; j >= 0 {
			x = a[j]
		}
		if j := len(b) - r + i; j >= 0 {
			y = b[j]
		}
		switch {
		case x == y || y == 1:
			out[i] = x
		case x == 1:
			out[i] = y
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// numel is the product of a concrete shape.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// reshaped is a constant with a new shape (the same values).
func reshaped(k *tensor.Tensor, shape []int) *tensor.Tensor {
	c := k.Clone()
	c.Shape = append([]int(nil), shape...)
	return c
}

// checkShape checks that a shape has no negative dimension and holds at
// most MaxElements elements.
func checkShape(shape []int) error {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d > 0 && n > MaxElements/d {
			return fmt.Errorf("shape %v holds more than %d elements", shape, MaxElements)
		}
		n *= d
	}
	return nil
}

// notConstant is the error of a value that must be known at import; a
// graph input is noted as one Options.Fixed could give.
func (t *translator) notConstant(name, what string) error {
	if ins := t.graphInputsOf(name); len(ins) > 0 {
		t.needFixed = append(t.needFixed, ins...)
		return fmt.Errorf("%s must be a constant: it is computed from the graph inputs %q (give them values at import)", what, ins)
	}
	return fmt.Errorf("%s must be a constant (an initializer or a Constant node)", what)
}

// graphInputsOf lists the graph inputs value name is computed from.
func (t *translator) graphInputsOf(name string) []string {
	isInput := map[string]bool{}
	for _, in := range t.g.Inputs {
		isInput[in.Name] = true
	}
	producer := map[string]*Node{}
	for _, n := range t.g.Nodes {
		for _, o := range n.Outputs {
			producer[o] = n
		}
	}
	var out []string
	seen := map[string]bool{}
	var walk func(v string)
	walk = func(v string) {
		if seen[v] || len(seen) > 10000 {
			return
		}
		seen[v] = true
		if n := producer[v]; n != nil {
			for _, in := range n.Inputs {
				walk(in)
			}
		} else if isInput[v] {
			if k := t.vals[v]; k == nil || k.konst == nil {
				out = append(out, v)
			}
		}
	}
	walk(name)
	return out
}

// legacyBroadcast aligns b with a at the axis attribute of an opset-6
// binary op with broadcast = 1 (the rule before NumPy's): b's dimensions
// match a's from that axis on, so size-1 axes are appended to b.
func (t *translator) legacyBroadcast(n *Node, a, b *value) (*value, error) {
	if t.opset >= 7 || attrInt(n, "broadcast", 0) != 1 || n.Attr("axis") == nil {
		return b, nil
	}
	ax, err := axis(int(attrInt(n, "axis", 0)), len(a.shape))
	if err != nil {
		return nil, err
	}
	extra := len(a.shape) - ax - len(b.shape)
	if extra < 0 {
		return nil, fmt.Errorf("broadcast axis %d leaves no room for an operand of rank %d", ax, len(b.shape))
	}
	if extra == 0 {
		return b, nil
	}
	shape := append([]int(nil), b.shape...)
	for i := 0; i < extra; i++ {
		shape = append(shape, 1)
	}
	if err := concrete(shape); err != nil {
		return nil, err
	}
	if b.konst != nil {
		return &value{dt: b.dt, shape: shape, konst: reshaped(b.konst, shape)}, nil
	}
	id, err := t.operand(input(n, 1))
	if err != nil {
		return nil, err
	}
	return &value{id: "reshape(" + id + ", " + intList(shape) + ")", dt: b.dt, shape: shape}, nil
}

// foldBinary computes integer arithmetic on constants of at most 64
// elements (the shape computations of exported graphs), or returns nil.
func foldBinary(op string, a, b *tensor.Tensor, shape []int) *tensor.Tensor {
	if a == nil || b == nil || a.DType != b.DType || a.DType.IsFloat() || a.DType == tensor.Bool || numel(shape) > 64 || concrete(shape) != nil {
		return nil
	}
	if a.Len() != 1 && b.Len() != 1 && (a.Len() != b.Len() || len(a.Shape) != len(b.Shape)) {
		return nil
	}
	out := tensor.New(a.DType, shape...)
	for i := 0; i < out.Len(); i++ {
		x, y := int64(a.At(i%a.Len())), int64(b.At(i%b.Len()))
		var z int64
		switch op {
		case "+":
			z = x + y
		case "-":
			z = x - y
		case "*":
			z = x * y
		case "/":
			if y == 0 {
				return nil
			}
			z = x / y
		case "max":
			z = max(x, y)
		case "min":
			z = min(x, y)
		default:
			return nil
		}
		out.Set(i, float64(z))
	}
	return out
}

// toF64 is an operand of type dt as f64, for the integer arithmetic .nn
// does not have.
func toF64(id string, dt tensor.DType) string {
	if dt == tensor.F64 {
		return id
	}
	return "cast(" + id + ", f64)"
}

// fromF64 converts an f64 result back to dt (integers truncate).
func fromF64(expr string, dt tensor.DType) string {
	if dt == tensor.F64 {
		return expr
	}
	return "cast(" + expr + ", " + dt.String() + ")"
}
