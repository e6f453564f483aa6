package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestGemmSmallBitwisePacked: a product of 1 to 8 rows run unpacked gives
// bitwise the packed path's result, for every transpose of A, with C stored
// or accumulated, K over one or several K blocks (up to 13, of equal
// length or with a shorter last, which one row's 16-column strips run
// through the grouped kernels), and N with every kind of column strip
// (main width, 16 wide, the padded edge); a product that is
// not small-M (9 rows, B transposed) stays packed.
func TestGemmSmallBitwisePacked(t *testing.T) {
	kern := gemmKernelsFor[float32]()[0]
	if kern.small == nil {
		t.Skip("no small-M kernels in this build")
	}
	rng := rand.New(rand.NewPCG(14, 1))
	ks := []int{1, 7, 256, 300, 768, 784, 1280, 1600, 3136}
	ns := []int{1, 10, 16, 33, 64, 100, 300, 530}
	if testing.Short() || raceEnabled { // the race run: the serial small-M kernels' numerics are the plain run's
		ks, ns = []int{7, 300, 3136}, []int{10, 100, 530}
	}
	for m := 1; m <= 9; m++ {
		for _, k := range ks {
			for _, n := range ns {
				for _, ta := range []bool{false, true} {
					for _, beta := range []float32{0, 1, 0.5} {
						checkSmallBitwise(t, rng, kern, m, n, k, ta, beta)
					}
				}
			}
		}
	}
	if g := newGemmWith(kern, false, true, 4, 64, 64); g.sm != nil {
		t.Error("a product with B transposed runs small-M")
	}
	if g := newGemmWith(kern, false, false, 9, 64, 64); g.sm != nil {
		t.Error("a product of 9 rows runs small-M")
	}
}

func checkSmallBitwise(t *testing.T, rng *rand.Rand, kern gemmKernel[float32], m, n, k int, ta bool, beta float32) {
	t.Helper()
	lda, ldb, ldc := k+3, n+1, n+2
	if ta {
		lda = m + 3
	}
	rows := m
	if ta {
		rows = k
	}
	a := to32s(randSlice(rng, rows*lda))
	b := to32s(randSlice(rng, k*ldb))
	c0 := to32s(randSlice(rng, m*ldc))
	small := newGemm(kern, ta, false, m, n, k, true, true)
	packed := newGemm(kern, ta, false, m, n, k, false, true)
	if (small.sm != nil) != (m <= gemmSmallMax) || packed.sm != nil {
		t.Fatalf("%d×%d×%d: small-M %v, packed plan small-M %v", m, n, k, small.sm != nil, packed.sm != nil)
	}
	got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
	small.Run(1, a, lda, b, ldb, beta, got, ldc)
	packed.Run(1, a, lda, b, ldb, beta, want, ldc)
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%d×%d×%d ta=%v beta=%g: C[%d] = %g unpacked, %g packed", m, n, k, ta, beta, i, got[i], want[i])
		}
	}
}

// TestGemmSmallParallel: a small-M product large enough to run in parallel
// tasks gives the same bits for any GOMAXPROCS, the packed path's, and
// allocates nothing.
func TestGemmSmallParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	rng := rand.New(rand.NewPCG(14, 2))
	m, n, k := 8, 1030, 700
	g := NewGemmPlan[float32](false, false, m, n, k)
	if g.sm == nil {
		t.Skip("no small-M kernels in this build")
	}
	if g.serial || g.sm.tasks < 3 {
		t.Fatalf("%d tasks, serial %v: the test needs the parallel path", g.sm.tasks, g.serial)
	}
	a, b := to32s(randSlice(rng, m*k)), to32s(randSlice(rng, k*n))
	ref := checkSameForAnyProcs(t, "small M", g, a, k, b, n, m, n)
	packed := newGemm(gemmKernelsFor[float32]()[0], false, false, m, n, k, false, true)
	c := make([]float32, m*n)
	packed.Run(1, a, k, b, n, 0, c, n)
	for i := range c {
		if math.Float32bits(c[i]) != math.Float32bits(ref[i]) {
			t.Fatalf("C[%d] = %g unpacked, %g packed", i, ref[i], c[i])
		}
	}
	if allocs := testing.AllocsPerRun(5, func() { g.Run(1, a, k, b, n, 1, c, n) }); allocs != 0 {
		t.Errorf("%g allocations per run", allocs)
	}
}

// BenchmarkGemmSmallM: the products of the MLP 784-512-512-10 at batch 1
// and 8, and three whose op(B) stays in L2 (48 columns, or 48 steps),
// unpacked (small), packed, and from a PackCache (cached: the weight
// packed once; only 5 to 8 rows differ from small), with GFLOP/s by the thread's CPU time
// (cpu-GFLOP/s), which other jobs on the machine do not inflate.
func BenchmarkGemmSmallM(b *testing.B) {
	for _, s := range [][3]int{{1, 512, 784}, {1, 512, 512}, {1, 10, 512}, {8, 512, 784}, {8, 10, 512}, {8, 48, 784}, {8, 512, 48}, {4, 48, 784}} {
		for _, name := range []string{"small", "packed", "cached"} {
			m, n, k := s[0], s[1], s[2]
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, name), func(b *testing.B) {
				g := newGemm(gemmKernelsFor[float32]()[0], false, false, m, n, k, name != "packed", true)
				rng := rand.New(rand.NewPCG(1, 2))
				x, w, c := to32s(randSlice(rng, m*k)), to32s(randSlice(rng, k*n)), make([]float32, m*n)
				var cache *PackCache // cached: op(B) packed once (a fixed weight)
				if name == "cached" {
					cache = new(PackCache)
					cache.SetLasting(true)
				}
				c0, _ := threadCPUSeconds()
				for b.Loop() {
					g.RunPacked(cache, 1, x, k, w, n, 0, c, n)
				}
				c1, _ := threadCPUSeconds()
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/(c1-c0)/1e9, "cpu-GFLOP/s")
			})
		}
	}
}
