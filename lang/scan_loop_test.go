package lang

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// scanLoopSrc is an LSTM-like step with a tuple carry, a tuple of
// sequences, a tuple of per-step results, a weight computed before the
// loop (U2, captured) and the model's params read inside it.
const scanLoopSrc = `model Cell() {
    param W: f64[3, 4] = glorot_uniform()
    param U: f64[4, 4] = orthogonal()
    param v: f64[4] = zeros()

    fn step(hc: (f64[B, 4], f64[B, 4]), x: (f64[B, 3], f64[B, 1])) -> ((f64[B, 4], f64[B, 4]), (f64[B, 4], f64[B])) {
        h, c = hc
        u, m = x
        U2 = U * 0.5
        c2 = tanh(u @ W + h @ U2 + v) * m + c * sigmoid(h)
        h2 = sigmoid(c2) * tanh(c2 @ U)
        return (h2, c2), (h2 * 2.0, sum(h2 * c2, axis = 1))
    }

    fn loss(xs: f64[T, B, 3], ms: f64[T, B, 1], h0: f64[B, 4]) -> f64 {
        hc, ys = scan(step, (h0, h0 * 0.5), (xs, ms))
        h, c = hc
        a, s = ys
        return sum(a ** 2) + sum(s * 0.5) + sum(h * c) + sum(c)
    }
}
`

// scanLoopRun lowers Cell.loss with the given unrolling limit and returns
// the loss and its gradients with respect to the params and the inputs.
func scanLoopRun(t *testing.T, unroll int, vals map[string]*tensor.Tensor) ([][]float64, *Lowered) {
	t.Helper()
	m, err := Load("cell.nn", []byte(scanLoopSrc))
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Lower("Cell.loss", LowerOptions{ScanUnroll: unroll, Training: true, Shapes: map[string]int64{"T": 9, "B": 2}})
	if err != nil {
		t.Fatal(err)
	}
	xs := append(append([]*ops.Node(nil), l.Params...), l.Inputs...)
	grads, err := autodiff.Grad(l.B, l.Outputs[0], xs)
	if err != nil {
		t.Fatal(err)
	}
	for k, g := range grads {
		l.B.Output(fmt.Sprintf("g%d", k), g)
	}
	if err := ops.Verify(l.B.G); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	res, err := ops.Evaluate(l.B.G, vals, &ops.Ctx{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	out := [][]float64{res[l.Outputs[0]].Float64s()}
	for _, g := range grads {
		out = append(out, res[g].Float64s())
	}
	return out, l
}

func countOp(g *ops.Graph, op *ops.Op) int {
	k := 0
	live := g.Needed()
	for _, n := range g.Nodes {
		if n.Op == op && live[n.ID] {
			k++
		}
	}
	return k
}

// TestScanLoopMatchesUnrolled: the scan run as a loop (ScanUnroll 1) gives
// the loss and the gradients of the unrolled scan (whose values the spec
// tests check against PyTorch), for a tuple carry, tuple sequences, tuple
// results, captured params and a value computed inside the step from a
// param alone.
func TestScanLoopMatchesUnrolled(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(shape ...int) *tensor.Tensor {
		v := tensor.New(tensor.F64, shape...)
		for i := range v.Len() {
			v.Set(i, rng.NormFloat64())
		}
		return v
	}
	const T, B = 9, 2
	vals := map[string]*tensor.Tensor{
		"W": draw(3, 4), "U": draw(4, 4), "v": draw(4),
		"xs": draw(T, B, 3), "ms": draw(T, B, 1), "h0": draw(B, 4),
	}
	want, unrolled := scanLoopRun(t, 1<<20, vals)
	got, looped := scanLoopRun(t, 1, vals)
	if n := countOp(unrolled.B.G, ops.Loop); n != 0 {
		t.Fatalf("the unrolled scan has %d loops", n)
	}
	if n := countOp(looped.B.G, ops.Loop); n < 2 {
		t.Fatalf("the looped scan and its gradient have %d loops, want 2 or more", n)
	}
	for k := range want {
		if len(got[k]) != len(want[k]) {
			t.Fatalf("result %d: %d values, want %d", k, len(got[k]), len(want[k]))
		}
		for i := range want[k] {
			if d := math.Abs(got[k][i] - want[k][i]); d > 1e-12*(1+math.Abs(want[k][i])) || math.IsNaN(got[k][i]) {
				t.Errorf("result %d[%d]: loop %v, unrolled %v", k, i, got[k][i], want[k][i])
			}
		}
	}
}

// TestScanLoopFlat: a scan past the unrolling limit lowers to the same
// graph whatever its length, and one past the old unrolling budget lowers.
func TestScanLoopFlat(t *testing.T) {
	src := "fn step(h: f32[B, 8], x: f32[B, 8]) -> (f32[B, 8], f32[B, 8]) {\n    h2 = tanh(h + x)\n    return h2, h2\n}\n" +
		"fn f(xs: f32[T, B, 8]) -> f32 {\n    h, hs = scan(step, xs[0] * 0.0, xs)\n    return sum(hs) + sum(h)\n}\n"
	m, err := Load("flat.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, T := range []int64{500, 5000, 200000} {
		l, err := m.Lower("f", LowerOptions{Shapes: map[string]int64{"T": T, "B": 4}})
		if err != nil {
			t.Fatalf("T = %d: %v", T, err)
		}
		sizes = append(sizes, len(l.B.G.Nodes))
		l.B.Output("loss", l.Outputs[0])
		if countOp(l.B.G, ops.Loop) != 1 {
			t.Fatalf("T = %d: no loop", T)
		}
	}
	if sizes[0] != sizes[1] || sizes[1] != sizes[2] {
		t.Errorf("graph sizes %v for T = 500, 5000, 200000; want one size", sizes)
	}
}

// TestScanLoopDropout: a dropout in a step run as a loop draws a new mask
// at every step, and the gradient's recomputation of each step draws the
// same mask: with xs all ones, d sum(ys) / d xs is ys itself.
func TestScanLoopDropout(t *testing.T) {
	src := "fn step(c: f64[16], x: f64[16]) -> (f64[16], f64[16]) {\n    d = dropout(x, 0.5)\n    return c + d, d\n}\n" +
		"fn f(xs: f64[T, 16]) -> f64 {\n    c, ys = scan(step, xs[0] * 0.0, xs)\n    return sum(ys) + sum(c) * 0.0\n}\n" +
		"fn g(xs: f64[T, 16]) -> f64[T, 16] {\n    c, ys = scan(step, xs[0] * 0.0, xs)\n    return ys\n}\n"
	m, err := Load("drop.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	const T = 300
	opts := LowerOptions{Training: true, Shapes: map[string]int64{"T": T}}
	ones := tensor.New(tensor.F64, T, 16)
	for i := range ones.Len() {
		ones.Set(i, 1)
	}
	lf, err := m.Lower("f", opts)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := autodiff.Grad(lf.B, lf.Outputs[0], lf.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	if countOp(&ops.Graph{Nodes: lf.B.G.Nodes, Outputs: []ops.Output{{Name: "g", Node: grads[0]}}}, ops.Loop) < 2 {
		t.Fatal("the scan and its gradient are not loops")
	}
	res, err := ops.Evaluate(lf.B.G, map[string]*tensor.Tensor{"xs": ones}, &ops.Ctx{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	lg, err := m.Lower("g", opts)
	if err != nil {
		t.Fatal(err)
	}
	resY, err := ops.Evaluate(lg.B.G, map[string]*tensor.Tensor{"xs": ones}, &ops.Ctx{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	ys, dx := resY[lg.Outputs[0]].Float64s(), res[grads[0]].Float64s()
	rows := map[string]bool{}
	kept := 0
	for r := range T {
		rows[fmt.Sprint(ys[r*16:(r+1)*16])] = true
		for _, v := range ys[r*16 : (r+1)*16] {
			if v != 0 && v != 2 {
				t.Fatalf("ys holds %v, want 0 or 2", v)
			}
			if v == 2 {
				kept++
			}
		}
	}
	if len(rows) < T-5 {
		t.Errorf("%d distinct masks in %d steps", len(rows), T)
	}
	if frac := float64(kept) / (T * 16); frac < 0.45 || frac > 0.55 {
		t.Errorf("kept %.3f of the values, want about 0.5", frac)
	}
	for i := range ys {
		if dx[i] != ys[i] {
			t.Fatalf("d sum(ys) / d xs[%d] = %v, but ys[%d] = %v: the gradient's masks differ", i, dx[i], i, ys[i])
		}
	}
}
