package opt

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// TestPassOrder asserts the ordering constraints of the pass list: every
// pass named in After comes earlier, names are unique and every pass has a
// doc line.
func TestPassOrder(t *testing.T) {
	at := map[string]int{}
	for i, p := range Passes {
		if _, dup := at[p.Name]; dup {
			t.Errorf("pass %s is listed twice", p.Name)
		}
		at[p.Name] = i
		if p.Doc == "" || p.Run == nil {
			t.Errorf("pass %s has no doc or no Run", p.Name)
		}
	}
	for i, p := range Passes {
		for _, a := range p.After {
			j, ok := at[a]
			if !ok {
				t.Errorf("pass %s runs after %s, which is not a pass", p.Name, a)
			} else if j >= i {
				t.Errorf("pass %s must run after %s, but comes at %d and %s at %d", p.Name, a, i, a, j)
			}
		}
	}
}

func TestOptimizeOptions(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f64(2))
	b.Output("y", b.Must(ops.Exp, nil, b.Must(ops.Neg, nil, b.Must(ops.Neg, nil, x))))
	g := b.G
	if out, err := Optimize(g, Options{}); err != nil || out != g {
		t.Errorf("level 0: got %p, %v; want the graph itself", out, err)
	}
	if _, err := Optimize(g, Options{Level: 1, DumpAfter: "nope", Dump: &strings.Builder{}}); err == nil || !strings.Contains(err.Error(), `unknown pass "nope"`) {
		t.Errorf("unknown pass: %v", err)
	}
	if _, err := Optimize(g, Options{DumpAfter: "fold", Dump: &strings.Builder{}}); err == nil {
		t.Errorf("dump at level 0: no error")
	}
	var sb strings.Builder
	out, err := Optimize(g, Options{Level: 1, DumpAfter: "simplify", Dump: &sb, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "%0 = input \"x\" f64[2]\n%1 = exp(%0) f64[2]\noutput y = %1\n"
	if sb.String() != want {
		t.Errorf("dump after simplify:\n%s\nwant\n%s", sb.String(), want)
	}
	if opCount(out, "neg") != 0 || opCount(out, "exp") != 1 {
		t.Errorf("optimized graph:\n%v", out)
	}
	if len(g.Nodes) != 4 {
		t.Errorf("Optimize changed its input graph:\n%v", g)
	}
}

// TestFold: constant operands fold to const or full with the kernel's own
// value; symbolic shapes fold only for shape-independent ops; non-uniform
// results and big results stay.
func TestFold(t *testing.T) {
	B := ops.DimVar("B")
	sym := ops.Type{DType: ops.F64, Shape: ops.Shape{B, ops.DimConst(3)}}
	cases := []struct {
		name  string
		build func(b *ops.Builder) *ops.Node
		op    string  // the op computing y after the pass
		value float64 // its value attribute when op is const or full
	}{
		{"scalar arithmetic", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.Div, nil, b.Scalar(ops.F64, 1), b.Must(ops.Add, nil, b.Scalar(ops.F64, 2), b.Scalar(ops.F64, 1)))
		}, "const", 1.0 / 3},
		{"f32 rounding", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.Div, nil, b.Scalar(ops.F32, 1), b.Scalar(ops.F32, 3))
		}, "const", float64(float32(1) / float32(3))},
		{"elementwise on a symbolic full", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.Exp, nil, b.Full(sym, 0))
		}, "full", 1},
		{"broadcast of a scalar", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.BroadcastTo, ops.Attrs{"shape": sym.Shape}, b.Scalar(ops.F64, 2))
		}, "full", 2},
		{"concrete sum", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.Sum, nil, b.Full(f64(2, 3), 0.5))
		}, "const", 3},
		{"size of a concrete full", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.Size, ops.Attrs{"axes": []int{1}, "dtype": ops.F64}, b.Full(f64(2, 3), 0.5))
		}, "const", 3},
		{"NaN", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.Log, nil, b.Scalar(ops.F64, -1))
		}, "const", math.NaN()},
		{"symbolic sum stays", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.Sum, nil, b.Full(sym, 1))
		}, "sum", 0},
		{"non-uniform result stays", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.OneHot, ops.Attrs{"n": 3, "dtype": ops.F64}, b.Full(ops.Type{DType: ops.I32, Shape: ops.ShapeOf(2)}, 1))
		}, "one_hot", 0},
		{"big result stays", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.Sum, ops.Attrs{"axes": []int{0}}, b.Full(f64(2, foldLimit+1), 1))
		}, "sum", 0},
		{"big operand stays", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.Sum, nil, b.Full(f64(1<<20, 1<<20), 1))
		}, "sum", 0},
		{"big elementwise folds by value", func(b *ops.Builder) *ops.Node {
			return b.Must(ops.Sqrt, nil, b.Full(f64(1<<20, 1<<20), 4))
		}, "full", 2},
	}
	for _, c := range cases {
		b := ops.NewBuilder()
		y := c.build(b)
		b.Output("y", y)
		after := mustPass(t, "fold", b.G)
		n := after.Output("y")
		if n.Op.Name != c.op {
			t.Errorf("%s: y is %s after folding, want %s\n%v", c.name, n.Op.Name, c.op, after)
			continue
		}
		if v, ok := constValue(n); ok && !same(v, c.value) {
			t.Errorf("%s: folded to %v, want %v", c.name, v, c.value)
		}
		if !n.Type.Equal(y.Type) {
			t.Errorf("%s: type %v, want %v", c.name, n.Type, y.Type)
		}
	}
}

// TestFoldKeepsRandomOps: a random op is never evaluated at compile time.
func TestFoldKeepsRandomOps(t *testing.T) {
	b := ops.NewBuilder()
	m := b.Must(ops.DropoutMask, ops.Attrs{"p": 0.5, "seed": 1, "shape": ops.ShapeOf(4), "dtype": ops.F64})
	b.Output("y", b.Must(ops.Mul, nil, m, b.Scalar(ops.F64, 2)))
	after := mustPass(t, "fold", b.G)
	if opCount(after, "dropout_mask") != 1 || opCount(after, "mul") != 1 {
		t.Errorf("random op folded:\n%v", after)
	}
}

// TestCSE: x+y and y+x merge (commutative); x-y and y-x do not; duplicate
// nodes of a graph not built by a Builder merge too.
func TestCSE(t *testing.T) {
	b := ops.NewBuilder()
	x, y := b.Input("x", f64(3)), b.Input("y", f64(3))
	b.Output("a", b.Must(ops.Add, nil, x, y))
	b.Output("b", b.Must(ops.Add, nil, y, x))
	b.Output("c", b.Must(ops.Sub, nil, x, y))
	b.Output("d", b.Must(ops.Sub, nil, y, x))
	b.Output("e", b.Must(ops.Maximum, nil, y, x))
	b.Output("f", b.Must(ops.Maximum, nil, x, y))
	after := mustPass(t, "cse", b.G)
	if after.Output("a") != after.Output("b") || after.Output("e") != after.Output("f") {
		t.Errorf("commutative ops not merged:\n%v", after)
	}
	if after.Output("c") == after.Output("d") {
		t.Errorf("sub merged with its swap:\n%v", after)
	}
	in := randomInputs(b.G, rand.New(rand.NewPCG(1, 2)), true)
	compare(t, "cse", outputs(t, b.G, in), outputs(t, after, in), 0, 0)

	// A graph with two equal exp nodes, as a pass outside a Builder could make.
	b = ops.NewBuilder()
	x = b.Input("x", f64(3))
	e1 := b.Must(ops.Exp, nil, x)
	e2 := &ops.Node{ID: 2, Op: e1.Op, In: []*ops.Node{x}, Attrs: ops.Attrs{}, Type: e1.Type}
	b.G.Nodes = append(b.G.Nodes, e2)
	b.Output("s", b.Must(ops.Add, nil, e1, e2))
	if err := ops.Verify(b.G); err != nil {
		t.Fatal(err)
	}
	after = mustPass(t, "cse", b.G)
	if opCount(after, "exp") != 1 {
		t.Errorf("equal nodes not merged:\n%v", after)
	}
}

// TestDCE: dead nodes go, every leaf stays in its order, outputs and updates
// keep their names and targets.
func TestDCE(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f64(3))
	unused := b.Input("unused", f64(2))
	w := b.Param("w", f64(3), ops.Attrs{"init": "ones"})
	b.Must(ops.Exp, nil, unused) // dead
	b.Must(ops.Log, nil, x)      // dead
	y := b.Must(ops.Mul, nil, x, w)
	b.Output("y", y)
	b.Update(w, b.Must(ops.Sub, nil, w, y))
	after := mustPass(t, "dce", b.G)
	var names []string
	for _, n := range after.Nodes {
		if n.Op.Leaf {
			names = append(names, n.Op.Name+" "+n.Name())
		}
	}
	if strings.Join(names, ", ") != "input x, input unused, param w" {
		t.Errorf("leaves after DCE: %v", names)
	}
	if opCount(after, "exp") != 0 || opCount(after, "log") != 0 || len(after.Nodes) != 5 {
		t.Errorf("after DCE:\n%v", after)
	}
	if after.Params()[0].Attrs.Str("init", "") != "ones" {
		t.Errorf("param lost its attributes: %v", after.Params()[0].Attrs)
	}
	if len(after.Updates) != 1 || after.Updates[0].Target.Name() != "w" || after.Output("y") == nil {
		t.Errorf("outputs or updates lost:\n%v", after)
	}
}

// TestRootsStayComputed: an output or update value that simplifies to a
// param stays computed, since a session shows a param output as it is after
// the updates and an update may not read another's target.
func TestRootsStayComputed(t *testing.T) {
	b := ops.NewBuilder()
	w := b.Param("w", f64(3), nil)
	v := b.Param("v", f64(3), nil)
	x := b.Input("x", f64(3))
	b.Output("w0", b.Must(ops.Sub, nil, w, b.Scalar(ops.F64, 0)))
	b.Output("x1", b.Must(ops.Mul, nil, x, b.Scalar(ops.F64, 1)))
	b.Update(w, b.Must(ops.Add, nil, w, x))
	b.Update(v, b.Must(ops.Mul, nil, w, b.Scalar(ops.F64, 1)))
	out, err := Optimize(b.G, Options{Level: 1, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := out.Output("w0"); n.Op.Leaf {
		t.Errorf("output w0 became the param itself:\n%v", out)
	}
	if n := out.Output("x1"); n.Op != ops.Input {
		t.Errorf("output x1 is %s, want the input x:\n%v", n.Op.Name, out)
	}
	if u := out.Updates[1]; u.Value.Op.Leaf {
		t.Errorf("update of v reads param %s:\n%v", u.Value.Name(), out)
	}
	in := randomInputs(b.G, rand.New(rand.NewPCG(5, 6)), false)
	compare(t, "roots", runSession(t, b.G, in), runSession(t, out, in), 0, 0)
}
