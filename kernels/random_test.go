package kernels

import "testing"

// TestDrawsAreCounterBased: a draw is a function of (seed, stream, index):
// a prefix of a longer draw is the shorter draw.
func TestDrawsAreCounterBased(t *testing.T) {
	long, short := make([]float64, 100), make([]float64, 10)
	Normal(long, 0, 1, 5, 7)
	Normal(short, 0, 1, 5, 7)
	for i := range short {
		if short[i] != long[i] {
			t.Fatalf("normal: element %d differs between lengths", i)
		}
	}
	Uniform(long, 2, 3, 5, 7)
	Uniform(short, 2, 3, 5, 7)
	for i := range short {
		if short[i] != long[i] || short[i] < 2 || short[i] >= 3 {
			t.Fatalf("uniform: element %d is %g and %g", i, short[i], long[i])
		}
	}
}

func TestSplitMix64(t *testing.T) {
	// The first outputs of splitmix64 seeded with 0, as published with the
	// algorithm (state advanced by the golden gamma before each output).
	want := []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f}
	for i, w := range want {
		if got := splitMix64(uint64(i) * 0x9e3779b97f4a7c15); got != w {
			t.Errorf("output %d = %#x, want %#x", i, got, w)
		}
	}
}
