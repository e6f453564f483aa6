package kernels

import (
	"math"
	"testing"
)

// refGeluGrad is the derivative of GELU in float64 (the exact form, or
// with tanh the tanh form), with the larger of its two terms' magnitudes:
// the scale its rounding error is measured against, since the sum crosses
// zero near x = -0.75.
func refGeluGrad(f float64, tanh bool) (v, scale float64) {
	var p, q float64
	if tanh {
		s := sigmoid(2 * geluTanhC * (f + geluTanhK*f*f*f))
		p = s
		if !math.IsInf(f, 0) {
			q = 2 * f * geluTanhC * (1 + 3*geluTanhK*f*f) * s * (1 - s)
		}
	} else {
		p = 0.5 * math.Erfc(-f/math.Sqrt2)
		if !math.IsInf(f, 0) {
			q = f * math.Exp(-0.5*f*f) / math.Sqrt(2*math.Pi)
		}
	}
	return p + q, max(math.Abs(p), math.Abs(q))
}

// spacing32 is the distance from |v| rounded to float32 to the next
// float32 up (2^-149 in the subnormal range).
func spacing32(v float64) float64 {
	f := float32(math.Abs(v))
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}

// TestGeluGradAccuracy checks GeluGradRow's stated bounds over erfSweep:
// the error in units of the last place of the larger term.
func TestGeluGradAccuracy(t *testing.T) {
	x := erfSweep()
	got := make([]float32, len(x))
	for _, tc := range []struct {
		name  string
		tanh  bool
		bound float64
	}{{"gelu_grad", false, simdGeluGradULP32}, {"gelu_tanh_grad", true, simdGeluTanhGradULP32}} {
		GeluGradRow(got, x, tc.tanh)
		worst, at := 0.0, float32(0)
		for i, v := range x {
			want, scale := refGeluGrad(float64(v), tc.tanh)
			if want != want {
				if got[i] == got[i] {
					t.Errorf("%s(%v) = %v, want NaN", tc.name, v, got[i])
				}
				continue
			}
			if e := math.Abs(float64(got[i])-want) / spacing32(scale); e > worst {
				worst, at = e, v
			}
		}
		t.Logf("%s: %d arguments, worst %.3f ulp of the larger term at %v", tc.name, len(x), worst, at)
		if worst > tc.bound {
			t.Errorf("%s: %.3f ulp at x = %v, the bound is %v", tc.name, worst, at, tc.bound)
		}
	}
}

// TestGeluGradSpecial checks the values at zeros, infinities and NaN, and
// that a split row gives the whole row's values bitwise.
func TestGeluGradSpecial(t *testing.T) {
	inf := float32(math.Inf(1))
	x := []float32{0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()), 30, -30, 1e30, -1e30}
	want := []float32{0.5, 0.5, 1, 0, 0, 1, 0, 1, 0}
	for _, tanh := range []bool{false, true} {
		got := make([]float32, len(x))
		GeluGradRow(got, x, tanh)
		for i, w := range want {
			if i == 4 {
				if got[i] == got[i] {
					t.Errorf("tanh %v: gelu_grad(NaN) = %v", tanh, got[i])
				}
				continue
			}
			if math.Abs(float64(got[i]-w)) > 1e-44 {
				t.Errorf("tanh %v: gelu_grad(%v) = %v, want %v", tanh, x[i], got[i], w)
			}
		}
		y := make([]float32, 37)
		for i := range y {
			y[i] = float32(i-18) * 0.37
		}
		whole := make([]float32, len(y))
		GeluGradRow(whole, y, tanh)
		for s := range len(y) {
			part := make([]float32, len(y)-s)
			GeluGradRow(part, y[s:], tanh)
			for i, v := range part {
				if math.Float32bits(v) != math.Float32bits(whole[s+i]) {
					t.Fatalf("tanh %v: x[%d] = %v gives %v from offset %d, %v in the whole row", tanh, s+i, y[s+i], v, s, whole[s+i])
				}
			}
		}
	}
}

// TestGeluGradFloat64Extremes: the float64 rows give 1 and 0 (not NaN)
// for arguments whose cube or square overflows.
func TestGeluGradFloat64Extremes(t *testing.T) {
	x := []float64{1e200, -1e200, math.MaxFloat64, -math.MaxFloat64, math.Inf(1), math.Inf(-1)}
	want := []float64{1, 0, 1, 0, 1, 0}
	for _, tanh := range []bool{false, true} {
		got := make([]float64, len(x))
		GeluGradRow(got, x, tanh)
		for i, w := range want {
			if math.Abs(got[i]-w) > 1e-300 {
				t.Errorf("tanh %v: gelu_grad(%v) = %v, want %v", tanh, x[i], got[i], w)
			}
		}
	}
}
