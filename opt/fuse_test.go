package opt

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// TestFuseProgram: y = tanh(x*w + b) * 0.5 with a bias broadcast along rows
// becomes one node whose program lists the member ops in order.
func TestFuseProgram(t *testing.T) {
	b := ops.NewBuilder()
	x, w, bias := b.Input("x", f64(4, 3)), b.Input("w", f64(4, 3)), b.Input("b", f64(3))
	h := b.Must(ops.Add, nil, b.Must(ops.Mul, nil, x, w), bias)
	b.Output("y", b.Must(ops.Mul, nil, b.Must(ops.Tanh, nil, h), b.Scalar(ops.F64, 0.5)))
	after := mustPass(t, "fuse", b.G)
	y := after.Output("y")
	if y.Op != ops.FusedElementwise || opCount(after, "fused_elementwise") != 1 || len(after.Nodes) != 4 {
		t.Fatalf("not one fused node:\n%v", after)
	}
	if p := y.Attrs.Str("program", ""); p != "t0=mul(x0,x1); t1=add(t0,x2); t2=tanh(t1); t3=mul(t2,0.5)" {
		t.Errorf("program %q", p)
	}
	for i, name := range []string{"x", "w", "b"} {
		if y.In[i].Name() != name {
			t.Errorf("operand %d is %v, want %s", i, y.In[i], name)
		}
	}
}

// TestFuseBoundaries: a value read outside the tree, an output or an update
// value is not absorbed; neither is a member smaller than the root
// (recomputed per row) nor a non-elementwise op; lone ops stay; a sum
// over the first axis is not fused with its operand.
func TestFuseBoundaries(t *testing.T) {
	b := ops.NewBuilder()
	x, v := b.Input("x", f64(4, 3)), b.Input("v", f64(3))
	p := b.Param("p", f64(3), nil)
	e := b.Must(ops.Exp, nil, x)                         // read by two trees
	b.Output("a", b.Must(ops.Add, nil, e, x))            // tree 1: add alone (e is shared)
	b.Output("b", b.Must(ops.Mul, nil, e, e))            // tree 2: mul alone
	sv := b.Must(ops.Sqrt, nil, b.Must(ops.Abs, nil, v)) // [3] under a [4, 3] root
	b.Output("c", b.Must(ops.Sub, nil, x, sv))           // sub alone; sqrt(abs) fused
	o := b.Must(ops.Neg, nil, x)
	b.Output("o", o)
	b.Output("d", b.Must(ops.Exp, nil, o)) // o is an output: not absorbed
	s := b.Must(ops.Sum, ops.Attrs{"axes": []int{0}}, b.Must(ops.Relu, nil, x))
	b.Output("s", b.Must(ops.Log, nil, s)) // sum over the first axis: no fused_reduce
	nv := b.Must(ops.Mul, nil, p, b.Scalar(ops.F64, 0.9))
	b.Update(p, nv)
	b.Output("u", b.Must(ops.Tanh, nil, nv)) // nv is an update value
	after := mustPass(t, "fuse", b.G)
	if n := opCount(after, "fused_elementwise"); n != 1 {
		t.Errorf("%d fused nodes, want 1 (sqrt(abs(v)))\n%v", n, after)
	}
	for _, op := range []string{"exp", "add", "mul", "sub", "neg", "relu", "sum", "log", "tanh"} {
		if opCount(after, op) == 0 {
			t.Errorf("%s was fused away:\n%v", op, after)
		}
	}
	in := randomInputs(b.G, rand.New(rand.NewPCG(3, 4)), true)
	compare(t, "fuse boundaries", outputs(t, b.G, in), outputs(t, after, in), 0, 0)
}

// TestFusedBitwise: fused trees give bitwise the values of the unfused ops,
// in f32 and f64, through a runtime session (planned buffers), for shapes
// below and above a tile and with every kind of broadcast operand.
func TestFusedBitwise(t *testing.T) {
	for _, dt := range []ops.DType{ops.F32, ops.F64} {
		for _, n := range []int{1, 5, 700} {
			ty := func(d ...int) ops.Type { return ops.Type{DType: dt, Shape: ops.ShapeOf(d...)} }
			b := ops.NewBuilder()
			x := b.Input("x", ty(n, 7))
			col := b.Input("col", ty(n, 1))
			row := b.Input("row", ty(7))
			s := b.Input("s", ty())
			c := func(v float64) *ops.Node { return b.Scalar(dt, v) }
			// GELU's tanh form and a normalization-like chain.
			x3 := b.Must(ops.Mul, nil, b.Must(ops.Mul, nil, x, x), x)
			inner := b.Must(ops.Mul, nil, c(0.7978845608), b.Must(ops.Add, nil, x, b.Must(ops.Mul, nil, c(0.044715), x3)))
			gelu := b.Must(ops.Mul, nil, b.Must(ops.Mul, nil, c(0.5), x), b.Must(ops.Add, nil, c(1), b.Must(ops.Tanh, nil, inner)))
			d := b.Must(ops.Sub, nil, gelu, col)
			norm := b.Must(ops.Div, nil, d, b.Must(ops.Sqrt, nil, b.Must(ops.Add, nil, b.Must(ops.Square, nil, col), c(1e-5))))
			y := b.Must(ops.Add, nil, b.Must(ops.Mul, nil, norm, row), b.Must(ops.Sigmoid, nil, s))
			m := b.Must(ops.Maximum, nil, b.Must(ops.Minimum, nil, y, c(3)), b.Must(ops.Neg, nil, b.Must(ops.Abs, nil, s)))
			z := b.Must(ops.Mul, nil, m, b.Must(ops.Greater, nil, x, c(0)))
			z = b.Must(ops.Add, nil, z, b.Must(ops.Mul, nil, b.Must(ops.Less, nil, x, row), b.Must(ops.Pow, nil, b.Must(ops.Exp, nil, row), c(2))))
			b.Output("z", z)
			after := mustPass(t, "fuse", b.G)
			if opCount(after, "fused_elementwise") == 0 || len(after.Nodes) > 8 {
				t.Fatalf("%v n=%d: not fused:\n%v", dt, n, after)
			}
			in := randomInputs(b.G, rand.New(rand.NewPCG(uint64(n), 7)), false)
			want := outputs(t, b.G, in)
			got := runSession(t, after, in)
			compare(t, "fused", want, got, 0, 0)
		}
	}
}

// runSession runs g once with a runtime session (params from in) and returns
// its outputs and update values by name, cloned.
func runSession(t *testing.T, g *ops.Graph, in map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	store := runtime.NewStore()
	for _, n := range append(g.Params(), g.States()...) {
		store.Set(n.Name(), in[n.Name()].Clone())
	}
	sess := runtime.NewSession(g, store)
	var args []*tensor.Tensor
	for _, n := range g.Inputs() {
		args = append(args, in[n.Name()])
	}
	res, err := sess.Run(0, args...)
	if err != nil {
		t.Fatalf("run: %v\n%v", err, g)
	}
	out := map[string]*tensor.Tensor{}
	for i, o := range g.Outputs {
		out[o.Name] = res[i].Clone()
	}
	for _, u := range g.Updates {
		out["update "+u.Target.Name()] = store.Get(u.Target.Name()).Clone()
	}
	return out
}

// TestFuseReduce: sums and means over the last axis or every axis of an
// elementwise tree become fused_reduce, bitwise equal to the unfused ops, in
// f32 and f64, for rows shorter and longer than a tile.
func TestFuseReduce(t *testing.T) {
	for _, dt := range []ops.DType{ops.F32, ops.F64} {
		for _, dims := range [][2]int{{3, 5}, {70, 33}, {2, 3000}} {
			r, c := dims[0], dims[1]
			ty := func(d ...int) ops.Type { return ops.Type{DType: dt, Shape: ops.ShapeOf(d...)} }
			b := ops.NewBuilder()
			x, col := b.Input("x", ty(r, c)), b.Input("col", ty(r, 1))
			d := b.Must(ops.Sub, nil, x, col)
			sq := b.Must(ops.Square, nil, d)
			b.Output("var", b.Must(ops.Mean, ops.Attrs{"axes": []int{-1}, "keepdims": true}, sq))
			b.Output("sum", b.Must(ops.Sum, ops.Attrs{"axes": []int{1}}, b.Must(ops.Exp, nil, x)))
			b.Output("all", b.Must(ops.Mean, nil, b.Must(ops.Abs, nil, b.Must(ops.Mul, nil, x, x))))
			b.Output("both", b.Must(ops.Sum, ops.Attrs{"axes": []int{0, 1}}, b.Must(ops.Tanh, nil, x)))
			after := mustPass(t, "fuse", b.G)
			if n := opCount(after, "fused_reduce"); n != 4 || opCount(after, "sum")+opCount(after, "mean") != 0 {
				t.Fatalf("%d fused reductions, want 4:\n%v", n, after)
			}
			in := randomInputs(b.G, rand.New(rand.NewPCG(uint64(r), uint64(c))), false)
			compare(t, "fused reductions", outputs(t, b.G, in), runSession(t, after, in), 0, 0)
		}
	}
}

// TestFuseMatmulEpilogue: relu(x @ w + b) becomes one fused_matmul (with the
// transpose flags kept), bitwise equal to the unfused ops; a matmul read
// elsewhere too is not fused.
func TestFuseMatmulEpilogue(t *testing.T) {
	for _, dt := range []ops.DType{ops.F32, ops.F64} {
		ty := func(d ...int) ops.Type { return ops.Type{DType: dt, Shape: ops.ShapeOf(d...)} }
		b := ops.NewBuilder()
		x, w, bias := b.Input("x", ty(37, 20)), b.Input("w", ty(30, 20)), b.Input("b", ty(30))
		mm := b.Must(ops.Matmul, ops.Attrs{"transpose_w": true}, x, w)
		b.Output("h", b.Must(ops.Relu, nil, b.Must(ops.Add, nil, mm, bias)))
		mm2 := b.Must(ops.Matmul, nil, x, b.Must(ops.Transpose, nil, w))
		b.Output("shared", b.Must(ops.Add, nil, mm2, bias))
		b.Output("shared2", b.Must(ops.Exp, nil, mm2))
		after := mustPass(t, "fuse", b.G)
		if opCount(after, "fused_matmul") != 1 || opCount(after, "matmul") != 1 {
			t.Fatalf("want one fused_matmul and one matmul:\n%v", after)
		}
		h := after.Output("h")
		if h.Op != ops.FusedMatmul || !h.Attrs.Bool("transpose_w", false) || h.Attrs.Str("program", "") != "t0=add(x0,x1); t1=relu(t0)" {
			t.Errorf("h is %v %v", h.Op.Name, h.Attrs)
		}
		in := randomInputs(b.G, rand.New(rand.NewPCG(8, 9)), false)
		compare(t, "epilogue", outputs(t, b.G, in), runSession(t, after, in), 0, 0)
	}
}

// TestFuseParamUpdateNoEpilogue: plain SGD's new weight w - lr·(xᵀ·d)
// reads the weight, so it is a fused_elementwise beside its gradient's
// matmul (which the runtime can write into the weight in place), not that
// matmul's epilogue; an update value that does not read its param (v's)
// still is one. Both give the unfused values bitwise.
func TestFuseParamUpdateNoEpilogue(t *testing.T) {
	b := ops.NewBuilder()
	x, d, d2 := b.Input("x", f64(37, 30)), b.Input("d", f64(37, 20)), b.Input("d2", f64(37, 20))
	w, v := b.Param("w", f64(30, 20), nil), b.Param("v", f64(30, 20), nil)
	g := b.Must(ops.Matmul, ops.Attrs{"transpose_x": true}, x, d)
	b.Update(w, b.Must(ops.Sub, nil, w, b.Must(ops.Mul, nil, b.Scalar(ops.F64, 0.01), g)))
	g2 := b.Must(ops.Matmul, ops.Attrs{"transpose_x": true}, x, d2)
	b.Update(v, b.Must(ops.Mul, nil, b.Scalar(ops.F64, 0.5), b.Must(ops.Neg, nil, g2)))
	b.Output("loss", b.Must(ops.Sum, nil, d))
	after := mustPass(t, "fuse", b.G)
	for _, u := range after.Updates {
		want := map[string]*ops.Op{"w": ops.FusedElementwise, "v": ops.FusedMatmul}[u.Target.Name()]
		if u.Value.Op != want {
			t.Errorf("update of %s is %s, want %s:\n%v", u.Target.Name(), u.Value.Op.Name, want.Name, after)
		}
	}
	if u := after.Updates[0]; u.Value.Op == ops.FusedElementwise && (u.Value.In[0] != u.Target && u.Value.In[1] != u.Target) {
		t.Errorf("w's new value does not read w: %v", u.Value.In)
	}
	in := randomInputs(b.G, rand.New(rand.NewPCG(5, 6)), false)
	compare(t, "param update", outputs(t, b.G, in), runSession(t, after, in), 0, 0)
}

// TestFuseDuplicatesCheapOps: layer norm's d = x - mean feeds the variance
// and the normalization; both recompute it, so it is never stored, and the
// result is bitwise the unfused one. An expensive shared op (exp) is stored.
func TestFuseDuplicatesCheapOps(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f64(5, 300))
	gamma := b.Input("gamma", f64(300))
	keep := ops.Attrs{"axes": []int{1}, "keepdims": true}
	mean := b.Must(ops.Mean, keep, x)
	d := b.Must(ops.Sub, nil, x, mean)
	v := b.Must(ops.Mean, keep, b.Must(ops.Square, nil, d))
	norm := b.Must(ops.Div, nil, d, b.Must(ops.Sqrt, nil, b.Must(ops.Add, nil, v, b.Scalar(ops.F64, 1e-5))))
	b.Output("y", b.Must(ops.Mul, nil, norm, gamma))
	e := b.Must(ops.Exp, nil, x)
	b.Output("z", b.Must(ops.Add, nil, b.Must(ops.Mul, nil, e, e), e))
	b.Output("w", b.Must(ops.Add, nil, e, x))
	after := mustPass(t, "fuse", b.G)
	if opCount(after, "sub") != 0 || opCount(after, "fused_reduce") != 1 || opCount(after, "exp") != 1 {
		t.Errorf("x - mean stored, or exp recomputed:\n%v", after)
	}
	in := randomInputs(b.G, rand.New(rand.NewPCG(4, 4)), false)
	compare(t, "duplicated", outputs(t, b.G, in), runSession(t, after, in), 0, 0)
}

// TestFusedSymbolicShapes: fused nodes of a graph with a batch dimension B
// run in one session at several batch sizes (a plan per size), bitwise
// equal to the reference interpreter on the unfused graph.
func TestFusedSymbolicShapes(t *testing.T) {
	B := ops.DimVar("B")
	b := ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.Shape{B, ops.DimConst(7)}})
	w := b.Input("w", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(7, 5)})
	bias := b.Input("bias", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(5)})
	h := b.Must(ops.Relu, nil, b.Must(ops.Add, nil, b.Must(ops.Matmul, nil, x, w), bias))
	b.Output("s", b.Must(ops.Sum, ops.Attrs{"axes": []int{-1}}, b.Must(ops.Square, nil, b.Must(ops.Tanh, nil, h))))
	b.Output("m", b.Must(ops.Mean, nil, b.Must(ops.Exp, nil, b.Must(ops.Neg, nil, x))))
	g, err := Optimize(b.G, Options{Level: 1, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if opCount(g, "fused_reduce") != 2 || len(g.Nodes) != 6 {
		t.Fatalf("not fused:\n%v", g)
	}
	sess := runtime.NewSession(g, runtime.NewStore())
	rng := rand.New(rand.NewPCG(6, 6))
	for _, n := range []int{3, 70, 1, 300} {
		in := map[string]*tensor.Tensor{}
		for _, leaf := range b.G.Inputs() {
			s, _ := leaf.Type.Shape.Eval(map[string]int64{"B": int64(n)})
			v := tensor.New(ops.F32, s...)
			for i := range v.F32 {
				v.F32[i] = float32(rng.NormFloat64())
			}
			in[leaf.Name()] = v
		}
		want := outputs(t, b.G, in)
		res, err := sess.Run(0, in["x"], in["w"], in["bias"])
		if err != nil {
			t.Fatal(err)
		}
		compare(t, fmt.Sprintf("B=%d", n), want, map[string]*tensor.Tensor{"s": res[0], "m": res[1]}, 0, 0)
	}
}

// TestFuseConvBias: relu(conv2d(x, K) + b) with b [C_out, 1, 1] (a param
// kernel, packed once) and conv2d(x, K2) + b2 with b2 [1, C_out, 1, 1]
// become fused_conv2d ops, bitwise equal to the unfused ops; a convolution
// read elsewhere too, an f64 one and one with a bias that is not one value
// per channel are not fused.
func TestFuseConvBias(t *testing.T) {
	f32 := func(d ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(d...)} }
	b := ops.NewBuilder()
	x := b.Input("x", f32(2, 5, 9, 20))
	k := b.Param("k", f32(13, 5, 3, 3), nil)
	bias := b.Input("b", f32(13, 1, 1))
	pad := ops.Attrs{"pad": 1}
	b.Output("h", b.Must(ops.Relu, nil, b.Must(ops.Add, nil, b.Must(ops.Conv2D, pad, x, k), bias)))
	k2 := b.Input("k2", f32(6, 5, 3, 3))
	b.Output("g", b.Must(ops.Add, nil, b.Input("b2", f32(1, 6, 1, 1)), b.Must(ops.Conv2D, nil, x, k2)))
	shared := b.Must(ops.Conv2D, pad, x, b.Input("k3", f32(13, 5, 3, 3)))
	b.Output("s", b.Must(ops.Add, nil, shared, bias))
	b.Output("s2", b.Must(ops.Exp, nil, shared))
	b.Output("wide", b.Must(ops.Add, nil, b.Must(ops.Conv2D, pad, x, b.Input("k4", f32(13, 5, 3, 3))), b.Input("bw", f32(13, 9, 1))))
	x64 := b.Input("x64", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(1, 5, 9, 20)})
	k64 := b.Input("k64", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(13, 5, 3, 3)})
	b.Output("d", b.Must(ops.Add, nil, b.Must(ops.Conv2D, pad, x64, k64), b.Input("b64", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(13, 1, 1)})))
	after := mustPass(t, "fuse", b.G)
	if opCount(after, "fused_conv2d") != 2 {
		t.Fatalf("want two fused_conv2d:\n%v", after)
	}
	if h, g := after.Output("h"), after.Output("g"); h.Op != ops.FusedConv2D || !h.Attrs.Bool("relu", false) || g.Op != ops.FusedConv2D || g.Attrs.Bool("relu", false) {
		t.Errorf("h is %v %v, g is %v %v", h.Op.Name, h.Attrs, g.Op.Name, g.Attrs)
	}
	in := randomInputs(b.G, rand.New(rand.NewPCG(10, 11)), false)
	compare(t, "conv bias", outputs(t, b.G, in), runSession(t, after, in), 0, 0)
}
