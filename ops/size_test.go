package ops

import (
	"errors"
	"math"
	"testing"
)

// TestDimOverflow: dimension arithmetic that overflows int64 gives
// DimOverflow (propagated, never equal to a constant) instead of wrapping.
func TestDimOverflow(t *testing.T) {
	big := DimConst(1 << 32)
	if d := big.Mul(big); !d.Overflowed() || d.String() != "<overflow>" {
		t.Errorf("2^32 * 2^32 = %v, want <overflow>", d)
	}
	if d := DimConst(math.MaxInt64).Add(DimConst(1)); !d.Overflowed() {
		t.Errorf("MaxInt64 + 1 = %v", d)
	}
	if d := DimConst(math.MinInt64).Neg(); !d.Overflowed() {
		t.Errorf("-MinInt64 = %v", d)
	}
	if d := DimOverflow.Add(DimConst(-1)).Mul(DimConst(0)); !d.Overflowed() {
		t.Errorf("overflow is not sticky: %v", d)
	}
	b := DimVar("B")
	if d := b.Mul(DimConst(1 << 62)).Mul(DimConst(4)); !d.Overflowed() {
		t.Errorf("B * 2^62 * 4 = %v, want <overflow>", d)
	}
	if v := DimOverflow.Vars(); len(v) != 0 {
		t.Errorf("Vars of the overflow: %v", v)
	}
	// Fine values stay exact.
	if d := DimConst(1 << 31).Mul(DimConst(1 << 31)); d != DimConst(1<<62) {
		t.Errorf("2^31 * 2^31 = %v", d)
	}
	if d := DimConst(math.MaxInt64).Add(DimConst(math.MinInt64)); d != DimConst(-1) {
		t.Errorf("MaxInt64 + MinInt64 = %v", d)
	}
	// Eval of a symbolic dimension whose value overflows fails.
	_, err := b.Mul(b).Eval(map[string]int64{"B": 1 << 32})
	if !errors.Is(err, ErrDimOverflow) {
		t.Errorf("B*B at B = 2^32: err %v, want ErrDimOverflow", err)
	}
	if v, err := b.Mul(b).Add(DimConst(3)).Eval(map[string]int64{"B": 1 << 31}); err != nil || v != 1<<62+3 {
		t.Errorf("B*B + 3 at B = 2^31: %d, %v", v, err)
	}
	if _, err := (Shape{b, DimConst(2)}).Eval(map[string]int64{"B": 3}); err != nil {
		t.Error(err)
	}
	if _, err := (Shape{DimOverflow}).Eval(nil); !errors.Is(err, ErrDimOverflow) {
		t.Errorf("Shape.Eval of the overflow: %v", err)
	}
}

// TestCheckedSizes: element counts and byte sizes of concrete shapes.
func TestCheckedSizes(t *testing.T) {
	for _, c := range []struct {
		dims []int
		n    int64
		err  string
	}{
		{[]int{2, 3, 4}, 24, ""},
		{nil, 1, ""},
		{[]int{1 << 40, 0, 1 << 40}, 0, ""}, // empty, even with a huge product of the others
		{[]int{1 << 32, 1 << 32}, 0, "the shape [4294967296, 4294967296] has more elements than int64 can count"},
		{[]int{1 << 31, 1 << 31, 2}, 0, "the shape [2147483648, 2147483648, 2] has more elements than int64 can count"},
		{[]int{1 << 31, 1 << 31}, 1 << 62, ""},
		{[]int{3, -1}, 0, "dimension -1 of [3, -1] is negative"},
	} {
		n, err := CheckedNumElems(c.dims)
		if c.err == "" && (err != nil || n != c.n) || c.err != "" && (err == nil || err.Error() != c.err) {
			t.Errorf("CheckedNumElems(%v) = %d, %v; want %d, %q", c.dims, n, err, c.n, c.err)
		}
	}
	if n, err := CheckedBytes(F64, []int{1 << 20, 1 << 25}); err != nil || n != 1<<48 {
		t.Errorf("f64[2^20, 2^25]: %d, %v; want 2^48 bytes", n, err)
	}
	_, err := CheckedBytes(F64, []int{1<<20 + 1, 1 << 25})
	want := "f64[1048577, 33554432] is too large: 35184405643264 elements of 8 bytes, more than the limit of 281474976710656 bytes (2^48)"
	if err == nil || err.Error() != want {
		t.Errorf("f64[2^20+1, 2^25]: %v, want %s", err, want)
	}
	if n, err := CheckedBytes(Bool, []int{1 << 48}); err != nil || n != 1<<48 {
		t.Errorf("bool[2^48]: %d, %v", n, err)
	}
	// Type.CheckSize with symbolic dimensions checks the constant part.
	ty := Type{F32, Shape{DimVar("B"), DimConst(1 << 24), DimConst(1 << 22)}}
	if err := ty.CheckSize(); err != nil {
		t.Errorf("%v: %v", ty, err)
	}
	ty.Shape[2] = DimConst(1<<22 + 1)
	if err := ty.CheckSize(); err == nil {
		t.Errorf("%v: no error", ty)
	}
	if err := (Type{F32, Shape{DimOverflow}}).CheckSize(); err == nil {
		t.Error("an overflowed dimension passed CheckSize")
	}
}

// TestBuilderRefusesHugeResults: Apply returns a *SizeError for a result
// over MaxTensorBytes instead of adding the node.
func TestBuilderRefusesHugeResults(t *testing.T) {
	b := NewBuilder()
	x := b.Input("x", Type{F32, ShapeOf(1<<24, 1)})
	y := b.Input("y", Type{F32, ShapeOf(1, 1<<24)})
	_, err := b.Apply(Add, nil, x, y)
	var se *SizeError
	if !errors.As(err, &se) || se.Op != "add" {
		t.Fatalf("add of [2^24, 1] and [1, 2^24]: %v, want a SizeError", err)
	}
	want := "add: the result f32[16777216, 16777216] is too large: 281474976710656 elements of 4 bytes, more than the limit of 281474976710656 bytes (2^48)"
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}
	if len(b.G.Nodes) != 2 {
		t.Errorf("the graph has %d nodes after the refusal, want 2", len(b.G.Nodes))
	}
}

// TestFlopsSaturate: FLOP counts saturate at MaxFlops instead of wrapping
// (a count of 2^64 used to print as 0).
func TestFlopsSaturate(t *testing.T) {
	b := NewBuilder()
	x := b.Input("x", Type{F32, Shape{DimVar("N"), DimVar("N")}})
	y := b.Must(Exp, nil, x)
	b.Output("y", b.Must(Sum, nil, y))
	got, err := Flops(b.G, map[string]int64{"N": 1 << 32})
	if err != nil || got != MaxFlops {
		t.Errorf("exp and sum of 2^64 elements: %d, %v; want MaxFlops", got, err)
	}
	got, err = Flops(b.G, map[string]int64{"N": 1000})
	if err != nil || got != 2_000_000 {
		t.Errorf("N = 1000: %d, %v; want 2,000,000", got, err)
	}
	if satMul(1<<40, 1<<40) != MaxFlops || satAdd(MaxFlops, 1) != MaxFlops || satMul(3, 5) != 15 {
		t.Error("satMul/satAdd")
	}
}
