//go:build amd64 && !noasm

package kernels

// lnAVX2 reports whether layer normalization's f32 rows run the AVX2 code
// of layernorm_amd64.s (a processor with AVX2, simdOff unset).
func lnAVX2() bool { return X86.HasAVX2 && !simdOff }

// lnSum16AVX2 adds to acc[k] the float64 sum of x[i] over i ≡ k (mod 16),
// i < n, in order; n is a multiple of 16.
//
//go:noescape
func lnSum16AVX2(x *float32, n int, acc *[lnLanes]float64)

// lnSqDev16AVX2 sets acc[k] to the sum of (x[i] - mu)² over lnSum16AVX2's
// lanes.
//
//go:noescape
func lnSqDev16AVX2(x *float32, n int, mu float64, acc *[lnLanes]float64)

// lnGradSums16AVX2 sets acc[k] to the sum of v = gr·gamma and acc[16+k] to
// the sum of ((x - mu)·inv)·v, each over i ≡ k (mod 16), i < n (a multiple
// of 16), in order.
//
//go:noescape
func lnGradSums16AVX2(x, gr, gamma *float32, n int, mu, inv float64, acc *[2 * lnLanes]float64)

// lnForwardAVX2 writes out[i] = ((x[i] - mu)·inv)·gamma[i] + beta[i] in
// float64, rounded to f32, for i < n (a multiple of 4).
//
//go:noescape
func lnForwardAVX2(out, x, gamma, beta *float32, n int, mu, inv float64)

// lnGradOutAVX2 writes out[i] = inv·((gr[i]·gamma[i] - mv) - ((x[i] -
// mu)·inv)·mxv) in float64, rounded to f32, for i < n (a multiple of 4).
//
//go:noescape
func lnGradOutAVX2(out, x, gr, gamma *float32, n int, mu, inv, mv, mxv float64)

// lnParamAccAVX2 adds gr[i]·((x[i] - mu)·inv) to ag[i] and gr[i] to ab[i]
// in float64 for i < n (a multiple of 4).
//
//go:noescape
func lnParamAccAVX2(ag, ab *float64, x, gr *float32, n int, mu, inv float64)
