package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// binaryDefs are the binary ops' definitions, element by element in
// float64 (exact for +, -, *, / of float32 operands, then rounded once).
var binaryDefs = []struct {
	name string
	op   int
	def  func(a, b float64) float64
}{
	{"add", ewAdd, func(a, b float64) float64 { return a + b }},
	{"sub", ewSub, func(a, b float64) float64 { return a - b }},
	{"mul", ewMul, func(a, b float64) float64 { return a * b }},
	{"div", ewDiv, func(a, b float64) float64 { return a / b }},
	{"pow", ewPow, math.Pow},
	{"max", ewMax, func(a, b float64) float64 { return max(a, b) }},
	{"min", ewMin, func(a, b float64) float64 { return min(a, b) }},
	{"greater", ewGreater, func(a, b float64) float64 { return b2f[float64](a > b) }},
	{"equal", ewEqual, func(a, b float64) float64 { return b2f[float64](a == b) }},
}

// TestBinaryDriverForms: every binary op, through the broadcast driver, in
// every operand form (both rows, a repeated y, a repeated x, both
// repeated), with the vector loops on and off, at lengths that end inside
// and outside a vector, gives its definition for every element, bitwise,
// also when dst is x itself; an empty row writes nothing.
func TestBinaryDriverForms(t *testing.T) {
	checkBinaryForms[float32](t)
	checkBinaryForms[float64](t)
}

func checkBinaryForms[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	defer func(old bool) { simdOff = old }(simdOff)
	for _, off := range []bool{true, false} {
		simdOff = off
		for _, n := range []int{1, 2, 7, 8, 9, 33} {
			x64, y64 := specialRow(rng, n), specialRow(rng, n)
			x, y := make([]T, n), make([]T, n)
			for i := range x {
				x[i], y[i] = T(x64[i]), T(y64[i])
			}
			y[0] = x[0] // equal gets a true case
			for _, d := range binaryDefs {
				forms := []struct {
					name string
					a, b []T
				}{{"vv", x, y}, {"vs", x, y[:1]}, {"sv", x[:1], y}, {"ss", x[:1], y[:1]}}
				for _, f := range forms {
					dst := make([]T, n)
					binaryRow(d.op, dst, f.a, f.b)
					alias := append([]T(nil), f.a...)
					if len(alias) == n {
						binaryRow(d.op, alias, alias, f.b)
					}
					for i := range dst {
						a, b := f.a[min(i, len(f.a)-1)], f.b[min(i, len(f.b)-1)]
						want := T(d.def(float64(a), float64(b)))
						if !simdSameBits(dst[i], want) {
							t.Fatalf("%s %s n=%d simdOff=%v: [%d] %v op %v = %v, want %v", d.name, f.name, n, off, i, a, b, dst[i], want)
						}
						if len(alias) == n && !simdSameBits(alias[i], want) {
							t.Fatalf("%s %s n=%d in place: [%d] = %v, want %v", d.name, f.name, n, i, alias[i], want)
						}
					}
				}
				binaryRow(d.op, nil, nil, y[:1])
			}
		}
	}
}

// TestBinaryDriverAllocatesNothing: a row through the driver, vector or Go
// loops, allocates nothing.
func TestBinaryDriverAllocatesNothing(t *testing.T) {
	x, y, dst := make([]float32, 100), make([]float32, 100), make([]float32, 100)
	for _, d := range binaryDefs {
		if a := testing.AllocsPerRun(10, func() {
			binaryRow(d.op, dst, x, y)
			binaryRow(d.op, dst, x[:1], y)
		}); a != 0 {
			t.Errorf("%s: %g allocations", d.name, a)
		}
	}
}

// TestBinaryDriverRejectsMismatch: operands that neither have dst's length
// nor are one element are a broken invariant, not a silent answer.
func TestBinaryDriverRejectsMismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for rows of 3 and 2 into 4")
		}
	}()
	AddRow(make([]float64, 4), make([]float64, 3), make([]float64, 2))
}

func TestBinaryKernelBroadcast(t *testing.T) {
	out, as, bs := []int{2, 4, 3}, []int{2, 1, 3}, []int{4, 1}
	rng := rand.New(rand.NewPCG(2, 2))
	a, b := randSlice(rng, 6), randSlice(rng, 4)
	p := NewBcast(out, as, bs)
	idx, off := p.Scratch(), make([]int, 2)
	dst := make([]float64, 24)
	Binary(p, dst, a, b, idx, off, SubRow[float64])
	for o := range dst {
		if want := a[source(o, out, as)] - b[source(o, out, bs)]; dst[o] != want {
			t.Fatalf("[%d] = %g, want %g", o, dst[o], want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { Binary(p, dst, a, b, idx, off, MulRow[float64]) }); n != 0 {
		t.Errorf("%g allocations per run", n)
	}
}

// TestBinaryNamedFloat: a named float type gets the same loops.
func TestBinaryNamedFloat(t *testing.T) {
	type f32 float32
	type f64 float64
	a, b := []f32{1, 2, 3}, []f32{4}
	dst := make([]f32, 3)
	SubRow(dst, a, b)
	if dst[0] != -3 || dst[1] != -2 || dst[2] != -1 {
		t.Errorf("f32 sub = %v, want [-3 -2 -1]", dst)
	}
	c := make([]f64, 2)
	MaxRow(c, []f64{1, -5}, []f64{0, 2})
	if c[0] != 1 || c[1] != 2 {
		t.Errorf("f64 max = %v, want [1 2]", c)
	}
}
