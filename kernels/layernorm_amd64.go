//go:build amd64 && !noasm

package kernels

// lnAVX2 reports whether layer normalization's f32 rows run the vector code
// of layernorm_amd64.s (a processor with AVX2, simdOff unset): its AVX-512
// forms where the processor has AVX-512F (lnZMM), else its AVX2 forms,
// bitwise the same. The functions below without a suffix choose.
func lnAVX2() bool { return X86.HasAVX2 && !simdOff }

// lnZMMOff makes the vector code take its AVX2 forms on an AVX-512
// processor (for tests).
var lnZMMOff bool

// lnZMM reports whether the AVX-512 forms run: on Zen 5 they take half the
// AVX2 forms' instructions at the same width a cycle.
func lnZMM() bool { return X86.HasAVX512F && !lnZMMOff }

func lnSum16(x *float32, n int, acc *[lnLanes]float64) {
	if lnZMM() {
		lnSum16AVX512(x, n, acc)
		return
	}
	lnSum16AVX2(x, n, acc)
}

func lnSqDev16(x *float32, n int, mu float64, acc *[lnLanes]float64) {
	if lnZMM() {
		lnSqDev16AVX512(x, n, mu, acc)
		return
	}
	lnSqDev16AVX2(x, n, mu, acc)
}

func lnGradSums16(x, gr, gamma *float32, n int, mu, inv float64, acc *[2 * lnLanes]float64) {
	if lnZMM() {
		lnGradSums16AVX512(x, gr, gamma, n, mu, inv, acc)
		return
	}
	lnGradSums16AVX2(x, gr, gamma, n, mu, inv, acc)
}

func lnForwardVec(out, x, gamma, beta *float32, n int, mu, inv float64) {
	if lnZMM() {
		lnForwardAVX512(out, x, gamma, beta, n, mu, inv)
		return
	}
	lnForwardAVX2(out, x, gamma, beta, n, mu, inv)
}

func lnGradOutVec(out, x, gr, gamma *float32, n int, mu, inv, mv, mxv float64) {
	if lnZMM() {
		lnGradOutAVX512(out, x, gr, gamma, n, mu, inv, mv, mxv)
		return
	}
	lnGradOutAVX2(out, x, gr, gamma, n, mu, inv, mv, mxv)
}

func lnParamAccVec(ag, ab *float64, x, gr *float32, n int, mu, inv float64) {
	if lnZMM() {
		lnParamAccAVX512(ag, ab, x, gr, n, mu, inv)
		return
	}
	lnParamAccAVX2(ag, ab, x, gr, n, mu, inv)
}

//go:noescape
func lnSum16AVX512(x *float32, n int, acc *[lnLanes]float64)

//go:noescape
func lnSqDev16AVX512(x *float32, n int, mu float64, acc *[lnLanes]float64)

//go:noescape
func lnGradSums16AVX512(x, gr, gamma *float32, n int, mu, inv float64, acc *[2 * lnLanes]float64)

//go:noescape
func lnForwardAVX512(out, x, gamma, beta *float32, n int, mu, inv float64)

//go:noescape
func lnGradOutAVX512(out, x, gr, gamma *float32, n int, mu, inv, mv, mxv float64)

//go:noescape
func lnParamAccAVX512(ag, ab *float64, x, gr *float32, n int, mu, inv float64)

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
