package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSoftmaxRows32MatchesGeneric: the f32 strip softmax gives the generic
// helpers' bits (rowShift, subScalarRow, expRow, sumLanes, ScaleRow,
// clear) for kept prefixes of every length from 0 to the row, rows whose
// kept scores are all -Inf, and strips of 1 to AttnRows rows.
func TestSoftmaxRows32MatchesGeneric(t *testing.T) {
	if !vecRows32() {
		t.Skip("the f32 strip path runs with AVX2 only")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sz := range []struct{ h, cols int }{{1, 1}, {5, 7}, {32, 32}, {17, 40}, {AttnRows, 64}, {3, 100}} {
		var lens [AttnRows]int
		s := make([]float32, sz.h*sz.cols)
		for i := range s {
			s[i] = float32(rng.NormFloat64() * 4)
		}
		for r := range sz.h {
			lens[r] = rng.IntN(sz.cols + 1)
			if r%5 == 4 { // a row masked whole
				for j := range lens[r] {
					s[r*sz.cols+j] = float32(math.Inf(-1))
				}
			}
		}
		want := append([]float32(nil), s...)
		for r := range sz.h {
			if c := lens[r]; c > 0 {
				row := want[r*sz.cols : r*sz.cols+c]
				subScalarRow(row, rowShift(row))
			}
		}
		expRow(want, want)
		for r := range sz.h {
			row := want[r*sz.cols : (r+1)*sz.cols]
			c := lens[r]
			ScaleRow(row[:c], row[:c], float32(1/sumLanes(row[:c])))
			clear(row[c:])
		}
		softmaxRows32(s, sz.h, sz.cols, &lens)
		for i := range s {
			if math.Float32bits(s[i]) != math.Float32bits(want[i]) && !(s[i] != s[i] && want[i] != want[i]) {
				t.Fatalf("%d×%d: element %d (row %d, kept %d) is %v, the generic path gives %v",
					sz.h, sz.cols, i, i/sz.cols, lens[i/sz.cols], s[i], want[i])
			}
		}
	}
}
