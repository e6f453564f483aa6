package runtime_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// stepGraph is a training step of a depth-layer MLP (relu, dropout in the
// middle layer, cross entropy, plain SGD) and the size of its forward part.
func stepGraph(depth, width int) (*ops.Graph, int) {
	b := ops.NewBuilder()
	f32 := func(dims ...ops.Dim) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.Shape(dims)} }
	c := func(n int) ops.Dim { return ops.DimConst(int64(n)) }
	bd := ops.DimVar("B")
	h := b.Input("x", f32(bd, c(width)))
	y := b.Input("y", ops.Type{DType: ops.I32, Shape: ops.Shape{bd}})
	var params []*ops.Node
	for i := range depth {
		w := b.Param(fmt.Sprintf("l%d.W", i), f32(c(width), c(width)), ops.Attrs{"init": "he_uniform"})
		bias := b.Param(fmt.Sprintf("l%d.b", i), f32(c(width)), ops.Attrs{"init": "normal", "std": 0.1})
		params = append(params, w, bias)
		h = b.Must(ops.Relu, nil, b.Must(ops.Add, nil, b.Must(ops.Matmul, nil, h, w), bias))
		if i == depth/2 {
			h = ops.Dropout(b, h, 0.2)
		}
	}
	head := b.Param("head.W", f32(c(width), c(10)), ops.Attrs{"init": "glorot_uniform"})
	params = append(params, head)
	loss := b.Must(ops.CrossEntropy, nil, b.Must(ops.Matmul, nil, h, head), y)
	split := loss.ID + 1
	gs, err := autodiff.Grad(b, loss, params)
	if err != nil {
		panic(err)
	}
	lr := b.Scalar(ops.F32, 0.05)
	for i, p := range params {
		b.Update(p, b.Must(ops.Sub, nil, p, b.Must(ops.Mul, nil, lr, gs[i])))
	}
	b.Output("loss", loss)
	return b.G, split
}

// runSteps runs three steps of g from the same initial params and returns
// the losses and the final params, copied.
func runSteps(t *testing.T, g *ops.Graph, batch int) ([]*tensor.Tensor, map[string]*tensor.Tensor) {
	t.Helper()
	store := runtime.NewStore()
	if err := runtime.InitParams(store, g, 7); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	x := tensor.New(tensor.F32, batch, 32)
	for i := range x.F32 {
		x.F32[i] = float32(r.NormFloat64())
	}
	y := tensor.New(tensor.I32, batch)
	for i := range y.I32 {
		y.I32[i] = int32(r.IntN(10))
	}
	s := runtime.NewSession(g, store)
	var losses []*tensor.Tensor
	for step := range 3 {
		out, err := s.Run(uint64(step+1), x, y)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, out[0].Clone())
	}
	params := map[string]*tensor.Tensor{}
	for _, name := range store.Names() {
		params[name] = store.Get(name).Clone()
	}
	return losses, params
}

func TestRematBitwiseAndSmaller(t *testing.T) {
	g, split := stepGraph(20, 32)
	env := map[string]int64{"B": 64}
	rg, rep, err := runtime.Remat(g, env, runtime.RematOptions{Split: split})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.After >= rep.Before || rep.Recomputed == 0 || !rep.Fits {
		t.Fatalf("no saving: %+v", rep)
	}
	// The plan built for the rematerialized graph has the peak the planner
	// measured, and the plain graph's plan the one it started from.
	for _, c := range []struct {
		g    *ops.Graph
		want int64
	}{{g, rep.Before}, {rg, rep.After}} {
		p, err := runtime.NewPlan(c.g, env)
		if err != nil {
			t.Fatal(err)
		}
		if p.PeakBytes() != c.want {
			t.Errorf("plan peak %d, planner said %d", p.PeakBytes(), c.want)
		}
	}
	l0, p0 := runSteps(t, g, 64)
	l1, p1 := runSteps(t, rg, 64)
	for i := range l0 {
		if l0[i].F32[0] != l1[i].F32[0] {
			t.Errorf("step %d: loss %v without remat, %v with", i, l0[i].F32[0], l1[i].F32[0])
		}
	}
	if len(p0) != len(p1) {
		t.Fatalf("%d params vs %d", len(p0), len(p1))
	}
	for name, v := range p0 {
		if !slices.Equal(v.F32, p1[name].F32) {
			t.Errorf("param %s differs after three steps with remat", name)
		}
	}
}

func TestRematBudget(t *testing.T) {
	g, split := stepGraph(12, 32)
	env := map[string]int64{"B": 64}
	_, least, err := runtime.Remat(g, env, runtime.RematOptions{Split: split})
	if err != nil {
		t.Fatal(err)
	}
	// A budget between the least peak and the plain one is met, with the
	// smallest stride that meets it.
	budget := (least.Before + least.After) / 2
	_, rep, err := runtime.Remat(g, env, runtime.RematOptions{Split: split, Budget: budget})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Fits || rep.After > budget || rep.Stride > least.Stride {
		t.Errorf("budget %d: %+v (least: %+v)", budget, rep, least)
	}
	// A budget above the plain peak changes nothing.
	same, rep, err := runtime.Remat(g, env, runtime.RematOptions{Split: split, Budget: least.Before})
	if err != nil || same != g || rep.Stride != 1 || !rep.Fits {
		t.Errorf("generous budget: %+v, %v", rep, err)
	}
	// One below the least peak cannot be met: the least is returned.
	_, rep, err = runtime.Remat(g, env, runtime.RematOptions{Split: split, Budget: least.After - 1})
	if err != nil || rep.Fits || rep.After != least.After {
		t.Errorf("impossible budget: %+v, %v", rep, err)
	}
	if _, _, err := runtime.Remat(g, env, runtime.RematOptions{}); err == nil {
		t.Error("no error without a split")
	}
}

// TestFormatBytes: sizes print with two decimals in binary units, bytes
// below 1 KiB as they are.
func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{3 << 19: "1.50 MiB", 1023: "1023 B", 1 << 40: "1.00 TiB", 3 << 29: "1.50 GiB", 0: "0 B"} {
		if got := runtime.FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestMemoryErrorNote: a library error speaks of the option, not of the
// nnc command's flag or variable: refused under the default limit (the
// memory available), it says that a larger limit can be set.
func TestMemoryErrorNote(t *testing.T) {
	for _, c := range []struct {
		e    runtime.MemoryError
		want string
	}{
		{runtime.MemoryError{What: "the plan", Need: 2 << 30, Limit: 1 << 30},
			"the plan needs 2.00 GiB of memory, more than the 1.00 GiB of memory available (the default limit; set a larger memory limit)"},
		{runtime.MemoryError{What: "the check", Need: 3 << 20, Limit: 1 << 20, Set: true, Values: 1 << 20, Scratch: 2 << 20},
			"the check needs 3.00 MiB of memory, more than the memory limit of 1.00 MiB; its values take 1.00 MiB and its kernels' scratch 2.00 MiB"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%+v:\n%s\nwant\n%s", c.e, got, c.want)
		}
		if got := c.e.Error(); strings.Contains(got, "--") || strings.Contains(got, "NNC_") {
			t.Errorf("%q names a flag or a variable of the command", got)
		}
	}
}

// TestMemoryErrorPosition: the message starts at the larger of the largest
// value and the op with the most scratch, unless that op has no source
// position (an optimizer's fused update) and the largest value has one.
func TestMemoryErrorPosition(t *testing.T) {
	at := &ops.Node{Op: ops.Matmul, Pos: ops.Pos{File: "m.nn", Line: 5, Col: 16}}
	noPos := &ops.Node{Op: ops.Matmul}
	withPos := &ops.Node{Op: ops.Matmul, Pos: ops.Pos{File: "m.nn", Line: 9, Col: 3}}
	for _, c := range []struct {
		scratch *ops.Node
		want    string
	}{
		{noPos, "m.nn:5:16: "},
		{withPos, "m.nn:9:3: "},
	} {
		e := runtime.MemoryError{What: "the plan", Need: 1 << 20, Limit: 100, Set: true,
			Largest: at, LargestType: "f32[5, 2]", LargestBytes: 40, ScratchNode: c.scratch, ScratchMax: 12 << 10}
		if got := e.Error(); !strings.HasPrefix(got, c.want) {
			t.Errorf("scratch at %q: %s\nwant the prefix %q", c.scratch.Pos, got, c.want)
		}
	}
}
