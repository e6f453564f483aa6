package ops_test

import (
	"math"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

func TestArangeAndEye(t *testing.T) {
	checkValues(t, "arange(5)", run(t, "arange", ops.Attrs{"stop": 5, "dtype": ops.I32}, 0),
		[]int{5}, []float64{0, 1, 2, 3, 4}, 0)
	checkValues(t, "arange(1, 2, 0.25)", run(t, "arange", ops.Attrs{"start": 1, "stop": 2.0, "step": 0.25, "dtype": ops.F64}, 0),
		[]int{4}, []float64{1, 1.25, 1.5, 1.75}, 0)
	checkValues(t, "arange(5, 0, -2)", run(t, "arange", ops.Attrs{"start": 5, "stop": 0, "step": -2}, 0),
		[]int{3}, []float64{5, 3, 1}, 0)
	checkValues(t, "arange(3, 1)", run(t, "arange", ops.Attrs{"start": 3, "stop": 1}, 0), []int{0}, nil, 0)
	checkValues(t, "eye(2, 3)", run(t, "eye", ops.Attrs{"n": 2, "m": 3, "dtype": ops.F64}, 0),
		[]int{2, 3}, []float64{1, 0, 0, 0, 1, 0}, 0)
	checkValues(t, "eye(3)", run(t, "eye", ops.Attrs{"n": 3}, 0),
		[]int{3, 3}, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, 0)

	// A symbolic stop: arange(1, T, 2) has (T - 1 + 1)/2 elements.
	b := ops.NewBuilder()
	dT := ops.DimVar("T")
	b.Input("x", ops.Type{DType: ops.F32, Shape: ops.Shape{dT}}) // binds T
	r := b.Must(ops.Arange, ops.Attrs{"start": 1, "stop": ops.Shape{dT}, "step": 2, "dtype": ops.F32})
	e := b.Must(ops.Eye, ops.Attrs{"n": ops.Shape{dT}, "m": 2})
	if got := r.Type.String(); got != "f32[⌊T/2⌋]" {
		t.Errorf("arange to T: %s", got)
	}
	res, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{"x": tensor.New(ops.F32, 6)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "arange(1, T=6, 2)", res[r], []int{3}, []float64{1, 3, 5}, 0)
	checkValues(t, "eye(T=6, 2)", res[e], []int{6, 2}, []float64{1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 0)

	for _, bad := range []ops.Attrs{{"stop": 3, "step": 0}, {"start": 1}, {"stop": "x"}, {"stop": 2, "dtype": ops.Bool}} {
		if _, err := ops.NewBuilder().Apply(ops.Arange, bad); err == nil {
			t.Errorf("arange %v: no error", bad)
		}
	}
}

func TestRandomDraws(t *testing.T) {
	draw := func(op string, seed uint64, stream int, dt ops.DType, a ops.Attrs) *tensor.Tensor {
		at := ops.Attrs{"shape": ops.ShapeOf(200, 100), "dtype": dt, "seed": stream}
		for k, v := range a {
			at[k] = v
		}
		return run(t, op, at, seed)
	}
	stats := func(v *tensor.Tensor) (mean, sd, lo, hi float64) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for i := range v.Len() {
			x := v.At(i)
			mean += x
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		mean /= float64(v.Len())
		for i := range v.Len() {
			sd += (v.At(i) - mean) * (v.At(i) - mean)
		}
		return mean, math.Sqrt(sd / float64(v.Len())), lo, hi
	}
	for _, dt := range []ops.DType{ops.F32, ops.F64} {
		n := draw("normal", 3, 1, dt, ops.Attrs{"mean": 2.0, "std": 0.5})
		// 20000 draws: the mean's sd is 0.5/141 ≈ 0.0035.
		if m, sd, _, _ := stats(n); math.Abs(m-2) > 0.02 || math.Abs(sd-0.5) > 0.02 {
			t.Errorf("normal(2, 0.5) %v: mean %g, sd %g", dt, m, sd)
		}
		u := draw("uniform", 3, 1, dt, ops.Attrs{"low": -1.0, "high": 3.0})
		// uniform(-1, 3): mean 1, sd 4/√12 ≈ 1.1547.
		if m, sd, lo, hi := stats(u); math.Abs(m-1) > 0.03 || math.Abs(sd-4/math.Sqrt(12)) > 0.03 || lo < -1 || hi >= 3 {
			t.Errorf("uniform(-1, 3) %v: mean %g, sd %g, range [%g, %g]", dt, m, sd, lo, hi)
		}
		again := draw("normal", 3, 1, dt, ops.Attrs{"mean": 2.0, "std": 0.5})
		other := draw("normal", 4, 1, dt, ops.Attrs{"mean": 2.0, "std": 0.5})
		stream := draw("normal", 3, 2, dt, ops.Attrs{"mean": 2.0, "std": 0.5})
		same, same2 := 0, 0
		for i := range n.Len() {
			if n.At(i) != again.At(i) {
				t.Fatalf("normal %v: the same seeds differ at %d", dt, i)
			}
			if n.At(i) == other.At(i) {
				same++
			}
			if n.At(i) == stream.At(i) {
				same2++
			}
		}
		if same > 10 || same2 > 10 {
			t.Errorf("normal %v: other seeds agree on %d and %d of %d draws", dt, same, same2, n.Len())
		}
	}
	// Normal draws: about 68.3% within one sd and 95.4% within two.
	n := draw("normal", 9, 5, ops.F64, nil)
	in1, in2 := 0, 0
	for i := range n.Len() {
		if a := math.Abs(n.At(i)); a < 1 {
			in1++
			in2++
		} else if a < 2 {
			in2++
		}
	}
	if f1, f2 := float64(in1)/2e4, float64(in2)/2e4; math.Abs(f1-0.6827) > 0.015 || math.Abs(f2-0.9545) > 0.01 {
		t.Errorf("normal: %.4f within 1 sd, %.4f within 2", f1, f2)
	}
}

// TestNoGradKernelsDoNotAllocate covers the ops without check cases that
// TestKernelsDoNotAllocate cannot reach.
func TestNoGradKernelsDoNotAllocate(t *testing.T) {
	x := ops.Type{DType: ops.F32, Shape: ops.ShapeOf(3, 4)}
	for _, tc := range []struct {
		op    string
		attrs ops.Attrs
		in    []ops.Type
	}{
		{"argmax", ops.Attrs{"axis": 1}, []ops.Type{x}},
		{"argmin", nil, []ops.Type{x}},
		{"argmax", ops.Attrs{"axis": 0, "keepdims": true}, []ops.Type{{DType: ops.F64, Shape: ops.ShapeOf(3, 4)}}},
		{"arange", ops.Attrs{"stop": 7, "dtype": ops.F64}, nil},
		{"arange", ops.Attrs{"stop": 7, "dtype": ops.I32}, nil},
		{"eye", ops.Attrs{"n": 3, "m": 4}, nil},
		{"normal", ops.Attrs{"shape": ops.ShapeOf(3, 5), "dtype": ops.F32, "seed": 1}, nil},
		{"uniform", ops.Attrs{"shape": ops.ShapeOf(3, 5), "dtype": ops.F64, "seed": 1}, nil},
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
		out, ctx := tensor.New(n.Type.DType, s...), &ops.Ctx{Seed: 2}
		if a := testing.AllocsPerRun(5, func() { k(ctx, out, vals) }); a != 0 {
			t.Errorf("%s %v: %g allocations per run", tc.op, tc.attrs, a)
		}
	}
}

// TestNoGradOpsHaveZeroTangents: the creation ops and argmax have JVPs
// (zeros) and VJPs (nothing flows), so forward and reverse mode pass them.
func TestNoGradOpsHaveZeroTangents(t *testing.T) {
	for _, name := range []string{"arange", "eye", "normal", "uniform", "argmax", "argmin"} {
		op := ops.MustLookup(name)
		if op.JVP == nil || op.VJP == nil || !strings.Contains(op.NoGrad, " ") {
			t.Errorf("%s: JVP %v, VJP %v, NoGrad %q", name, op.JVP != nil, op.VJP != nil, op.NoGrad)
		}
	}
	b := ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(2, 3)})
	am := b.Must(ops.Argmax, ops.Attrs{"axis": 1}, x)
	if am.Type.String() != "i32[2]" {
		t.Errorf("argmax type %v", am.Type)
	}
	if g := am.Op.VJP(b, am, nil); len(g) != 1 || g[0] != nil {
		t.Errorf("argmax VJP %v", g)
	}
	u := b.Must(ops.Uniform, ops.Attrs{"shape": ops.ShapeOf(2), "seed": 1})
	z := u.Op.JVP(b, u, nil)
	res, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{"x": tensor.New(ops.F64, 2, 3)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "uniform JVP", res[z], []int{2}, []float64{0, 0}, 0)
}
