package opt

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// loopGraph is a graph running an Elman-like step z = h·w + x_t,
// h' = tanh(z)·2 - z·0.5, y_t = h'·x_t over xs [5, 3] with the carry [2, 3]
// and a captured weight w [2, 3]: every op of the step is elementwise.
func loopGraph(t *testing.T) (*ops.Graph, map[string]*tensor.Tensor) {
	t.Helper()
	f64 := func(s ...int) ops.Type { return ops.Type{DType: ops.F64, Shape: ops.ShapeOf(s...)} }
	b := ops.NewBuilder()
	h0, xs, w := b.Input("h0", f64(2, 3)), b.Input("xs", f64(5, 3)), b.Input("w", f64(2, 3))
	from := len(b.G.Nodes)
	h, x := b.NewLoopArg(f64(2, 3)), b.NewLoopArg(f64(3))
	z := b.Add(b.Mul(h, w), x)
	h2 := b.Sub(b.Mul(b.Must(ops.Tanh, nil, z), b.Scalar(ops.F64, 2)), b.Mul(z, b.Scalar(ops.F64, 0.5)))
	body, caps, err := b.ExtractBody(from, []*ops.Node{h, x}, []*ops.Node{h2, b.Mul(h2, x)}, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != 1 || caps[0] != w {
		t.Fatalf("captures %v, want w", caps)
	}
	flat := b.Must(ops.Loop, ops.Attrs{"body": body}, h0, xs, w)
	outs := ops.LoopOutputs(b, flat)
	b.Output("last", outs[0])
	b.Output("ys", outs[1])
	rng := rand.New(rand.NewPCG(4, 5))
	vals := map[string]*tensor.Tensor{}
	for name, s := range map[string][]int{"h0": {2, 3}, "xs": {5, 3}, "w": {2, 3}} {
		v := tensor.New(ops.F64, s...)
		for i := range v.Len() {
			v.Set(i, rng.NormFloat64())
		}
		vals[name] = v
	}
	return b.G, vals
}

// TestLoopsFusesBodies: the loops pass fuses a loop body's elementwise ops
// and keeps the loop's results; the printed graph shows the body under its
// loop and not the placeholders its building left behind.
func TestLoopsFusesBodies(t *testing.T) {
	g, vals := loopGraph(t)
	after := mustPass(t, "loops", g)
	var loops []*ops.Node
	for _, n := range after.Nodes {
		if n.Op == ops.Loop {
			loops = append(loops, n)
		}
	}
	if len(loops) != 1 {
		t.Fatalf("%d loops after the pass, want 1", len(loops))
	}
	fused := 0
	for _, n := range ops.LoopBody(loops[0]).G.Nodes {
		if n.Op == ops.FusedElementwise {
			fused++
		}
		if n.Op == ops.Tanh || n.Op == ops.Add {
			t.Errorf("the optimized body still has %s", n.Op.Name)
		}
	}
	if fused == 0 {
		t.Errorf("the optimized body has no fused_elementwise:\n%v", ops.LoopBody(loops[0]).G)
	}
	text := g.String()
	if strings.Contains(text, "loop_arg") || !strings.Contains(text, "    | %0 = input \"a0\" f64[2, 3]") ||
		!strings.Contains(text, "1 carries, 1 sequences, 1 captures") {
		t.Errorf("the printed graph:\n%s", text)
	}
	want, err := ops.Evaluate(g, vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ops.Evaluate(after, vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, o := range g.Outputs {
		w, v := want[o.Node].Float64s(), got[after.Outputs[k].Node].Float64s()
		for i := range w {
			if math.Abs(w[i]-v[i]) > 1e-12*(1+math.Abs(w[i])) {
				t.Errorf("%s[%d]: %v after the pass, %v before", o.Name, i, v[i], w[i])
			}
		}
	}
}
