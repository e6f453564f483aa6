//go:build amd64 && !noasm

package kernels

import (
	"math"
	"testing"
)

// TestF32KernelsFlushSubnormals: the f32 products (packed and small-M
// kernels) and the direct convolution treat subnormal inputs as zero and
// give zero for subnormal results, and leave MXCSR as they found it (Go
// code after them still computes subnormals).
func TestF32KernelsFlushSubnormals(t *testing.T) {
	if !X86.HasAVX2 || !X86.HasFMA {
		t.Skip("no AVX2 and FMA: the assembly kernels do not run")
	}
	const sub = float32(1e-39) // subnormal: below 2^-126
	tiny := float32(1e-20)     // normal, but tiny·tiny is subnormal
	check := func(name string, c []float32, want float32) {
		t.Helper()
		for i, v := range c {
			if v != want {
				t.Fatalf("%s: C[%d] = %g, want %g", name, i, v, want)
			}
		}
		if ftzProbe*0.5 == 0 {
			t.Fatalf("%s: MXCSR not restored: Go's %g·0.5 flushed to 0", name, ftzProbe)
		}
	}
	for _, m := range []int{3, 40} { // a small-M kernel, then the packed path
		n, k := 48, 20
		g := NewGemmPlan[float32](false, false, m, n, k)
		if (m == 3) != (g.sm != nil) {
			t.Fatalf("M %d: small-M kernels %v", m, g.sm != nil)
		}
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for i := range a {
			a[i] = sub
		}
		for i := range b {
			b[i] = 1e30 // sub·1e30 would be 1e-9 if sub were kept
		}
		g.Run(1, a, k, b, n, 0, c, n)
		check("subnormal A", c, 0)
		for i := range a {
			a[i] = tiny
		}
		for i := range b {
			b[i] = tiny
		}
		g.Run(1, a, k, b, n, 0, c, n)
		check("subnormal products", c, 0)
	}
	cv := NewConvPadded([]int{1, 4, 6, 6}, []int{8, 4, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, 1)
	if !cv.useDirect() {
		t.Fatal("the convolution does not take the direct path")
	}
	x, kw := make([]float32, 4*36), make([]float32, 8*4*9)
	for i := range x {
		x[i] = sub
	}
	for i := range kw {
		kw[i] = 1e30
	}
	out := make([]float32, 8*36)
	ConvForward(cv, out, x, kw, nil, (*Matmul).F32)
	check("direct convolution", out, 0)
	if math.Float32bits(ftzProbe*2) == 0 {
		t.Fatal("MXCSR not restored")
	}
}

// ftzProbe is a subnormal the compiler cannot fold into a constant.
var ftzProbe = float32(1e-39)
