package nnc

import (
	"errors"
	goruntime "runtime"
	"strings"
	"testing"
)

func totalAlloc() uint64 {
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return m.TotalAlloc
}

func setMemoryLimit(t *testing.T, n int64) {
	t.Helper()
	if err := SetMemoryLimit(n); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { SetMemoryLimit(0) })
}

// Checking a program reports the peak memory of a plan too large to run,
// without allocating it, and says that running it would be refused.
func TestSummaryAllocatesNothing(t *testing.T) {
	setMemoryLimit(t, 1<<30)
	p, err := Compile("z.nn", []byte("fn f() -> f32[100000, 100000] {\n    return zeros([100000, 100000])\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	before := totalAlloc()
	s, err := p.Summary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := totalAlloc() - before; got > 64<<20 {
		t.Errorf("Summary allocated %d bytes", got)
	}
	e := s.Entries[0]
	if e.PeakBytes != 4e10 || e.MemoryLimit != 1<<30 {
		t.Errorf("peak %d, limit %d; want 4e10 and 1 GiB", e.PeakBytes, e.MemoryLimit)
	}

	// Running it is refused with the peak, the limit and the position.
	f, err := p.Func("f")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Run(nil)
	var me *MemoryError
	if !errors.As(err, &me) || me.Need != 4e10 {
		t.Fatalf("Run: %v, want a MemoryError", err)
	}
	if !strings.HasPrefix(err.Error(), "z.nn:2:") || !strings.Contains(err.Error(), "needs 37.25 GiB of memory, more than the memory limit of 1.00 GiB") {
		t.Errorf("Run: %v", err)
	}
}

// Checking the digits model for ten million rows plans 5 GB without
// allocating it (it used to die with "fatal error: out of memory").
func TestSummaryLargeBatch(t *testing.T) {
	p, err := CompileFile("models/digits.nn")
	if err != nil {
		t.Fatal(err)
	}
	before := totalAlloc()
	s, err := p.Summary(map[string]int{"B": 10000000})
	if err != nil {
		t.Fatal(err)
	}
	if got := totalAlloc() - before; got > 64<<20 {
		t.Errorf("Summary allocated %d bytes", got)
	}
	for _, e := range s.Entries {
		// At least the input x: f32[1e7, 64] and the logits f32[1e7, 10].
		if e.PeakBytes < 4e7*74 {
			t.Errorf("%s: peak %d bytes, want at least %d", e.Name, e.PeakBytes, int64(4e7*74))
		}
	}
}

// A gradient check too large for the memory limit is refused before the
// random inputs are drawn.
func TestGradCheckMemoryLimit(t *testing.T) {
	setMemoryLimit(t, 64<<20)
	p := compileGradcheck(t)
	f, err := p.Func("Net.loss")
	if err != nil {
		t.Fatal(err)
	}
	before := totalAlloc()
	_, err = f.GradCheck(GradCheckOptions{Seed: 1, Shapes: map[string]int{"B": 100000000}})
	if got := totalAlloc() - before; got > 32<<20 {
		t.Errorf("the refused check allocated %d bytes", got)
	}
	var me *MemoryError
	if !errors.As(err, &me) || me.Limit != 64<<20 || me.Need < 8*4e8 {
		t.Fatalf("error %v, want a MemoryError over 64 MiB for at least 3.2 GB", err)
	}
	if !strings.Contains(err.Error(), "gradcheck Net.loss: the check needs") {
		t.Errorf("error %v", err)
	}
	// A shape beyond what can be addressed is an error naming the input.
	_, err = f.GradCheck(GradCheckOptions{Seed: 1, Shapes: map[string]int{"B": 1 << 50}})
	if err == nil || !strings.Contains(err.Error(), "gradcheck: input x: f64[1125899906842624, 4] has 4503599627370496 elements") {
		t.Errorf("B = 2^50: %v", err)
	}
}

func TestSetMemoryLimitNegative(t *testing.T) {
	if err := SetMemoryLimit(-5); err == nil {
		t.Error("SetMemoryLimit(-5) accepted")
	}
	setMemoryLimit(t, 12345)
	if l, set := MemoryLimit(); l != 12345 || !set {
		t.Errorf("MemoryLimit() = %d, %v", l, set)
	}
}
