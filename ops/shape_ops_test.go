package ops_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// Symbolic shapes, messages and plan-time checks of the shape ops.

func TestShapeOpsInferSymbolic(t *testing.T) {
	dT, dS := ops.DimVar("T"), ops.DimVar("S")
	none := ops.SliceNone
	tests := []struct {
		op    string
		attrs ops.Attrs
		in    []ops.Type
		want  string
	}{
		{"slice", ops.Attrs{"starts": []int{none, 1}}, []ops.Type{f32(dB, dT)}, "f32[B, T - 1]"},
		{"slice", ops.Attrs{"starts": []int{-3}}, []ops.Type{f32(dB, dT)}, "f32[3, T]"},
		{"slice", ops.Attrs{"starts": []int{none}, "stops": []int{none}, "steps": []int{-1}}, []ops.Type{f32(dB)}, "f32[B]"},
		{"slice", ops.Attrs{"starts": []int{2}, "stops": []int{-1}}, []ops.Type{f32(dB)}, "f32[B - 3]"},
		{"slice", ops.Attrs{"starts": []int{none, 0}, "stops": []int{none, 1}}, []ops.Type{f32(dB, c(4))}, "f32[B, 1]"},
		{"slice", ops.Attrs{"starts": []int{none}, "stops": []int{none}, "steps": []int{2}}, []ops.Type{f32(dB.Mul(c(2)))}, "f32[B]"},
		{"pad", ops.Attrs{"pads": []int{1, 2}}, []ops.Type{f32(dB, dT)}, "f32[B, T + 3]"},
		{"concat", ops.Attrs{"axis": 1}, []ops.Type{f32(dB, dT), f32(dB, dS), f32(dB, c(2))}, "f32[B, S + T + 2]"},
		{"stack", ops.Attrs{"axis": -1}, []ops.Type{f32(dB, dT), f32(dB, dT)}, "f32[B, T, 2]"},
		{"squeeze", nil, []ops.Type{f32(dB, c(1), dT)}, "f32[B, T]"},
		{"unsqueeze", ops.Attrs{"axes": []int{1}}, []ops.Type{f32(dB, dT)}, "f32[B, 1, T]"},
		{"take", ops.Attrs{"axis": 0}, []ops.Type{f32(c(10), c(4)), {DType: ops.I32, Shape: ops.Shape{dB, dT}}}, "f32[B, T, 4]"},
		{"logsumexp", ops.Attrs{"axes": []int{-1}}, []ops.Type{f32(dB, dT)}, "f32[B]"},
		{"argmax", ops.Attrs{"axis": -1}, []ops.Type{f32(dB, dT)}, "i32[B]"},
		{"where", nil, []ops.Type{{DType: ops.Bool, Shape: ops.Shape{dB, c(1)}}, f32(dT), f32()}, "f32[B, T]"},
	}
	for _, tt := range tests {
		b := ops.NewBuilder()
		nodes := make([]*ops.Node, len(tt.in))
		for i, ty := range tt.in {
			nodes[i] = b.Input(argName(i), ty)
		}
		n, err := b.Apply(ops.MustLookup(tt.op), tt.attrs, nodes...)
		if err != nil {
			t.Errorf("%s%v: %v", tt.op, tt.in, err)
			continue
		}
		if got := n.Type.String(); got != tt.want {
			t.Errorf("%s%v %v: got %s, want %s", tt.op, tt.in, tt.attrs, got, tt.want)
		}
	}
}

func TestShapeOpsMessages(t *testing.T) {
	tests := []struct {
		op    string
		attrs ops.Attrs
		in    []ops.Type
		want  string
	}{
		{"concat", ops.Attrs{"axis": 1}, []ops.Type{f32(dB, c(3)), f32(c(4), c(2))},
			"concat: dimension 0 differs: x is f32[B, 3], W is f32[4, 2]"},
		{"concat", ops.Attrs{"axis": 2}, []ops.Type{f32(dB, c(3))},
			"concat: axis 2 is out of range for x of type f32[B, 3]"},
		{"stack", nil, []ops.Type{f32(dB, c(3)), f32(dB, c(4))},
			"stack: operands differ: x is f32[B, 3], W is f32[B, 4]"},
		{"slice", ops.Attrs{"steps": []int{0}}, []ops.Type{f32(dB)}, "slice: step 0 on axis 0"},
		{"squeeze", ops.Attrs{"axes": []int{0}}, []ops.Type{f32(dB, c(1))},
			"squeeze: axis 0 of x (f32[B, 1]) is not a distinct axis of size 1"},
		{"pad", ops.Attrs{"pads": []int{1}}, []ops.Type{f32(dB, c(1))},
			"pad: pads [1] must hold a (before, after) pair for each of at most 2 axes of x, which is f32[B, 1]"},
		{"take", ops.Attrs{"axis": 0}, []ops.Type{f32(dB, c(3)), f32(c(2))},
			"take: ids must be i32 or i64: W is f32[2]"},
		{"where", nil, []ops.Type{f32(dB), f32(c(3)), f32(c(3))},
			"where: shapes do not broadcast: x is f32[B], W is f32[3], operand 3 is f32[3] (cannot broadcast [B] with [3]: axis 0 is B against 3)"},
		{"gelu", ops.Attrs{"approximate": "fast"}, []ops.Type{f32(dB)},
			"gelu: approximate must be \"none\" or \"tanh\", got fast"},
		{"clip", ops.Attrs{"lo": 1.0, "hi": 0.0}, []ops.Type{f32(dB)}, "clip: lo 1 is above hi 0"},
		{"norm", ops.Attrs{"ord": 1}, []ops.Type{f32(dB)}, "norm: ord 1 is not supported; only the L2 norm (ord 2) is"},
		{"var", ops.Attrs{"axes": []int{3}}, []ops.Type{f32(dB)}, "var: axis 3 is out of range for x of type f32[B]"},
	}
	for _, tt := range tests {
		b := ops.NewBuilder()
		nodes := make([]*ops.Node, len(tt.in))
		for i, ty := range tt.in {
			nodes[i] = b.Input(argName(i), ty)
		}
		_, err := b.Apply(ops.MustLookup(tt.op), tt.attrs, nodes...)
		var ie *ops.InferError
		if !errors.As(err, &ie) {
			t.Errorf("%s%v: got %v, want an InferError", tt.op, tt.in, err)
			continue
		}
		if got := ie.Format([]string{"x", "W"}); got != tt.want {
			t.Errorf("%s%v:\n got %s\nwant %s", tt.op, tt.in, got, tt.want)
		}
	}
}

// TestConcatGradientSymbolic: concat's VJP slices with symbolic bounds, which
// the kernels resolve from the shapes they are prepared for.
func TestConcatGradientSymbolic(t *testing.T) {
	dT, dS := ops.DimVar("T"), ops.DimVar("S")
	b := ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F64, Shape: ops.Shape{dB, dT}})
	y := b.Input("y", ops.Type{DType: ops.F64, Shape: ops.Shape{dB, dS}})
	n := b.Must(ops.Concat, ops.Attrs{"axis": 1}, x, y)
	g := b.Input("g", n.Type)
	d := n.Op.VJP(b, n, g)
	// x: [2, 1], y: [2, 3]; g = 0..7 in a [2, 4] row-major grid.
	gv := tensor.FromFloat64s(ops.F64, []int{2, 4}, []float64{0, 1, 2, 3, 4, 5, 6, 7})
	res, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{
		"x": tensor.New(ops.F64, 2, 1), "y": tensor.New(ops.F64, 2, 3), "g": gv}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "dx", res[d[0]], []int{2, 1}, []float64{0, 4}, 0)
	checkValues(t, "dy", res[d[1]], []int{2, 3}, []float64{1, 2, 3, 5, 6, 7}, 0)
}

// TestSliceOutOfRangeAtPlanTime: a slice typed on a symbolic size assumes its
// bounds are in range; a size that breaks that is an error, not a wrong result.
func TestSliceOutOfRangeAtPlanTime(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f32(dB))
	s := b.Must(ops.Slice, ops.Attrs{"starts": []int{3}, "stops": []int{5}}, x)
	if s.Type.String() != "f32[2]" {
		t.Fatalf("type %v", s.Type)
	}
	if _, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{"x": tensor.New(ops.F32, 6)}, nil); err != nil {
		t.Fatalf("B = 6: %v", err)
	}
	_, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{"x": tensor.New(ops.F32, 4)}, nil)
	if err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("B = 4: got %v, want an out-of-range error", err)
	}
}

// TestTakeOutOfRangeIds: ids in [-n, n) index from the end as NumPy's
// take does; ids outside are errors naming the id and the range (issue 9,
// item 2: they used to give zeros).
func TestTakeOutOfRangeIds(t *testing.T) {
	x := tensor.FromFloat64s(ops.F64, []int{3}, []float64{10, 20, 30})
	ok := tensor.FromFloat64s(ops.I32, []int{3}, []float64{-3, 2, -1})
	checkValues(t, "take", run(t, "take", ops.Attrs{"axis": 0}, 0, x, ok), []int{3}, []float64{10, 30, 30}, 0)
	for _, id := range []float64{3, -4} {
		ids := tensor.FromFloat64s(ops.I32, []int{2}, []float64{0, id})
		err := runErr(t, "take", ops.Attrs{"axis": 0}, x, ids)
		if want := fmt.Sprintf("index %v out of range [-3, 3)", id); !strings.Contains(err.Error(), want) {
			t.Errorf("take id %v: %v, want %q", id, err, want)
		}
	}
}

// TestNormGradientAtZero: the gradient of norm at 0 is 0, not NaN.
func TestNormGradientAtZero(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(2, 2)})
	n := b.Must(ops.Norm, ops.Attrs{"axes": []int{1}}, x)
	g := b.Full(n.Type, 1)
	d := n.Op.VJP(b, n, g)[0]
	res, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{
		"x": tensor.FromFloat64s(ops.F64, []int{2, 2}, []float64{0, 0, 3, 4})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "norm", res[n], []int{2}, []float64{0, 5}, 0)
	checkValues(t, "d norm", res[d], []int{2, 2}, []float64{0, 0, 0.6, 0.8}, 1e-15)
}

// TestConcatGradientThreeSymbolic: with three symbolic parts the middle
// offset T cannot be read from g [B, T+S+U] and the part [B, S]; the VJP cuts
// that part from a tail instead.
func TestConcatGradientThreeSymbolic(t *testing.T) {
	dims := []ops.Dim{ops.DimVar("T"), ops.DimVar("S"), ops.DimVar("U")}
	b := ops.NewBuilder()
	var xs []*ops.Node
	for i, d := range dims {
		xs = append(xs, b.Input(argName(i), ops.Type{DType: ops.F64, Shape: ops.Shape{dB, d}}))
	}
	n := b.Must(ops.Concat, ops.Attrs{"axis": -1}, xs...)
	g := b.Input("g", n.Type)
	d := n.Op.VJP(b, n, g)
	// B = 2; T, S, U = 1, 2, 3; g = 0..11 in a [2, 6] grid.
	gv := tensor.New(ops.F64, 2, 6)
	for i := range gv.F64 {
		gv.F64[i] = float64(i)
	}
	res, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{
		"a0": tensor.New(ops.F64, 2, 1), "a1": tensor.New(ops.F64, 2, 2), "a2": tensor.New(ops.F64, 2, 3), "g": gv}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "d0", res[d[0]], []int{2, 1}, []float64{0, 6}, 0)
	checkValues(t, "d1", res[d[1]], []int{2, 2}, []float64{1, 2, 7, 8}, 0)
	checkValues(t, "d2", res[d[2]], []int{2, 3}, []float64{3, 4, 5, 9, 10, 11}, 0)
}
