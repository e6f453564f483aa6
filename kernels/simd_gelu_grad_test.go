package kernels

import (
	"math"
	"testing"
)

// refGeluGrad is the derivative of the exact GELU in float64, Φ(x) +
// x·φ(x), with the larger of its two terms' magnitudes (the scale its
// rounding error is measured against: the sum cancels near x = -0.75).
func refGeluGrad(f float64) (v, scale float64) {
	p := 0.5 * math.Erfc(-f/math.Sqrt2)
	if math.IsInf(f, 0) {
		return p, p
	}
	q := f * math.Exp(-0.5*f*f) / math.Sqrt(2*math.Pi)
	return p + q, max(math.Abs(p), math.Abs(q))
}

// spacing32 is the distance from |v| rounded to float32 to the next
// float32 up (2^-149 in the subnormal range).
func spacing32(v float64) float64 {
	f := float32(math.Abs(v))
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}

// TestGeluGradAccuracy checks GeluGradRow's stated bound over erfSweep:
// the error in units of the last place of the larger term.
func TestGeluGradAccuracy(t *testing.T) {
	x := erfSweep()
	got := make([]float32, len(x))
	GeluGradRow(got, x)
	worst, at := 0.0, float32(0)
	for i, v := range x {
		want, scale := refGeluGrad(float64(v))
		if want != want {
			if got[i] == got[i] {
				t.Errorf("gelu_grad(%v) = %v, want NaN", v, got[i])
			}
			continue
		}
		if e := math.Abs(float64(got[i])-want) / spacing32(scale); e > worst {
			worst, at = e, v
		}
	}
	t.Logf("gelu_grad: %d arguments, worst %.3f ulp of the larger term at %v", len(x), worst, at)
	if worst > simdGeluGradULP32 {
		t.Errorf("gelu_grad: %.3f ulp at x = %v, the bound is %v", worst, at, simdGeluGradULP32)
	}
}

// TestGeluGradSpecial checks the values at zeros, infinities and NaN, and
// that a split row gives the whole row's values bitwise.
func TestGeluGradSpecial(t *testing.T) {
	inf := float32(math.Inf(1))
	x := []float32{0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()), 30, -30, 1e30, -1e30}
	want := []float32{0.5, 0.5, 1, 0, 0, 1, 0, 1, 0}
	got := make([]float32, len(x))
	GeluGradRow(got, x)
	for i, w := range want {
		if i == 4 {
			if got[i] == got[i] {
				t.Errorf("gelu_grad(NaN) = %v", got[i])
			}
			continue
		}
		if math.Abs(float64(got[i]-w)) > 1e-44 {
			t.Errorf("gelu_grad(%v) = %v, want %v", x[i], got[i], w)
		}
	}
	y := make([]float32, 37)
	for i := range y {
		y[i] = float32(i-18) * 0.37
	}
	whole := make([]float32, len(y))
	GeluGradRow(whole, y)
	for s := range len(y) {
		part := make([]float32, len(y)-s)
		GeluGradRow(part, y[s:])
		for i, v := range part {
			if math.Float32bits(v) != math.Float32bits(whole[s+i]) {
				t.Fatalf("x[%d] = %v gives %v from offset %d, %v in the whole row", s+i, y[s+i], v, s, whole[s+i])
			}
		}
	}
}
