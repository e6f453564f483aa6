package runtime

import (
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

var (
	dimB = ops.DimVar("B")
	c3   = ops.DimConst(3)
)

func f32T(s ...ops.Dim) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.Shape(s)} }

func vals(dt tensor.DType, shape []int, v ...float64) *tensor.Tensor {
	return tensor.FromFloat64s(dt, shape, v)
}

// checkPlan verifies the memory plan independently of how it was made: every
// computed value has a view of its own size inside its buffer, buffers of one
// arena do not overlap, and two values that are live at the same time (from
// the step computing one to the last step reading it, or to the end for
// outputs and update values) never share a buffer, except a reshape that
// takes over the buffer of an operand read last by it and an in-place step
// that writes over an operand it reads last, of its own type and size, which
// its op declares safe (ops.Op.InPlace).
func checkPlan(t *testing.T, p *Plan) {
	t.Helper()
	g := p.Graph
	at := map[int]int{}
	for i, st := range p.Steps {
		at[st.Node.ID] = i
		b := p.Buffers[st.Buffer]
		if b.DType != st.Node.Type.DType || tensor.NumElems(p.shapes[st.Node.ID]) > b.Cap {
			t.Errorf("step %d (%s): buffer %+v for %v%v", i, st.Node.Op.Name, b, st.Node.Type.DType, p.shapes[st.Node.ID])
		}
	}
	end := map[int]int{}
	for i, st := range p.Steps {
		end[st.Node.ID] = max(end[st.Node.ID], i)
		for _, x := range st.Node.In {
			if _, ok := at[x.ID]; ok {
				end[x.ID] = max(end[x.ID], i)
			}
		}
	}
	for _, o := range g.Outputs {
		end[o.Node.ID] = len(p.Steps)
	}
	for _, u := range g.Updates {
		end[u.Value.ID] = len(p.Steps)
	}
	// A view (an alias step) must be its operand's memory: the same buffer,
	// at the operand's offset plus the slice's (0 for a reshape).
	root := func(st Step) *ops.Node {
		for st.Alias {
			st = p.Steps[at[st.Node.In[0].ID]]
		}
		return st.Node
	}
	for _, b := range p.Steps {
		if !b.Alias {
			continue
		}
		n := b.Node
		j, ok := at[n.In[0].ID]
		if len(n.In) != 1 || !ok {
			t.Errorf("alias step %s %v: its operand is not a step of the plan", n.Op.Name, n)
			continue
		}
		x := p.Steps[j]
		off, ok := 0, n.Op == ops.Reshape
		if n.Op == ops.Slice {
			off, ok = ops.SliceOffset(n, p.shapes[x.Node.ID], p.shapes[n.ID])
		}
		if !ok || b.Buffer != x.Buffer || b.Offset != x.Offset+off {
			t.Errorf("alias step %s %v: buffer %d at %d, its operand's %d at %d (+%d, a view: %v)", n.Op.Name, n, b.Buffer, b.Offset, x.Buffer, x.Offset, off, ok)
		}
	}
	// Two values may occupy the same memory while both live only as views
	// of one value, or when a step writes over the operand it reads last.
	for i, a := range p.Steps {
		for _, b := range p.Steps[i+1:] {
			na, nb := tensor.NumElems(p.shapes[a.Node.ID]), tensor.NumElems(p.shapes[b.Node.ID])
			overlap := a.Buffer == b.Buffer && a.Offset < b.Offset+nb && b.Offset < a.Offset+na
			if !overlap || at[b.Node.ID] > end[a.Node.ID] {
				continue
			}
			ok := b.Alias && root(a) == root(b)
			if k := b.InPlace; k >= 0 && b.Node.In[k] == a.Node && end[a.Node.ID] == at[b.Node.ID] {
				// In place: b writes over operand k, which it reads last;
				// the op must allow it and the operand match in type, size
				// and place.
				x := b.Node.In[k]
				allowed := slices.Contains(b.Node.Op.InPlace, k) || slices.Contains(b.Node.Op.InPlace, -1)
				if allowed && x.Type.DType == b.Node.Type.DType && na == nb && a.Offset == b.Offset {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s %v (live to step %d) and %s %v (step %d) share memory in buffer %d",
					a.Node.Op.Name, a.Node, end[a.Node.ID], b.Node.Op.Name, b.Node, at[b.Node.ID], a.Buffer)
			}
		}
	}
	for i, a := range p.Buffers {
		for _, b := range p.Buffers[i+1:] {
			if a.DType == b.DType && a.Offset < b.Offset+b.Cap && b.Offset < a.Offset+a.Cap && a.Cap > 0 && b.Cap > 0 {
				t.Errorf("buffers %+v and %+v overlap", a, b)
			}
		}
	}
}

func TestSessionBroadcastAndPlanCache(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f32T(dimB, c3))
	bias := b.Param("bias", f32T(c3), nil)
	b.Output("sum", b.Must(ops.Add, nil, x, bias))
	b.Output("cols", b.SumTo(x, ops.Shape{c3}))
	store := NewStore()
	store.Set("bias", vals(tensor.F32, []int{3}, 10, 20, 30))
	s := NewSession(b.G, store)

	x2 := vals(tensor.F32, []int{2, 3}, 1, 2, 3, 4, 5, 6)
	out, err := s.Run(1, x2)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Float64s(); !slices.Equal(got, []float64{11, 22, 33, 14, 25, 36}) || !slices.Equal(out[0].Shape, []int{2, 3}) {
		t.Errorf("sum = %v", out[0])
	}
	if got := out[1].Float64s(); !slices.Equal(got, []float64{5, 7, 9}) {
		t.Errorf("cols = %v", out[1])
	}
	p2, _ := s.Plan(x2)
	checkPlan(t, p2)
	if env := p2.Env(); len(env) != 1 || env["B"] != 2 {
		t.Errorf("Env = %v", env)
	}

	// Same shape, other tensor: the same plan. Another batch size: a new one.
	if p, _ := s.Plan(vals(tensor.F32, []int{2, 3}, 0, 0, 0, 0, 0, 0)); p != p2 {
		t.Error("same shapes built a new plan")
	}
	x4 := vals(tensor.F32, []int{4, 3}, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4)
	out, err = s.Run(1, x4)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[1].Float64s(); !slices.Equal(got, []float64{10, 10, 10}) {
		t.Errorf("cols at B=4 = %v", out[1])
	}
	p4, _ := s.Plan(x4)
	if p4 == p2 || !slices.Equal(p4.Shape(x), []int{4, 3}) {
		t.Errorf("B=4 plan: shape of x %v", p4.Shape(x))
	}
	if p, _ := s.Plan(x2); p != p2 || len(s.plans) != 2 {
		t.Errorf("back to B=2: %d plans, same plan %v", len(s.plans), p == p2)
	}
	out, err = s.Run(1, x2)
	if err != nil || !slices.Equal(out[1].Float64s(), []float64{5, 7, 9}) {
		t.Errorf("B=2 again: %v, %v", out, err)
	}
}

func TestBufferReuse(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f32T(dimB, ops.DimConst(8)))
	one := b.Scalar(ops.F32, 1)
	y := x
	for range 10 {
		y = b.Must(ops.Add, nil, y, one)
	}
	b.Output("y", y)
	s := NewSession(b.G, NewStore())
	in := tensor.New(tensor.F32, 4, 8)
	for i := range in.F32 {
		in.F32[i] = float32(i)
	}
	out, err := s.Run(0, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out[0].F32 {
		if v != float32(i+10) {
			t.Fatalf("y[%d] = %v, want %d", i, v, i+10)
		}
	}
	p, _ := s.Plan(in)
	checkPlan(t, p)
	// The constant (1 element) lives throughout; the first add reads the
	// input (the caller's tensor) into a new buffer of 32 elements and every
	// later add writes over its dying operand, in place. Without reuse: 1 +
	// 10·32 elements.
	if p.PeakBytes() != (1+32)*4 || p.NaiveBytes() != (1+10*32)*4 {
		t.Errorf("PeakBytes = %d, NaiveBytes = %d; want %d, %d", p.PeakBytes(), p.NaiveBytes(), (1+32)*4, (1+10*32)*4)
	}
	adds := 0
	for i, st := range p.Steps {
		if st.Node.Op != ops.Add {
			continue
		}
		want := 0 // over the previous add's result
		if adds == 0 {
			want = -1 // the input is not the plan's to overwrite
		}
		if st.InPlace != want {
			t.Errorf("step %d (add %d): InPlace = %d, want %d", i, adds, st.InPlace, want)
		}
		adds++
	}
}

func TestBufferGrowsAndTypesSeparate(t *testing.T) {
	// A small f64 value dies, then a larger one takes (and grows) its buffer;
	// f32 values never share with f64 ones.
	b := ops.NewBuilder()
	x := b.Input("x", f64(2))
	w := b.Input("w", f32T(ops.DimConst(6)))
	small := b.Must(ops.Add, nil, x, x)                        // f64[2]
	big := b.BroadcastTo(small, ops.ShapeOf(3, 2))             // f64[3, 2], small dies here
	wide := b.Must(ops.Add, nil, big, big)                     // f64[3, 2]
	w2 := b.Must(ops.Add, nil, w, w)                           // f32[6]
	b.Output("wide", b.SumTo(wide, ops.Shape{}))               // f64 scalar
	b.Output("w2", b.SumTo(b.Must(ops.Add, nil, w2, w2), nil)) // f32 scalar
	s := NewSession(b.G, NewStore())
	xv := vals(tensor.F64, []int{2}, 1, 2)
	wv := vals(tensor.F32, []int{6}, 1, 2, 3, 4, 5, 6)
	out, err := s.Run(0, xv, wv)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].F64[0] != 4*3*3 || out[1].F32[0] != 4*21 {
		t.Errorf("outputs %v %v", out[0], out[1])
	}
	p, _ := s.Plan(xv, wv)
	checkPlan(t, p)
	if p.PeakBytes() >= p.NaiveBytes() {
		t.Errorf("no reuse: PeakBytes %d, NaiveBytes %d", p.PeakBytes(), p.NaiveBytes())
	}
}

func TestUpdates(t *testing.T) {
	// p <- p + x, state n <- n + 1; the output reads p before the update.
	b := ops.NewBuilder()
	x := b.Input("x", f64(3))
	p := b.Param("p", f64(3), ops.Attrs{"init": "ones"})
	n := b.State("n", f64(), nil)
	b.Output("before", b.SumTo(p, nil))
	b.Update(p, b.Must(ops.Add, nil, p, x))
	b.Update(n, b.Must(ops.Add, nil, n, b.Scalar(ops.F64, 1)))
	store := NewStore()
	if err := InitParams(store, b.G, 0); err != nil {
		t.Fatal(err)
	}
	pt := store.Get("p")
	s := NewSession(b.G, store)
	xv := vals(tensor.F64, []int{3}, 1, 2, 3)
	for step, want := range [][]float64{{2, 3, 4}, {3, 5, 7}} {
		out, err := s.Run(0, xv)
		if err != nil {
			t.Fatal(err)
		}
		if wantBefore := float64(3 + 6*step); out[0].F64[0] != wantBefore {
			t.Errorf("step %d: before = %v, want %v", step, out[0].F64[0], wantBefore)
		}
		if !slices.Equal(store.Get("p").F64, want) || store.Get("p") != pt {
			t.Errorf("step %d: p = %v, want %v (in place)", step, store.Get("p").F64, want)
		}
		if store.Get("n").F64[0] != float64(step+1) {
			t.Errorf("step %d: n = %v", step, store.Get("n").F64[0])
		}
	}
	// A second session on the same store sees the updated values.
	b2 := ops.NewBuilder()
	b2.Output("p", b2.Param("p", f64(3), nil))
	out, err := NewSession(b2.G, store).Run(0)
	if err != nil || !slices.Equal(out[0].F64, []float64{3, 5, 7}) {
		t.Errorf("eval session: %v, %v", out, err)
	}
	// A tensor replaced in the store is bound at the next run.
	store.Set("p", vals(tensor.F64, []int{3}, 0, 0, 1))
	if out, err := s.Run(0, xv); err != nil || out[0].F64[0] != 1 {
		t.Errorf("after Set: %v, %v", out, err)
	}
}

func TestInputErrors(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f32T(dimB, c3))
	y := b.Input("y", f32T(dimB))
	w := b.Param("w", f32T(c3), nil)
	b.Output("o", b.Must(ops.Add, nil, x, w))
	b.Output("p", b.Must(ops.Add, nil, y, y))
	store := NewStore()
	s := NewSession(b.G, store)
	x23 := tensor.New(tensor.F32, 2, 3)
	y2 := tensor.New(tensor.F32, 2)
	cases := []struct {
		in   []*tensor.Tensor
		want string
	}{
		{[]*tensor.Tensor{x23}, "expected 2 inputs (x, y), got 1"},
		{[]*tensor.Tensor{x23, y2}, "param w has no value in the store"},
	}
	for _, c := range cases {
		if _, err := s.Run(0, c.in...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	store.Set("w", tensor.New(tensor.F32, 3))
	cases = []struct {
		in   []*tensor.Tensor
		want string
	}{
		{[]*tensor.Tensor{tensor.New(tensor.F32, 32, 10), y2}, "input x: expected f32[B, 3], got f32[32, 10]"},
		{[]*tensor.Tensor{tensor.New(tensor.F64, 2, 3), y2}, "input x: expected f32[B, 3], got f64[2, 3]"},
		{[]*tensor.Tensor{tensor.New(tensor.F32, 2, 3, 1), y2}, "input x: expected f32[B, 3], got f32[2, 3, 1]"},
		{[]*tensor.Tensor{x23, tensor.New(tensor.F32, 5)}, "input y: expected f32[B], got f32[5] (B = 2 from input x)"},
		{[]*tensor.Tensor{x23, nil}, "input y: no tensor given"},
		{[]*tensor.Tensor{x23, {DType: tensor.F32, Shape: []int{2}, F32: make([]float32, 3)}}, "input y: a tensor of shape [2] holds 3 values"},
		{[]*tensor.Tensor{tensor.New(tensor.F32, 3, 3), tensor.New(tensor.F32, 3)}, ""}, // fine: B = 3
	}
	for _, c := range cases {
		_, err := s.Run(0, c.in...)
		if c.want == "" {
			if err != nil {
				t.Errorf("unexpected error %v", err)
			}
		} else if err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	// A store tensor of the wrong shape, on an existing plan and on a new one.
	store.Set("w", tensor.New(tensor.F32, 4))
	for _, in := range [][]*tensor.Tensor{{tensor.New(tensor.F32, 3, 3), tensor.New(tensor.F32, 3)}, {x23, y2}} {
		if _, err := s.Run(0, in...); err == nil || err.Error() != "param w: expected f32[3], got f32[4]" {
			t.Errorf("wrong store shape: %v", err)
		}
	}
}

func TestBindSolvesLinearDims(t *testing.T) {
	b := ops.NewBuilder()
	twoB1 := ops.DimConst(2).Mul(dimB).Add(ops.DimConst(1))
	z := b.Input("z", f32T(twoB1))
	b.Output("z", b.SumTo(z, nil))
	s := NewSession(b.G, NewStore())
	if _, err := s.Run(0, tensor.New(tensor.F32, 7)); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Plan(tensor.New(tensor.F32, 7))
	if p.Env()["B"] != 3 {
		t.Errorf("B = %d from 2*B + 1 = 7, want 3", p.Env()["B"])
	}
	if _, err := s.Run(0, tensor.New(tensor.F32, 6)); err == nil || err.Error() != "input z: cannot determine the shape variables of 2*B + 1 from f32[6]" {
		t.Errorf("even size: %v", err)
	}

	b = ops.NewBuilder()
	bt := b.Input("bt", f32T(dimB.Mul(ops.DimVar("T"))))
	b.Output("o", b.SumTo(bt, nil))
	if _, err := NewSession(b.G, NewStore()).Run(0, tensor.New(tensor.F32, 6)); err == nil || !strings.Contains(err.Error(), "cannot determine the shape variables of B*T") {
		t.Errorf("B*T: %v", err)
	}
}

// TestKernelPanicReachesTheCaller: a kernel's panic (a bug in nnc) is not
// turned into an error of the run by the runtime: it reaches Run's caller,
// whose API boundary (the root package) reports it as an internal error.
func TestKernelPanicReachesTheCaller(t *testing.T) {
	const name = "runtime_test_out_of_range"
	op, ok := ops.Lookup(name)
	if !ok {
		op = ops.Register(new(*ops.Op), &ops.Op{
			Name: name, Arity: 1, Doc: "a kernel that reads past its operand (test only)",
			Infer: func(in []ops.Type, _ ops.Attrs) (ops.Type, error) { return in[0], nil },
			Kernel: func(*ops.Node, [][]int, []int) (ops.KernelFunc, error) {
				return func(_ *ops.Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					for i := range o.F32 {
						o.F32[i] = in[0].F32[i+1]
					}
				}, nil
			},
			NoGrad: "test only",
		})
	}
	b := ops.NewBuilder()
	x := b.Input("x", f32T(c3))
	b.SetPos(ops.Pos{File: "m.nn", Line: 3, Col: 7})
	b.Output("o", b.Must(op, nil, x))
	s := NewSession(b.G, NewStore())
	got := func() (r any) {
		defer func() { r = recover() }()
		_, err := s.Run(0, tensor.New(tensor.F32, 3))
		t.Errorf("Run returned %v", err)
		return nil
	}()
	if e, ok := got.(error); !ok || !strings.Contains(e.Error(), "index out of range") {
		t.Errorf("Run panicked with %v, want the kernel's index out of range", got)
	}
}

// trainGraph is a small training step: a linear model with a squared loss,
// its gradients by autodiff, and SGD updates p <- p - 0.1*g.
func trainGraph(t testing.TB) *ops.Graph {
	b := ops.NewBuilder()
	x := b.Input("x", f32T(dimB, ops.DimConst(4)))
	target := b.Input("target", f32T(dimB, ops.DimConst(4)))
	w := b.Param("w", f32T(ops.DimConst(4)), ops.Attrs{"init": "normal"})
	bias := b.Param("bias", f32T(ops.DimConst(4)), nil)
	h := b.Must(ops.Add, nil, b.Must(ops.Mul, nil, x, w), bias)
	d := b.Must(ops.Sub, nil, h, target)
	loss := b.SumTo(b.Must(ops.Mul, nil, d, d), nil)
	gs, err := autodiff.Grad(b, loss, []*ops.Node{w, bias})
	if err != nil {
		t.Fatal(err)
	}
	lr := b.Scalar(ops.F32, 0.1)
	b.Update(w, b.Must(ops.Sub, nil, w, b.Must(ops.Mul, nil, lr, gs[0])))
	b.Update(bias, b.Must(ops.Sub, nil, bias, b.Must(ops.Mul, nil, lr, gs[1])))
	b.Output("loss", loss)
	return b.G
}

func TestSteadyRunAllocatesNothing(t *testing.T) {
	g := trainGraph(t)
	store := NewStore()
	if err := InitParams(store, g, 3); err != nil {
		t.Fatal(err)
	}
	x, target := tensor.New(tensor.F32, 8, 4), tensor.New(tensor.F32, 8, 4)
	for i := range x.F32 {
		x.F32[i] = float32(i%5) * 0.1
		target.F32[i] = float32(i%3) * 0.2
	}
	s := NewSession(g, store)
	first, err := s.Run(1, x, target)
	if err != nil {
		t.Fatal(err)
	}
	loss0 := first[0].F32[0]
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := s.Run(1, x, target); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("steady Run allocates %v times", allocs)
	}
	out, _ := s.Run(1, x, target)
	if !(out[0].F32[0] < loss0) {
		t.Errorf("loss did not decrease: %v then %v", loss0, out[0].F32[0])
	}
	p, _ := s.Plan(x, target)
	checkPlan(t, p)
}

// mlpGraph is a training step of a two-layer perceptron: matmul, add, relu,
// a squared loss summed with "sum", gradients by autodiff and SGD updates.
func mlpGraph(t testing.TB) *ops.Graph {
	b := ops.NewBuilder()
	x := b.Input("x", f32T(dimB, ops.DimConst(6)))
	target := b.Input("target", f32T(dimB, ops.DimConst(2)))
	w1 := b.Param("l1.W", f32T(ops.DimConst(6), ops.DimConst(16)), ops.Attrs{"init": "glorot_uniform"})
	b1 := b.Param("l1.b", f32T(ops.DimConst(16)), nil)
	w2 := b.Param("l2.W", f32T(ops.DimConst(16), ops.DimConst(2)), ops.Attrs{"init": "glorot_uniform"})
	h := b.Must(ops.Relu, nil, b.Must(ops.Add, nil, b.Must(ops.Matmul, nil, x, w1), b1))
	d := b.Must(ops.Sub, nil, b.Must(ops.Matmul, nil, h, w2), target)
	loss := b.Must(ops.Sum, nil, b.Must(ops.Mul, nil, d, d))
	params := []*ops.Node{w1, b1, w2}
	gs, err := autodiff.Grad(b, loss, params)
	if err != nil {
		t.Fatal(err)
	}
	lr := b.Scalar(ops.F32, 0.01)
	for i, p := range params {
		b.Update(p, b.Must(ops.Sub, nil, p, b.Must(ops.Mul, nil, lr, gs[i])))
	}
	b.Output("loss", loss)
	return b.G
}

func TestSteadyMLPStepAllocatesNothing(t *testing.T) {
	g := mlpGraph(t)
	store := NewStore()
	if err := InitParams(store, g, 5); err != nil {
		t.Fatal(err)
	}
	x, target := tensor.New(tensor.F32, 16, 6), tensor.New(tensor.F32, 16, 2)
	for i := range x.F32 {
		x.F32[i] = float32((i*7)%11)/11 - 0.5
	}
	for i := range target.F32 {
		target.F32[i] = float32(i % 2)
	}
	s := NewSession(g, store)
	first, err := s.Run(0, x, target)
	if err != nil {
		t.Fatal(err)
	}
	loss0 := first[0].F32[0]
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := s.Run(0, x, target); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("steady Run allocates %v times", allocs)
	}
	out, _ := s.Run(0, x, target)
	if !(out[0].F32[0] < loss0) {
		t.Errorf("loss did not decrease: %v then %v", loss0, out[0].F32[0])
	}
	p, _ := s.Plan(x, target)
	checkPlan(t, p)

	// Alternating batch sizes (a last, smaller batch) finds both plans in
	// the cache without allocating.
	xs, ts := tensor.New(tensor.F32, 5, 6), tensor.New(tensor.F32, 5, 2)
	if _, err := s.Run(0, xs, ts); err != nil {
		t.Fatal(err)
	}
	allocs = testing.AllocsPerRun(10, func() {
		if _, err := s.Run(0, x, target); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Run(0, xs, ts); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 || len(s.plans) != 2 {
		t.Errorf("alternating batch sizes: %v allocations, %d plans", allocs, len(s.plans))
	}
	if p.PeakBytes() >= p.NaiveBytes() {
		t.Errorf("no reuse: PeakBytes %d, NaiveBytes %d", p.PeakBytes(), p.NaiveBytes())
	}
}

// TestReshapeIsAView: a reshape of a computed value is a view of its
// memory, whether or not the value is read afterwards; a step may then
// write over the view only when the value is not read later either.
func TestReshapeIsAView(t *testing.T) {
	for _, keep := range []bool{false, true} {
		b := ops.NewBuilder()
		x := b.Input("x", f32T(dimB, ops.DimConst(8)))
		one := b.Scalar(ops.F32, 1)
		y := b.Must(ops.Add, nil, x, one)
		r := b.Must(ops.Reshape, ops.Attrs{"shape": ops.Shape{dimB.Mul(ops.DimConst(8))}}, y)
		b.Output("z", b.Must(ops.Add, nil, r, one))
		if keep { // y is an output too: it must keep its own buffer
			b.Output("y", y)
		}
		s := NewSession(b.G, NewStore())
		in := tensor.New(tensor.F32, 4, 8)
		for i := range in.F32 {
			in.F32[i] = float32(i)
		}
		out, err := s.Run(0, in)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out[0].Shape, []int{32}) {
			t.Errorf("z has shape %v", out[0].Shape)
		}
		for i, v := range out[0].F32 {
			if v != float32(i+2) {
				t.Fatalf("z[%d] = %v, want %d", i, v, i+2)
			}
		}
		p, _ := s.Plan(in)
		checkPlan(t, p)
		var alias bool
		for _, st := range p.Steps {
			if st.Node == r {
				alias = st.Alias
			}
		}
		if !alias {
			t.Errorf("keep y = %v: reshape aliased = %v", keep, alias)
		}
		// The constant and y (then r, then z, written in place over r);
		// with y an output z cannot take r's memory and has its own.
		want := int64(1+32) * 4
		if keep {
			want = int64(1+2*32) * 4
		}
		if p.PeakBytes() != want || p.NaiveBytes() != int64(1+3*32)*4 {
			t.Errorf("keep y = %v: PeakBytes %d, NaiveBytes %d; want %d, %d", keep, p.PeakBytes(), p.NaiveBytes(), want, (1+3*32)*4)
		}
	}
}
