package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// TestKernelsDoNotAllocate runs every op's prepared kernel on its check
// cases, in f32 and f64: once prepared, a kernel must not allocate.
func TestKernelsDoNotAllocate(t *testing.T) {
	for _, op := range ops.All() {
		if op.Kernel == nil {
			continue
		}
		for _, c := range op.Check {
			for _, dt := range []ops.DType{ops.F32, ops.F64} {
				if op == ops.Loop && dt != c.In[0].DType {
					continue // the loop's body fixes its element type
				}
				b := ops.NewBuilder()
				var in []*ops.Node
				var vals []*tensor.Tensor
				var shapes [][]int
				for i, ty := range c.In {
					if ty.DType.IsFloat() {
						ty.DType = dt
					}
					s, _ := ty.Shape.Concrete()
					in = append(in, b.Input(argName(i), ty))
					v := tensor.New(ty.DType, s...)
					for j := range v.Len() {
						v.Set(j, 0.5+float64(j%3)) // valid labels and logs alike
					}
					if cv, ok := csrOperand(c, i, rand.New(rand.NewPCG(1, 2))); ok {
						v = cv
					}
					vals = append(vals, v)
					shapes = append(shapes, s)
				}
				attrs := c.Attrs
				if _, ok := attrs["dtype"]; ok {
					attrs = attrs.With("dtype", dt)
				}
				n, err := b.Apply(op, attrs, in...)
				if err != nil {
					t.Fatalf("%s %v: %v", op.Name, c.In, err)
				}
				s, _ := n.Type.Shape.Concrete()
				k, err := op.Kernel(n, shapes, s)
				if err != nil {
					t.Fatalf("%s %v: %v", op.Name, c.In, err)
				}
				out := tensor.New(n.Type.DType, s...)
				ctx := &ops.Ctx{Seed: 3}
				if a := testing.AllocsPerRun(5, func() { k(ctx, out, vals) }); a != 0 {
					t.Errorf("%s on %v (%v): %g allocations per run", op.Name, c.In, dt, a)
				}
			}
		}
	}
	// The ops without check cases.
	for _, tc := range []struct {
		op    string
		attrs ops.Attrs
		in    []ops.Type
	}{
		{"one_hot", ops.Attrs{"n": 4, "dtype": ops.F32}, []ops.Type{{DType: ops.I32, Shape: ops.ShapeOf(3)}}},
		{"dropout_mask", ops.Attrs{"p": 0.5, "seed": 1, "shape": ops.ShapeOf(3, 5), "dtype": ops.F32}, nil},
		{"stop_gradient", nil, []ops.Type{{DType: ops.F32, Shape: ops.ShapeOf(3)}}},
		{"cast", ops.Attrs{"dtype": ops.F32}, []ops.Type{{DType: ops.I64, Shape: ops.ShapeOf(3)}}},
		{"full", ops.Attrs{"value": 2.0, "dtype": ops.F32, "shape": ops.ShapeOf(3)}, nil},
	} {
		b := ops.NewBuilder()
		var in []*ops.Node
		var vals []*tensor.Tensor
		var shapes [][]int
		for i, ty := range tc.in {
			s, _ := ty.Shape.Concrete()
			in = append(in, b.Input(argName(i), ty))
			vals = append(vals, tensor.New(ty.DType, s...))
			shapes = append(shapes, s)
		}
		n := b.Must(ops.MustLookup(tc.op), tc.attrs, in...)
		s, _ := n.Type.Shape.Concrete()
		k, err := n.Op.Kernel(n, shapes, s)
		if err != nil {
			t.Fatal(err)
		}
		out, ctx := tensor.New(n.Type.DType, s...), &ops.Ctx{}
		if a := testing.AllocsPerRun(5, func() { k(ctx, out, vals) }); a != 0 {
			t.Errorf("%s: %g allocations per run", tc.op, a)
		}
	}
}
