package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFlushSubnormals: where the f32 products flush subnormals (AVX2 and
// FMA), flushSubnormals turns every f32 subnormal into a zero of its sign
// and leaves zeros, normal numbers, infinities and NaNs as they are, at
// every length from 0 to 40 (the 8-wide assembly and the tail); elsewhere,
// and for f64, it changes nothing. LSTMCellGrad's result is flushed the
// same way: a cell whose incoming gradients are tiny gives zeros where the
// IEEE result is subnormal.
func TestFlushSubnormals(t *testing.T) {
	flushes := asmFlush && X86.HasAVX2 && X86.HasFMA
	rng := rand.New(rand.NewPCG(6, 7))
	special := []float32{0, float32(math.Copysign(0, -1)), math.Float32frombits(1), math.Float32frombits(0x807fffff),
		math.SmallestNonzeroFloat32 * 1000, -math.MaxFloat32, float32(math.Inf(1)), float32(math.NaN()),
		math.Float32frombits(0x00800000), math.Float32frombits(0x80800000)}
	for n := 0; n <= 40; n++ {
		x := make([]float32, n)
		for i := range x {
			if rng.IntN(2) == 0 {
				x[i] = special[rng.IntN(len(special))]
			} else {
				x[i] = float32(rng.NormFloat64())
			}
		}
		got := append([]float32(nil), x...)
		flushSubnormals(got)
		for i, v := range x {
			b := math.Float32bits(v)
			want := b
			if flushes && b&0x7f800000 == 0 {
				want = b & 0x80000000
			}
			if math.Float32bits(got[i]) != want {
				t.Fatalf("n %d [%d]: %#x -> %#x, want %#x", n, i, b, math.Float32bits(got[i]), want)
			}
		}
	}
	x64 := []float64{math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64 * 3}
	flushSubnormals(x64)
	if x64[0] != math.SmallestNonzeroFloat64 || x64[1] != -math.SmallestNonzeroFloat64*3 {
		t.Errorf("f64 subnormals changed: %v", x64)
	}

	// One LSTM cell, rows 2, h 3: incoming gradients of h' and c' of 1e-36
	// times activations well below 1 give subnormal gate gradients.
	const rows, h = 2, 3
	gates := make([]float32, rows*4*h)
	for i := range gates {
		gates[i] = float32(i%5) - 4 // σ and tanh of -4..0
	}
	c := []float32{0.5, -0.25, 0.1, 0.3, -0.6, 0.05}
	y := make([]float32, LSTMPlanes*rows*h)
	LSTMCell(y, gates, c, rows, h)
	tiny := make([]float32, rows*h)
	for i := range tiny {
		tiny[i] = 1e-37
	}
	dst := make([]float32, rows*5*h)
	LSTMCellGrad2(dst, y, c, tiny, tiny, rows, h)
	sub := 0
	for _, v := range dst {
		if b := math.Float32bits(v); b&0x7f800000 == 0 && b&0x007fffff != 0 {
			sub++
		}
	}
	if flushes && sub != 0 {
		t.Errorf("LSTMCellGrad2 left %d subnormals: %v", sub, dst)
	}
	if !flushes && sub == 0 {
		t.Errorf("without flushing, the case gives no subnormal to test: %v", dst)
	}
}
