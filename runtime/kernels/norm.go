package kernels

import "math"

// LayerNorm normalizes each of the rows of x [rows, d] to mean 0 and
// variance 1 (the biased variance, plus eps) and writes
// out = x̂·gamma + beta, with gamma and beta of length d.
func LayerNorm[T Float](out, x, gamma, beta []T, rows, d int, eps float64) {
	for r := 0; r < rows; r++ {
		xr, or := x[r*d:(r+1)*d], out[r*d:(r+1)*d]
		var s float64
		for _, v := range xr {
			s += float64(v)
		}
		mu := s / float64(d)
		var q float64
		for _, v := range xr {
			c := float64(v) - mu
			q += c * c
		}
		inv := 1 / math.Sqrt(q/float64(d)+eps)
		for i, v := range xr {
			or[i] = T((float64(v)-mu)*inv*float64(gamma[i]) + float64(beta[i]))
		}
	}
}

// BatchNorm normalizes x viewed as [n, c, s] per channel: the statistics of
// channel j are over its n·s elements (the biased variance, plus eps), and
// out = x̂·gamma[j] + beta[j]. This is batch normalization in training mode.
func BatchNorm[T Float](out, x, gamma, beta []T, n, c, s int, eps float64) {
	cnt := float64(n * s)
	for j := 0; j < c; j++ {
		var sum float64
		for i := 0; i < n; i++ {
			for _, v := range x[(i*c+j)*s : (i*c+j+1)*s] {
				sum += float64(v)
			}
		}
		mu := sum / cnt
		var q float64
		for i := 0; i < n; i++ {
			for _, v := range x[(i*c+j)*s : (i*c+j+1)*s] {
				d := float64(v) - mu
				q += d * d
			}
		}
		inv := 1 / math.Sqrt(q/cnt+eps)
		g, b := float64(gamma[j]), float64(beta[j])
		for i := 0; i < n; i++ {
			o := out[(i*c+j)*s : (i*c+j+1)*s]
			for k, v := range x[(i*c+j)*s : (i*c+j+1)*s] {
				o[k] = T((float64(v)-mu)*inv*g + b)
			}
		}
	}
}
