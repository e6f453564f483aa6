package nnc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// loopSrc unrolls a loop over T, so its Func compiles one variant per T.
const loopSrc = `model L {
    param w: f32[3] = normal()

    fn score(x: f32[T, 3]) -> f32 {
        acc = x[0] * 0
        for i in 0..T {
            acc = acc * 2 + x[i] * w
        }
        return sum(acc)
    }
}
`

// mlpRef computes mlpSrc's M.forward in float64 from the Func's current
// parameters: tanh(x @ W1 + b1) @ W2.
func mlpRef(t *testing.T, f *Func, x *Tensor) []float64 {
	t.Helper()
	get := func(name string) []float64 {
		p, ok := f.Param(name)
		if !ok {
			t.Fatalf("no parameter %s", name)
		}
		return p.Float64s()
	}
	w1, b1, w2 := get("W1"), get("b1"), get("W2")
	rows := x.Shape[0]
	xs := x.Float64s()
	out := make([]float64, rows*3)
	for r := 0; r < rows; r++ {
		for k := 0; k < 3; k++ {
			for j := 0; j < 8; j++ {
				h := b1[j]
				for i := 0; i < 4; i++ {
					h += xs[r*4+i] * w1[i*8+j]
				}
				out[r*3+k] += math.Tanh(h) * w2[j*3+k]
			}
		}
	}
	return out
}

// sameBits reports whether two tensors have the same type and bitwise the
// same values.
func sameBits(a, b *Tensor) bool {
	if a.DType != b.DType || !slices.Equal(a.Shape, b.Shape) {
		return false
	}
	switch a.DType {
	case tensor.F32:
		for i := range a.F32 {
			if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
				return false
			}
		}
		return len(a.F32) == len(b.F32)
	case tensor.F64:
		for i := range a.F64 {
			if math.Float64bits(a.F64[i]) != math.Float64bits(b.F64[i]) {
				return false
			}
		}
		return len(a.F64) == len(b.F64)
	}
	return slices.Equal(a.Float64s(), b.Float64s())
}

// call is one Run or Grad of the concurrency test and its results.
type call struct {
	f    *Func
	grad bool
	in   map[string]*Tensor
	want []*Tensor
}

func (c *call) do() ([]*Tensor, error) {
	if !c.grad {
		return c.f.Run(c.in)
	}
	wrt := []string{"x"}
	if _, ok := c.in["x"]; ok && c.f.entry == "M.loss" {
		wrt = []string{"W1", "x"}
	}
	v, g, err := c.f.Grad(wrt, c.in)
	if err != nil {
		return nil, err
	}
	return append([]*Tensor{v}, g...), nil
}

// Many goroutines share one Func of each kind (generic in B, and compiled
// per T) and call Run and Grad with different inputs and sizes at once;
// every result is bitwise the one the same call gives alone. Run with -race.
func TestFuncConcurrentRunsMatchSequential(t *testing.T) {
	fwd, loss := benchFunc(t, "M.forward"), benchFunc(t, "M.loss")
	lp, err := Compile("loop.nn", []byte(loopSrc))
	if err != nil {
		t.Fatal(err)
	}
	score, err := lp.Func("L.score")
	if err != nil {
		t.Fatal(err)
	}
	// The calls, each made first on its own by a fresh Func (so that the
	// concurrent run below compiles every variant concurrently).
	var calls []*call
	for k := range 12 {
		rows := []int{1, 3, 8, 200}[k%4]
		calls = append(calls,
			&call{f: fwd, in: map[string]*Tensor{"x": rowsInput(rows, k)}},
			&call{f: loss, grad: true, in: map[string]*Tensor{"x": rowsInput(rows, k)}},
			&call{f: score, in: map[string]*Tensor{"x": cols3Input(rows, k)}},
			&call{f: score, grad: true, in: map[string]*Tensor{"x": cols3Input(rows, k)}},
		)
	}
	fresh := map[*Func]*Func{fwd: benchFunc(t, "M.forward"), loss: benchFunc(t, "M.loss")}
	if fresh[score], err = lp.Func("L.score"); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		alone := *c
		alone.f = fresh[c.f]
		if c.want, err = alone.do(); err != nil {
			t.Fatal(err)
		}
	}
	// The sequential forward pass agrees with a float64 reference.
	for _, c := range calls {
		if c.f != fwd {
			continue
		}
		ref := mlpRef(t, fwd, c.in["x"])
		for i, v := range c.want[0].F32 {
			if math.Abs(float64(v)-ref[i]) > 1e-5 {
				t.Fatalf("forward[%d] = %v, want %v", i, v, ref[i])
			}
		}
	}

	const goroutines, rounds = 12, 40
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for r := range rounds {
				c := calls[(g*7+r*5)%len(calls)]
				got, err := c.do()
				if err != nil {
					errs <- err
					return
				}
				for i := range got {
					if !sameBits(got[i], c.want[i]) {
						errs <- fmt.Errorf("goroutine %d round %d: %s result %d = %v, alone %v", g, r, c.f.entry, i, got[i].Float64s(), c.want[i].Float64s())
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// cols3Input is a [rows, 3] f32 input whose values depend on rows and k.
func cols3Input(rows, k int) *Tensor {
	x := tensor.New(tensor.F32, rows, 3)
	for i := range x.F32 {
		x.F32[i] = float32((i*5+k*11)%13)/4 - 1.5
	}
	return x
}

// A parameter written while runs are in progress is seen wholly before or
// wholly after the write: every result equals the result with the old value
// or the one with the new value, bitwise, never a mix.
func TestFuncSetParamDuringRuns(t *testing.T) {
	f := benchFunc(t, "M.forward")
	in := map[string]*Tensor{"x": rowsInput(256, 1)}
	cur, _ := f.Param("W1")
	w1, other := cur.Clone(), cur.Clone()
	for i := range other.F32 {
		other.F32[i] = -2 * other.F32[i]
	}
	results := make([]*Tensor, 2)
	for i, w := range []*Tensor{w1, other} {
		if err := f.SetParam("W1", w); err != nil {
			t.Fatal(err)
		}
		out, err := f.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		results[i] = out[0]
		ref := mlpRef(t, f, in["x"])
		for k, v := range out[0].F32 {
			if math.Abs(float64(v)-ref[k]) > 1e-5 {
				t.Fatalf("W1 #%d: out[%d] = %v, want %v", i, k, v, ref[k])
			}
		}
	}
	if sameBits(results[0], results[1]) {
		t.Fatal("the two parameter values give the same result")
	}

	ctx, stop := context.WithCancel(context.Background())
	var writer sync.WaitGroup
	writer.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			if err := f.SetParam("W1", []*Tensor{w1, other}[i%2]); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var readers sync.WaitGroup
	seen := make([][2]int, 8)
	for g := range 8 {
		readers.Go(func() {
			for range 200 {
				out, err := f.Run(in)
				if err != nil {
					t.Error(err)
					return
				}
				switch {
				case sameBits(out[0], results[0]):
					seen[g][0]++
				case sameBits(out[0], results[1]):
					seen[g][1]++
				default:
					t.Errorf("goroutine %d: a result that is neither W1's: %v", g, out[0].F32[:6])
					return
				}
			}
		})
	}
	readers.Wait()
	stop()
	writer.Wait()
	t.Logf("results seen (old, new) per goroutine: %v", seen)
}

// RunContext and GradContext return the context's error, and run nothing,
// when the context is done.
func TestFuncRunContextCancelled(t *testing.T) {
	f := benchFunc(t, "M.loss")
	in := map[string]*Tensor{"x": rowsInput(4, 0)}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.RunContext(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("RunContext(cancelled) = %v, want context.Canceled", err)
	}
	if _, _, err := f.GradContext(ctx, []string{"x"}, in); !errors.Is(err, context.Canceled) {
		t.Errorf("GradContext(cancelled) = %v, want context.Canceled", err)
	}
	// A call waiting for a parameter write gives up when its context ends.
	f.params.Lock()
	ctx2, cancel2 := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := f.RunContext(ctx2, in)
		done <- err
	}()
	cancel2()
	f.params.Unlock()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("RunContext cancelled while waiting = %v, want context.Canceled", err)
	}
	if _, err := f.RunContext(context.Background(), in); err != nil {
		t.Errorf("RunContext after a cancelled call: %v", err)
	}
}

// A steady Run allocates only its results' copies and the call's bookkeeping,
// as before Funcs were made safe for concurrent use (5 allocations).
func TestFuncSteadyRunAllocs(t *testing.T) {
	f := benchFunc(t, "M.forward")
	in := map[string]*Tensor{"x": rowsInput(32, 0)}
	if _, err := f.Run(in); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		if _, err := f.Run(in); err != nil {
			t.Fatal(err)
		}
	})
	if n > 5 {
		t.Errorf("a steady Run allocates %v times, want at most 5", n)
	}
}

// Funcs and graphs of one Program are made from many goroutines at once,
// while others set its (unchanged) settings; each Func works and every graph
// is the one made alone.
func TestProgramConcurrentUse(t *testing.T) {
	p, err := Compile("mlp.nn", []byte(mlpSrc))
	if err != nil {
		t.Fatal(err)
	}
	alone, err := p.Graph("M.loss", GraphOptions{Grad: true, Opt: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			p.SetModelArgs(map[string]any{"unused": g})
			p.SetOptLevel(1)
			entry := []string{"M.forward", "M.loss"}[g%2]
			f, err := p.Func(entry)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := f.Run(map[string]*Tensor{"x": rowsInput(g+1, g)}); err != nil {
				t.Error(err)
			}
			s, err := p.Graph("M.loss", GraphOptions{Grad: true, Opt: true})
			if err != nil {
				t.Error(err)
			} else if s != alone {
				t.Errorf("goroutine %d: the graph differs from the one made alone", g)
			}
		})
	}
	wg.Wait()
}
