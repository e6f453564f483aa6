package nnc

import (
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// mlpSrc is a small two-layer model used by the API's concurrency tests and
// benchmarks.
const mlpSrc = `model M {
    param W1: f32[4, 8] = normal(std = 0.5)
    param b1: f32[8] = normal(std = 0.1)
    param W2: f32[8, 3] = normal(std = 0.5)

    fn forward(x: f32[B, 4]) -> f32[B, 3] {
        return tanh(x @ W1 + b1) @ W2
    }

    fn loss(x: f32[B, 4]) -> f32 {
        return sum(forward(x) * forward(x)) / 2
    }
}
`

// benchFunc compiles mlpSrc's entry.
func benchFunc(tb testing.TB, entry string) *Func {
	tb.Helper()
	p, err := Compile("mlp.nn", []byte(mlpSrc))
	if err != nil {
		tb.Fatal(err)
	}
	f, err := p.Func(entry)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// rowsInput is a [rows, 4] f32 input whose values depend on rows and k.
func rowsInput(rows, k int) *Tensor {
	x := tensor.New(tensor.F32, rows, 4)
	for i := range x.F32 {
		x.F32[i] = float32((i*7+k*13)%17)/8 - 1
	}
	return x
}

// BenchmarkFuncRun is one steady-state Run of a small model on one goroutine.
func BenchmarkFuncRun(b *testing.B) {
	f := benchFunc(b, "M.forward")
	in := map[string]*Tensor{"x": rowsInput(32, 0)}
	if _, err := f.Run(in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Run(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFuncGrad is one steady-state Grad of a small model.
func BenchmarkFuncGrad(b *testing.B) {
	f := benchFunc(b, "M.loss")
	in := map[string]*Tensor{"x": rowsInput(32, 0)}
	wrt := []string{"W1", "x"}
	if _, _, err := f.Grad(wrt, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.Grad(wrt, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFuncRunParallel is Run on one Func from GOMAXPROCS goroutines.
func BenchmarkFuncRunParallel(b *testing.B) {
	f := benchFunc(b, "M.forward")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		in := map[string]*Tensor{"x": rowsInput(32, 0)}
		for pb.Next() {
			if _, err := f.Run(in); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
