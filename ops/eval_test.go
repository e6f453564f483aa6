package ops_test

import (
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

func TestBindShapes(t *testing.T) {
	n, d := ops.DimVar("n"), ops.DimVar("d")
	b := ops.NewBuilder()
	x := b.Input("x", f32(dB, c(4)))
	y := b.Input("y", f32(n.Add(c(1)), dB))     // n+1: solved for n
	z := b.Input("z", f32(c(2).Mul(d)))         // 2*d: solved for d
	w := b.Param("w", f32(d.Add(n), c(4)), nil) // d+n: checked
	leaves := []*ops.Node{x, y, z, w}
	vals := []*tensor.Tensor{
		tensor.New(ops.F32, 3, 4), tensor.New(ops.F32, 6, 3), tensor.New(ops.F32, 8), tensor.New(ops.F32, 9, 4),
	}
	env, err := ops.BindShapes(leaves, vals)
	if err != nil {
		t.Fatal(err)
	}
	if env["B"] != 3 || env["n"] != 5 || env["d"] != 4 {
		t.Errorf("env = %v, want B=3 n=5 d=4", env)
	}

	bad := []struct {
		vals []*tensor.Tensor
		want string
	}{
		{[]*tensor.Tensor{tensor.New(ops.F32, 3, 5), vals[1], vals[2], vals[3]},
			`input "x": shape [3, 5] does not match f32[B, 4]: dimension 2 is 5, want 4`},
		{[]*tensor.Tensor{vals[0], tensor.New(ops.F32, 6, 2), vals[2], vals[3]},
			`input "y": shape [6, 2] does not match f32[n + 1, B]: B is 2 here but 3 in input "x"`},
		{[]*tensor.Tensor{vals[0], vals[1], tensor.New(ops.F32, 7), vals[3]},
			`input "z": shape [7] does not match f32[2*d]: no value of d makes 2*d equal 7`},
		{[]*tensor.Tensor{vals[0], vals[1], vals[2], tensor.New(ops.F32, 10, 4)},
			`param "w": shape [10, 4] does not match f32[d + n, 4]: d + n is 9, but dimension 1 is 10`},
		{[]*tensor.Tensor{tensor.New(ops.F64, 3, 4), vals[1], vals[2], vals[3]},
			`input "x": got f64[3, 4], want f32[B, 4]`},
		{[]*tensor.Tensor{tensor.New(ops.F32, 3), vals[1], vals[2], vals[3]},
			`input "x": got f32[3], want f32[B, 4]`},
	}
	for _, tt := range bad {
		_, err := ops.BindShapes(leaves, tt.vals)
		if err == nil || err.Error() != tt.want {
			t.Errorf("got %v\nwant %s", err, tt.want)
		}
	}

	// A variable that appears only inside a product cannot be solved.
	b2 := ops.NewBuilder()
	p := b2.Input("p", f32(n.Mul(d)))
	if _, err := ops.BindShapes([]*ops.Node{p}, []*tensor.Tensor{tensor.New(ops.F32, 6)}); err == nil ||
		!strings.Contains(err.Error(), "cannot infer") {
		t.Errorf("n*d: got %v", err)
	}
}

func TestEvaluate(t *testing.T) {
	// loss = sum((x @ W + b) ** 2) on x = [[1, 2]], W = [[1, 0, 2], [0, 1, 1]], b = [1, 1, 1]:
	// x @ W = [1, 2, 4], + b = [2, 3, 5], squares sum to 4 + 9 + 25 = 38.
	b := ops.NewBuilder()
	x := b.Input("x", f32(dB, c(2)))
	W := b.Param("W", f32(c(2), c(3)), ops.Attrs{"init": "zeros"})
	bias := b.Param("b", f32(c(3)), nil)
	h := b.Must(ops.Add, nil, b.Must(ops.Matmul, nil, x, W), bias)
	loss := b.Must(ops.Sum, nil, b.Must(ops.Pow, nil, h, b.Scalar(ops.F32, 2)))
	b.Output("loss", loss)
	res, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{
		"x": tensor.FromFloat64s(ops.F32, []int{1, 2}, []float64{1, 2}),
		"W": tensor.FromFloat64s(ops.F32, []int{2, 3}, []float64{1, 0, 2, 0, 1, 1}),
		"b": tensor.FromFloat64s(ops.F32, []int{3}, []float64{1, 1, 1}),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res[loss].At(0); got != 38 {
		t.Errorf("loss = %g, want 38", got)
	}
	if got := res[h].Shape; !equalInts(got, []int{1, 3}) {
		t.Errorf("h has shape %v", got)
	}
	if _, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{"x": tensor.New(ops.F32, 1, 2)}, nil); err == nil ||
		err.Error() != `param "W" has no value` {
		t.Errorf("missing param: %v", err)
	}
}

func TestPrintAndVerify(t *testing.T) {
	b := ops.NewBuilder()
	b.SetPos(ops.Pos{File: "digits.nn", Line: 9, Col: 18})
	x := b.Input("x", f32(dB, c(64)))
	W := b.Param("l1.W", f32(c(64), c(128)), ops.Attrs{"init": "glorot_uniform"})
	h := b.Must(ops.Matmul, nil, x, W)
	b.SetPos(ops.Pos{})
	s := b.Must(ops.Sum, ops.Attrs{"axes": []int{1}}, h)
	b.Output("out", s)
	b.Update(W, b.Must(ops.Sub, nil, W, W))
	want := `%0 = input "x" f32[B, 64]  // digits.nn:9:18
%1 = param "l1.W" {init="glorot_uniform"} f32[64, 128]  // digits.nn:9:18
%2 = matmul(%0, %1) f32[B, 128]  // digits.nn:9:18
%3 = sum(%2) {axes=[1]} f32[B]
%4 = sub(%1, %1) f32[64, 128]
output out = %3
update l1.W <- %4
`
	if got := b.G.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if err := ops.Verify(b.G); err != nil {
		t.Errorf("Verify: %v", err)
	}

	// Each corruption is caught.
	corrupt := []struct {
		name string
		do   func(g *ops.Graph)
		want string
	}{
		{"id", func(g *ops.Graph) { g.Nodes[2].ID = 7 }, "node 2 has ID 7"},
		{"order", func(g *ops.Graph) { g.Nodes[2].In = []*ops.Node{g.Nodes[3], g.Nodes[1]} }, "does not come before"},
		{"type", func(g *ops.Graph) { g.Nodes[3].Type = f32(c(3)) }, "the type rule gives f32[B]"},
		{"name", func(g *ops.Graph) { g.Nodes[0].Attrs = ops.Attrs{} }, "input without a name"},
		{"update", func(g *ops.Graph) { g.Updates[0].Value = g.Nodes[2] }, "value is f32[B, 128], target is f32[64, 128]"},
		{"output", func(g *ops.Graph) { g.Outputs[0].Node = &ops.Node{ID: 40} }, "output out is not a node"},
	}
	for _, c := range corrupt {
		g := clone(b.G)
		c.do(g)
		if err := ops.Verify(g); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// clone copies the graph's nodes (shallowly) so that a test can corrupt them.
func clone(g *ops.Graph) *ops.Graph {
	c := &ops.Graph{}
	m := map[*ops.Node]*ops.Node{}
	for _, n := range g.Nodes {
		cp := *n
		cp.In = make([]*ops.Node, len(n.In))
		for i, x := range n.In {
			cp.In[i] = m[x]
		}
		m[n] = &cp
		c.Nodes = append(c.Nodes, &cp)
	}
	for _, o := range g.Outputs {
		c.Outputs = append(c.Outputs, ops.Output{Name: o.Name, Node: m[o.Node]})
	}
	for _, u := range g.Updates {
		c.Updates = append(c.Updates, ops.Update{Target: m[u.Target], Value: m[u.Value]})
	}
	return c
}
