package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// TestElementwiseRowsMatchKernels: for every op with a fusion descriptor,
// the descriptor's rows (what fused kernels run) give bitwise the results
// of the op's own kernel, in f32 and f64, on rows of every length up to 40
// (vector bodies and tails), with special values, and for ops of two
// operands with either operand one repeated element. A descriptor's rows
// have the op's arity.
func TestElementwiseRowsMatchKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	special := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, math.Inf(1), math.Inf(-1), math.NaN(), 1e-310, 40, -40}
	draw := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 3 * rng.NormFloat64()
			if rng.IntN(4) == 0 {
				v[i] = special[rng.IntN(len(special))]
			}
		}
		return v
	}
	checked := 0
	for _, op := range All() {
		ew := op.Elementwise
		if ew == nil {
			continue
		}
		r := ew.Rows
		un := r.Unary32 != nil && r.Unary64 != nil && r.Binary32 == nil && r.Binary64 == nil
		bin := r.Binary32 != nil && r.Binary64 != nil && r.Unary32 == nil && r.Unary64 == nil
		if !(op.Arity == 1 && un || op.Arity == 2 && bin) {
			t.Errorf("%s: arity %d, fused rows %+v", op.Name, op.Arity, r)
			continue
		}
		checked++
		// Which operands are scalars (one repeated element).
		forms := [][]bool{{false}}
		if op.Arity == 2 {
			forms = [][]bool{{false, false}, {false, true}, {true, false}}
		}
		for n := 1; n <= 40; n++ {
			for _, scalar := range forms {
				for _, dt := range []DType{F32, F64} {
					var in [][]float64
					for _, s := range scalar {
						in = append(in, draw(map[bool]int{false: n, true: 1}[s]))
					}
					if msg := compareRows(op, dt, n, scalar, in); msg != "" {
						t.Fatalf("%s %v n=%d scalar operands %v: %s", op.Name, dt, n, scalar, msg)
					}
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d ops have fusion descriptors", checked)
	}
}

// compareRows runs op's kernel and its fused rows on operands in of
// element type dt, of shape [n] or, where scalar says so, [], and
// describes the first difference, or returns "".
func compareRows(op *Op, dt DType, n int, scalar []bool, in [][]float64) string {
	b := NewBuilder()
	var nodes []*Node
	var shapes [][]int
	var vals []*tensor.Tensor
	for k, x := range in {
		s := []int{n}
		if scalar[k] {
			s = nil
		}
		shapes = append(shapes, s)
		nodes = append(nodes, b.Input(fmt.Sprint("x", k), Type{DType: dt, Shape: ShapeOf(s...)}))
		v := tensor.New(dt, s...)
		for i, e := range x {
			v.Set(i, e)
		}
		vals = append(vals, v)
	}
	node, err := b.Apply(op, nil, nodes...)
	if err != nil {
		return err.Error()
	}
	out, _ := node.Type.Shape.Concrete()
	k, err := op.Kernel(node, shapes, out)
	if err != nil {
		return err.Error()
	}
	want := tensor.New(dt, out...)
	k(&Ctx{}, want, vals)
	got := tensor.New(dt, n)
	r := op.Elementwise.Rows
	switch {
	case dt == F32 && len(in) == 1:
		r.Unary32(got.F32, vals[0].F32)
	case dt == F64 && len(in) == 1:
		r.Unary64(got.F64, vals[0].F64)
	case dt == F32:
		r.Binary32(got.F32, vals[0].F32, vals[1].F32)
	default:
		r.Binary64(got.F64, vals[0].F64, vals[1].F64)
	}
	for i := range n {
		w := want.At(i)
		g := got.At(i)
		if math.Float64bits(g) != math.Float64bits(w) && !(math.IsNaN(g) && math.IsNaN(w)) {
			return fmt.Sprintf("element %d: fused row %v, kernel %v", i, g, w)
		}
	}
	return ""
}
