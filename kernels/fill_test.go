package kernels

import (
	"math"
	"testing"
)

// TestFillRow checks fillRow (AVX stores for f32 rows of 16 or more
// elements) on every length 0 to 80 at every offset 0 to 7, the elements
// around the row left alone, bit for bit (a NaN payload, a negative zero).
func TestFillRow(t *testing.T) {
	for _, c := range []float32{float32(math.Copysign(0, -1)), -1.5, math.Float32frombits(0x7fc12345)} {
		src := []float32{7, c}
		for n := 0; n <= 80; n++ {
			for off := 0; off < 8; off++ {
				buf := make([]float32, off+n+3)
				for i := range buf {
					buf[i] = 42
				}
				fillRow(buf[off:off+n], src, 1)
				for i, v := range buf {
					want := float32(42)
					if i >= off && i < off+n {
						want = c
					}
					if math.Float32bits(v) != math.Float32bits(want) {
						t.Fatalf("n %d, offset %d: buf[%d] = %v, want %v", n, off, i, v, want)
					}
				}
			}
		}
	}
	d64 := make([]float64, 20)
	fillRow(d64, []float64{2.5}, 0)
	for i, v := range d64 {
		if v != 2.5 {
			t.Fatalf("f64: [%d] = %v", i, v)
		}
	}
}
