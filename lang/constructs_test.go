package lang

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// evalWith is evalEntry with lowering options (shapes, training) and the
// params' values given by path.
func evalWith(t *testing.T, src, entry string, opts LowerOptions, inputs map[string]in) ([][]float64, [][]int, *Lowered, map[*ops.Node]*tensor.Tensor) {
	t.Helper()
	m, err := Load("t.nn", []byte(src))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	l, err := m.Lower(entry, opts)
	if err != nil {
		t.Fatalf("Lower: %v", err)
	}
	if err := ops.Verify(l.B.G); err != nil {
		t.Fatalf("Verify: %v", err)
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
	return outs, shapes, l, res
}

func i32(shape []int, v ...float64) in { return in{ops.I32, shape, v} }

// x23 is [[1, 2, 3], [4, 5, 6]].
var x23 = f64([]int{2, 3}, 1, 2, 3, 4, 5, 6)

func TestConstructs(t *testing.T) {
	cases := []struct {
		name, src string
		shapes    map[string]int64
		inputs    map[string]in
		want      []float64
		shape     []int
	}{
		{"index int", `fn f(x: f64[2, 3]) -> f64[3] { return x[1] }`, nil,
			map[string]in{"x": x23}, []float64{4, 5, 6}, []int{3}},
		{"short function form", "fn sq(x: f64[...]) -> f64[...] = x * x\nfn f(x: f64[2, 3]) -> f64[2, 3] { return sq(x) + 1.0 }", nil,
			map[string]in{"x": x23}, []float64{2, 5, 10, 17, 26, 37}, []int{2, 3}},
		{"short method form", "model M(k: float = 3.0) {\n    fn scale(x: f64[..., N]) -> f64[..., N] = x * k\n    fn forward(x: f64[2, 3]) -> f64[2, 3] = scale(x) - 1.0\n}", nil,
			map[string]in{"x": x23}, []float64{2, 5, 8, 11, 14, 17}, []int{2, 3}},
		{"index negative", `fn f(x: f64[2, 3]) -> f64[2] { return x[:, -1] }`, nil,
			map[string]in{"x": x23}, []float64{3, 6}, []int{2}},
		{"index ellipsis", `fn f(x: f64[2, 3]) -> f64[2] { return x[..., 0] }`, nil,
			map[string]in{"x": x23}, []float64{1, 4}, []int{2}},
		{"slice range", `fn f(x: f64[2, 3]) -> f64[2, 2] { return x[:, 1:3] }`, nil,
			map[string]in{"x": x23}, []float64{2, 3, 5, 6}, []int{2, 2}},
		{"slice step", `fn f(x: f64[2, 3]) -> f64[2, 2] { return x[:, ::2] }`, nil,
			map[string]in{"x": x23}, []float64{1, 3, 4, 6}, []int{2, 2}},
		{"slice reversed", `fn f(x: f64[2, 3]) -> f64[3] { return x[1, ::-1] }`, nil,
			map[string]in{"x": x23}, []float64{6, 5, 4}, []int{3}},
		{"scalar element", `fn f(x: f64[2, 3]) -> f64 { return x[-1, -2] }`, nil,
			map[string]in{"x": x23}, []float64{5}, []int{}},
		{"slice with a shape variable", `fn f(p: f64[4, 2], y: f64[T, 2]) -> f64[T, 2] { return p[:T] + y }`, nil,
			map[string]in{"p": f64([]int{4, 2}, 1, 2, 3, 4, 5, 6, 7, 8), "y": f64([]int{3, 2}, 0, 0, 0, 0, 0, 1)},
			[]float64{1, 2, 3, 4, 5, 7}, []int{3, 2}},
		{"tensor index", `fn f(x: f64[2, 3], i: i32[2]) -> f64[2, 2] { return x[:, i] }`, nil,
			map[string]in{"x": x23, "i": i32([]int{2}, 2, 0)}, []float64{3, 1, 6, 4}, []int{2, 2}},
		{"literal", `fn f(x: f64[2, 2]) -> f64[2, 2] { return x + [[1, 2], [3, 4]] }`, nil,
			map[string]in{"x": f64([]int{2, 2}, 10, 20, 30, 40)}, []float64{11, 22, 33, 44}, []int{2, 2}},
		{"literal result and .T", "fn f() -> f32[2, 2] {\n    a = [[1, 2], [3, 4]]\n    return a.T\n}", nil,
			nil, []float64{1, 3, 2, 4}, []int{2, 2}},
		{"literal ids", `fn f(x: f64[2, 3]) -> f64[2, 2] { return take(x, [2, 1], axis = 1) }`, nil,
			map[string]in{"x": x23}, []float64{3, 2, 6, 5}, []int{2, 2}},
		{"comparison masks", `fn f(x: f64[4]) -> f64[4] { return (x > 1.0) * (x * 0.0 + 10.0) + cast(x <= 2.0, f64) + cast(x == 3.0, f64) * 100.0 }`, nil,
			// x = 0, 1, 2, 3: (x>1)*10 = 0,0,10,10; x<=2: 1,1,1,0; (x==3)*100: 0,0,0,100
			map[string]in{"x": f64([]int{4}, 0, 1, 2, 3)}, []float64{1, 1, 11, 110}, []int{4}},
		{"logic on masks", `fn f(x: f64[4]) -> f64[4] { return cast((x > 0.5) && (x < 2.5), f64) + 10.0 * cast((x < 0.5) || (x > 2.5), f64) + 100.0 * cast(!(x > 1.5), f64) }`, nil,
			// and: 0,1,1,0; or: 1,0,0,1; not(x>1.5): 1,1,0,0
			map[string]in{"x": f64([]int{4}, 0, 1, 2, 3)}, []float64{110, 101, 1, 10}, []int{4}},
		{"where", `fn f(x: f64[4]) -> f64[4] { return where(x > 1.5, x, 0.0 - x) }`, nil,
			map[string]in{"x": f64([]int{4}, 0, 1, 2, 3)}, []float64{0, -1, 2, 3}, []int{4}},
		{"tuples", "fn two(x: f64[2]) -> (f64[2], f64) { return x * 2.0, sum(x) }\nfn f(x: f64[2]) -> f64[2] {\n    a, s = two(x)\n    return a + s\n}", nil,
			map[string]in{"x": f64([]int{2}, 1, 2)}, []float64{5, 7}, []int{2}},
		{"for over a shape variable", "fn f(x: f64[T, 2]) -> f64[2] {\n    s = x[0] * 0.0\n    for t in 0..T {\n        s = s + x[t] * (t + 1)\n    }\n    return s\n}",
			map[string]int64{"T": 3}, map[string]in{"x": f64([]int{3, 2}, 1, 2, 3, 4, 5, 6)},
			// 1*[1,2] + 2*[3,4] + 3*[5,6]
			[]float64{22, 28}, []int{2}},
		{"scan", "fn step(c: f64[2], x: f64[2]) -> (f64[2], f64[2]) {\n    c2 = c * 2.0 + x\n    return c2, c2 + 100.0\n}\nfn f(xs: f64[T, 2]) -> (f64[2], f64[T, 2]) {\n    return scan(step, xs[0] * 0.0 + 1.0, xs)\n}",
			map[string]int64{"T": 3}, map[string]in{"xs": f64([]int{3, 2}, 1, 2, 3, 4, 5, 6)},
			// c: [1,1] → [3,4] → [9,12] → [23,30]; ys = c_t + 100; outputs flattened: carry then ys
			[]float64{23, 30, 103, 104, 109, 112, 123, 130}, nil},
		{"scan with a tuple carry", "fn step(c: (f64[1], f64[1]), x: f64[1]) -> ((f64[1], f64[1]), f64[1]) {\n    a, b = c\n    return (b, a + b + x), a\n}\nfn f(xs: f64[4, 1]) -> f64[4, 1] {\n    last, ys = scan(step, (xs[0] * 0.0, xs[0] * 0.0 + 1.0), xs)\n    return ys\n}",
			nil, map[string]in{"xs": f64([]int{4, 1}, 0, 0, 0, 0)},
			// Fibonacci: a = 0, 1, 1, 2
			[]float64{0, 1, 1, 2}, []int{4, 1}},
		{"sub-model list", "model L(k: float) {\n    fn forward(x: f64[2]) -> f64[2] { return x * k }\n}\nmodel M(n: int = 3) {\n    ls = [L(2.0) for i in 0..n]\n    fn forward(x: f64[2]) -> f64[2] {\n        for i in 0..n {\n            x = ls[i](x)\n        }\n        return x\n    }\n}",
			nil, map[string]in{"x": f64([]int{2}, 1, -1)}, []float64{8, -8}, []int{2}},
		{"stop_gradient", `fn f(x: f64[2]) -> f64[2] { return grad(sum(x * stop_gradient(x)), x) }`, nil,
			map[string]in{"x": f64([]int{2}, 3, 4)}, []float64{3, 4}, []int{2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			entry := "f"
			if strings.Contains(c.src, "model M") {
				entry = "M.forward"
			}
			outs, shapes, _, _ := evalWith(t, c.src, entry, LowerOptions{Shapes: c.shapes}, c.inputs)
			var flat []float64
			for _, o := range outs {
				flat = append(flat, o...)
			}
			near(t, c.name, flat, c.want, 1e-12)
			if c.shape != nil && len(shapes) == 1 && fmtShape(shapes[0]) != fmtShape(c.shape) {
				t.Errorf("shape %v, want %v", shapes[0], c.shape)
			}
		})
	}
}

func fmtShape(s []int) string {
	var b strings.Builder
	for _, d := range s {
		b.WriteString(itoa(d) + ",")
	}
	return b.String()
}

// TestStateUpdates: `<-` takes effect only in training.
func TestStateUpdates(t *testing.T) {
	src := `model C() {
    state n: f64 = zeros()

    fn forward(x: f64[2]) -> f64[2] {
        n <- n + 1.0
        if training {
            return x * 2.0
        }
        return x
    }
}
`
	for _, training := range []bool{false, true} {
		outs, _, l, res := evalWith(t, src, "C.forward", LowerOptions{Training: training},
			map[string]in{"x": f64([]int{2}, 1, 2), "n": f64(nil, 5)})
		want := []float64{1, 2}
		if training {
			want = []float64{2, 4}
		}
		near(t, "forward", outs[0], want, 0)
		if !training {
			if len(l.B.G.Updates) != 0 {
				t.Errorf("eval: %d updates", len(l.B.G.Updates))
			}
			continue
		}
		if len(l.B.G.Updates) != 1 || res[l.B.G.Updates[0].Value].At(0) != 6 {
			t.Errorf("training: updates %v", l.B.G.Updates)
		}
	}
}

// TestBuiltinValues checks the new built-ins on hand-computed values.
func TestBuiltinValues(t *testing.T) {
	cases := []struct {
		name, src string
		inputs    map[string]in
		want      []float64
	}{
		{"concat", `fn f(x: f64[2, 3]) -> f64[2, 5] { return concat(x, x[:, :2], axis = 1) }`,
			map[string]in{"x": x23}, []float64{1, 2, 3, 1, 2, 4, 5, 6, 4, 5}},
		{"stack list", `fn f(x: f64[2, 3]) -> f64[3, 2] { return stack([x[0], x[1]], axis = 1) }`,
			map[string]in{"x": x23}, []float64{1, 4, 2, 5, 3, 6}},
		{"split", "fn f(x: f64[2, 3]) -> f64[2, 2] {\n    a, b = split(x, [1, 2], axis = 1)\n    return b - a\n}",
			map[string]in{"x": x23}, []float64{1, 2, 1, 2}},
		{"pad", `fn f(x: f64[1, 2]) -> f64[1, 4] { return pad(x, [0, 0, 1, 1], value = 9.0) }`,
			map[string]in{"x": f64([]int{1, 2}, 1, 2)}, []float64{9, 1, 2, 9}},
		{"flatten", `fn f(x: f64[1, 2, 2]) -> f64[1, 4] { return flatten(x) }`,
			map[string]in{"x": f64([]int{1, 2, 2}, 1, 2, 3, 4)}, []float64{1, 2, 3, 4}},
		{"squeeze and unsqueeze", `fn f(x: f64[2, 1]) -> f64[1, 2] { return unsqueeze(squeeze(x, axis = 1), axis = 0) }`,
			map[string]in{"x": f64([]int{2, 1}, 1, 2)}, []float64{1, 2}},
		{"var and std", `fn f(x: f64[4]) -> f64[3] { return stack(var(x), var(x, ddof = 1), std(x)) }`,
			// x = 1, 2, 3, 6: mean 3, squares 4+1+0+9 = 14: 14/4, 14/3, sqrt(3.5)
			map[string]in{"x": f64([]int{4}, 1, 2, 3, 6)}, []float64{3.5, 14.0 / 3, 1.8708286933869707}},
		{"prod, norm, logsumexp", `fn f(x: f64[2]) -> f64[3] { return stack(prod(x), norm(x), logsumexp(x)) }`,
			// x = 3, 4: 12, 5, log(e^3 + e^4) = 4 + log(1 + e^-1)
			map[string]in{"x": f64([]int{2}, 3, 4)}, []float64{12, 5, 4.313261687518223}},
		{"argmax", `fn f(x: f64[2, 3]) -> i32[2] { return argmax(x, axis = 1) }`,
			map[string]in{"x": f64([]int{2, 3}, 1, 9, 3, 7, 5, 6)}, []float64{1, 0}},
		{"clip and leaky_relu", `fn f(x: f64[3]) -> f64[3] { return clip(x, lo = -1.0, hi = 1.0) + leaky_relu(x, 0.5) }`,
			// x = -2, 0.5, 3: clip -1, 0.5, 1; leaky -1, 0.5, 3
			map[string]in{"x": f64([]int{3}, -2, 0.5, 3)}, []float64{-2, 1, 4}},
		{"arange and eye", `fn f() -> f64[3, 3] { return eye(3, dtype = f64) * arange(3, dtype = f64) }`,
			nil, []float64{0, 0, 0, 0, 1, 0, 0, 0, 2}},
		{"gather", `fn f(x: f64[2, 3], i: i32[2, 1]) -> f64[2, 1] { return gather(x, i, axis = 1) }`,
			map[string]in{"x": x23, "i": i32([]int{2, 1}, 2, 0)}, []float64{3, 4}},
		{"embedding", `fn f(t: f64[3, 2], i: i32[2]) -> f64[2, 2] { return embedding(i, t) }`,
			map[string]in{"t": f64([]int{3, 2}, 1, 2, 3, 4, 5, 6), "i": i32([]int{2}, 2, 0)}, []float64{5, 6, 1, 2}},
		{"mse and huber", `fn f(x: f64[2], y: f64[2]) -> f64[2] { return stack(mse(x, y), huber(x, y)) }`,
			// d = 0.5, 3: mse (0.25 + 9)/2; huber (0.125 + 2.5)/2
			map[string]in{"x": f64([]int{2}, 0.5, 3), "y": f64([]int{2}, 0, 0)}, []float64{4.625, 1.3125}},
		{"batch_norm with statistics", `fn f(x: f64[1, 2], m: f64[2], v: f64[2]) -> f64[1, 2] { return batch_norm(x, [1.0, 2.0], [0.0, 1.0], mean = m, var = v, eps = 0.0) }`,
			// (3 - 1)/2 * 1 + 0 = 1; (5 - 1)/4 * 2 + 1 = 3
			map[string]in{"x": f64([]int{1, 2}, 3, 5), "m": f64([]int{2}, 1, 1), "v": f64([]int{2}, 4, 16)}, []float64{1, 3}},
		{"conv2d", `fn f(x: f64[1, 1, 3, 3], k: f64[1, 1, 2, 2]) -> f64[1, 1, 2, 2] { return conv2d(x, k) }`,
			// k = [[1, 0], [0, 1]]: x[i][j] + x[i+1][j+1] of 1..9
			map[string]in{"x": f64([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9), "k": f64([]int{1, 1, 2, 2}, 1, 0, 0, 1)},
			[]float64{6, 8, 12, 14}},
		{"max_pool2d", `fn f(x: f64[1, 1, 2, 4]) -> f64[1, 1, 1, 2] { return max_pool2d(x, 2) }`,
			map[string]in{"x": f64([]int{1, 1, 2, 4}, 1, 5, 2, 0, 3, 4, 8, 1)}, []float64{5, 8}},
		{"cross_entropy with smoothing", `fn f(x: f64[1, 2], y: i32[1]) -> f64 { return cross_entropy(x, y, label_smoothing = 0.5) }`,
			// logits 0, 0: nll = log 2 for each class; loss = 0.5·log2 + 0.25·(log2 + log2)
			map[string]in{"x": f64([]int{1, 2}, 0, 0), "y": i32([]int{1}, 1)}, []float64{0.6931471805599453}},
		{"attention causal", `fn f(q: f64[2, 1], v: f64[2, 1]) -> f64[2, 1] { return attention(q * 0.0, q * 0.0, v, causal = true) }`,
			// equal scores: row 0 sees v0, row 1 averages v0 and v1
			map[string]in{"q": f64([]int{2, 1}, 1, 2), "v": f64([]int{2, 1}, 2, 4)}, []float64{2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outs, _, _, _ := evalWith(t, c.src, "f", LowerOptions{}, c.inputs)
			near(t, c.name, outs[0], c.want, 1e-12)
		})
	}
}

// TestSymbolicLoops: loops and scans over a shape variable check at Load,
// give types to Signature, and lower as a loop of the plan or, when the
// loop's result could not be cut, need the variables' values.
func TestSymbolicLoops(t *testing.T) {
	src := "fn step(c: f32[2], x: f32[2]) -> (f32[2], f32[2]) { return c + x, c }\nfn f(xs: f32[T, 2]) -> f32[T, 2] {\n    last, ys = scan(step, xs[0], xs)\n    return ys\n}\n"
	m, err := Load("s.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ins, outs, err := m.Signature("f")
	if err != nil || ins[0].Type.String() != "f32[T, 2]" || outs[0].String() != "f32[T, 2]" {
		t.Errorf("Signature: %v %v %v", ins, outs, err)
	}
	// Without T's value the scan runs as a loop of the plan.
	outs3, shapes3, _, _ := evalWith(t, src, "f", LowerOptions{}, map[string]in{"xs": {ops.F32, []int{3, 2}, []float64{1, 2, 3, 4, 5, 6}}})
	if fmt.Sprint(outs3[0], shapes3[0]) != "[1 2 2 4 5 8] [3 2]" {
		t.Errorf("the scan as a loop over T = 3: %v %v, want [1 2 2 4 5 8] [3 2]", outs3[0], shapes3[0])
	}
	l, err := m.Lower("f", LowerOptions{Shapes: map[string]int64{"T": 4}})
	if err != nil || l.Outputs[0].Type.String() != "f32[4, 2]" {
		t.Errorf("Lower with T = 4: %v", err)
	}
	// With two shape variables the loop's result could not be cut, so the
	// scan is unrolled and needs their values.
	two := "fn step(c: f32[N], x: f32[N]) -> (f32[N], f32[N]) { return c + x, c }\nfn f(xs: f32[T, N]) -> f32[T, N] {\n    last, ys = scan(step, xs[0], xs)\n    return ys\n}\n"
	m2, err := Load("s2.nn", []byte(two))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m2.Lower("f", LowerOptions{})
	if err == nil || !strings.Contains(err.Error(), "symbolic length T") || err.(ErrorList)[0].Code != CodeNeedShapes {
		t.Errorf("Lower without shapes: %v", err)
	}
}

// TestMethodsWithClashingInputs: two methods may name inputs alike with
// different types; Load checks them in one model instance.
func TestMethodsWithClashingInputs(t *testing.T) {
	src := "model M() {\n    fn a(x: f32[B, 3]) -> f32[B, 3] { return x }\n    fn b(x: f32[4]) -> f32[4] { return x }\n}\n"
	m, err := Load("m.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"M.a", "M.b"} {
		l, err := m.Lower(e, LowerOptions{})
		if err != nil || l.Inputs[0].Name() != "x" {
			t.Errorf("%s: %v", e, err)
		}
	}
}

// TestStdErrorsNameTheCall: an error inside std/nn names the user's call.
func TestStdErrorsNameTheCall(t *testing.T) {
	src := "import \"std/nn\"\n\nmodel M() {\n    rnn = nn.LSTM(2, 3)\n\n    fn forward(x: f32[B, T, 2]) -> f32[B, T, 3] {\n        return rnn(x)\n    }\n}\n"
	m, err := Load("m.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Lower("M.forward", LowerOptions{})
	if err == nil || !strings.HasSuffix(err.Error(), "(in the call at m.nn:7:16)") || !strings.HasPrefix(err.Error(), "std/nn.nn:") {
		t.Errorf("got %v", err)
	}
}

// TestBuiltinOptions checks that each built-in's options reach its op
// (values from Python's math module, by hand for the shape ops).
func TestBuiltinOptions(t *testing.T) {
	cases := []struct {
		name, src string
		inputs    map[string]in
		want      []float64
	}{
		{"elu alpha", `fn f(x: f64[1]) -> f64[1] { return elu(x, alpha = 2.0) }`,
			map[string]in{"x": f64([]int{1}, -1)}, []float64{-1.2642411176571153}},
		{"gelu forms", `fn f(x: f64[1]) -> f64[2] { return concat(gelu(x), gelu(x, approximate = "tanh")) }`,
			map[string]in{"x": f64([]int{1}, 1)}, []float64{0.8413447460685429, 0.8411919906082768}},
		{"unary functions", `fn f(x: f64[1]) -> f64[6] { return concat(silu(x), softplus(x - 1.0), sign(x - 3.0), erf(x * 0.5), rsqrt(x * 4.0), sin(x * 0.0) + cos(x * 0.0)) }`,
			map[string]in{"x": f64([]int{1}, 1)}, []float64{0.7310585786300049, 0.6931471805599453, -1, 0.5204998778130465, 0.5, 1}},
		{"argmin keepdims", `fn f(x: f64[2, 3]) -> i32[2, 1] { return argmin(x, axis = -1, keepdims = true) }`,
			map[string]in{"x": f64([]int{2, 3}, 3, 1, 2, 0, 5, 6)}, []float64{1, 0}},
		{"broadcast_to", `fn f(x: f64[1, 2]) -> f64[3, 2] { return broadcast_to(x, [3, 2]) }`,
			map[string]in{"x": f64([]int{1, 2}, 1, 2)}, []float64{1, 2, 1, 2, 1, 2}},
		{"split in equal parts", "fn f(x: f64[4]) -> f64[2] {\n    a, b = split(x, 2)\n    return a * b\n}",
			map[string]in{"x": f64([]int{4}, 1, 2, 3, 4)}, []float64{3, 8}},
		{"stack on the last axis", `fn f(x: f64[2]) -> f64[2, 2] { return stack(x, x * 2.0, axis = -1) }`,
			map[string]in{"x": f64([]int{2}, 1, 2)}, []float64{1, 2, 2, 4}},
		{"eye n m", `fn f() -> f64[2, 3] { return eye(2, m = 3, dtype = f64) }`,
			nil, []float64{1, 0, 0, 0, 1, 0}},
		{"arange start stop step", `fn f() -> f64[3] { return arange(1, 7, 2, dtype = f64) }`,
			nil, []float64{1, 3, 5}},
		{"conv1d stride and pad", `fn f(x: f64[1, 1, 4], k: f64[1, 1, 2]) -> f64[1, 1, 3] { return conv1d(x, k, stride = 2, pad = 1) }`,
			// padded 0 1 2 3 4 0, windows at 0, 2, 4: 0+1, 2+3, 4+0 with k = [1, 1]
			map[string]in{"x": f64([]int{1, 1, 4}, 1, 2, 3, 4), "k": f64([]int{1, 1, 2}, 1, 1)}, []float64{1, 5, 4}},
		{"conv2d groups and dilation", `fn f(x: f64[1, 2, 3, 3], k: f64[2, 1, 2, 2]) -> f64[1, 2, 1, 1] { return conv2d(x, k, dilation = 2, groups = 2) }`,
			// each channel: corners of its 3x3 with k = 1s: channel 0 is 1..9 → 1+3+7+9; channel 1 is 10..18 → 10+12+16+18
			map[string]in{"x": f64([]int{1, 2, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18), "k": f64([]int{2, 1, 2, 2}, 1, 1, 1, 1, 1, 1, 1, 1)},
			[]float64{20, 56}},
		{"avg_pool2d without the padding", `fn f(x: f64[1, 1, 2, 2]) -> f64[1, 1, 3, 3] { return avg_pool2d(x, 2, stride = 1, pad = 1, count_include_pad = false) }`,
			// 3x3 windows over the padded 4x4: the means of the real elements each covers
			map[string]in{"x": f64([]int{1, 1, 2, 2}, 1, 2, 3, 4)}, []float64{1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4}},
		{"binary cross entropies", `fn f(p: f64[2], y: f64[2]) -> f64[2] { return stack(binary_cross_entropy(p, y), binary_cross_entropy_with_logits(p * 8.0 - 2.0, y)) }`,
			// p = 0.25, 0.5; y = 1, 0; logits 0, 2
			map[string]in{"p": f64([]int{2}, 0.25, 0.5), "y": f64([]int{2}, 1, 0)}, []float64{1.0397207708399179, 1.410037595801459}},
		{"layer_norm eps", `fn f(x: f64[2]) -> f64[2] { return layer_norm(x, [1.0, 1.0], [0.0, 0.5], eps = 0.0) }`,
			// mean 2, variance 1: -1, 1 (+ beta)
			map[string]in{"x": f64([]int{2}, 1, 3)}, []float64{-1, 1.5}},
		{"cross_entropy weights", `fn f(x: f64[2, 2], y: i32[2]) -> f64 { return cross_entropy(x, y, weights = [1.0, 3.0]) }`,
			// zero logits: nll = log 2 per row; weighted mean = log 2
			map[string]in{"x": f64([]int{2, 2}, 0, 0, 0, 0), "y": i32([]int{2}, 0, 1)}, []float64{0.6931471805599453}},
		{"clip one bound", `fn f(x: f64[2]) -> f64[2] { return clip(x, hi = 0.5) }`,
			map[string]in{"x": f64([]int{2}, -3, 3)}, []float64{-3, 0.5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outs, _, _, _ := evalWith(t, c.src, "f", LowerOptions{}, c.inputs)
			near(t, c.name, outs[0], c.want, 1e-12)
		})
	}
}

// TestRandomCreators: normal and uniform give their shape and range, and two
// calls draw differently.
func TestRandomCreators(t *testing.T) {
	src := `fn f() -> (f32[100], f32[100], f32[2, 3]) { return uniform([100], low = 2.0, high = 3.0), uniform([100], 2.0, 3.0), normal([2, 3], std = 0.1) }`
	outs, shapes, _, _ := evalWith(t, src, "f", LowerOptions{}, nil)
	same := true
	for k, v := range outs[0] {
		if v < 2 || v > 3 {
			t.Fatalf("uniform drew %v", v)
		}
		same = same && v == outs[1][k]
	}
	if same {
		t.Errorf("two uniform calls drew the same values")
	}
	if fmtShape(shapes[2]) != fmtShape([]int{2, 3}) {
		t.Errorf("normal shape %v", shapes[2])
	}
}

// TestBindShapes: the shapes of concrete inputs give LowerOptions.Shapes.
func TestBindShapes(t *testing.T) {
	m, err := Load("b.nn", []byte("fn step(c: f32[2], x: f32[2]) -> (f32[2], f32[2]) { return c + x, c }\nfn f(xs: f32[T, 2], y: f32[T + 1]) -> f32[T, 2] {\n    last, ys = scan(step, xs[0], xs)\n    return ys\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ins, _, err := m.Signature("f")
	if err != nil {
		t.Fatal(err)
	}
	env, err := BindShapes(ins, [][]int{{5, 2}, {6}})
	if err != nil || env["T"] != 5 || len(env) != 1 {
		t.Fatalf("BindShapes: %v %v", env, err)
	}
	if _, err := BindShapes(ins, [][]int{{5, 2}, {5}}); err == nil || !strings.Contains(err.Error(), "axis 0 is 5, not 6") {
		t.Errorf("mismatch: %v", err)
	}
	if _, err := m.Lower("f", LowerOptions{Shapes: env}); err != nil {
		t.Error(err)
	}
}
