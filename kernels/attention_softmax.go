package kernels

import "math"

// softmaxRows32 is softmaxStrip's arithmetic for f32 strips where the AVX2
// row code runs (vecRows32), with the vector routines called directly:
// a head of 32 tokens has rows of 1 to 32 scores, where the generic
// helpers' dispatch cost as much as their arithmetic. The same operations
// in the same order as the generic path (rowShift, subScalarRow, expRow,
// sumLanes, ScaleRow, clear), so the same bits
// (TestSoftmaxRows32MatchesGeneric).
func softmaxRows32(s []float32, h, cols int, lens *[AttnRows]int) {
	for r := range h {
		c := lens[r]
		if c == 0 {
			continue
		}
		row := s[r*cols : r*cols+c]
		m, i := row[0], 0
		if c >= 8 {
			i = c &^ 7
			m = maxRow32AVX2(&row[0], i)
		}
		for ; i < c; i++ {
			if row[i] > m {
				m = row[i]
			}
		}
		if math.IsInf(float64(m), -1) {
			m = 0
		}
		subScalarRow32(row, m)
	}
	expRow(s[:h*cols], s[:h*cols])
	for r := range h {
		c := lens[r]
		row := s[r*cols : (r+1)*cols]
		if c > 0 {
			var acc [lnLanes]float64
			m := c &^ (lnLanes - 1)
			if m > 0 {
				lnSum16(&row[0], m, &acc)
			}
			var t float64
			for _, v := range row[m:c] {
				t += float64(v)
			}
			scaleRow32(row[:c], row[:c], float32(1/lnReduce(acc[:], t)))
		}
		clear(row[c:])
	}
}
