package autodiff

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// reach counts the nodes of each op that n depends on.
func reach(n *ops.Node) map[*ops.Op]int {
	seen := map[*ops.Node]bool{}
	count := map[*ops.Op]int{}
	var walk func(*ops.Node)
	walk = func(v *ops.Node) {
		if seen[v] {
			return
		}
		seen[v] = true
		count[v.Op]++
		for _, in := range v.In {
			walk(in)
		}
	}
	walk(n)
	return count
}

// sliceRows is x[lo:hi] along axis ax, in lang's begin/end form.
func sliceRows(b *ops.Builder, x *ops.Node, ax, lo, hi int) *ops.Node {
	begin, end := make(ops.Shape, len(x.Type.Shape)), make(ops.Shape, len(x.Type.Shape))
	for j, d := range x.Type.Shape {
		begin[j], end[j] = ops.DimConst(0), d
	}
	begin[ax], end[ax] = ops.DimConst(int64(lo)), ops.DimConst(int64(hi))
	return b.Must(ops.Slice, ops.Attrs{"begin": begin, "end": end}, x)
}

// TestGradSlotsJoin: the gradient of many slices of one tensor along one
// axis (with a gap, an overlap, and NumPy-form bounds) is one concat, not a
// chain of full-size adds, and equals the analytic gradient
// sum over the slices covering x[r, c] of (k+1)·cos(x[r, c]).
func TestGradSlotsJoin(t *testing.T) {
	for _, ax := range []int{0, 1} {
		b := ops.NewBuilder()
		shape := []int{7, 3}
		if ax == 1 {
			shape = []int{3, 7}
		}
		x := b.Input("x", f64(shape...))
		ranges := [][2]int{{0, 1}, {1, 2}, {2, 4}, {1, 3}, {6, 7}} // rows 4, 5 unused; {1, 3} overlaps
		var y *ops.Node
		for k, r := range ranges {
			var s *ops.Node
			if k == 4 && ax == 0 {
				s = b.Must(ops.Slice, ops.Attrs{"starts": []int{-1}, "stops": []int{ops.SliceNone}}, x)
			} else {
				s = sliceRows(b, x, ax, r[0], r[1])
			}
			term := b.Must(ops.Mul, nil, b.Scalar(ops.F64, float64(k+1)), must(b, ops.Sin, s))
			y = accumulate(b, y, total(b, term))
		}
		gs, err := Grad(b, y, []*ops.Node{x})
		if err != nil {
			t.Fatal(err)
		}
		c := reach(gs[0])
		if c[ops.Concat] != 1 || c[ops.Unslice] != 1 || c[ops.Add] != 1 {
			t.Errorf("axis %d: gradient graph has %d concats, %d unslices, %d adds; want 1, 1 (the overlap), 1", ax, c[ops.Concat], c[ops.Unslice], c[ops.Add])
		}
		b.Output("y", y)
		b.Output("dx", gs[0])
		r := rand.New(rand.NewPCG(3, 4))
		xv := randTensor(r, shape...)
		out := evalAll(t, b.G, xv)
		for i, v := range xv.F64 {
			row := i / shape[1]
			if ax == 1 {
				row = i % shape[1]
			}
			want := 0.0
			for k, rg := range ranges {
				if row >= rg[0] && row < rg[1] {
					want += float64(k+1) * math.Cos(v)
				}
			}
			if got := out[1].F64[i]; !close(got, want, 1e-12) {
				t.Errorf("axis %d: dx[%d] = %v, want %v", ax, i, got, want)
			}
		}
	}
}

// TestGradSlotsLinear: T unit slices (an unrolled scan's steps) give a
// gradient with no add at all, whatever T.
func TestGradSlotsLinear(t *testing.T) {
	const T = 40
	b := ops.NewBuilder()
	x := b.Input("x", f64(T, 2))
	var y *ops.Node
	for i := range T {
		s := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(2)}, sliceRows(b, x, 0, i, i+1))
		y = accumulate(b, y, total(b, must(b, ops.Exp, s)))
	}
	gs, err := Grad(b, y, []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	if c := reach(gs[0]); c[ops.Add] != 0 || c[ops.Unslice] != 0 || c[ops.Concat] != 1 {
		t.Errorf("gradient graph: %d adds, %d unslices, %d concats; want 0, 0, 1", c[ops.Add], c[ops.Unslice], c[ops.Concat])
	}
	b.Output("dx", gs[0])
	xv := randTensor(rand.New(rand.NewPCG(5, 6)), T, 2)
	out := evalAll(t, b.G, xv)
	for i, v := range xv.F64 {
		if got := out[0].F64[i]; got != math.Exp(v) && !close(got, math.Exp(v), 1e-15) {
			t.Errorf("dx[%d] = %v, want exp(x) = %v", i, got, math.Exp(v))
		}
	}
}

// TestGradSlotsSymbolicAxes: a training step keeps its batch axis
// symbolic; slices along the constant time axis that cover the batch axis
// whole (in both of slice's forms) are still joined by one concat, not
// summed at full size (which made a scan's gradient O(T²)), and the
// gradient is exp(x) at every element for the batch size given at run
// time.
func TestGradSlotsSymbolicAxes(t *testing.T) {
	const T = 40
	for _, numpyForm := range []bool{false, true} {
		b := ops.NewBuilder()
		x := b.Input("x", ops.Type{DType: ops.F64, Shape: ops.Shape{ops.DimConst(T), ops.DimVar("B")}})
		var y *ops.Node
		for i := range T {
			var s *ops.Node
			if numpyForm {
				s = b.Must(ops.Slice, ops.Attrs{"starts": []int{i}, "stops": []int{i + 1}}, x)
			} else {
				s = sliceRows(b, x, 0, i, i+1)
			}
			y = accumulate(b, y, total(b, must(b, ops.Exp, s)))
		}
		gs, err := Grad(b, y, []*ops.Node{x})
		if err != nil {
			t.Fatal(err)
		}
		if c := reach(gs[0]); c[ops.Add] != 0 || c[ops.Unslice] != 0 || c[ops.Concat] != 1 {
			t.Errorf("numpy form %v: gradient graph: %d adds, %d unslices, %d concats; want 0, 0, 1", numpyForm, c[ops.Add], c[ops.Unslice], c[ops.Concat])
		}
		b.Output("dx", gs[0])
		xv := randTensor(rand.New(rand.NewPCG(7, 8)), T, 3)
		out := evalAll(t, b.G, xv)
		for i, v := range xv.F64 {
			if got := out[0].F64[i]; !close(got, math.Exp(v), 1e-15) {
				t.Errorf("numpy form %v: dx[%d] = %v, want exp(x) = %v", numpyForm, i, got, math.Exp(v))
			}
		}
	}
}
