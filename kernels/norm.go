package kernels

import "math"

// LayerNorm normalizes each of the rows of x [rows, d] to mean 0 and
// variance 1 (the biased variance, plus eps) and writes
// out = x̂·gamma + beta, with gamma and beta of length d.
//
// Many rows run in parallel tasks of rows.
func LayerNorm[T Float](out, x, gamma, beta []T, rows, d int, eps float64) {
	if !parallelNorm(rowLayerNorm, out, x, gamma, beta, rows, d, 1, eps) {
		layerNormRows(out, x, gamma, beta, d, eps, 0, rows)
	}
}

// layerNormRows is LayerNorm for rows [lo, hi).
func layerNormRows[T Float](out, x, gamma, beta []T, d int, eps float64, lo, hi int) {
	for r := lo; r < hi; r++ {
		xr, or := x[r*d:(r+1)*d], out[r*d:(r+1)*d]
		mu, inv := lnStats(xr, eps) // layernorm_rows.go
		lnForwardRow(or, xr, gamma[:d], beta[:d], mu, inv)
	}
}

// BatchNorm normalizes x viewed as [n, c, s] per channel: the statistics of
// channel j are over its n·s elements (the biased variance, plus eps), and
// out = x̂·gamma[j] + beta[j]. This is batch normalization in training mode.
//
// Large inputs run in parallel tasks of channels.
func BatchNorm[T Float](out, x, gamma, beta []T, n, c, s int, eps float64) {
	if !parallelNorm(rowBatchNorm, out, x, gamma, beta, n, c, s, eps) {
		batchNormChannels(out, x, gamma, beta, n, c, s, eps, 0, c)
	}
}

// batchNormChannels is BatchNorm for channels [lo, hi).
func batchNormChannels[T Float](out, x, gamma, beta []T, n, c, s int, eps float64, lo, hi int) {
	cnt := float64(n * s)
	for j := lo; j < hi; j++ {
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
