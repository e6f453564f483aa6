package opt

import (
	"math"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// TestPrepare: the cross entropy written out is rewritten before
// differentiation, so its gradient is softmax(x) - one_hot(y) over N, finite
// where the written-out gradient divides by a softmax that underflowed.
func TestPrepare(t *testing.T) {
	build := func() (*ops.Builder, *ops.Node) {
		b := ops.NewBuilder()
		x := b.Input("x", f64(2, 3))
		y := b.Input("y", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(2)})
		oh := b.Must(ops.OneHot, ops.Attrs{"n": 3, "dtype": ops.F64}, y)
		lp := b.Must(ops.Log, nil, b.Must(ops.Softmax, nil, x))
		s := b.Must(ops.Sum, ops.Attrs{"axes": []int{1}}, b.Must(ops.Mul, nil, oh, lp))
		b.Must(ops.DropoutMask, ops.Attrs{"p": 0.5, "seed": 3, "shape": ops.ShapeOf(2), "dtype": ops.F64})
		b.Output("loss", b.Must(ops.Neg, nil, b.Must(ops.Mean, nil, s)))
		return b, x
	}
	// Row 0 is ordinary; in row 1 the label's logit is 800 below the others.
	xs := []float64{0.5, -1, 2, 0, 800, 800}
	in := map[string]*tensor.Tensor{
		"x": tensor.FromFloat64s(ops.F64, []int{2, 3}, xs),
		"y": tensor.FromFloat64s(ops.I32, []int{2}, []float64{2, 0}),
	}
	// Expected, computed here: loss = mean(logsumexp(row) - x[label]) and
	// gradient (softmax(row) - onehot) / 2.
	lse0 := math.Log(math.Exp(0.5) + math.Exp(-1) + math.Exp(2))
	lse1 := 800 + math.Log(2+math.Exp(-800))
	wantLoss := ((lse0 - 2) + (lse1 - 0)) / 2
	wantGrad := []float64{
		math.Exp(0.5-lse0) / 2, math.Exp(-1-lse0) / 2, (math.Exp(2-lse0) - 1) / 2,
		(math.Exp(0-lse1) - 1) / 2, math.Exp(800-lse1) / 2, math.Exp(800-lse1) / 2,
	}

	b, _ := build()
	pb, err := Prepare(b.G)
	if err != nil {
		t.Fatal(err)
	}
	if err := ops.Verify(pb.G); err != nil {
		t.Fatal(err)
	}
	if opCount(pb.G, "cross_entropy") != 1 || opCount(pb.G, "softmax") != 0 {
		t.Fatalf("not rewritten:\n%v", pb.G)
	}
	if s := pb.NextSeed(); s != 4 {
		t.Errorf("NextSeed after a graph with seed 3 = %d, want 4", s)
	}
	grads, err := autodiff.Grad(pb, pb.G.Output("loss"), pb.G.Inputs()[:1])
	if err != nil {
		t.Fatal(err)
	}
	pb.Output("dx", grads[0])
	got := outputs(t, pb.G, in)
	if l := got["loss"].F64[0]; !near(l, wantLoss, 1e-12, 1e-12) {
		t.Errorf("loss %v, want %v", l, wantLoss)
	}
	for i, w := range wantGrad {
		if g := got["dx"].F64[i]; !near(g, w, 1e-12, 1e-12) {
			t.Errorf("dx[%d] = %v, want %v", i, g, w)
		}
	}

	// Without Prepare the gradient of row 1 is not finite.
	b, x := build()
	grads, err = autodiff.Grad(b, b.G.Output("loss"), []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	b.Output("dx", grads[0])
	og, err := Optimize(b.G, Options{Level: 1, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := outputs(t, og, in)["dx"].F64; !math.IsNaN(d[3]) && !math.IsInf(d[3], 0) {
		t.Errorf("the written-out gradient is finite (%v): the test shows nothing", d)
	}
}
