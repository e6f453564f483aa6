package kernels

import (
	"math"
	"testing"
)

// TestFloorDivMod checks the integer quotient and remainder against
// Python's // and % (values worked out by hand from their definitions:
// q = floor(x / y), r = x - q*y), the wrap of the most negative value
// divided by -1 (NumPy's int32), and division by zero (0, NumPy's value).
func TestFloorDivMod(t *testing.T) {
	cases := []struct{ x, y, q, r int32 }{
		{7, 2, 3, 1}, {-7, 2, -4, 1}, {7, -2, -4, -1}, {-7, -2, 3, -1},
		{6, 3, 2, 0}, {-6, 3, -2, 0}, {0, 5, 0, 0}, {5, 0, 0, 0},
		{math.MinInt32, -1, math.MinInt32, 0}, {math.MaxInt32, 1, math.MaxInt32, 0},
	}
	for _, c := range cases {
		if q, r := FloorDiv(c.x, c.y), FloorMod(c.x, c.y); q != c.q || r != c.r {
			t.Errorf("%d // %d, %d %% %d = %d, %d; want %d, %d", c.x, c.y, c.x, c.y, q, r, c.q, c.r)
		}
	}
	if q := FloorDiv(int64(math.MinInt64), -1); q != math.MinInt64 {
		t.Errorf("MinInt64 // -1 = %d", q)
	}
}

// TestFloatMod checks NumPy's np.remainder: the divisor's sign, a zero with
// the divisor's sign, NaN for a zero divisor or an infinite dividend.
func TestFloatMod(t *testing.T) {
	for _, c := range []struct{ x, y, want float64 }{
		{5.5, 2, 1.5}, {-5.5, 2, 0.5}, {5.5, -2, -0.5}, {-5.5, -2, -1.5}, {4, -2, math.Copysign(0, -1)},
	} {
		got := FloatMod(c.x, c.y)
		if got != c.want || math.Signbit(got) != math.Signbit(c.want) {
			t.Errorf("%g %% %g = %g, want %g", c.x, c.y, got, c.want)
		}
	}
	if !math.IsNaN(FloatMod(1, 0)) || !math.IsNaN(FloatMod(math.Inf(1), 2)) {
		t.Error("x % 0 and inf % y must be NaN")
	}
}

// TestAnyAllEmpty: over no elements any is false and all is true (NumPy);
// a [2, 0] operand reduced over axis 1 gives two such results.
func TestAnyAllEmpty(t *testing.T) {
	dst := []bool{true, true}
	AnyAll(dst, nil, []int{2, 0}, []bool{false, true}, false, make([]int, 2))
	if dst[0] || dst[1] {
		t.Errorf("any over an empty axis = %v", dst)
	}
	AnyAll(dst, nil, []int{2, 0}, []bool{false, true}, true, make([]int, 2))
	if !dst[0] || !dst[1] {
		t.Errorf("all over an empty axis = %v", dst)
	}
	x := []bool{false, true, false, false, false, false} // [2, 3]
	AnyAll(dst, x, []int{2, 3}, []bool{false, true}, false, make([]int, 2))
	if !dst[0] || dst[1] {
		t.Errorf("any([[f t f] [f f f]], axis 1) = %v", dst)
	}
}

// TestCompareNaN: a NaN is unequal to everything, itself included, and
// neither less nor greater (IEEE 754, as NumPy).
func TestCompareNaN(t *testing.T) {
	nan := float32(math.NaN())
	x, y := []float32{nan, nan, 1}, []float32{nan, 1, nan}
	p := NewBcast([]int{3}, []int{3}, []int{3})
	for op, want := range map[string][]bool{
		"eq": {false, false, false}, "ne": {true, true, true}, "lt": {false, false, false},
		"le": {false, false, false}, "gt": {false, false, false}, "ge": {false, false, false},
	} {
		got := make([]bool, 3)
		Compare(p, op, got, x, y, p.Scratch(), make([]int, 2))
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: %v, want %v", op, got, want)
				break
			}
		}
	}
}
