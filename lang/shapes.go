package lang

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

// NeedsShapes reports whether err (from Lower) says that the entry unrolls
// a loop or scan over a shape variable and must be lowered with concrete
// shapes (LowerOptions.Shapes), once per concrete input signature.
func NeedsShapes(err error) bool {
	if list, ok := err.(ErrorList); ok {
		for _, e := range list {
			if e.Code == CodeNeedShapes {
				return true
			}
		}
	}
	return false
}

// BindShapes gives the shape variables of an entry's inputs (from
// Signature) their values for concrete input shapes, for
// LowerOptions.Shapes: a dimension that is a bare variable binds it, and
// every dimension must then agree.
func BindShapes(inputs []Arg, shapes [][]int) (map[string]int64, error) {
	if len(inputs) != len(shapes) {
		return nil, fmt.Errorf("%d inputs, %d shapes", len(inputs), len(shapes))
	}
	env := map[string]int64{}
	for k, in := range inputs {
		if len(in.Type.Shape) != len(shapes[k]) {
			return nil, fmt.Errorf("input %s is %v; got a tensor of shape %v", in.Name, in.Type, shapes[k])
		}
		for j, d := range in.Type.Shape {
			vs := d.Vars()
			if len(vs) != 1 || d != ops.DimVar(vs[0]) {
				continue
			}
			if prev, ok := env[vs[0]]; ok && prev != int64(shapes[k][j]) {
				return nil, fmt.Errorf("shape variable %s is %d in an earlier input but %d in %s", vs[0], prev, shapes[k][j], in.Name)
			}
			env[vs[0]] = int64(shapes[k][j])
		}
	}
	for k, in := range inputs {
		for j, d := range in.Type.Shape {
			v, err := d.Eval(env)
			if err != nil {
				return nil, fmt.Errorf("input %s: dimension %v: %v", in.Name, d, err)
			}
			if v != int64(shapes[k][j]) {
				return nil, fmt.Errorf("input %s is %v; axis %d is %d, not %d", in.Name, in.Type, j, shapes[k][j], v)
			}
		}
	}
	return env, nil
}
