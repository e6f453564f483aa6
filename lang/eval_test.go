package lang

import (
	"math"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// in is a test input: its element type, shape and values.
type in struct {
	dt    ops.DType
	shape []int
	v     []float64
}

func f64(shape []int, v ...float64) in { return in{ops.F64, shape, v} }

type tensorT = tensor.Tensor

func fromFloats(x in) *tensor.Tensor { return tensor.FromFloat64s(x.dt, x.shape, x.v) }

// evalEntry loads src, lowers entry (eval mode) and runs it with the
// reference interpreter, returning each output's values and shape.
func evalEntry(t *testing.T, src, entry string, inputs map[string]in) ([][]float64, [][]int) {
	t.Helper()
	m, err := Load("t.nn", []byte(src))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	l, err := m.Lower(entry, LowerOptions{})
	if err != nil {
		t.Fatalf("Lower: %v", err)
	}
	vals := map[string]*tensor.Tensor{}
	for k, x := range inputs {
		vals[k] = tensor.FromFloat64s(x.dt, x.shape, x.v)
	}
	res, err := ops.Evaluate(l.B.G, vals, nil)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	var outs [][]float64
	var shapes [][]int
	for _, o := range l.Outputs {
		outs = append(outs, res[o].Float64s())
		shapes = append(shapes, res[o].Shape)
	}
	return outs, shapes
}

func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values %v, want %d %v", what, len(got), got, len(want), want)
	}
	for k := range got {
		if math.Abs(got[k]-want[k]) > tol*(1+math.Abs(want[k])) {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}

func TestEvalArithmetic(t *testing.T) {
	cases := []struct {
		name, src string
		inputs    map[string]in
		want      []float64
		shape     []int
	}{
		{"broadcast", `fn f(x: f64[2, 3], y: f64[3]) -> f64[2, 3] { return x * y + 1.0 }`,
			map[string]in{"x": f64([]int{2, 3}, 1, 2, 3, 4, 5, 6), "y": f64([]int{3}, 10, 20, 30)},
			[]float64{11, 41, 91, 41, 101, 181}, []int{2, 3}},
		{"precedence", `fn f(x: f64[2]) -> f64[2] { return -x ** 2 + 2 * x - 1 / x }`,
			map[string]in{"x": f64([]int{2}, 2, 4)},
			// -(x^2) + 2x - 1/x: -4+4-0.5, -16+8-0.25
			[]float64{-0.5, -8.25}, []int{2}},
		{"right-assoc power", `fn f(x: f64[1]) -> f64[1] { return x ** 3 ** 2 }`,
			map[string]in{"x": f64([]int{1}, 2)},
			[]float64{512}, []int{1}}, // 2^(3^2)
		{"matmul", `fn f(x: f64[2, 3], W: f64[3, 2]) -> f64[2, 2] { return x @ W }`,
			map[string]in{"x": f64([]int{2, 3}, 1, 2, 3, 4, 5, 6), "W": f64([]int{3, 2}, 1, 0, 0, 1, 1, 1)},
			// rows: [1+3, 2+3], [4+6, 5+6]
			[]float64{4, 5, 10, 11}, []int{2, 2}},
		{"transpose", `fn f(x: f64[2, 3]) -> f64[3, 2] { return x.T }`,
			map[string]in{"x": f64([]int{2, 3}, 1, 2, 3, 4, 5, 6)},
			[]float64{1, 4, 2, 5, 3, 6}, []int{3, 2}},
		{"sum axis", `fn f(x: f64[2, 3]) -> f64[2] { return sum(x, axis = 1) }`,
			map[string]in{"x": f64([]int{2, 3}, 1, 2, 3, 4, 5, 6)},
			[]float64{6, 15}, []int{2}},
		{"mean keepdims", `fn f(x: f64[2, 3]) -> f64[1, 3] { return mean(x, axis = 0, keepdims = true) }`,
			map[string]in{"x": f64([]int{2, 3}, 1, 2, 3, 4, 5, 6)},
			[]float64{2.5, 3.5, 4.5}, []int{1, 3}},
		{"max all", `fn f(x: f64[2, 3]) -> f64 { return max(x) }`,
			map[string]in{"x": f64([]int{2, 3}, 1, 7, 3, 4, 5, 6)},
			[]float64{7}, []int{}},
		{"min negative axis", `fn f(x: f64[2, 3]) -> f64[2] { return min(x, axis = -1) }`,
			map[string]in{"x": f64([]int{2, 3}, 1, 7, 3, 4, 5, 0)},
			[]float64{1, 0}, []int{2}},
		{"sum axis list", `fn f(x: f64[2, 3]) -> f64 { return sum(x, axis = [0, 1]) }`,
			map[string]in{"x": f64([]int{2, 3}, 1, 2, 3, 4, 5, 6)},
			[]float64{21}, []int{}},
		{"reshape -1", `fn f(x: f64[B, 2, 3]) -> f64[B, 6] { return reshape(x, [B, -1]) }`,
			map[string]in{"x": f64([]int{1, 2, 3}, 1, 2, 3, 4, 5, 6)},
			[]float64{1, 2, 3, 4, 5, 6}, []int{1, 6}},
		{"softmax", `fn f(x: f64[3]) -> f64[3] { return softmax(x) }`,
			map[string]in{"x": f64([]int{3}, 1, 2, 3)},
			// e^k / (e + e^2 + e^3)
			[]float64{0.09003057317038046, 0.24472847105479764, 0.6652409557748219}, []int{3}},
		{"cross_entropy", `fn f(x: f64[1, 3], y: i32[1]) -> f64 { return cross_entropy(x, y) }`,
			map[string]in{"x": f64([]int{1, 3}, 1, 2, 3), "y": {ops.I32, []int{1}, []float64{2}}},
			// log(e + e^2 + e^3) - 3
			[]float64{0.40760596444437555}, []int{}},
		{"one_hot", `fn f(y: i32[2]) -> f32[2, 3] { return one_hot(y, 3) }`,
			map[string]in{"y": {ops.I32, []int{2}, []float64{2, 0}}},
			[]float64{0, 0, 1, 1, 0, 0}, []int{2, 3}},
		{"unary", `fn f(x: f64[2]) -> f64[2] { return exp(log(x)) + sqrt(square(x)) + abs(-x) + relu(-x) }`,
			map[string]in{"x": f64([]int{2}, 2, 3)},
			[]float64{6, 9}, []int{2}},
		{"const and loop", "const N = 3\nfn f(x: f64[2]) -> f64[2] {\n y = x\n for i in 0..N {\n  y = y * 2.0\n }\n return y\n}",
			map[string]in{"x": f64([]int{2}, 1, -2)},
			[]float64{8, -16}, []int{2}},
		{"if training (eval)", "fn f(x: f64[2]) -> f64[2] {\n if training {\n return x * 0.0\n } else {\n return dropout(x, 0.5) + 1.0\n }\n}",
			map[string]in{"x": f64([]int{2}, 1, 2)},
			[]float64{2, 3}, []int{2}},
		{"fn call, kwargs, shape variables", "fn scale(x: f64[N, K], by: float = 2.0) -> f64[N, K] { return x * by }\nfn f(a: f64[B, 2]) -> f64[B] { return sum(scale(a, by = 3.0), axis = 1) + sum(scale(a), axis = 1) }",
			map[string]in{"a": f64([]int{2, 2}, 1, 2, 3, 4)},
			[]float64{15, 35}, []int{2}},
		{"shape variable as a value", "fn f(x: f64[B, T]) -> f64[B] { return sum(reshape(x, [B * T]) * 0.0) + sum(x, axis = 1) }",
			map[string]in{"x": f64([]int{2, 2}, 1, 2, 3, 4)},
			[]float64{3, 7}, []int{2}},
		{"cast", `fn f(x: f32[2]) -> f64[2] { return cast(x, f64) * 2.0 }`,
			map[string]in{"x": {ops.F32, []int{2}, []float64{1.5, -1}}},
			[]float64{3, -2}, []int{2}},
		{"creators", `fn f(x: f64[2]) -> f64[2] { return x + ones([2], dtype = f64) + full([2], 0.5, dtype = f64) + zeros([2], dtype = f64) }`,
			map[string]in{"x": f64([]int{2}, 1, 2)},
			[]float64{2.5, 3.5}, []int{2}},
		{"l1 and l2", `fn f(x: f64[2], y: f64[2]) -> f64 { return l2(x, y) + 10.0 * l1(y) }`,
			map[string]in{"x": f64([]int{2}, 1, 2), "y": f64([]int{2}, -3, 1)},
			// 1+4+9+1 + 10*(3+1)
			[]float64{55}, []int{}},
		{"f32 weak literal", `fn f(x: f32[2]) -> f32[2] { return 1e-3 * x + 2 }`,
			map[string]in{"x": {ops.F32, []int{2}, []float64{1000, 2000}}},
			[]float64{3, 4}, []int{2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, shapes := evalEntry(t, c.src, "f", c.inputs)
			if len(out) != 1 {
				t.Fatalf("%d outputs", len(out))
			}
			if len(shapes[0]) != len(c.shape) {
				t.Fatalf("shape %v, want %v", shapes[0], c.shape)
			}
			for k := range c.shape {
				if shapes[0][k] != c.shape[k] {
					t.Fatalf("shape %v, want %v", shapes[0], c.shape)
				}
			}
			near(t, c.name, out[0], c.want, 1e-6)
		})
	}
}

func TestEvalTuple(t *testing.T) {
	src := "fn pair(x: f64[N]) -> (f64[N], f64) { return x * 2.0, sum(x) }\n" +
		"fn f(x: f64[3]) -> (f64, f64[3]) {\n a, b = pair(x)\n return b, a\n}"
	out, _ := evalEntry(t, src, "f", map[string]in{"x": f64([]int{3}, 1, 2, 3)})
	near(t, "sum", out[0], []float64{6}, 1e-12)
	near(t, "double", out[1], []float64{2, 4, 6}, 1e-12)
}

func TestEvalGrad(t *testing.T) {
	x := f64([]int{3}, 1, -2, 0.5)
	// d/dx sum(x^3) = 3x^2.
	out, _ := evalEntry(t, `fn f(x: f64[3]) -> f64[3] { return grad(sum(x ** 3), x) }`, "f", map[string]in{"x": x})
	near(t, "grad", out[0], []float64{3, 12, 0.75}, 1e-9)
	// g = 3x^2; sum(g^2) = 9 sum(x^4); its gradient is 36 x^3.
	out, _ = evalEntry(t, `fn f(x: f64[3]) -> f64[3] { return grad(sum(grad(sum(x ** 3), x) ** 2), x) }`, "f", map[string]in{"x": x})
	near(t, "grad of grad", out[0], []float64{36, -288, 4.5}, 1e-9)
	// A tuple of values: d/da sum(a*b) = b, d/db = a.
	out, _ = evalEntry(t, "fn f(a: f64[2], b: f64[2]) -> (f64[2], f64[2]) {\n ga, gb = grad(sum(a * b), (a, b))\n return ga, gb\n}", "f",
		map[string]in{"a": f64([]int{2}, 1, 2), "b": f64([]int{2}, 3, 4)})
	near(t, "d/da", out[0], []float64{3, 4}, 1e-12)
	near(t, "d/db", out[1], []float64{1, 2}, 1e-12)
	// Unused input: zeros.
	out, _ = evalEntry(t, `fn f(a: f64[2], b: f64[2]) -> f64[2] { return grad(sum(a), b) }`, "f",
		map[string]in{"a": f64([]int{2}, 1, 2), "b": f64([]int{2}, 3, 4)})
	near(t, "unused", out[0], []float64{0, 0}, 0)
}

func TestEvalModelParams(t *testing.T) {
	src := `model M(n: int = 2) {
    param W: f64[n] = normal(std = 0.5)
    sub = Inner(n)

    fn f(x: f64[n]) -> (f64[n], f64[n], f64) {
        y = sum(W * x * sub.v)
        return grad(y, W), grad(y, sub.v), l2(params)
    }
}

model Inner(k: int) {
    param v: f64[k] = constant(2.0)
}
`
	m, err := Load("m.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Lower("M.f", LowerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Params) != 2 || l.Params[0].Name() != "W" || l.Params[1].Name() != "sub.v" {
		t.Fatalf("params %v", l.Params)
	}
	if got := l.Params[0].Attrs; got.Str("init", "") != "normal" || got.Float("std", 0) != 0.5 {
		t.Errorf("W attrs %v", got)
	}
	if got := l.Params[1].Attrs; got.Str("init", "") != "constant" || got.Float("value", 0) != 2 {
		t.Errorf("sub.v attrs %v", got)
	}
	vals := map[string]*tensor.Tensor{
		"x":     tensor.FromFloat64s(ops.F64, []int{2}, []float64{1, 2}),
		"W":     tensor.FromFloat64s(ops.F64, []int{2}, []float64{3, 4}),
		"sub.v": tensor.FromFloat64s(ops.F64, []int{2}, []float64{5, 6}),
	}
	res, err := ops.Evaluate(l.B.G, vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	// y = sum(W*x*v): dy/dW = x*v, dy/dv = W*x; l2 = 9+16+25+36.
	near(t, "dW", res[l.Outputs[0]].Float64s(), []float64{5, 12}, 1e-12)
	near(t, "dv", res[l.Outputs[1]].Float64s(), []float64{3, 8}, 1e-12)
	near(t, "l2", res[l.Outputs[2]].Float64s(), []float64{86}, 1e-12)

	// Lowering again into the same builder reuses the params.
	l2, err := m.Lower("M.f", LowerOptions{Builder: l.B})
	if err != nil {
		t.Fatal(err)
	}
	if l2.Params[0] != l.Params[0] || l2.Params[1] != l.Params[1] || l2.Outputs[0] != l.Outputs[0] {
		t.Error("second lowering made new nodes")
	}
	// Model arguments override defaults.
	l3, err := m.Lower("M.f", LowerOptions{ModelArgs: map[string]any{"n": 5}})
	if err != nil {
		t.Fatal(err)
	}
	if got := l3.Params[0].Type.String(); got != "f64[5]" {
		t.Errorf("W with n=5 is %s", got)
	}
}

func TestEvalTransposePerm(t *testing.T) {
	// x[i, j, k] = 6i + 3j + k over [2, 2, 3]; transpose to [3, 2, 2] with perm [2, 0, 1]:
	// y[k, i, j] = x[i, j, k].
	x := make([]float64, 12)
	for k := range x {
		x[k] = float64(k)
	}
	out, shapes := evalEntry(t, `fn f(x: f64[2, 2, 3]) -> f64[3, 2, 2] { return transpose(x, [2, 0, 1]) }`, "f", map[string]in{"x": f64([]int{2, 2, 3}, x...)})
	var want []float64
	for k := 0; k < 3; k++ {
		for i := 0; i < 2; i++ {
			for j := 0; j < 2; j++ {
				want = append(want, float64(6*i+3*j+k))
			}
		}
	}
	near(t, "transpose", out[0], want, 0)
	if len(shapes[0]) != 3 || shapes[0][0] != 3 {
		t.Errorf("shape %v", shapes[0])
	}
}
