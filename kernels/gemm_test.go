package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// gemmCase is one product to check: op(A) m×k, op(B) k×n, with the leading
// dimensions padded by the pad fields.
type gemmCase struct {
	m, n, k     int
	ta, tb      bool
	alpha, beta float64
}

func (c gemmCase) String() string {
	return fmt.Sprintf("%dx%dx%d ta=%v tb=%v alpha=%g beta=%g", c.m, c.n, c.k, c.ta, c.tb, c.alpha, c.beta)
}

// gemmOperands builds a case's matrices as float64 values that float32
// represents exactly. The gaps between rows (leading dimension larger than a
// row) hold NaN, so reading them would show in the result; c's gaps and the
// guard bands around it hold a sentinel that must survive. When beta is 0, c
// holds NaN: it must not be read.
type gemmOperands struct {
	a, b, c        []float64
	lda, ldb, ldc  int
	cOff           int // where c's first element is in the c slice
	cRows, cCols   int
	sentinel, cNaN float64
}

const gemmGuard = 37

func newGemmOperands(rng *rand.Rand, tc gemmCase) *gemmOperands {
	o := &gemmOperands{sentinel: 1234.5}
	ar, ac := tc.m, tc.k
	if tc.ta {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.tb {
		br, bc = tc.n, tc.k
	}
	o.lda, o.ldb, o.ldc = ac+3, bc+1, tc.n+5
	fill := func(rows, cols, ld int) []float64 {
		s := make([]float64, max(0, (rows-1)*ld+cols))
		for i := range s {
			if i%ld < cols {
				s[i] = float64(float32(rng.NormFloat64()))
			} else {
				s[i] = math.NaN()
			}
		}
		return s
	}
	o.a, o.b = fill(ar, ac, o.lda), fill(br, bc, o.ldb)
	o.cOff, o.cRows, o.cCols = gemmGuard, tc.m, tc.n
	o.c = make([]float64, gemmGuard+max(0, (tc.m-1)*o.ldc+tc.n)+gemmGuard)
	for i := range o.c {
		o.c[i] = o.sentinel
		if j := i - o.cOff; o.inside(j) {
			if tc.beta == 0 {
				o.c[i] = math.NaN()
			} else {
				o.c[i] = float64(float32(rng.NormFloat64()))
			}
		}
	}
	return o
}

// inside reports whether offset j from c's first element is an element of
// the matrix (not a gap nor a guard).
func (o *gemmOperands) inside(j int) bool {
	return j >= 0 && j < (o.cRows-1)*o.ldc+o.cCols && j%o.ldc < o.cCols
}

// naive computes alpha·op(A)·op(B) + beta·C by the definition, in float64,
// and a bound for each element's rounding error: Σ|terms| (times the
// precision's epsilon and a factor, by the caller).
func (o *gemmOperands) naive(tc gemmCase) (want, mag []float64) {
	want = make([]float64, tc.m*tc.n)
	mag = make([]float64, tc.m*tc.n)
	for i := range tc.m {
		for j := range tc.n {
			s, abs := 0.0, 0.0
			for l := range tc.k {
				ai, bi := i*o.lda+l, l*o.ldb+j
				if tc.ta {
					ai = l*o.lda + i
				}
				if tc.tb {
					bi = j*o.ldb + l
				}
				av, bv := o.a[ai], o.b[bi]
				s += av * bv
				abs += math.Abs(av * bv)
			}
			s *= tc.alpha
			abs *= math.Abs(tc.alpha)
			if tc.beta != 0 {
				cv := o.c[o.cOff+i*o.ldc+j]
				s += tc.beta * cv
				abs += math.Abs(tc.beta * cv)
			}
			want[i*tc.n+j], mag[i*tc.n+j] = s, abs
		}
	}
	return want, mag
}

// check compares got (the c slice after the run) with want, and the guards
// and gaps with the sentinel.
func (o *gemmOperands) check(t *testing.T, what string, tc gemmCase, got []float64, want, mag []float64, eps float64) {
	t.Helper()
	for i, v := range got {
		j := i - o.cOff
		if !o.inside(j) {
			if v != o.sentinel {
				t.Fatalf("%s %v: wrote %g at %d outside C (offset %d from its start)", what, tc, v, i, j)
			}
			continue
		}
		r, col := j/o.ldc, j%o.ldc
		w := want[r*tc.n+col]
		if tol := eps * float64(tc.k+4) * (mag[r*tc.n+col] + 1e-300); !(math.Abs(v-w) <= tol) {
			t.Fatalf("%s %v: C[%d,%d] = %g, want %g (tolerance %g)", what, tc, r, col, v, w, tol)
		}
	}
}

func to32s(s []float64) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}

func to64s(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// runGemmCase checks one case with every microkernel this machine runs, in
// both precisions.
func runGemmCase(t *testing.T, rng *rand.Rand, tc gemmCase) {
	t.Helper()
	o := newGemmOperands(rng, tc)
	want, mag := o.naive(tc)
	for _, kern := range gemmKernelsFor[float64]() {
		g := newGemmWith(kern, tc.ta, tc.tb, tc.m, tc.n, tc.k)
		c := append([]float64(nil), o.c...)
		g.Run(tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, c[o.cOff:o.cOff+max(0, len(c)-2*gemmGuard)], o.ldc)
		o.check(t, "f64 "+kern.name, tc, c, want, mag, 0x1p-52)
	}
	a32, b32 := to32s(o.a), to32s(o.b)
	for _, kern := range gemmKernelsFor[float32]() {
		g := newGemmWith(kern, tc.ta, tc.tb, tc.m, tc.n, tc.k)
		c := to32s(o.c)
		g.Run(float32(tc.alpha), a32, o.lda, b32, o.ldb, float32(tc.beta), c[o.cOff:o.cOff+max(0, len(c)-2*gemmGuard)], o.ldc)
		o.check(t, "f32 "+kern.name, tc, to64s(c), want, mag, 0x1p-23)
	}
}

var gemmScales = [][2]float64{{1, 0}, {1, 1}, {-0.5, 2}, {2, 0}, {0.75, -1}}

// TestGemmSmallShapes runs every combination of awkward sizes up to 65, every
// transpose variant, against the naive product, cycling through alpha and
// beta.
func TestGemmSmallShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	sizes := []int{1, 2, 7, 15, 16, 17, 33, 64, 65}
	if testing.Short() {
		sizes = []int{1, 7, 17, 33, 65}
	}
	i := 0
	for _, m := range sizes {
		for _, n := range sizes {
			for _, k := range sizes {
				for tr := range 4 {
					s := gemmScales[i%len(gemmScales)]
					i++
					runGemmCase(t, rng, gemmCase{m, n, k, tr&1 != 0, tr&2 != 0, s[0], s[1]})
				}
			}
		}
	}
}

// TestGemmLargeShapes covers several K blocks, several tasks along M and N
// (the parallel path: tasks that pack their own rows of A, and tasks over
// blocks of N with A packed first, serially or in parallel) and partial tiles
// at every edge.
func TestGemmLargeShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 2))
	shapes := [][3]int{{257, 257, 257}, {257, 33, 65}, {65, 257, 17}, {33, 17, 257}, {1, 257, 600}, {257, 1, 300}, {130, 530, 70}, {100, 64, 513}, {130, 530, 300}}
	if testing.Short() {
		shapes = shapes[1:]
	}
	defer func(v int) { gemmSerialPack = v }(gemmSerialPack)
	for i, s := range shapes {
		for tr := range 4 {
			// Half the runs pack in parallel whatever the size.
			gemmSerialPack = 512 * 1024 * (tr & 1)
			sc := gemmScales[(i+tr)%len(gemmScales)]
			runGemmCase(t, rng, gemmCase{s[0], s[1], s[2], tr&1 != 0, tr&2 != 0, sc[0], sc[1]})
		}
	}
}

// TestGemmSwap: with the SIMD kernels' wide tiles, narrow products are
// computed transposed (the shape tests above cover them too), wide ones are
// not.
func TestGemmSwap(t *testing.T) {
	for _, c := range []struct {
		m, n, k int
		swap    bool
	}{{128, 10, 512, true}, {512, 1, 64, true}, {10, 128, 512, false}, {128, 128, 128, false}, {5, 3, 7, false}} {
		g := NewGemmPlan[float32](false, true, c.m, c.n, c.k)
		// Only tiles wider than tall (the SIMD kernels') pad narrow C more.
		if want := c.swap && g.nr > g.mr; g.swap != want {
			t.Errorf("%d×%d×%d with %d×%d tiles: swap %v, want %v", c.m, c.n, c.k, g.mr, g.nr, g.swap, want)
		}
	}
	rng := rand.New(rand.NewPCG(6, 5))
	for tr := range 4 {
		runGemmCase(t, rng, gemmCase{300, 10, 200, tr&1 != 0, tr&2 != 0, 0.5, 2})
		runGemmCase(t, rng, gemmCase{300, 10, 200, tr&1 != 0, tr&2 != 0, 1, 0})
	}
}

// TestGemmDegenerate: empty products and alpha 0 only scale C by beta.
func TestGemmDegenerate(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 3))
	for _, tc := range []gemmCase{
		{3, 4, 0, false, false, 1, 0},
		{3, 4, 0, true, true, 1, 2},
		{5, 6, 7, false, true, 0, 0.5},
		{5, 6, 7, false, false, 0, 0},
		{0, 6, 7, false, false, 1, 1},
		{6, 0, 7, true, false, 1, 1},
	} {
		runGemmCase(t, rng, tc)
	}
}

// TestGemmSameForAnyGOMAXPROCS checks that the parallel runs are bitwise
// equal to the serial one: every C tile is computed by one task with one K
// order.
func TestGemmSameForAnyGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	rng := rand.New(rand.NewPCG(6, 4))
	for _, s := range [][3]int{{300, 270, 530}, {128, 512, 784}, {200, 700, 300}} {
		m, n, k := s[0], s[1], s[2]
		a, b := to32s(randSlice(rng, m*k)), to32s(randSlice(rng, k*n))
		g := NewGemmPlan[float32](false, true, m, n, k)
		if g.serial || g.mBlk*g.nBlk < 3 {
			t.Fatalf("%v: %d tasks, serial %v: the test needs the parallel path", s, g.mBlk*g.nBlk, g.serial)
		}
		checkSameForAnyProcs(t, fmt.Sprint(s), g, a, k, b, k, m, n)
	}
}

// TestGemmDoesNotAllocate: a prepared product allocates nothing, serial or
// parallel.
func TestGemmDoesNotAllocate(t *testing.T) {
	for _, s := range [][3]int{{128, 512, 784}, {7, 9, 11}} {
		m, n, k := s[0], s[1], s[2]
		g32 := NewGemmPlan[float32](true, false, m, n, k)
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		if allocs := testing.AllocsPerRun(5, func() { g32.Run(1, a, m, b, n, 0.5, c, n) }); allocs != 0 {
			t.Errorf("f32 %v: %g allocations per run", s, allocs)
		}
		g64 := NewGemmPlan[float64](false, true, m, n, k)
		a64, b64, c64 := make([]float64, m*k), make([]float64, k*n), make([]float64, m*n)
		if allocs := testing.AllocsPerRun(5, func() { g64.Run(2, a64, k, b64, k, 0, c64, n) }); allocs != 0 {
			t.Errorf("f64 %v: %g allocations per run", s, allocs)
		}
	}
}

// TestGemmKernelChoice: the default build runs assembly where the processor
// has AVX2 and FMA.
func TestGemmKernelChoice(t *testing.T) {
	g := NewGemmPlan[float32](false, false, 4, 4, 4)
	want := "go"
	if gemmAsm {
		switch {
		case X86.HasAVX512F:
			want = "avx512"
		case X86.HasAVX2 && X86.HasFMA:
			want = "avx2"
		}
	}
	if g.Kernel() != want {
		t.Errorf("kernel %q, want %q (features %+v)", g.Kernel(), want, X86)
	}
}

// TestGemmColumnTasks covers the products whose tasks split N and pack
// their own panels of op(B) (colTasks): op(B) untransposed (packed a row
// at a time) and transposed, a last panel of fewer columns, op(A)
// transposed (packed before the tasks) and in place, and every alpha and
// beta of gemmScales, against the naive product with every microkernel,
// and bitwise the same for any GOMAXPROCS.
func TestGemmColumnTasks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	rng := rand.New(rand.NewPCG(6, 9))
	i := 0
	for _, s := range [][3]int{{128, 512, 784}, {100, 700, 300}, {37, 530, 129}, {12, 1000, 64}} {
		for tr := range 4 {
			sc := gemmScales[i%len(gemmScales)]
			i++
			tc := gemmCase{s[0], s[1], s[2], tr&1 != 0, tr&2 != 0, sc[0], sc[1]}
			if g := NewGemmPlan[float32](tc.ta, tc.tb, tc.m, tc.n, tc.k); !g.colTasks || g.swap {
				t.Fatalf("%v: colTasks %v, swap %v: the test needs column tasks", tc, g.colTasks, g.swap)
			}
			for _, procs := range []int{1, 2, 3} {
				runtime.GOMAXPROCS(procs)
				runGemmCase(t, rng, tc)
			}
		}
	}
	// Bitwise the same results for any GOMAXPROCS.
	m, n, k := 100, 700, 300
	a, b := to32s(randSlice(rng, m*k)), to32s(randSlice(rng, k*n))
	checkSameForAnyProcs(t, "column tasks", NewGemmPlan[float32](false, false, m, n, k), a, k, b, n, m, n)
}

// checkSameForAnyProcs runs g's product of a (m×k) by b (k×n, leading
// dimension ldb; transposed as g's plan says) with GOMAXPROCS 1, 2, 3 and 1
// again and fails unless every C is bitwise the first, which it returns.
func checkSameForAnyProcs[T Float](t *testing.T, label string, g *GemmPlan[T], a []T, lda int, b []T, ldb, m, n int) []T {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref []T
	for _, procs := range []int{1, 2, 3, 1} {
		runtime.GOMAXPROCS(procs)
		c := make([]T, m*n)
		g.Run(1, a, lda, b, ldb, 0, c, n)
		if ref == nil {
			ref = c
			continue
		}
		for i := range c {
			if math.Float64bits(float64(c[i])) != math.Float64bits(float64(ref[i])) { // exact: a float32 widens to distinct bits
				t.Fatalf("%s with GOMAXPROCS %d: C[%d] = %g, with 1: %g", label, procs, i, c[i], ref[i])
			}
		}
	}
	return ref
}
