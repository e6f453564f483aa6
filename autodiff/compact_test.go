package autodiff_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/tensor"
)

// deepMLP builds the loss of a depth-layer MLP, relu(h @ W + b) per layer
// and a cross-entropy head, with ops directly, and returns it with the params.
func deepMLP(b *ops.Builder, depth, width int) (loss *ops.Node, params []*ops.Node) {
	bdim := ops.DimVar("B")
	f32 := func(dims ...ops.Dim) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.Shape(dims)} }
	c := func(n int) ops.Dim { return ops.DimConst(int64(n)) }
	x := b.Input("x", f32(bdim, c(width)))
	y := b.Input("y", ops.Type{DType: ops.I32, Shape: ops.Shape{bdim}})
	h := x
	for i := range depth {
		w := b.Param(fmt.Sprintf("l%d.W", i), f32(c(width), c(width)), ops.Attrs{"init": "glorot_uniform"})
		bias := b.Param(fmt.Sprintf("l%d.b", i), f32(c(width)), ops.Attrs{"init": "zeros"})
		params = append(params, w, bias)
		h = b.Must(ops.Relu, nil, b.Must(ops.Add, nil, b.Must(ops.Matmul, nil, h, w), bias))
	}
	head := b.Param("head.W", f32(c(width), c(10)), ops.Attrs{"init": "glorot_uniform"})
	params = append(params, head)
	loss = b.Must(ops.CrossEntropy, nil, b.Must(ops.Matmul, nil, h, head), y)
	return loss, params
}

// simplified runs the optimizer's passes up to CSE (not fusion, which
// would hide the count) and returns the number of computed nodes.
func simplified(t *testing.T, g *ops.Graph) int {
	t.Helper()
	for _, name := range []string{"dce", "fold", "simplify", "stability", "cse"} {
		p, _ := opt.Lookup(name)
		var err error
		if g, err = p.Run(g); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, v := range g.Nodes {
		if !v.Op.Leaf {
			n++
		}
	}
	return n
}

func computed(g *ops.Graph) int {
	n := 0
	for _, v := range g.Nodes {
		if !v.Op.Leaf {
			n++
		}
	}
	return n
}

func TestBackwardOfDeepMLPIsCompact(t *testing.T) {
	const depth = 20
	fb := ops.NewBuilder()
	floss, _ := deepMLP(fb, depth, 16)
	fb.Output("loss", floss)
	fwdRaw, fwd := computed(fb.G), simplified(t, fb.G)

	b := ops.NewBuilder()
	loss, params := deepMLP(b, depth, 16)
	gs, err := autodiff.Grad(b, loss, params)
	if err != nil {
		t.Fatal(err)
	}
	b.Output("loss", loss)
	for i, g := range gs {
		b.Output(params[i].Name(), g)
	}
	allRaw, all := computed(b.G), simplified(t, b.G)
	bwdRaw, bwd := allRaw-fwdRaw, all-fwd
	t.Logf("20-layer MLP: forward %d nodes, backward %d (ratio %.2f); as built: forward %d, backward %d (ratio %.2f)",
		fwd, bwd, float64(bwd)/float64(fwd), fwdRaw, bwdRaw, float64(bwdRaw)/float64(fwdRaw))
	if bwd > 3*fwd {
		t.Errorf("backward has %d nodes after simplification, more than 3× the forward's %d", bwd, fwd)
	}
	if bwdRaw > 3*fwdRaw {
		t.Errorf("backward has %d nodes as built, more than 3× the forward's %d", bwdRaw, fwdRaw)
	}
}

// No node of the gradient may compute a gradient for the input x (not asked
// for) or for the integer labels y.
func TestNoBranchForUnaskedOrIntegerInputs(t *testing.T) {
	b := ops.NewBuilder()
	loss, params := deepMLP(b, 3, 8)
	before := len(b.G.Nodes)
	if _, err := autodiff.Grad(b, loss, params[len(params)-1:]); err != nil {
		t.Fatal(err)
	}
	// Only the head's gradient: the backward through the hidden layers
	// (matmuls against any W) must not be built.
	for _, n := range b.G.Nodes[before:] {
		if n.Op == ops.Matmul {
			for _, in := range n.In {
				if p := in.Name(); p != "" && p != "head.W" {
					t.Errorf("gradient node %s reads %s: a branch nobody asked for", n.Op.Name, p)
				}
			}
		}
		if n.Op == ops.Relu || n.Op == ops.Greater {
			t.Errorf("gradient builds %s: the hidden layers were differentiated", n.Op.Name)
		}
	}
}

// A graph holding a custom gradient goes through the optimizer and runs
// with the same results.
func TestCustomGradientSurvivesOptimizer(t *testing.T) {
	if err := autodiff.RegisterCustom("compact_test:clip_grad", autodiff.CustomRule{
		VJP: func(b *ops.Builder, in []*ops.Node, out, g *ops.Node) ([]*ops.Node, error) {
			return []*ops.Node{b.Must(ops.Clip, ops.Attrs{"lo": -0.5, "hi": 0.5}, g)}, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	b := ops.NewBuilder()
	x := b.Input("x", ops.T(4))
	c := b.Input("c", ops.T(4))
	id, err := autodiff.Custom(b, "compact_test:clip_grad", []*ops.Node{x}, b.Must(ops.Mul, nil, x, b.Scalar(ops.F64, 1)))
	if err != nil {
		t.Fatal(err)
	}
	y := b.Must(ops.Sum, nil, b.Must(ops.Mul, nil, id, c))
	gs, err := autodiff.Grad(b, y, []*ops.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	b.Output("y", y)
	b.Output("g", gs[0])
	og, err := opt.Optimize(b.G, opt.Options{Level: 1, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]*tensor.Tensor{
		"x": tensor.FromFloat64s(tensor.F64, []int{4}, []float64{1, 2, 3, 4}),
		"c": tensor.FromFloat64s(tensor.F64, []int{4}, []float64{-2, 0.25, 0.5, 3}),
	}
	for _, g := range []*ops.Graph{b.G, og} {
		res, err := ops.Evaluate(g, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := res[g.Output("y")].F64[0]; got != -2+0.5+1.5+12 {
			t.Errorf("y = %g", got)
		}
		if got := res[g.Output("g")].F64; !slices.Equal(got, []float64{-0.5, 0.25, 0.5, 0.5}) {
			t.Errorf("clipped gradient = %v", got)
		}
	}
}
