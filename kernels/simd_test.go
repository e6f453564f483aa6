package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// refLog is math.Log, except for subnormal x, where Go's amd64 math.Log
// is far off (log(5e-324) gives -709.09, not -744.44): there it is
// log(x 2^54) - 54 ln2, with ln2 in two parts so that 54 ln2hi is exact.
func refLog(x float64) float64 {
	if x <= 0 || x >= 0x1p-1022 || math.IsNaN(x) {
		return math.Log(x)
	}
	const ln2hi, ln2lo = 6.93147180369123816490e-01, 1.90821492927058770002e-10
	return (math.Log(x*0x1p54) - 54*ln2hi) - 54*ln2lo
}

// refExp is math.Exp, except between 709.43 and the true overflow
// threshold, where Go's amd64 math.Exp already returns +Inf: there the
// value comes from a 200-bit evaluation, exp(x - 1024 ln2) 2^1024.
func refExp(x float64) float64 {
	if y := math.Exp(x); !math.IsInf(y, 1) || x > 709.8 {
		return y
	}
	const prec = 200
	ln2, _, err := big.ParseFloat("0.693147180559945309417232121458176568075500134360255254120680009493393621969694715605863326996418687542001481021", 10, prec, big.ToNearestEven)
	if err != nil {
		panic(err)
	}
	r := new(big.Float).SetPrec(prec).SetFloat64(x)
	r.Sub(r, new(big.Float).SetPrec(prec).Mul(ln2, big.NewFloat(1024)))
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for k := int64(1); k < 60; k++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
		sum.Add(sum, term)
	}
	sum.SetMantExp(sum, 1024)
	y, _ := sum.Float64()
	return y
}

// ulp64 is the distance between a and b in units in the last place: the
// number of float64 values between them (0 when both are NaN or equal).
func ulp64(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		if math.IsNaN(a) && math.IsNaN(b) {
			return 0
		}
		return math.Inf(1)
	}
	return math.Abs(float64(ord64(a) - ord64(b)))
}

func ord64(v float64) int64 {
	b := int64(math.Float64bits(v))
	if b < 0 {
		return math.MinInt64 - b
	}
	return b
}

// ulp32 is ulp64 for float32.
func ulp32(a, b float32) float64 {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.Inf(1)
	}
	return math.Abs(float64(ord32(a) - ord32(b)))
}

func ord32(v float32) int64 {
	b := int64(int32(math.Float32bits(v)))
	if b < 0 {
		return math.MinInt32 - b
	}
	return b
}

// simdSamples is the size of the random sample of each accuracy test.
const simdSamples = 1 << 21

// sample64 draws n values: half uniform over [lo, hi], half with random
// bits (every magnitude and sign, NaN and Inf patterns included), then the
// special values and the points around thresholds.
func sample64(rng *rand.Rand, n int, lo, hi float64, edges ...float64) []float64 {
	x := make([]float64, 0, n+64)
	for range n / 2 {
		x = append(x, lo+(hi-lo)*rng.Float64())
	}
	for range n - n/2 {
		x = append(x, math.Float64frombits(rng.Uint64()))
	}
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64,
		0x1p-1022, -0x1p-1022, 1, -1, 0.5, -0.5}
	for _, e := range append(edges, lo, hi) {
		special = append(special, e, math.Nextafter(e, math.Inf(1)), math.Nextafter(e, math.Inf(-1)))
	}
	return append(x, special...)
}

// sample32 is sample64 for float32.
func sample32(rng *rand.Rand, n int, lo, hi float32, edges ...float32) []float32 {
	x := make([]float32, 0, n+64)
	for range n / 2 {
		x = append(x, lo+(hi-lo)*rng.Float32())
	}
	for range n - n/2 {
		x = append(x, math.Float32frombits(rng.Uint32()))
	}
	inf := float32(math.Inf(1))
	special := []float32{0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()),
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32,
		0x1p-126, -0x1p-126, 1, -1, 0.5, -0.5}
	for _, e := range append(edges, lo, hi) {
		special = append(special, e, math.Nextafter32(e, inf), math.Nextafter32(e, -inf))
	}
	return append(x, special...)
}

// maxULP64 runs row over x and returns the largest distance from ref and
// an input where it occurs.
func maxULP64(row func(dst, x []float64), ref func(float64) float64, x []float64) (worst, at float64) {
	got := make([]float64, len(x))
	row(got, x)
	for i, v := range x {
		if d := ulp64(got[i], ref(v)); d > worst || math.IsNaN(d) {
			worst, at = d, v
		}
	}
	return worst, at
}

func maxULP32(row func(dst, x []float32), ref func(float64) float64, x []float32) (worst float64, at float32) {
	got := make([]float32, len(x))
	row(got, x)
	for i, v := range x {
		if d := ulp32(got[i], float32(ref(float64(v)))); d > worst {
			worst, at = d, v
		}
	}
	return worst, at
}

// The bounds the doc comments of ExpRow, SigmoidRow and TanhRow state.
func TestSIMDAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Thresholds: overflow, the subnormal range and total underflow.
	exp64Edges := []float64{709.782712893384, -708.3964185322641, -745.1332191019411, -745.1332191019412, 1e-300, -1e-300}
	exp32Edges := []float32{88.72283, -87.33654, -103.27893, -103.97208, 1e-30, -1e-30}
	// log: around 1 and the point where the reduction doubles m.
	logEdges64 := []float64{1, math.Sqrt2 / 2, math.Sqrt2, 2, 0.5, 1e-320}
	logEdges32 := []float32{1, math.Sqrt2 / 2, math.Sqrt2, 2, 0.5, 1e-40}
	tests := []struct {
		name   string
		row64  func(dst, x []float64)
		row32  func(dst, x []float32)
		ref    func(float64) float64
		lo, hi float64
		max    float64
	}{
		{name: "exp/f64", row64: ExpRow[float64], ref: refExp, lo: -750, hi: 712, max: simdExpULP64},
		{name: "exp/f32", row32: ExpRow[float32], ref: math.Exp, lo: -105, hi: 90, max: simdExpULP32},
		{name: "sigmoid/f64", row64: SigmoidRow[float64], ref: sigmoid, lo: -750, hi: 40, max: simdSigmoidULP64},
		{name: "sigmoid/f32", row32: SigmoidRow[float32], ref: sigmoid, lo: -105, hi: 20, max: simdSigmoidULP32},
		{name: "tanh/f32", row32: TanhRow[float32], ref: math.Tanh, lo: -10, hi: 10, max: simdTanhULP32},
		{name: "log/f64", row64: LogRow[float64], ref: refLog, lo: 0, hi: 4, max: simdLogULP64},
		{name: "log/f32", row32: LogRow[float32], ref: math.Log, lo: 0, hi: 4, max: simdLogULP32},
	}
	for _, tc := range tests {
		if !simdMath() && (tc.name == "exp/f64" || tc.name == "log/f64") {
			// The rows are math.Exp and math.Log themselves, early
			// overflow and subnormal errors included.
			tc.ref = map[string]func(float64) float64{"exp/f64": math.Exp, "log/f64": math.Log}[tc.name]
		}
		if tc.row64 != nil {
			x := sample64(rng, simdSamples, tc.lo, tc.hi, append(exp64Edges, logEdges64...)...)
			// Small arguments too, where tanh and sigmoid change formula.
			for range 1 << 16 {
				x = append(x, (rng.Float64()-0.5)*0x1p-8, 1+(rng.Float64()-0.5)*0x1p-8)
			}
			worst, at := maxULP64(tc.row64, tc.ref, x)
			t.Logf("%s: max %.0f ulp at %g", tc.name, worst, at)
			if worst > tc.max {
				t.Errorf("%s: %g ulp at x = %v, want <= %g", tc.name, worst, at, tc.max)
			}
		} else {
			x := sample32(rng, simdSamples, float32(tc.lo), float32(tc.hi), append(exp32Edges, logEdges32...)...)
			for range 1 << 16 {
				x = append(x, float32(rng.Float64()-0.5)*0x1p-8, 1+float32(rng.Float64()-0.5)*0x1p-8)
			}
			worst, at := maxULP32(tc.row32, tc.ref, x)
			t.Logf("%s: max %.0f ulp at %g", tc.name, worst, at)
			if worst > tc.max {
				t.Errorf("%s: %g ulp at x = %v, want <= %g", tc.name, worst, at, tc.max)
			}
		}
	}
}

// Every element gets the same lane arithmetic wherever it sits in the row
// (vector body or padded tail), so that rows split into tiles or tasks give
// bitwise the results of whole rows.
func TestSIMDPositionIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x64 := make([]float64, 37)
	x32 := make([]float32, 37)
	for i := range x64 {
		x64[i] = (rng.Float64() - 0.5) * 40
		x32[i] = float32(x64[i])
	}
	rows64 := map[string]func(dst, x []float64){"exp": ExpRow[float64], "sigmoid": SigmoidRow[float64], "tanh": TanhRow[float64], "log": LogRow[float64]}
	rows32 := map[string]func(dst, x []float32){"exp": ExpRow[float32], "sigmoid": SigmoidRow[float32], "tanh": TanhRow[float32], "log": LogRow[float32]}
	for name, row := range rows64 {
		whole := make([]float64, len(x64))
		row(whole, x64)
		for s := range len(x64) {
			for _, l := range []int{1, 3, 5, len(x64) - s} {
				if s+l > len(x64) {
					continue
				}
				part := make([]float64, l)
				row(part, x64[s:s+l])
				for i, v := range part {
					if math.Float64bits(v) != math.Float64bits(whole[s+i]) {
						t.Fatalf("%s/f64: x[%d] = %v gives %v in [%d:%d], %v in the whole row", name, s+i, x64[s+i], v, s, s+l, whole[s+i])
					}
				}
			}
		}
	}
	for name, row := range rows32 {
		whole := make([]float32, len(x32))
		row(whole, x32)
		for s := range len(x32) {
			for _, l := range []int{1, 3, 5, len(x32) - s} {
				if s+l > len(x32) {
					continue
				}
				part := make([]float32, l)
				row(part, x32[s:s+l])
				for i, v := range part {
					if math.Float32bits(v) != math.Float32bits(whole[s+i]) {
						t.Fatalf("%s/f32: x[%d] = %v gives %v in [%d:%d], %v in the whole row", name, s+i, x32[s+i], v, s, s+l, whole[s+i])
					}
				}
			}
		}
	}
}
