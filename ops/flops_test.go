package ops

import (
	"testing"
)

// TestEveryOpHasFlops checks that every registered op declares its FLOP
// rule (NoFlops for ops without arithmetic), so that no op is counted as
// estimated. The test binary links autodiff (the PyTorch comparisons use
// it), so its custom_vjp is checked too.
func TestEveryOpHasFlops(t *testing.T) {
	for _, op := range All() {
		if op.Flops == nil {
			t.Errorf("op %q has no Flops rule", op.Name)
		}
	}
}

// TestNodeFlops checks each rule on one node, against counts worked out by
// hand from the op's definition.
func TestNodeFlops(t *testing.T) {
	f32 := func(dims ...int) Type { return Type{DType: F32, Shape: ShapeOf(dims...)} }
	i32 := func(dims ...int) Type { return Type{DType: I32, Shape: ShapeOf(dims...)} }
	cases := []struct {
		name  string
		op    string
		attrs Attrs
		in    []Type
		want  int64
	}{
		// x [8, 64] @ W [64, 32]: 8·32 outputs, 64 multiply-adds each.
		{"matmul", "matmul", nil, []Type{f32(8, 64), f32(64, 32)}, 2 * 8 * 32 * 64},
		// batched, broadcast: [5, 3, 4] @ [4, 6] → [5, 3, 6], k = 4.
		{"batched matmul", "matmul", nil, []Type{f32(5, 3, 4), f32(4, 6)}, 2 * 5 * 3 * 6 * 4},
		// xᵀ stored [4, 3] (k = 4 on axis 0) @ [4, 5] → [3, 5].
		{"transposed matmul", "matmul", Attrs{"transpose_x": true}, []Type{f32(4, 3), f32(4, 5)}, 2 * 3 * 5 * 4},
		// vector · vector: one output, 7 multiply-adds.
		{"dot", "matmul", nil, []Type{f32(7), f32(7)}, 2 * 7},
		// conv2d [2, 3, 10, 10] * K [16, 3, 3, 3], no padding → [2, 16, 8, 8],
		// each output 3·3·3 multiply-adds.
		{"conv2d", "conv2d", nil, []Type{f32(2, 3, 10, 10), f32(16, 3, 3, 3)}, 2 * (2 * 16 * 8 * 8) * 27},
		// groups 2: K [4, 2, 3, 3] over 4 channels; stride 2, pad 1 on 8x8 → 4x4.
		{"grouped strided conv2d", "conv2d", Attrs{"groups": 2, "stride": 2, "pad": 1},
			[]Type{f32(1, 4, 8, 8), f32(4, 2, 3, 3)}, 2 * (1 * 4 * 4 * 4) * (2 * 9)},
		// conv1d [1, 2, 9] * K [3, 2, 4] → [1, 3, 6].
		{"conv1d", "conv1d", nil, []Type{f32(1, 2, 9), f32(3, 2, 4)}, 2 * (3 * 6) * 8},
		{"add broadcast", "add", nil, []Type{f32(4, 5), f32(5)}, 20},
		{"exp", "exp", nil, []Type{f32(3, 7)}, 21},
		{"where", "where", nil, []Type{{DType: Bool, Shape: ShapeOf(6)}, f32(6), f32(6)}, 6},
		// a reduction reads every element once.
		{"sum all", "sum", nil, []Type{f32(4, 5)}, 20},
		{"max axis", "max", Attrs{"axes": []int{1}}, []Type{f32(4, 5)}, 20},
		{"var", "var", nil, []Type{f32(10)}, 30},
		{"softmax", "softmax", Attrs{"axis": -1}, []Type{f32(2, 10)}, 100},
		{"logsumexp", "logsumexp", Attrs{"axis": -1}, []Type{f32(2, 10)}, 80},
		// cross_entropy over [4, 10]: log_softmax 5·40, then pick and mean 2·4.
		{"cross_entropy", "cross_entropy", nil, []Type{f32(4, 10), i32(4)}, 5*40 + 2*4},
		{"layer_norm", "layer_norm", nil, []Type{f32(3, 8), f32(8), f32(8)}, 7 * 24},
		// max_pool2d 2x2 on [1, 2, 4, 4] → [1, 2, 2, 2], 4 comparisons each.
		{"max_pool2d", "max_pool2d", Attrs{"k": 2}, []Type{f32(1, 2, 4, 4)}, 8 * 4},
		// avg_pool2d adds 4 and divides once per output.
		{"avg_pool2d", "avg_pool2d", Attrs{"k": 2}, []Type{f32(1, 2, 4, 4)}, 8*4 + 8},
		// attention q [2, 5, 8], k [2, 7, 8], v [2, 7, 4]: 2·5·7 scores, each
		// 2·8 (q·k) + 1 (scale) + 5 (softmax) + 2·4 (weights·v).
		{"attention", "attention", nil, []Type{f32(2, 5, 8), f32(2, 7, 8), f32(2, 7, 4)}, 70 * (16 + 1 + 5 + 8)},
		{"reshape", "reshape", Attrs{"shape": ShapeOf(20)}, []Type{f32(4, 5)}, 0},
		{"transpose", "transpose", Attrs{"perm": []int{1, 0}}, []Type{f32(4, 5)}, 0},
		{"embedding", "embedding", nil, []Type{i32(3), f32(10, 4)}, 0},
		{"mse", "mse", nil, []Type{f32(6), f32(6)}, 18},
	}
	for _, c := range cases {
		b := NewBuilder()
		var in []*Node
		for i, ty := range c.in {
			in = append(in, b.Input(string(rune('a'+i)), ty))
		}
		n, err := b.Apply(MustLookup(c.op), c.attrs, in...)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		got, err := Flops(b.G, nil)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: %d FLOPs, want %d (node %v)", c.name, got, c.want, n.Type)
		}
	}
}

// TestFlopsGraph counts a two-layer network with a symbolic batch, per op,
// and checks that a missing shape variable is an error.
func TestFlopsGraph(t *testing.T) {
	b := NewBuilder()
	B := DimVar("B")
	x := b.Input("x", Type{DType: F32, Shape: Shape{B, DimConst(64)}})
	w1 := b.Param("W1", Type{DType: F32, Shape: ShapeOf(64, 32)}, nil)
	b1 := b.Param("b1", Type{DType: F32, Shape: ShapeOf(32)}, nil)
	w2 := b.Param("W2", Type{DType: F32, Shape: ShapeOf(32, 10)}, nil)
	h := b.Must(Relu, nil, b.Must(Add, nil, b.Must(Matmul, nil, x, w1), b1))
	y := b.Must(Sum, nil, b.Must(Matmul, nil, h, w2))
	b.Output("y", y)

	c, err := CountFlops(b.G, map[string]int64{"B": 16})
	if err != nil {
		t.Fatal(err)
	}
	// matmuls 2·16·32·64 + 2·16·10·32, add and relu 16·32 each, sum 16·10.
	want := map[string]int64{"matmul": 2*16*32*64 + 2*16*10*32, "add": 512, "relu": 512, "sum": 160}
	var total int64
	for op, v := range want {
		if c.ByOp[op] != v {
			t.Errorf("%s: %d FLOPs, want %d", op, c.ByOp[op], v)
		}
		total += v
	}
	if c.Total != total || len(c.ByOp) != len(want) || len(c.Estimated) != 0 {
		t.Errorf("count %+v, want total %d", c, total)
	}
	if _, err := Flops(b.G, nil); err == nil {
		t.Error("no error without a value for B")
	}

	// A node the output does not depend on is not counted once the graph
	// has outputs; without outputs every node counts.
	dead := b.Must(Exp, nil, h)
	if got, _ := Flops(b.G, map[string]int64{"B": 16}); got != total {
		t.Errorf("with a dead node: %d FLOPs, want %d", got, total)
	}
	b.G.Outputs = nil
	if got, _ := Flops(b.G, map[string]int64{"B": 16}); got != total+16*32 {
		t.Errorf("without outputs: %d FLOPs, want %d (node %v counted)", got, total+16*32, dead)
	}
	// An update's value counts like an output.
	s := b.State("s", Type{DType: F32, Shape: ShapeOf(32)}, nil)
	b.Update(s, b.Must(Add, nil, s, b.Must(Sum, Attrs{"axes": []int{0}}, h)))
	if got, _ := Flops(b.G, map[string]int64{"B": 16}); got != 2*16*32*64+512+512+16*32+32 {
		t.Errorf("update only: %d FLOPs", got)
	}
}

// TestFlopsUnknownOp checks the fallback: an op without a rule counts one
// per output element and is listed.
func TestFlopsUnknownOp(t *testing.T) {
	op := &Op{Name: "flops_test_unknown", Arity: 1, Infer: func(in []Type, _ Attrs) (Type, error) { return in[0], nil }}
	b := NewBuilder()
	x := b.Input("x", Type{DType: F32, Shape: ShapeOf(3, 4)})
	n := &Node{ID: len(b.G.Nodes), Op: op, In: []*Node{x}, Type: x.Type}
	b.G.Nodes = append(b.G.Nodes, n)
	c, err := CountFlops(b.G, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Total != 12 || len(c.Estimated) != 1 || c.Estimated[0] != "flops_test_unknown" {
		t.Errorf("count %+v", c)
	}
}
