package kernels

import (
	"math"
	"runtime"
	"slices"
	"testing"
)

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

// TestZigguratTable: the edge r and layer area v the bisection finds are
// those Marsaglia and Tsang publish for 256 layers (r = 3.6541528853610088,
// v = 0.00492867323399), every layer's area is v, and the tables the fast
// path reads agree with the layers.
func TestZigguratTable(t *testing.T) {
	z := &zig
	if math.Abs(z.r-3.6541528853610088) > 1e-12 || math.Abs(z.v-0.00492867323399) > 1e-13 {
		t.Fatalf("r = %.17g, v = %.17g", z.r, z.v)
	}
	if base := z.x[0] * z.f[1]; math.Abs(base-z.v) > 1e-15 {
		t.Errorf("base layer: %v, want v", base)
	}
	for i := 1; i < zigLayers; i++ {
		if a := z.x[i] * (z.f[i+1] - z.f[i]); math.Abs(a-z.v) > 1e-12*z.v*float64(i) {
			t.Errorf("layer %d: area %.17g, want %.17g", i, a, z.v)
		}
		if !(z.x[i+1] < z.x[i]) {
			t.Errorf("layer %d: x %v then %v", i, z.x[i], z.x[i+1])
		}
	}
	for i := range zigLayers {
		if u := z.k[i]; float64(u)*z.w[i] > z.x[i+1] || float64(u+1)*z.w[i] < z.x[i+1] {
			t.Errorf("layer %d: k %d does not bound x[i+1] = %v", i, u, z.x[i+1])
		}
	}
}

// normalCDF is Φ.
func normalCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// kolmogorovP is the asymptotic p-value of the Kolmogorov–Smirnov
// statistic d on n draws: P(K > d√n) = 2 Σ (-1)^(k-1) exp(-2k²(d√n)²).
func kolmogorovP(d float64, n int) float64 {
	x := d * math.Sqrt(float64(n))
	p := 0.0
	for k := 1; k <= 100; k++ {
		p += 2 * math.Pow(-1, float64(k-1)) * math.Exp(-2*float64(k*k)*x*x)
	}
	return min(max(p, 0), 1)
}

// ksStat is the Kolmogorov–Smirnov statistic of xs (sorted in place)
// against cdf.
func ksStat(xs []float64, cdf func(float64) float64) float64 {
	slices.Sort(xs)
	d, n := 0.0, float64(len(xs))
	for i, x := range xs {
		c := cdf(x)
		d = max(d, float64(i+1)/n-c, c-float64(i)/n)
	}
	return d
}

// TestNormalDistribution checks 2²² standard normal draws (seed 11, stream
// 3; f64) against N(0, 1): the mean and variance within 5 standard errors;
// the Kolmogorov–Smirnov test against Φ with p > 0.001; a chi-square test
// over 100 equiprobable bins below 148.2 (the 0.999 quantile of χ² with
// 99 degrees of freedom); the count beyond the ziggurat's edge r, which
// the tail algorithm draws, within 5 standard deviations of n·P(|Z| > r),
// and those draws' own KS test against the tail's conditional CDF. A draw
// of mean 2 and deviation 3 is 2 + 3z of the same z (to rounding).
func TestNormalDistribution(t *testing.T) {
	const n = 1 << 22
	z := make([]float64, n)
	Normal(z, 0, 1, 11, 3)
	mean, sq := 0.0, 0.0
	for _, v := range z {
		mean += v
	}
	mean /= n
	for _, v := range z {
		sq += (v - mean) * (v - mean)
	}
	variance := sq / (n - 1)
	if math.Abs(mean) > 5/math.Sqrt(n) || math.Abs(variance-1) > 5*math.Sqrt(2.0/n) {
		t.Errorf("mean %v, variance %v", mean, variance)
	}
	scaled := make([]float64, 1000)
	Normal(scaled, 2, 3, 11, 3)
	for i, v := range scaled {
		if math.Abs(v-(2+3*z[i])) > 1e-14 {
			t.Fatalf("element %d: %v, want 2 + 3·%v", i, v, z[i])
		}
	}
	const bins = 100
	var counts [bins]int
	var tail []float64
	for _, v := range z {
		b := min(int(normalCDF(v)*bins), bins-1)
		counts[b]++
		if math.Abs(v) > zig.r {
			tail = append(tail, math.Abs(v))
		}
	}
	chi2 := 0.0
	for _, c := range counts {
		e := float64(n) / bins
		chi2 += (float64(c) - e) * (float64(c) - e) / e
	}
	if chi2 > 148.2 {
		t.Errorf("chi-square %v over %d bins, above 148.2", chi2, bins)
	}
	pTail := math.Erfc(zig.r / math.Sqrt2)
	if want, sd := n*pTail, math.Sqrt(n*pTail); math.Abs(float64(len(tail))-want) > 5*sd {
		t.Errorf("%d draws beyond r, want %.1f ± %.1f", len(tail), want, sd)
	}
	tailCDF := func(x float64) float64 {
		return (math.Erfc(zig.r/math.Sqrt2) - math.Erfc(x/math.Sqrt2)) / math.Erfc(zig.r/math.Sqrt2)
	}
	if d := ksStat(tail, tailCDF); kolmogorovP(d, len(tail)) < 0.001 {
		t.Errorf("tail: KS statistic %v on %d draws, p %v", d, len(tail), kolmogorovP(d, len(tail)))
	}
	if d := ksStat(z, normalCDF); kolmogorovP(d, n) < 0.001 {
		t.Errorf("KS statistic %v, p %v", d, kolmogorovP(d, n))
	}
	t.Logf("mean %.2e, variance %.6f, chi-square %.1f, %d beyond r (%.1f expected)", mean, variance, chi2, len(tail), n*pTail)
}

// TestDrawsSameForAnyThreadCount: normal draws and dropout masks long
// enough to run in parallel tasks give bitwise the serial loop's values
// (the definition) with 1, 2, 3 and 8 threads, in f32 and f64, and so do
// uniform draws (serial); the dropout mask is the uniform counter i
// against p, as before the parallel draw.
func TestDrawsSameForAnyThreadCount(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	const n = 300007
	key := drawKey(21, 4)
	want64 := map[string][]float64{"normal": make([]float64, n), "uniform": make([]float64, n), "dropout": make([]float64, n)}
	normalRange(want64["normal"], 0.5, 2, key, 0)
	for i := range n {
		want64["uniform"][i] = -1 + 4*unit(key, uint64(i))
	}
	for i := range n {
		want64["dropout"][i] = 1 / (1 - 0.3)
		if unit(key, uint64(i)) < 0.3 {
			want64["dropout"][i] = 0
		}
	}
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		got := map[string][]float64{"normal": make([]float64, n), "uniform": make([]float64, n), "dropout": make([]float64, n)}
		Normal(got["normal"], 0.5, 2, 21, 4)
		Uniform(got["uniform"], -1, 3, 21, 4)
		DropoutMask(got["dropout"], 0.3, 21, 4)
		f32 := make([]float32, n)
		Normal(f32, 0.5, 2, 21, 4)
		for name, w := range want64 {
			for i := range w {
				if math.Float64bits(got[name][i]) != math.Float64bits(w[i]) {
					t.Fatalf("%s, %d threads, element %d: %v, serially %v", name, procs, i, got[name][i], w[i])
				}
			}
		}
		for i := range f32 {
			if f32[i] != float32(want64["normal"][i]) {
				t.Fatalf("f32 normal, %d threads, element %d: %v, serially %v", procs, i, f32[i], want64["normal"][i])
			}
		}
	}
}

// BenchmarkDraws measures 2²⁰ f32 draws of each kind (run with -cpu 1 and
// -cpu 2 to see the parallel tasks).
func BenchmarkDraws(b *testing.B) {
	dst := make([]float32, 1<<20)
	for _, kind := range []string{"normal", "uniform", "dropout"} {
		b.Run(kind, func(b *testing.B) {
			b.SetBytes(int64(4 * len(dst)))
			for i := 0; b.Loop(); i++ {
				switch kind {
				case "normal":
					Normal(dst, 0, 1, uint64(i), 1)
				case "uniform":
					Uniform(dst, 0, 1, uint64(i), 1)
				case "dropout":
					DropoutMask(dst, 0.5, uint64(i), 1)
				}
			}
		})
	}
}

// TestDropoutThreshold: the mask's integer threshold gives the definition
// (0 where unit(key, i) < p, else 1/(1-p)) for p at 0, tiny, halves and
// near 1, negative and NaN.
func TestDropoutThreshold(t *testing.T) {
	const n = 5000
	key := drawKey(3, 9)
	for _, p := range []float64{0, 1e-300, 0x1p-53, 0.25, 0.5, 1 - 0x1p-53, -0.5, math.NaN()} {
		got := make([]float32, n)
		DropoutMask(got, p, 3, 9)
		for i := range got {
			want := float32(1 / (1 - p))
			if unit(key, uint64(i)) < p {
				want = 0
			}
			if math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Fatalf("p %v, element %d: %v, want %v", p, i, got[i], want)
			}
		}
	}
}

// TestDropoutRanges: dropoutRange (the AVX-512 loop where the processor
// has it, the Go loop for the tail) gives the definition for lengths and
// offsets that are and are not multiples of the vector's eight lanes, as
// the parallel tasks' parts are, and with simdOff the same mask.
func TestDropoutRanges(t *testing.T) {
	defer func(old bool) { simdOff = old }(simdOff)
	key := drawKey(5, 6)
	for _, off := range []bool{false, true} {
		simdOff = off
		for _, p := range []float64{0, 0x1p-53, 0.2, 0.5, 0.9} {
			for _, n := range []int{1, 7, 8, 9, 63, 64, 65, 1000} {
				for _, start := range []int{0, 3, 8, 13} {
					got := make([]float32, n)
					dropoutRange(got, p, key, start)
					for i := range got {
						want := float32(1 / (1 - p))
						if unit(key, uint64(start+i)) < p {
							want = 0
						}
						if math.Float32bits(got[i]) != math.Float32bits(want) {
							t.Fatalf("simdOff %v, p %v, n %d, offset %d, element %d: %v, want %v", off, p, n, start, i, got[i], want)
						}
					}
				}
			}
		}
	}
	if !dropoutVec() {
		t.Log("no AVX-512 here: the Go loop alone was checked")
	}
}
