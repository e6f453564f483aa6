package runtime

import (
	"errors"
	"math"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

func TestShapeBytes(t *testing.T) {
	for _, c := range []struct {
		dt           tensor.DType
		shape        []int
		elems, bytes int64
		err          string
	}{
		{tensor.F32, nil, 1, 4, ""},
		{tensor.F32, []int{2, 3}, 6, 24, ""},
		{tensor.F64, []int{0, 1 << 62}, 0, 0, ""},
		{tensor.Bool, []int{1 << 24, 1 << 24}, 1 << 48, 1 << 48, ""},
		{tensor.F32, []int{1 << 23, 1 << 23}, 1 << 46, 1 << 48, ""},
		// One byte more than 2^48.
		{tensor.F32, []int{1<<23 + 1, 1 << 23}, 0, 0, "f32[8388609, 8388608] has 70368752566272 elements, more than this machine can address (256.00 TiB at most)"},
		// 2^64 elements: the product wraps to 0 in int64.
		{tensor.F32, []int{4294967296, 4294967296}, 0, 0, "f32[4294967296, 4294967296] has 18446744073709551616 elements"},
		{tensor.F32, []int{3, -1}, 0, 0, "f32[3, -1] has a negative dimension"},
		{tensor.I64, []int{1 << 62, 4}, 0, 0, "i64[4611686018427387904, 4] has 18446744073709551616 elements"},
	} {
		e, b, err := ShapeBytes(c.dt, c.shape)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ShapeBytes(%v, %v) error %v, want %q", c.dt, c.shape, err, c.err)
			}
			continue
		}
		if err != nil || e != c.elems || b != c.bytes {
			t.Errorf("ShapeBytes(%v, %v) = %d, %d, %v; want %d, %d", c.dt, c.shape, e, b, err, c.elems, c.bytes)
		}
	}
}

// bigZeros is a graph whose one output is zeros of shape dims, at f.nn:1:20.
func bigZeros(dims ...int) *ops.Graph {
	b := ops.NewBuilder()
	b.SetPos(ops.Pos{File: "f.nn", Line: 1, Col: 20})
	b.Output("y", b.Full(ops.Type{DType: ops.F32, Shape: ops.ShapeOf(dims...)}, 0))
	return b.G
}

func setLimit(t *testing.T, n int64) {
	t.Helper()
	if err := SetMemoryLimit(n); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { SetMemoryLimit(0) })
}

func heapAlloc() uint64 {
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return m.TotalAlloc
}

// Planning computes sizes only: the plan of a 40 GB value is made without
// allocating it, and reports its size.
func TestPlanAllocatesNothing(t *testing.T) {
	before := heapAlloc()
	p, err := NewSession(bigZeros(100000, 100000), NewStore()).Plan()
	if err != nil {
		t.Fatal(err)
	}
	if got := heapAlloc() - before; got > 1<<20 {
		t.Errorf("planning allocated %d bytes", got)
	}
	if p.PeakBytes() != 4e10 || p.NaiveBytes() != 4e10 {
		t.Errorf("peak %d, naive %d; want 4e10 each", p.PeakBytes(), p.NaiveBytes())
	}
}

// Running a plan above the limit is refused before any allocation, with the
// peak, the limit and the largest value's op, type and position.
func TestRunRefusedAboveLimit(t *testing.T) {
	setLimit(t, 1<<30)
	s := NewSession(bigZeros(100000, 100000), NewStore())
	before := heapAlloc()
	_, err := s.Run(0)
	if got := heapAlloc() - before; got > 1<<20 {
		t.Errorf("the refused run allocated %d bytes", got)
	}
	var me *MemoryError
	if !errors.As(err, &me) || me.Need != 4e10 || me.Limit != 1<<30 || !me.Set {
		t.Fatalf("error %v, want a MemoryError for 4e10 bytes over 1 GiB", err)
	}
	want := "f.nn:1:20: the plan needs 37.25 GiB of memory, more than the memory limit of 1.00 GiB; its largest value is full f32[100000, 100000] (37.25 GiB)"
	if err.Error() != want {
		t.Errorf("error\n %s\nwant\n %s", err, want)
	}

	// Within the limit, the same session runs: 1000 x 1000 f32 is 4 MB.
	s = NewSession(bigZeros(1000, 1000), NewStore())
	out, err := s.Run(0)
	if err != nil || len(out[0].F32) != 1e6 {
		t.Fatalf("run within the limit: %v", err)
	}
}

// The default limit is the memory available, which is finite.
func TestDefaultLimit(t *testing.T) {
	setLimit(t, 0)
	l, set := MemoryLimit()
	if set || l <= 0 || l >= MaxBytes {
		t.Errorf("default limit %d (set %v), want the memory available", l, set)
	}
	_, err := NewSession(bigZeros(1<<22, 1<<22), NewStore()).Run(0) // 64 TiB
	var me *MemoryError
	if !errors.As(err, &me) || me.Set || !strings.Contains(err.Error(), "of memory available") {
		t.Errorf("error %v, want a MemoryError against the memory available", err)
	}
	if err := SetMemoryLimit(-1); err == nil {
		t.Error("SetMemoryLimit(-1) accepted")
	}
}

// A shape beyond what can be addressed, known only once shape variables
// have values, is an error at plan time naming the op, its position and the
// element count (constant shapes are refused earlier, by the type rules).
func TestPlanShapeOverflow(t *testing.T) {
	var err error
	b := ops.NewBuilder()
	b.SetPos(ops.Pos{File: "f.nn", Line: 2, Col: 5})
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.Shape{ops.DimVar("B")}})
	b.Output("y", b.Must(ops.BroadcastTo, ops.Attrs{"shape": ops.Shape{ops.DimVar("B"), ops.DimVar("B")}}, x))
	_, err = NewPlan(b.G, map[string]int64{"B": 1 << 40})
	if err == nil || !strings.Contains(err.Error(), "f.nn:2:5: broadcast_to: f32[1099511627776, 1099511627776] has 1208925819614629174706176 elements") {
		t.Fatalf("B = 2^40: error %v", err)
	}
}

// Parameters are checked before they are allocated.
func TestInitParamsLimit(t *testing.T) {
	setLimit(t, 1<<20)
	b := ops.NewBuilder()
	b.SetPos(ops.Pos{File: "m.nn", Line: 4, Col: 3})
	w := b.Param("l1.W", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(1000, 1000)}, nil)
	b.Output("y", w)
	err := InitParams(NewStore(), b.G, 0)
	want := "m.nn:4:3: param l1.W f32[1000, 1000] needs 3.81 MiB of memory, more than the memory limit of 1.00 MiB"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	b = ops.NewBuilder()
	b.Output("y", b.Param("big", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(1<<40, 1<<40)}, nil))
	err = InitParams(NewStore(), b.G, 0)
	if err == nil || !strings.Contains(err.Error(), "param big: f64[1099511627776, 1099511627776] has 1208925819614629174706176 elements") {
		t.Errorf("error %v", err)
	}
}

// A plan whose values fit the limit but whose kernels' scratch does not is
// refused before anything is allocated: x [1, 10^6] @ w [10^6, 1] has a
// 4-byte result, but the product packs both operands, 8 MB at least
// (each padded to whole tiles of rows or columns).
func TestRunRefusedForScratch(t *testing.T) {
	const k = 1000000
	b := ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(1, k)})
	// w transposed: a product of one row with w not transposed would run
	// unpacked (kernels' small-M products), with no scratch to speak of.
	w := b.Input("w", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(1, k)})
	b.SetPos(ops.Pos{File: "f.nn", Line: 2, Col: 5})
	b.Output("y", b.Must(ops.Matmul, ops.Attrs{"transpose_w": true}, x, w))
	xs, ws := tensor.New(tensor.F32, 1, k), tensor.New(tensor.F32, 1, k)
	for i := range k {
		xs.F32[i], ws.F32[i] = float32(i%7)-3, float32(i%5)*0.5
	}
	s := NewSession(b.G, NewStore())
	p, err := s.Plan(xs, ws)
	if err != nil {
		t.Fatal(err)
	}
	if p.PeakBytes() != 4 || p.ScratchBytes() < 8*k || p.ScratchBytes() > 8*k*64 {
		t.Fatalf("peak %d, scratch %d; want 4 and at least %d", p.PeakBytes(), p.ScratchBytes(), 8*k)
	}

	setLimit(t, 4<<20)
	before := heapAlloc()
	_, err = s.Run(0, xs, ws)
	if got := heapAlloc() - before; got > 64<<10 {
		t.Errorf("the refused run allocated %d bytes", got)
	}
	var me *MemoryError
	if !errors.As(err, &me) || me.Values != 4 || me.Scratch != p.ScratchBytes() || me.Need != 4+me.Scratch || me.Limit != 4<<20 {
		t.Fatalf("error %v (%+v), want a MemoryError for 4 bytes of values and the scratch", err, me)
	}
	scratch := FormatBytes(p.ScratchBytes())
	want := "f.nn:2:5: the plan needs " + FormatBytes(4+p.ScratchBytes()) + " of memory, more than the memory limit of 4.00 MiB; " +
		"its values take 4 B and its kernels' scratch " + scratch + "; its largest value is matmul f32[1, 1] (4 B); " +
		"the most kernel scratch is matmul's at f.nn:2:5 (" + scratch + ")"
	if err.Error() != want {
		t.Errorf("error\n %s\nwant\n %s", err, want)
	}

	// Within a limit that holds the scratch, the same session runs, and
	// computes the product: the sum over i of (i%7 - 3)·(i%5)/2.
	setLimit(t, 1<<30)
	out, err := s.Run(0, xs, ws)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for i := range k {
		sum += float64(i%7-3) * float64(i%5) * 0.5
	}
	if got := float64(out[0].F32[0]); math.Abs(got-sum) > 1e-3*math.Max(1, math.Abs(sum)) {
		t.Errorf("x @ w = %v, want %v", got, sum)
	}
}
