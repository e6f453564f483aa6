package opt

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
	"github.com/nnclang/nnc/train"
)

// Tolerances of the differential tests. The simplify, fold, CSE, DCE and
// fusion passes keep values bitwise, any NaN matching any NaN (fused
// programs do the unfused ops' arithmetic in the same order, in the same
// precision, some of it in AVX2 lanes); only the
// stability rewrites change them, by rounding, so graphs where one may apply
// are compared within these bounds.
const (
	rtolF64, atolF64 = 1e-12, 1e-12
	rtolF32, atolF32 = 1e-5, 1e-6
)

// randomGraph builds a random DAG of elementwise ops, matmuls, reductions
// and softmax over operands [n, c], [c], [n, 1] and scalars (broadcasting
// freely), with a few outputs and an update of a [c, c] param. It never
// writes log(softmax(x)) or log(1 + x), so optimizing it must keep every
// value bitwise.
func randomGraph(rng *rand.Rand, dt ops.DType) *ops.Graph {
	const n, c = 6, 5
	b := ops.NewBuilder()
	ty := func(d ...int) ops.Type { return ops.Type{DType: dt, Shape: ops.ShapeOf(d...)} }
	w := b.Param("w", ty(c, c), nil)
	pool := []*ops.Node{b.Input("x", ty(n, c)), b.Input("v", ty(c)), b.Input("col", ty(n, 1)), b.Input("s", ty()), w}
	konst := func() *ops.Node {
		vals := []float64{0.5, 2, -1, 1, 0, 3}
		return b.Scalar(dt, vals[rng.IntN(len(vals))])
	}
	pick := func() *ops.Node { return pool[rng.IntN(len(pool))] }
	// pickNC returns a pool node of shape [n, c], broadcasting one if needed.
	pickNC := func() *ops.Node {
		x := pick()
		if x.Type.Shape.Rank() == 2 && x.Type.Shape.Equal(ops.ShapeOf(n, c)) {
			return x
		}
		return pool[0]
	}
	safe := func(x *ops.Node) *ops.Node { // > 0: for log, sqrt and pow
		return b.Must(ops.Add, nil, b.Must(ops.Abs, nil, x), b.Scalar(dt, 0.5))
	}
	unary := []*ops.Op{ops.Neg, ops.Exp, ops.Tanh, ops.Sigmoid, ops.Relu, ops.Abs, ops.Square, ops.Sign}
	binary := []*ops.Op{ops.Add, ops.Sub, ops.Mul, ops.Div, ops.Maximum, ops.Minimum, ops.Greater, ops.Less, ops.Equal}
	steps := 10 + rng.IntN(20)
	for range steps {
		var y *ops.Node
		switch k := rng.IntN(20); {
		case k < 6:
			y = b.Must(unary[rng.IntN(len(unary))], nil, pick())
		case k < 12:
			x, z := pick(), pick()
			if rng.IntN(4) == 0 {
				z = konst()
			}
			op := binary[rng.IntN(len(binary))]
			var err error
			if y, err = b.Apply(op, nil, x, z); err != nil { // shapes that do not broadcast
				y = b.Must(op, nil, x, konst())
			}
		case k < 13:
			y = b.Must(ops.Log, nil, safe(pick()))
		case k < 14:
			y = b.Must(ops.Pow, nil, safe(pick()), b.Scalar(dt, []float64{2, 0.5, 3}[rng.IntN(3)]))
		case k < 15:
			y = b.Must(ops.Matmul, nil, pickNC(), w)
		case k < 17:
			red := []*ops.Op{ops.Sum, ops.Mean, ops.Max}[rng.IntN(3)]
			y = b.Must(red, ops.Attrs{"axes": []int{1}, "keepdims": true}, pickNC())
		case k < 18:
			y = b.Must(ops.Softmax, nil, pickNC())
		case k < 19:
			y = b.Must(ops.Transpose, nil, b.Must(ops.Transpose, nil, pickNC()))
		default:
			y = b.Must(ops.BroadcastTo, ops.Attrs{"shape": ops.ShapeOf(n, c)}, []*ops.Node{pool[1], pool[2], pool[3]}[rng.IntN(3)])
		}
		if rng.IntN(5) == 0 {
			y = b.Must(ops.Mul, nil, y, b.Scalar(dt, 1)) // for simplify
		}
		pool = append(pool, y)
	}
	last := pool[len(pool)-1]
	b.Output("last", last)
	for i := range 2 {
		b.Output(fmt.Sprintf("o%d", i), pool[5+rng.IntN(len(pool)-5)])
	}
	g := b.Must(ops.Matmul, ops.Attrs{"transpose_x": true}, pool[0], pickNC())
	b.Update(w, b.Must(ops.Sub, nil, w, b.Must(ops.Mul, nil, b.Scalar(dt, 0.01), g)))
	return b.G
}

// TestRandomGraphs optimizes random graphs (with the verifier after every
// pass) and requires the optimized graph, run by a runtime session, to give
// bitwise the reference interpreter's values on the original graph.
func TestRandomGraphs(t *testing.T) {
	fused := 0
	for seed := range uint64(60) {
		for _, dt := range []ops.DType{ops.F64, ops.F32} {
			rng := rand.New(rand.NewPCG(seed, uint64(dt)))
			g := randomGraph(rng, dt)
			og, err := Optimize(g, Options{Level: 1, Verify: true})
			if err != nil {
				t.Fatalf("seed %d: %v\n%v", seed, err, g)
			}
			fused += opCount(og, "fused_elementwise")
			in := randomInputs(g, rng, seed%3 == 2)
			want := outputs(t, g, in)
			got := runSession(t, og, in)
			compare(t, fmt.Sprintf("seed %d %v", seed, dt), want, got, 0, 0)
		}
	}
	if fused < 60 {
		t.Errorf("only %d fused nodes in 120 random graphs", fused)
	}
}

// TestModels runs every entry of every model in models/ (inference) and the
// training step of every model with a train block (Adam, three steps), with
// and without optimization, on the same inputs.
func TestModels(t *testing.T) {
	files, err := filepath.Glob("../models/*.nn")
	if err != nil || len(files) == 0 {
		t.Fatalf("no models: %v", err)
	}
	lowered := 0
	defer func() {
		if lowered < len(files) {
			t.Errorf("only %d entries lowered in %d model files", lowered, len(files))
		}
	}()
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := lang.Load(f, src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, entry := range m.Entries() {
			t.Run(filepath.Base(f)+"/"+entry, func(t *testing.T) {
				low, err := m.Lower(entry, lang.LowerOptions{})
				if err != nil {
					// A submodel's method whose model arguments have no
					// defaults cannot be lowered on its own.
					t.Logf("not lowered on its own: %v", err)
					return
				}
				lowered++
				for i, o := range low.Outputs {
					low.B.Output(fmt.Sprint("out", i), o)
				}
				diffGraph(t, low.B.G, 1)
			})
		}
		for _, model := range m.TrainModels() {
			t.Run(filepath.Base(f)+"/"+model+" train step", func(t *testing.T) {
				b := ops.NewBuilder()
				low, err := m.Lower(model+".loss", lang.LowerOptions{Training: true, Builder: b})
				if lang.NeedsShapes(err) {
					// A scan over a shape variable unrolls: lower with
					// every variable 4, as diffGraph binds them.
					b = ops.NewBuilder()
					low, err = m.Lower(model+".loss", lang.LowerOptions{Training: true, Builder: b, Shapes: fours(t, m, model+".loss")})
				}
				if err != nil {
					t.Fatalf("lower: %v", err)
				}
				if err := train.BuildStep(b, low.Outputs[0], low.Params, train.NewAdam(1e-3)); err != nil {
					t.Fatal(err)
				}
				diffGraph(t, b.G, 3)
			})
		}
	}
}

// fours gives every shape variable of entry's signature the value 4.
func fours(t *testing.T, m *lang.Module, entry string) map[string]int64 {
	t.Helper()
	sig, _, err := m.Signature(entry)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]int64{}
	for _, a := range sig {
		for _, d := range a.Type.Shape {
			for _, v := range d.Vars() {
				env[v] = 4
			}
		}
	}
	return env
}

// diffGraph runs g and its optimized form steps times with sessions on the
// same random inputs (every shape variable 4; integers 0 or 1) and params
// initialized alike, and compares every output of every step and the store
// at the end, within the stated tolerance.
func diffGraph(t *testing.T, g *ops.Graph, steps int) { diffGraphShapes(t, g, steps, nil) }

// diffGraphShapes is diffGraph with the shapes of some inputs given by name;
// the shape variables they do not bind are 4.
func diffGraphShapes(t *testing.T, g *ops.Graph, steps int, shapes map[string][]int) {
	t.Helper()
	og, err := Optimize(g, Options{Level: 1, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d nodes, %d after optimization (%d fused)", len(g.Nodes), len(og.Nodes), opCount(og, "fused_elementwise"))
	var known []*ops.Node
	var vals []*tensor.Tensor
	for _, n := range g.Inputs() {
		if s, ok := shapes[n.Name()]; ok {
			known = append(known, n)
			vals = append(vals, tensor.New(n.Type.DType, s...))
		}
	}
	env, err := ops.BindShapes(known, vals)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Inputs() {
		for _, v := range n.Type.Shape {
			for _, name := range v.Vars() {
				if _, ok := env[name]; !ok {
					env[name] = 4
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs []*tensor.Tensor
	for _, n := range g.Inputs() {
		s, err := n.Type.Shape.Eval(env)
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(n.Type.DType, s...)
		for i := range x.Len() {
			if n.Type.DType.IsFloat() {
				x.Set(i, rng.NormFloat64())
			} else {
				x.Set(i, float64(rng.IntN(2)))
			}
		}
		inputs = append(inputs, x)
	}
	csrInputs(g.Inputs(), inputs)
	stores := [2]*runtime.Store{runtime.NewStore(), runtime.NewStore()}
	sess := [2]*runtime.Session{}
	for i, gr := range []*ops.Graph{g, og} {
		if err := runtime.InitParams(stores[i], gr, 7); err != nil {
			t.Fatal(err)
		}
		sess[i] = runtime.NewSession(gr, stores[i])
	}
	for step := range steps {
		var res [2][]*tensor.Tensor
		for i := range 2 {
			r, err := sess[i].Run(uint64(step), inputs...)
			if err != nil {
				t.Fatalf("graph %d step %d: %v", i, step, err)
			}
			for _, x := range r {
				res[i] = append(res[i], x.Clone())
			}
		}
		want, got := map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}
		for k, o := range g.Outputs {
			want[o.Name], got[o.Name] = res[0][k], res[1][k]
		}
		compareTol(t, fmt.Sprintf("step %d", step), want, got)
	}
	want, got := map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}
	for _, name := range stores[0].Names() {
		want[name], got[name] = stores[0].Get(name), stores[1].Get(name)
	}
	compareTol(t, "store", want, got)
}

// compareTol compares with the tolerance of each tensor's element type.
func compareTol(t *testing.T, what string, want, got map[string]*tensor.Tensor) {
	t.Helper()
	for name, w := range want {
		rtol, atol := rtolF64, atolF64
		if w.DType == tensor.F32 {
			rtol, atol = rtolF32, atolF32
		}
		compare(t, what+" "+name, map[string]*tensor.Tensor{name: w}, map[string]*tensor.Tensor{name: got[name]}, rtol, atol)
	}
}
