package runtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// cancelOp is a test op that copies its operand and then calls cancelHook
// (when set): a deterministic way to cancel a run while a given step runs.
var cancelOp *ops.Op

var cancelHook func()

func init() {
	ops.Register(&cancelOp, &ops.Op{
		Name: "runtime_test_cancel", Arity: 1, Doc: "copies its operand, then calls the test's cancel hook (test only)",
		Infer: func(in []ops.Type, _ ops.Attrs) (ops.Type, error) { return in[0], nil },
		Kernel: func(*ops.Node, [][]int, []int) (ops.KernelFunc, error) {
			return func(_ *ops.Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				o.CopyFrom(in[0])
				if cancelHook != nil {
					cancelHook()
				}
			}, nil
		},
		NoGrad: "test only",
	})
}

// withCancelHook makes the cancel op call cancel during the test.
func withCancelHook(t *testing.T, cancel func()) {
	t.Helper()
	cancelHook = cancel
	t.Cleanup(func() { cancelHook = nil })
}

// matmulChain is a training step over a chain of n products h = tanh(h @ W)
// of 96×96 matrices, with a squared loss, autodiff gradients and the SGD
// update W <- W - 0.01·g. The cancel op reads the value after product
// cancelAt (on a side branch, output "probe") and is scheduled right after
// it. It returns the graph and the cancel op's node.
func matmulChain(t *testing.T, n, cancelAt int) (*ops.Graph, *ops.Node) {
	t.Helper()
	const d = 96
	b := ops.NewBuilder()
	x := b.Input("x", f32T(ops.DimConst(d), ops.DimConst(d)))
	w := b.Param("W", f32T(ops.DimConst(d), ops.DimConst(d)), ops.Attrs{"init": "normal", "std": 0.1})
	h := x
	var probe *ops.Node
	for i := 1; i <= n; i++ {
		b.SetPos(ops.Pos{File: "chain.nn", Line: i, Col: 5})
		h = b.Must(ops.Tanh, nil, b.Must(ops.Matmul, nil, h, w))
		if i == cancelAt {
			b.SetPos(ops.Pos{File: "chain.nn", Line: i, Col: 30})
			probe = b.Must(cancelOp, nil, h)
		}
	}
	loss := b.SumTo(b.Must(ops.Mul, nil, h, h), nil)
	gs, err := autodiff.Grad(b, loss, []*ops.Node{w})
	if err != nil {
		t.Fatal(err)
	}
	b.Update(w, b.Must(ops.Sub, nil, w, b.Must(ops.Mul, nil, b.Scalar(ops.F32, 0.01), gs[0])))
	b.Output("loss", loss)
	b.Output("probe", probe)
	return b.G, probe
}

func chainInput() *tensor.Tensor {
	x := tensor.New(tensor.F32, 96, 96)
	for i := range x.F32 {
		x.F32[i] = float32(i%17)/17 - 0.5
	}
	return x
}

// A run cancelled by its context stops before the next step, returns an
// error wrapping context.Canceled that names that step, and leaves the
// parameters as they were; the next run, with a live context, is the run a
// fresh session makes.
func TestRunContextCancelledBetweenSteps(t *testing.T) {
	g, probe := matmulChain(t, 40, 7)
	store := NewStore()
	if err := InitParams(store, g, 1); err != nil {
		t.Fatal(err)
	}
	before := store.Get("W").Clone()
	x := chainInput()
	s := NewSession(g, store)
	p, err := s.Plan(x)
	if err != nil {
		t.Fatal(err)
	}
	at := slices.IndexFunc(p.Steps, func(st Step) bool { return st.Node == probe })
	if at < 0 || at+1 >= len(p.Steps) {
		t.Fatalf("cancel op at step %d of %d", at, len(p.Steps))
	}
	next := p.Steps[at+1].Node

	ctx, cancel := context.WithCancel(context.Background())
	withCancelHook(t, cancel)
	out, err := s.RunContext(ctx, 0, x)
	if !errors.Is(err, context.Canceled) || out != nil {
		t.Fatalf("RunContext: %v, %v; want context.Canceled", out, err)
	}
	want := fmt.Sprintf("run cancelled before step %d of %d (%s at %v): context canceled", at+2, len(p.Steps), next.Op.Name, next.Pos)
	if err.Error() != want {
		t.Errorf("error\n %s\nwant\n %s", err, want)
	}
	if !slices.Equal(store.Get("W").F32, before.F32) {
		t.Error("the cancelled run changed W")
	}

	// The same session, with a live context, computes what a fresh one
	// does, and applies the update.
	cancelHook = nil
	got, err := s.RunContext(context.Background(), 0, x)
	if err != nil {
		t.Fatal(err)
	}
	fresh := NewStore()
	fresh.Set("W", before.Clone())
	ref, err := NewSession(g, fresh).Run(0, x)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].F32[0] != ref[0].F32[0] || math.IsNaN(float64(got[0].F32[0])) {
		t.Errorf("loss after the cancelled run %v, fresh session %v", got[0].F32[0], ref[0].F32[0])
	}
	if !slices.Equal(store.Get("W").F32, fresh.Get("W").F32) || slices.Equal(store.Get("W").F32, before.F32) {
		t.Error("the run after the cancelled one did not apply the update a fresh session applies")
	}
}

// A context cancelled before the run starts stops it before anything is
// allocated: 400 MB of zeros are neither allocated nor computed.
func TestRunContextCancelledBeforeStart(t *testing.T) {
	s := NewSession(bigZeros(10000, 10000), NewStore())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := heapAlloc()
	_, err := s.RunContext(ctx, 0)
	if got := heapAlloc() - before; got > 1<<20 {
		t.Errorf("the cancelled run allocated %d bytes", got)
	}
	if !errors.Is(err, context.Canceled) || err.Error() != "run cancelled before step 1 of 1 (full at f.nn:1:20): context canceled" {
		t.Errorf("error %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 0)
	defer cancel()
	if _, err := s.RunContext(ctx, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired deadline: %v", err)
	}
	var none context.Context // a nil context is an error, not a panic
	if _, err := s.RunContext(none, 0); err == nil || err.Error() != "runtime: nil context" {
		t.Errorf("nil context: %v", err)
	}
}

// sgdGraph is one momentum-SGD step written as a fused_sgd node (as the
// optimizer makes it), which writes the momentum state in place: p <- p -
// 0.5·buf' with buf' = 0.25·buf + g, g = 2·(p - x) through the cancel op
// when before is true; otherwise the cancel op reads the new parameter,
// after the update step has run.
func sgdGraph(before bool) *ops.Graph {
	b := ops.NewBuilder()
	x := b.Input("x", f32T(c3))
	p := b.Param("p", f32T(c3), nil)
	buf := b.State("buf", f32T(c3), nil)
	g := b.Must(ops.Mul, nil, b.Scalar(ops.F32, 2), b.Must(ops.Sub, nil, p, x))
	if before {
		g = b.Must(cancelOp, nil, g)
	}
	np := b.Must(ops.FusedSGD, ops.Attrs{"lr": 0.5, "momentum": 0.25, "nesterov": false}, p, g, buf)
	b.Update(p, np)
	b.Update(buf, buf)
	out := np
	if !before {
		out = b.Must(cancelOp, nil, b.Must(ops.Mul, nil, np, np))
	}
	b.Output("y", out)
	return b.G
}

// A fused optimizer update writes its state in place: a run cancelled
// before it changes nothing, and a run whose context is cancelled once it
// has started finishes, params and state updated together.
func TestRunContextStoreWrites(t *testing.T) {
	x := vals(tensor.F32, []int{3}, 1, 2, 3)
	for _, before := range []bool{true, false} {
		store := NewStore()
		store.Set("p", vals(tensor.F32, []int{3}, 0.5, 1, -1))
		store.Set("buf", vals(tensor.F32, []int{3}, 0.25, 0, 1))
		s := NewSession(sgdGraph(before), store)
		ctx, cancel := context.WithCancel(context.Background())
		withCancelHook(t, cancel)
		_, err := s.RunContext(ctx, 0, x)
		p, buf := store.Get("p").F32, store.Get("buf").F32
		if before {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled before the update: %v", err)
			}
			if !slices.Equal(p, []float32{0.5, 1, -1}) || !slices.Equal(buf, []float32{0.25, 0, 1}) {
				t.Errorf("cancelled before the update: p %v, buf %v changed", p, buf)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cancelled after the update started: %v", err)
		}
		// g = 2·(p - x) = [-1, -2, -8]; buf' = 0.25·buf + g = [-0.9375,
		// -2, -7.75]; p' = p - 0.5·buf' = [0.96875, 2, 2.875].
		if !slices.Equal(buf, []float32{-0.9375, -2, -7.75}) || !slices.Equal(p, []float32{0.96875, 2, 2.875}) {
			t.Errorf("cancelled after the update started: p %v, buf %v", p, buf)
		}
		cancelHook = nil
		if _, err := s.RunContext(ctx, 0, x); !errors.Is(err, context.Canceled) {
			t.Errorf("next run with the cancelled context: %v", err)
		}
	}
}

// A cancellable context that is not cancelled costs no allocation.
func TestSteadyRunContextAllocatesNothing(t *testing.T) {
	g := mlpGraph(t)
	store := NewStore()
	if err := InitParams(store, g, 5); err != nil {
		t.Fatal(err)
	}
	x, target := tensor.New(tensor.F32, 16, 6), tensor.New(tensor.F32, 16, 2)
	s := NewSession(g, store)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := s.RunContext(ctx, 0, x, target); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := s.RunContext(ctx, 0, x, target); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("steady RunContext allocates %v times", allocs)
	}
}

// addChain is n small additions in a row: per-step costs dominate.
func addChain(n int) *ops.Graph {
	b := ops.NewBuilder()
	x := b.Input("x", f32T(ops.DimConst(4)))
	h := x
	for range n {
		h = b.Must(ops.Add, nil, h, x)
	}
	b.Output("y", h)
	return b.G
}

// BenchmarkRunContext measures the per-step check of the context on 200
// small steps: Run (context.Background, a nil Done channel), RunContext with
// a cancellable context (one select per step).
func BenchmarkRunContext(b *testing.B) {
	s := NewSession(addChain(200), NewStore())
	x := vals(tensor.F32, []int{4}, 1, 2, 3, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{{"background", context.Background()}, {"cancellable", ctx}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.RunContext(c.ctx, 0, x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
