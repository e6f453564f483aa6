package lang

import (
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

const modelSrc = `import "std/nn"

model Net(n: int = 2, momentum: float = 0.5) {
    l1 = nn.Dense(n, 3)
    param s: f64 = ones()
    state avg: f32[3] = zeros()
    layers = [nn.Dense(3, 3) for i in 0..2]

    fn forward(x: f32[B, n], twice: bool = false) -> f32[B, 3] {
        h = l1(x)
        for i in 0..2 {
            h = layers[i](h)
        }
        avg <- momentum * avg + (1.0 - momentum) * mean(h, axis = 0)
        if twice {
            return h * 2.0
        }
        return h
    }

    fn call_twice(x: f32[B, n]) -> f32[B, 3] {
        return forward(x, twice = true)
    }

    fn grads(x: f32[B, n]) -> (f32[n, 3], f32[3]) {
        y = sum(forward(x))
        gw, gb = grad(y, (l1.W, l1.b))
        return gw, gb
    }

    fn all_grads(x: f32[B, n]) -> f32 {
        gs = grad(sum(forward(x)) + cast(s, f32), params)
        return sum(gs[0]) + sum(gs[5]) + cast(gs[6], f32)
    }
}
`

func TestModelFeatures(t *testing.T) {
	m, err := Load("net.nn", []byte(modelSrc))
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Lower("Net.forward", LowerOptions{Training: true})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range l.Params {
		paths = append(paths, p.Name())
	}
	want := []string{"l1.W", "l1.b", "layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b", "s"}
	if len(paths) != len(want) {
		t.Fatalf("params %v", paths)
	}
	for k := range want {
		if paths[k] != want[k] {
			t.Fatalf("params %v, want %v", paths, want)
		}
	}
	if len(l.States) != 1 || l.States[0].Name() != "avg" {
		t.Fatalf("states %v", l.States)
	}
	if len(l.Inputs) != 1 || l.Inputs[0].Name() != "x" {
		t.Errorf("inputs %v (compile-time parameters are not inputs)", l.Inputs)
	}
	if u := l.B.G.Updates; len(u) != 1 || u[0].Target != l.States[0] {
		t.Errorf("training updates %v", u)
	}
	le, err := m.Lower("Net.forward", LowerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(le.B.G.Updates) != 0 {
		t.Errorf("evaluation graph has updates")
	}

	// Numbers: x = [[1, 2]], W's identity-like values.
	vals := map[string]*tensor.Tensor{
		"x":          tensor.FromFloat64s(ops.F32, []int{1, 2}, []float64{1, 2}),
		"l1.W":       tensor.FromFloat64s(ops.F32, []int{2, 3}, []float64{1, 0, 1, 0, 1, 1}),
		"l1.b":       tensor.FromFloat64s(ops.F32, []int{3}, []float64{0, 0, 1}),
		"layers.0.W": tensor.FromFloat64s(ops.F32, []int{3, 3}, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}),
		"layers.0.b": tensor.FromFloat64s(ops.F32, []int{3}, []float64{0, 0, 0}),
		"layers.1.W": tensor.FromFloat64s(ops.F32, []int{3, 3}, []float64{2, 0, 0, 0, 2, 0, 0, 0, 2}),
		"layers.1.b": tensor.FromFloat64s(ops.F32, []int{3}, []float64{1, 1, 1}),
		"s":          tensor.FromFloat64s(ops.F64, nil, []float64{3}),
		"avg":        tensor.FromFloat64s(ops.F32, []int{3}, []float64{2, 2, 2}),
	}
	run := func(entry string, training bool) ([][]float64, *Lowered, map[*ops.Node]*tensor.Tensor) {
		t.Helper()
		l, err := m.Lower(entry, LowerOptions{Training: training})
		if err != nil {
			t.Fatal(err)
		}
		if err := ops.Verify(l.B.G); err != nil {
			t.Fatalf("%s: the graph does not verify: %v", entry, err)
		}
		res, err := ops.Evaluate(l.B.G, vals, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]float64
		for _, o := range l.Outputs {
			out = append(out, res[o].Float64s())
		}
		return out, l, res
	}
	// h1 = x @ W1 + b1 = [1, 2, 4]; layer 0 keeps it; layer 1: 2h + 1 = [3, 5, 9].
	out, l, res := run("Net.forward", true)
	near(t, "forward", out[0], []float64{3, 5, 9}, 1e-6)
	// avg <- 0.5 * 2 + 0.5 * [3, 5, 9]
	near(t, "state update", res[l.B.G.Updates[0].Value].Float64s(), []float64{2.5, 3.5, 5.5}, 1e-6)
	out, _, _ = run("Net.call_twice", false)
	near(t, "keyword to forward", out[0], []float64{6, 10, 18}, 1e-6)
	// y = sum(2 * (x @ W1 + b1) + 1): dy/dW1[i, j] = 2 x_i, dy/db1 = 2.
	out, _, _ = run("Net.grads", false)
	near(t, "dW1", out[0], []float64{2, 2, 2, 4, 4, 4}, 1e-6)
	near(t, "db1", out[1], []float64{2, 2, 2}, 1e-6)
	// params in path order: gs[0] = dW1 (sum 18), gs[5] = d/d layers.1.b = 1 each (sum 3), gs[6] = d/ds = 1.
	out, _, _ = run("Net.all_grads", false)
	near(t, "grad params", out[0], []float64{18 + 3 + 1}, 1e-6)
}

func TestComparisons(t *testing.T) {
	out, _ := evalEntry(t, `fn f(x: f64[4], y: f64[4]) -> (bool[4], bool[4], bool[4], bool[4]) { return x < y, x >= y, x == y, x != 2.0 }`, "f",
		map[string]in{"x": f64([]int{4}, 1, 2, 3, 4), "y": f64([]int{4}, 2, 2, 2, 5)})
	near(t, "<", out[0], []float64{1, 0, 0, 1}, 0)
	near(t, ">=", out[1], []float64{0, 1, 1, 0}, 0)
	near(t, "==", out[2], []float64{0, 1, 0, 0}, 0)
	near(t, "!=", out[3], []float64{1, 0, 1, 1}, 0)
}

func TestDropoutAndOptionalUnary(t *testing.T) {
	m, err := Load("d.nn", []byte("fn f(x: f32[4]) -> f32[4] { return dropout(x, p = 0.5) }\n"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Lower("f", LowerOptions{Training: true})
	if err != nil {
		t.Fatal(err)
	}
	masks := 0
	for _, n := range l.B.G.Nodes {
		if n.Op == ops.DropoutMask {
			masks++
		}
	}
	if masks != 1 {
		t.Errorf("%d dropout masks in the training graph", masks)
	}
	src := "fn f(x: f64[2]) -> f64[2] { return sin(x) }\n"
	if _, ok := ops.Lookup("sin"); ok {
		out, _ := evalEntry(t, src, "f", map[string]in{"x": f64([]int{2}, 0, 1.5707963267948966)})
		near(t, "sin", out[0], []float64{0, 1}, 1e-12)
	} else if _, err := Load("s.nn", []byte(src)); err == nil || err.Error() != "s.nn:1:37: built-in sin is not supported yet" {
		t.Errorf("sin without the op: %v", err)
	}
}

func TestRequiredModelArguments(t *testing.T) {
	m, err := Load("r.nn", []byte("model M(n: int, p: float, on: bool) {\n    param w: f32[n] = zeros()\n\n    fn f(x: f32[n]) -> f32[n] {\n        if on {\n            return x * p\n        }\n        return x * w\n    }\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Lower("M.f", LowerOptions{ModelArgs: map[string]any{"n": 3}})
	if err == nil || err.Error() != "r.nn:1:1: model M: argument p has no default: give it a value\nr.nn:1:1: model M: argument on has no default: give it a value" {
		t.Errorf("got %v", err)
	}
	l, err := m.Lower("M.f", LowerOptions{ModelArgs: map[string]any{"n": 3, "p": 2.0, "on": true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Outputs[0].Type.String(); got != "f32[3]" {
		t.Errorf("result %s", got)
	}
}

// TestIntArgAsValue: an int model argument used as a number. Without a
// default it is checked with a placeholder scalar; lowering asks for its
// value; given (or built by a parent), it is that number.
func TestIntArgAsValue(t *testing.T) {
	src := `model Layer(k: int) {
    fn forward(x: f64[B, 2]) -> f64[B, 2] {
        return x * k + 1.0
    }
}

model Two(n: int = 2) {
    a = Layer(n + 1)

    fn forward(x: f64[B, 2]) -> f64[B, 2] {
        return a(x) * n
    }
}
`
	m, err := Load("t.nn", []byte(src))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if _, err := m.Lower("Layer.forward", LowerOptions{}); err == nil ||
		err.Error() != "t.nn:3:20: k needs the value of int argument k, which has no default: give it a value" {
		t.Errorf("Lower without k: %v", err)
	}
	x := f64([]int{1, 2}, 1, -2)
	// x*3+1 = [4, -5]
	outs, _, _, _ := evalWith(t, src, "Layer.forward", LowerOptions{ModelArgs: map[string]any{"k": 3}}, map[string]in{"x": x})
	near(t, "Layer k=3", outs[0], []float64{4, -5}, 0)
	// (x*3+1)*2 = [8, -10]
	outs, _, _, _ = evalWith(t, src, "Two.forward", LowerOptions{}, map[string]in{"x": x})
	near(t, "Two", outs[0], []float64{8, -10}, 0)

	// A shape variable is not a value, at Load already.
	_, err = Load("t.nn", []byte("fn f(x: f32[N]) -> f32[N] {\n    return x * N\n}\n"))
	if list, ok := err.(ErrorList); !ok || len(list) != 1 || list[0].Code != CodeNotConst ||
		list[0].Error() != "t.nn:2:16: N is the symbolic dimension N, not a value known at compile time" {
		t.Errorf("shape variable as a value: %v", err)
	}
}
