package autodiff

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// mlpLike builds y = sum(tanh(x @ W) * x) for x: [3, 4], W: [4, 4], with
// inputs x, W and the tangent inputs tx, tW.
func mlpLike(b *ops.Builder) (x, w, tx, tw, h, y *ops.Node) {
	x = b.Input("x", f64(3, 4))
	w = b.Input("W", f64(4, 4))
	tx = b.Input("tx", f64(3, 4))
	tw = b.Input("tW", f64(4, 4))
	h = must(b, ops.Mul, must(b, ops.Tanh, must(b, ops.Matmul, x, w)), x)
	y = total(b, h)
	return
}

// directional returns (f(in + h·dir) - f(in - h·dir)) / 2h for the output
// named out of g, moving inputs k along dirs[k] (nil: not moved).
func directional(t *testing.T, g *ops.Graph, out string, in []*tensor.Tensor, dirs map[int]*tensor.Tensor) []float64 {
	t.Helper()
	oi := -1
	for i, o := range g.Outputs {
		if o.Name == out {
			oi = i
		}
	}
	s := runtime.NewSession(g, runtime.NewStore())
	const h = 1e-5
	eval := func(sign float64) []float64 {
		moved := make([]*tensor.Tensor, len(in))
		for k, v := range in {
			moved[k] = v.Clone()
			if d := dirs[k]; d != nil {
				for j := range moved[k].F64 {
					moved[k].F64[j] += sign * h * d.F64[j]
				}
			}
		}
		res, err := s.Run(0, moved...)
		if err != nil {
			t.Fatal(err)
		}
		return res[oi].Clone().F64
	}
	hi, lo := eval(1), eval(-1)
	for j := range hi {
		hi[j] = (hi[j] - lo[j]) / (2 * h)
	}
	return hi
}

func assertNear(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for j := range got {
		if !close(got[j], want[j], tol) {
			t.Errorf("%s[%d] = %.9g, finite differences %.9g", what, j, got[j], want[j])
		}
	}
}

func TestJVPAgainstFiniteDifferences(t *testing.T) {
	b := ops.NewBuilder()
	x, w, tx, tw, h, y := mlpLike(b)
	js, err := JVP(b, []*ops.Node{h, y}, []*ops.Node{x, w}, []*ops.Node{tx, tw})
	if err != nil {
		t.Fatal(err)
	}
	only, err := JVP(b, []*ops.Node{h}, []*ops.Node{w}, []*ops.Node{tw})
	if err != nil {
		t.Fatal(err)
	}
	b.Output("h", h)
	b.Output("y", y)
	b.Output("jh", js[0])
	b.Output("jy", js[1])
	b.Output("jw", only[0])
	r := rand.New(rand.NewPCG(1, 2))
	in := []*tensor.Tensor{randTensor(r, 3, 4), randTensor(r, 4, 4), randTensor(r, 3, 4), randTensor(r, 4, 4)}
	res := evalAll(t, b.G, in...)
	both := map[int]*tensor.Tensor{0: in[2], 1: in[3]}
	assertNear(t, "jvp h", res[2].F64, directional(t, b.G, "h", in, both), 1e-6)
	assertNear(t, "jvp y", res[3].F64, directional(t, b.G, "y", in, both), 1e-6)
	assertNear(t, "jvp h along W", res[4].F64, directional(t, b.G, "h", in, map[int]*tensor.Tensor{1: in[3]}), 1e-6)
}

func TestJVPUnreachedAndIntegerOutputs(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f64(3))
	z := b.Input("z", f64(3))
	am := b.Must(ops.Argmax, ops.Attrs{"axis": 0}, x)
	before := len(b.G.Nodes)
	js, err := JVP(b, []*ops.Node{must(b, ops.Exp, z), am}, []*ops.Node{x}, []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range js {
		if !isZero(j) {
			t.Errorf("tangent %d is %s, want zeros", i, j.Op.Name)
		}
	}
	// exp(z) was built before JVP ran; JVP itself adds only the two zeros.
	if added := len(b.G.Nodes) - before; added > 3 {
		t.Errorf("JVP added %d nodes for outputs no tangent reaches", added)
	}
	if _, err := JVP(b, []*ops.Node{x}, []*ops.Node{x}, []*ops.Node{z, z}); err == nil {
		t.Error("no error for a tangent count mismatch")
	}
	i := b.Input("i", ops.TI(3))
	if _, err := JVP(b, []*ops.Node{x}, []*ops.Node{i}, []*ops.Node{nil}); err == nil {
		t.Error("no error for an integer input")
	}
	if _, err := JVP(b, []*ops.Node{x}, []*ops.Node{x}, []*ops.Node{b.Input("w", f64(4))}); err == nil {
		t.Error("no error for a tangent of the wrong shape")
	}
}

func TestVJPSeveralOutputs(t *testing.T) {
	// ys = (x*x, sin(x)), cotangents (c1, c2): x̄ = 2x·c1 + cos(x)·c2.
	b := ops.NewBuilder()
	x := b.Input("x", f64(5))
	c1 := b.Input("c1", f64(5))
	c2 := b.Input("c2", f64(5))
	gs, err := VJP(b, []*ops.Node{must(b, ops.Mul, x, x), must(b, ops.Sin, x)}, []*ops.Node{x}, []*ops.Node{c1, c2})
	if err != nil {
		t.Fatal(err)
	}
	b.Output("g", gs[0])
	r := rand.New(rand.NewPCG(3, 4))
	in := []*tensor.Tensor{randTensor(r, 5), randTensor(r, 5), randTensor(r, 5)}
	got := evalAll(t, b.G, in...)[0].F64
	for j := range got {
		xv := in[0].F64[j]
		want := 2*xv*in[1].F64[j] + math.Cos(xv)*in[2].F64[j]
		if !close(got[j], want, 1e-12) {
			t.Errorf("vjp[%d] = %g, want %g", j, got[j], want)
		}
	}
	if _, err := VJP(b, []*ops.Node{x}, []*ops.Node{x}, []*ops.Node{b.Input("c3", f64(4))}); err == nil {
		t.Error("no error for a cotangent of the wrong shape")
	}
}

func TestHVPAgainstFiniteDifferencesOfTheGradient(t *testing.T) {
	b := ops.NewBuilder()
	x, w, tx, tw, _, y := mlpLike(b)
	sq := total(b, must(b, ops.Square, must(b, ops.Tanh, must(b, ops.Matmul, x, w))))
	loss := must(b, ops.Add, y, sq)
	gs, err := Grad(b, loss, []*ops.Node{x, w})
	if err != nil {
		t.Fatal(err)
	}
	hv, err := HVP(b, loss, []*ops.Node{x, w}, []*ops.Node{tx, tw})
	if err != nil {
		t.Fatal(err)
	}
	b.Output("gx", gs[0])
	b.Output("gW", gs[1])
	b.Output("hx", hv[0])
	b.Output("hW", hv[1])
	r := rand.New(rand.NewPCG(5, 6))
	in := []*tensor.Tensor{randTensor(r, 3, 4), randTensor(r, 4, 4), randTensor(r, 3, 4), randTensor(r, 4, 4)}
	res := evalAll(t, b.G, in...)
	dirs := map[int]*tensor.Tensor{0: in[2], 1: in[3]}
	assertNear(t, "hvp x", res[2].F64, directional(t, b.G, "gx", in, dirs), 1e-6)
	assertNear(t, "hvp W", res[3].F64, directional(t, b.G, "gW", in, dirs), 1e-6)
}

func TestCustomStraightThrough(t *testing.T) {
	// y = sum(sign(x) * c): sign has zero derivative, but a straight-through
	// rule passes the cotangent unchanged, so dy/dx = c.
	if err := RegisterCustom("test:straight_through", CustomRule{
		VJP: func(b *ops.Builder, in []*ops.Node, out, g *ops.Node) ([]*ops.Node, error) {
			return []*ops.Node{g}, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	b := ops.NewBuilder()
	x := b.Input("x", f64(4))
	c := b.Input("c", f64(4))
	s, err := Custom(b, "test:straight_through", []*ops.Node{x}, must(b, ops.Sign, x))
	if err != nil {
		t.Fatal(err)
	}
	y := total(b, must(b, ops.Mul, s, c))
	gs, err := Grad(b, y, []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	js, err := JVP(b, []*ops.Node{y}, []*ops.Node{x}, []*ops.Node{c})
	if err != nil {
		t.Fatal(err)
	}
	b.Output("y", y)
	b.Output("g", gs[0])
	b.Output("j", js[0])
	in := []*tensor.Tensor{
		tensor.FromFloat64s(tensor.F64, []int{4}, []float64{-2, 0.5, 3, -0.1}),
		tensor.FromFloat64s(tensor.F64, []int{4}, []float64{1, 2, 3, 4}),
	}
	res := evalAll(t, b.G, in...)
	if got := res[0].F64[0]; got != -1+2+3-4 {
		t.Errorf("y = %g, want 0 (the forward value is sign's)", got)
	}
	for j, want := range []float64{1, 2, 3, 4} {
		if res[1].F64[j] != want {
			t.Errorf("custom gradient [%d] = %g, want %g", j, res[1].F64[j], want)
		}
	}
	// Without a JVP in the rule, forward mode differentiates sign: zero.
	if res[2].F64[0] != 0 {
		t.Errorf("jvp = %g, want 0", res[2].F64[0])
	}
}

func TestCustomGradientSecondOrderAndErrors(t *testing.T) {
	// A numerically stable log(1+exp(x)) whose rule is sigmoid(x)·g: the
	// second derivative comes from differentiating the rule's graph.
	if err := RegisterCustom("test:softplus", CustomRule{
		VJP: func(b *ops.Builder, in []*ops.Node, out, g *ops.Node) ([]*ops.Node, error) {
			return []*ops.Node{must(b, ops.Mul, g, must(b, ops.Sigmoid, in[0]))}, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	if err := RegisterCustom("test:bad", CustomRule{
		VJP: func(b *ops.Builder, in []*ops.Node, out, g *ops.Node) ([]*ops.Node, error) {
			return []*ops.Node{total(b, g)}, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	b := ops.NewBuilder()
	x := b.Input("x", f64(3))
	sp, err := Custom(b, "test:softplus", []*ops.Node{x}, must(b, ops.Log1p, must(b, ops.Exp, x)))
	if err != nil {
		t.Fatal(err)
	}
	y := total(b, sp)
	g, err := Grad(b, y, []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	hv, err := HVP(b, y, []*ops.Node{x}, []*ops.Node{b.Full(x.Type, 1)})
	if err != nil {
		t.Fatal(err)
	}
	b.Output("g", g[0])
	b.Output("h", hv[0])
	xs := []float64{-1, 0.5, 2}
	res := evalAll(t, b.G, tensor.FromFloat64s(tensor.F64, []int{3}, xs))
	for j, v := range xs {
		s := 1 / (1 + math.Exp(-v))
		if !close(res[0].F64[j], s, 1e-12) || !close(res[1].F64[j], s*(1-s), 1e-12) {
			t.Errorf("x=%g: grad %g hess %g, want %g %g", v, res[0].F64[j], res[1].F64[j], s, s*(1-s))
		}
	}

	bad, err := Custom(b, "test:bad", []*ops.Node{x}, must(b, ops.Exp, x))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Grad(b, total(b, bad), []*ops.Node{x}); err == nil || !strings.Contains(err.Error(), "custom gradient test:bad") {
		t.Errorf("bad rule: got error %v", err)
	}
	if _, err := Custom(b, "test:nobody", []*ops.Node{x}, x); err == nil {
		t.Error("no error for an unknown rule")
	}
}
