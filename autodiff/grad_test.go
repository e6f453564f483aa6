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

func must(b *ops.Builder, op *ops.Op, in ...*ops.Node) *ops.Node { return b.Must(op, nil, in...) }

// total is sum(x) to a scalar.
func total(b *ops.Builder, x *ops.Node) *ops.Node { return b.SumTo(x, ops.Shape{}) }

func f64(dims ...int) ops.Type { return ops.T(dims...) }

// evalAll runs the graph's outputs for the given inputs (in g.Inputs order)
// and returns copies.
func evalAll(t *testing.T, g *ops.Graph, in ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	out, err := runtime.NewSession(g, runtime.NewStore()).Run(0, in...)
	if err != nil {
		t.Fatal(err)
	}
	res := make([]*tensor.Tensor, len(out))
	for i, o := range out {
		res[i] = o.Clone()
	}
	return res
}

func randTensor(r *rand.Rand, dims ...int) *tensor.Tensor {
	x := tensor.New(tensor.F64, dims...)
	for i := range x.F64 {
		x.F64[i] = r.NormFloat64()
	}
	return x
}

func close(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

// finiteDiff returns the central-difference gradient of the scalar output
// "y" of g with respect to input k.
func finiteDiff(t *testing.T, g *ops.Graph, k int, in []*tensor.Tensor) []float64 {
	t.Helper()
	yi := -1
	for i, o := range g.Outputs {
		if o.Name == "y" {
			yi = i
		}
	}
	s := runtime.NewSession(g, runtime.NewStore())
	f := func() float64 {
		out, err := s.Run(0, in...)
		if err != nil {
			t.Fatal(err)
		}
		return out[yi].F64[0]
	}
	const h = 1e-5
	x := in[k].F64
	grad := make([]float64, len(x))
	for i := range x {
		old := x[i]
		x[i] = old + h
		fp := f()
		x[i] = old - h
		fm := f()
		x[i] = old
		grad[i] = (fp - fm) / (2 * h)
	}
	return grad
}

func TestGradPolynomial(t *testing.T) {
	// y = sum(x*x*x + x*c) with c broadcast over rows:
	// dy/dx = 3x² + c, dy/dc = sum of x over rows.
	b := ops.NewBuilder()
	x := b.Input("x", f64(2, 3))
	c := b.Input("c", f64(3))
	y := total(b, must(b, ops.Add, must(b, ops.Mul, must(b, ops.Mul, x, x), x), must(b, ops.Mul, x, c)))
	gs, err := Grad(b, y, []*ops.Node{x, c})
	if err != nil {
		t.Fatal(err)
	}
	if !gs[0].Type.Equal(x.Type) || !gs[1].Type.Equal(c.Type) {
		t.Fatalf("gradient types %v, %v", gs[0].Type, gs[1].Type)
	}
	b.Output("y", y)
	b.Output("dx", gs[0])
	b.Output("dc", gs[1])
	r := rand.New(rand.NewPCG(1, 2))
	xv, cv := randTensor(r, 2, 3), randTensor(r, 3)
	out := evalAll(t, b.G, xv, cv)
	for i := 0; i < 6; i++ {
		want := 3*xv.F64[i]*xv.F64[i] + cv.F64[i%3]
		if !close(out[1].F64[i], want, 1e-12) {
			t.Errorf("dx[%d] = %v, want %v", i, out[1].F64[i], want)
		}
	}
	for j := 0; j < 3; j++ {
		want := xv.F64[j] + xv.F64[3+j]
		if !close(out[2].F64[j], want, 1e-12) {
			t.Errorf("dc[%d] = %v, want %v", j, out[2].F64[j], want)
		}
	}
	in := []*tensor.Tensor{xv, cv}
	for k, gi := range []int{1, 2} {
		fd := finiteDiff(t, b.G, k, in)
		for i, v := range fd {
			if !close(out[gi].F64[i], v, 1e-6) {
				t.Errorf("input %d: grad[%d] = %v, finite difference %v", k, i, out[gi].F64[i], v)
			}
		}
	}
}

func TestGradUnusedAndIntermediate(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f64(3))
	z := b.Input("z", f64(2, 2))
	h := must(b, ops.Mul, x, x) // an intermediate x
	y := total(b, must(b, ops.Add, h, x))
	gs, err := Grad(b, y, []*ops.Node{z, h, x})
	if err != nil {
		t.Fatal(err)
	}
	b.Output("dz", gs[0])
	b.Output("dh", gs[1])
	b.Output("dx", gs[2])
	xv := tensor.FromFloat64s(tensor.F64, []int{3}, []float64{1, -2, 0.5})
	zv := tensor.FromFloat64s(tensor.F64, []int{2, 2}, []float64{1, 2, 3, 4})
	out := evalAll(t, b.G, xv, zv)
	for i, v := range out[0].F64 {
		if v != 0 || len(out[0].F64) != 4 {
			t.Errorf("dz[%d] = %v, want 0", i, v)
		}
	}
	for i := range 3 {
		if out[1].F64[i] != 1 {
			t.Errorf("dh[%d] = %v, want 1", i, out[1].F64[i])
		}
		if want := 2*xv.F64[i] + 1; out[2].F64[i] != want {
			t.Errorf("dx[%d] = %v, want %v", i, out[2].F64[i], want)
		}
	}
}

func TestGradOnlyBuildsWhatIsNeeded(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f64(3))
	w := b.Input("w", f64(3))
	side := must(b, ops.Mul, w, w) // does not depend on x
	at := ops.Pos{File: "f.nn", Line: 2, Col: 5}
	b.SetPos(at)
	prod := must(b, ops.Mul, x, side)
	b.SetPos(ops.Pos{File: "f.nn", Line: 3, Col: 9})
	y := total(b, prod)
	end := ops.Pos{File: "f.nn", Line: 4, Col: 1}
	b.SetPos(end)
	before := len(b.G.Nodes)
	gs, err := Grad(b, y, []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	// The gradient of x comes from the rule of prod, and has its position;
	// the builder's position is restored.
	if gs[0].Pos != at || b.Pos() != end {
		t.Errorf("gradient at %v, builder at %v; want %v, %v", gs[0].Pos, b.Pos(), at, end)
	}
	// dy/dx = side: a scalar one, its broadcast, mul by side, and mul's
	// rule also gives the (unused) contribution for side. Nothing for w's branch.
	for _, n := range b.G.Nodes[before:] {
		for _, in := range n.In {
			if in == w {
				t.Errorf("gradient node %v %s reads w: the branch of w was differentiated", n, n.Op.Name)
			}
		}
	}
	if added := len(b.G.Nodes) - before; added > 4 {
		t.Errorf("Grad added %d nodes, want at most 4", added)
	}
}

func TestGradFanOutAndSecondOrder(t *testing.T) {
	// g = d/dx sum(x³) = 3x²; z = sum(g²) = sum(9x⁴); dz/dx = 36x³.
	b := ops.NewBuilder()
	x := b.Input("x", f64(2, 2))
	cube := must(b, ops.Mul, must(b, ops.Mul, x, x), x)
	g1, err := Grad(b, total(b, cube), []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	z := total(b, must(b, ops.Mul, g1[0], g1[0]))
	g2, err := Grad(b, z, []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	b.Output("y", z)
	b.Output("g1", g1[0])
	b.Output("g2", g2[0])
	xv := tensor.FromFloat64s(tensor.F64, []int{2, 2}, []float64{0.5, -1.5, 2, 0.25})
	out := evalAll(t, b.G, xv)
	for i, xi := range xv.F64 {
		if want := 3 * xi * xi; !close(out[1].F64[i], want, 1e-12) {
			t.Errorf("g1[%d] = %v, want %v", i, out[1].F64[i], want)
		}
		if want := 36 * xi * xi * xi; !close(out[2].F64[i], want, 1e-12) {
			t.Errorf("g2[%d] = %v, want %v", i, out[2].F64[i], want)
		}
	}
	fd := finiteDiff(t, b.G, 0, []*tensor.Tensor{xv})
	for i, v := range fd {
		if !close(out[2].F64[i], v, 1e-6) {
			t.Errorf("g2[%d] = %v, finite difference %v", i, out[2].F64[i], v)
		}
	}
}

func TestGradMixedSecondOrder(t *testing.T) {
	// y = sum(x*x*w); d/dw sum((dy/dx)²) = d/dw sum(4x²w²) = 8x²w.
	b := ops.NewBuilder()
	x := b.Input("x", f64(3))
	w := b.Input("w", f64(3))
	y := total(b, must(b, ops.Mul, must(b, ops.Mul, x, x), w))
	gx, err := Grad(b, y, []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	z := total(b, must(b, ops.Mul, gx[0], gx[0]))
	gw, err := Grad(b, z, []*ops.Node{w})
	if err != nil {
		t.Fatal(err)
	}
	b.Output("gw", gw[0])
	xv := tensor.FromFloat64s(tensor.F64, []int{3}, []float64{1, -2, 3})
	wv := tensor.FromFloat64s(tensor.F64, []int{3}, []float64{0.5, 2, -1})
	out := evalAll(t, b.G, xv, wv)
	for i := range 3 {
		if want := 8 * xv.F64[i] * xv.F64[i] * wv.F64[i]; !close(out[0].F64[i], want, 1e-12) {
			t.Errorf("gw[%d] = %v, want %v", i, out[0].F64[i], want)
		}
	}
}

func TestGradErrors(t *testing.T) {
	b := ops.NewBuilder()
	B := ops.DimVar("B")
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.Shape{B, ops.DimConst(3)}})
	labels := b.Input("labels", ops.Type{DType: ops.I32, Shape: ops.Shape{B}})
	y := b.SumTo(x, ops.Shape{})

	_, err := Grad(b, y, []*ops.Node{x, labels})
	if err == nil || err.Error() != "cannot differentiate with respect to integer labels: i32[B]" {
		t.Errorf("integer x: got %v", err)
	}
	_, err = Grad(b, x, []*ops.Node{x})
	if err == nil || !strings.Contains(err.Error(), "f32[B, 3]") {
		t.Errorf("non-scalar y: got %v", err)
	}
	_, err = Grad(b, b.SumTo(labels, ops.Shape{}), []*ops.Node{x})
	if err == nil || !strings.Contains(err.Error(), "i32") {
		t.Errorf("integer y: got %v", err)
	}
}

func TestStopGradient(t *testing.T) {
	// y = sum(x * stop_gradient(x)): dy/dx = stop_gradient(x) = x, not 2x.
	b := ops.NewBuilder()
	x := b.Input("x", f64(3))
	y := total(b, must(b, ops.Mul, x, must(b, ops.StopGradient, x)))
	gs, err := Grad(b, y, []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	b.Output("dx", gs[0])
	xv := tensor.FromFloat64s(tensor.F64, []int{3}, []float64{1, -2, 3})
	out := evalAll(t, b.G, xv)
	for i := range 3 {
		if out[0].F64[i] != xv.F64[i] {
			t.Errorf("dx[%d] = %v, want %v", i, out[0].F64[i], xv.F64[i])
		}
	}
}

// checkFD differentiates y with respect to the graph inputs numbered wrt
// and compares the gradients with central differences at in.
func checkFD(t *testing.T, name string, b *ops.Builder, y *ops.Node, wrt []int, in []*tensor.Tensor) {
	t.Helper()
	inputs := b.G.Inputs()
	var xs []*ops.Node
	for _, k := range wrt {
		xs = append(xs, inputs[k])
	}
	gs, err := Grad(b, y, xs)
	if err != nil {
		t.Fatal(err)
	}
	g := &ops.Graph{Nodes: b.G.Nodes, Outputs: []ops.Output{{Name: "y", Node: y}}}
	for _, gr := range gs {
		g.Outputs = append(g.Outputs, ops.Output{Name: "g", Node: gr})
	}
	out := evalAll(t, g, in...)
	for j, k := range wrt {
		fd := finiteDiff(t, g, k, in)
		got := out[1+j].F64
		for i := range fd {
			if !close(got[i], fd[i], 1e-6) {
				t.Errorf("%s: d/d%s[%d] = %v, finite difference %v", name, inputs[k].Name(), i, got[i], fd[i])
			}
		}
	}
}

func TestGradTanhMatmulAndSecondOrder(t *testing.T) {
	// f = sum(tanh(x @ W) ** 2), the example of the issue; then
	// h = sum((df/dx)²), differentiated with respect to W through df/dx.
	b := ops.NewBuilder()
	x := b.Input("x", f64(3, 4))
	w := b.Input("W", f64(4, 2))
	f := must(b, ops.Sum, must(b, ops.Pow, must(b, ops.Tanh, must(b, ops.Matmul, x, w)), b.Scalar(ops.F64, 2)))
	g1, err := Grad(b, f, []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	h := must(b, ops.Sum, must(b, ops.Mul, g1[0], g1[0]))
	r := rand.New(rand.NewPCG(3, 4))
	in := []*tensor.Tensor{randTensor(r, 3, 4), randTensor(r, 4, 2)}
	checkFD(t, "f", b, f, []int{0, 1}, in)
	checkFD(t, "h", b, h, []int{0, 1}, in)
}

func TestGradCrossEntropySecondOrder(t *testing.T) {
	// f = cross_entropy(x @ W, labels) + mean(sigmoid(x) * log_softmax(x));
	// h = sum((df/dx)²). Labels are integers: no gradient for them.
	b := ops.NewBuilder()
	x := b.Input("x", f64(4, 3))
	w := b.Input("W", f64(3, 5))
	labels := b.Input("labels", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(4)})
	ce := must(b, ops.CrossEntropy, must(b, ops.Matmul, x, w), labels)
	reg := b.Must(ops.Mean, nil, must(b, ops.Mul, must(b, ops.Sigmoid, x), b.Must(ops.LogSoftmax, ops.Attrs{"axis": -1}, x)))
	f := must(b, ops.Add, ce, reg)
	g1, err := Grad(b, f, []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	h := must(b, ops.Sum, must(b, ops.Mul, g1[0], g1[0]))
	if _, err := Grad(b, f, []*ops.Node{labels}); err == nil || !strings.Contains(err.Error(), "integer labels: i32[4]") {
		t.Errorf("gradient for labels: %v", err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	lv := tensor.FromFloat64s(tensor.I32, []int{4}, []float64{4, 0, 2, 2})
	in := []*tensor.Tensor{randTensor(r, 4, 3), randTensor(r, 3, 5), lv}
	checkFD(t, "f", b, f, []int{0, 1}, in)
	checkFD(t, "h", b, h, []int{0, 1}, in)
}
