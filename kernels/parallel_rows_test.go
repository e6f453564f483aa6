package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bitsEqual32 reports whether a and b are bitwise equal.
func bitsEqual32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestParallelElementwise: long rows (split into tasks) give, element by
// element, the definition of each op (within 4 ulp of float32 for exp and
// tanh, which have vector routines, within their bounds for erf and GELU;
// exactly for the others), and bitwise
// the same results with GOMAXPROCS 1 and 2, for full operands and for a
// repeated scalar.
func TestParallelElementwise(t *testing.T) {
	const n = 100_003
	rng := rand.New(rand.NewPCG(8, 8))
	x, y := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 3)
		y[i] = float32(rng.Float64()*4 + 0.1)
	}
	// GELU's Go rows (noasm) use 0.5·x·(1 + erf(x/√2)), which cancels below
	// x ≈ -4 (see simd_erf.go): its input here stays above -4.
	xg := make([]float32, n)
	for i, v := range x {
		xg[i] = max(v, -v-4)
	}
	f64 := func(f func(float64) float64) func(float32) float32 {
		return func(v float32) float32 { return float32(f(float64(v))) }
	}
	unary := []struct {
		name string
		row  func(dst, x []float32)
		def  func(float32) float32
		in   []float32
		tol  float64 // relative; 0: bitwise
	}{
		{"neg", NegRow[float32], func(v float32) float32 { return -v }, x, 0},
		{"exp", ExpRow[float32], f64(math.Exp), x, 4.0 / (1 << 23)},
		{"log", LogRow[float32], f64(math.Log), y, 0},
		{"tanh", TanhRow[float32], f64(math.Tanh), x, 4.0 / (1 << 23)},
		{"sqrt", SqrtRow[float32], f64(math.Sqrt), y, 0},
		{"relu", ReluRow[float32], func(v float32) float32 { return max(v, 0) }, x, 0},
		{"square", SquareRow[float32], func(v float32) float32 { return v * v }, x, 0},
		{"erf", ErfRow[float32], f64(math.Erf), x, 2.0 / (1 << 23)},
		{"gelu", func(d, x []float32) { GeluRow(d, x, false) }, f64(refGelu), xg, 6.0 / (1 << 23)},
		{"gelu_tanh", func(d, x []float32) { GeluRow(d, x, true) }, f64(refGeluTanh), xg, 2.0 / (1 << 23)},
	}
	binary := []struct {
		name string
		row  func(dst, x, y []float32)
		def  func(a, b float32) float32
	}{
		{"add", AddRow[float32], func(a, b float32) float32 { return a + b }},
		{"sub", SubRow[float32], func(a, b float32) float32 { return a - b }},
		{"mul", MulRow[float32], func(a, b float32) float32 { return a * b }},
		{"div", DivRow[float32], func(a, b float32) float32 { return a / b }},
		{"max", MaxRow[float32], func(a, b float32) float32 { return max(a, b) }},
	}
	var runs [2][][]float32
	for r, procs := range []int{1, 2} {
		withProcs(procs, func() {
			for _, u := range unary {
				dst := make([]float32, n)
				u.row(dst, u.in)
				runs[r] = append(runs[r], dst)
				for i, v := range u.in {
					w := u.def(v)
					if u.tol == 0 && math.Float32bits(dst[i]) != math.Float32bits(w) ||
						math.Abs(float64(dst[i])-float64(w)) > u.tol*math.Abs(float64(w)) {
						t.Fatalf("procs %d: %s(%v) = %v, want %v", procs, u.name, v, dst[i], w)
					}
				}
			}
			dst := make([]float32, n)
			for _, b := range binary {
				b.row(dst, x, y)
				for i := range x {
					if w := b.def(x[i], y[i]); math.Float32bits(dst[i]) != math.Float32bits(w) {
						t.Fatalf("procs %d: %s[%d] = %v, want %v", procs, b.name, i, dst[i], w)
					}
				}
				b.row(dst, x, y[:1])
				for i := range x {
					if w := b.def(x[i], y[0]); math.Float32bits(dst[i]) != math.Float32bits(w) {
						t.Fatalf("procs %d: %s[%d] with a scalar = %v, want %v", procs, b.name, i, dst[i], w)
					}
				}
			}
		})
	}
	for i := range runs[0] {
		if !bitsEqual32(runs[0][i], runs[1][i]) {
			t.Errorf("%s differs between GOMAXPROCS 1 and 2", unary[i].name)
		}
	}
}

// TestParallelReductions: SumTo, ReduceMax and ReduceMin over input rows
// split into tasks, against float64 sums and exact maxima; Softmax and
// CrossEntropy over many rows against float64 definitions; bitwise the same
// with GOMAXPROCS 1 and 2.
func TestParallelReductions(t *testing.T) {
	in := []int{300, 64, 8}
	rng := rand.New(rand.NewPCG(9, 9))
	src := make([]float32, numElems(in))
	for i := range src {
		src[i] = float32(rng.NormFloat64())
	}
	type result struct{ sum, mx, mn, sm, lsm []float32 }
	var res [2]result
	keep := []int{1, 64, 1}
	const rows, cols = 2000, 50
	logits := make([]float32, rows*cols)
	for i := range logits {
		logits[i] = float32(rng.NormFloat64() * 4)
	}
	labels := make([]int32, rows)
	for i := range labels {
		labels[i] = int32(rng.IntN(cols))
	}
	var ce [2]float32
	for r, procs := range []int{1, 2} {
		withProcs(procs, func() {
			p := NewBcast(in, keep)
			idx, off := p.Scratch(), make([]int, 1)
			if tasks, _ := splitTasks(p.Rows, p.Row); tasks < 2 {
				t.Fatalf("%d tasks, want a parallel split", tasks)
			}
			out := result{make([]float32, 64), make([]float32, 64), make([]float32, 64),
				make([]float32, rows*cols), make([]float32, rows*cols)}
			SumTo(p, out.sum, src, idx, off)
			ReduceMax(p, out.mx, src, idx, off)
			ReduceMin(p, out.mn, src, idx, off)
			Softmax(out.sm, logits, rows, cols, 1, false)
			Softmax(out.lsm, logits, rows, cols, 1, true)
			ce[r] = CrossEntropy(logits, labels, rows, cols)
			res[r] = out
		})
	}
	for c := 0; c < 64; c++ {
		var s float64
		mx, mn := math.Inf(-1), math.Inf(1)
		for a := 0; a < 300; a++ {
			for b := 0; b < 8; b++ {
				v := float64(src[(a*64+c)*8+b])
				s += v
				mx, mn = max(mx, v), min(mn, v)
			}
		}
		if g := float64(res[0].sum[c]); math.Abs(g-s) > 1e-4*(1+math.Abs(s)) {
			t.Errorf("sum[%d] = %v, want %v", c, g, s)
		}
		if float64(res[0].mx[c]) != mx || float64(res[0].mn[c]) != mn {
			t.Errorf("max, min[%d] = %v, %v, want %v, %v", c, res[0].mx[c], res[0].mn[c], mx, mn)
		}
	}
	var total float64
	for i := 0; i < rows; i++ {
		row := logits[i*cols : (i+1)*cols]
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v))
		}
		for j, v := range row {
			want := math.Exp(float64(v)) / z
			if g := float64(res[0].sm[i*cols+j]); math.Abs(g-want) > 1e-6 {
				t.Fatalf("softmax[%d, %d] = %v, want %v", i, j, g, want)
			}
			if g := float64(res[0].lsm[i*cols+j]); math.Abs(g-math.Log(want)) > 1e-5 {
				t.Fatalf("log_softmax[%d, %d] = %v, want %v", i, j, g, math.Log(want))
			}
		}
		total += math.Log(z) - float64(row[labels[i]])
	}
	if want := total / rows; math.Abs(float64(ce[0])-want) > 1e-6*want {
		t.Errorf("cross entropy = %v, want %v", ce[0], want)
	}
	if !bitsEqual32(res[0].sum, res[1].sum) || !bitsEqual32(res[0].mx, res[1].mx) || !bitsEqual32(res[0].mn, res[1].mn) ||
		!bitsEqual32(res[0].sm, res[1].sm) || !bitsEqual32(res[0].lsm, res[1].lsm) || math.Float32bits(ce[0]) != math.Float32bits(ce[1]) {
		t.Errorf("results differ between GOMAXPROCS 1 and 2")
	}
}

// TestParallelRowsAllocateNothing: once a runner exists, the parallel
// elementwise, reduction and softmax kernels allocate nothing.
func TestParallelRowsAllocateNothing(t *testing.T) {
	x := make([]float32, 300*64*8)
	dst := make([]float32, len(x))
	p := NewBcast([]int{300, 64, 8}, []int{1, 64, 1})
	idx, off := p.Scratch(), make([]int, 1)
	sum := make([]float32, 64)
	labels := make([]int64, 2000)
	run := func() {
		ExpRow(dst, x)
		MulRow(dst, x, dst)
		SumTo(p, sum, x, idx, off)
		Softmax(dst[:100000], x[:100000], 2000, 50, 1, false)
		CrossEntropy(x[:100000], labels, 2000, 50)
		LayerNorm(dst[:64000], x[:64000], sum, sum, 1000, 64, 1e-5)
	}
	for _, procs := range []int{1, 2} {
		withProcs(procs, func() {
			run()
			if a := testing.AllocsPerRun(10, run); a != 0 {
				t.Errorf("GOMAXPROCS %d: %v allocations per run", procs, a)
			}
		})
	}
}

// TestParallelNorms: layer norm over many rows and batch norm over many
// channels, split into tasks, against float64 definitions, bitwise the same
// with GOMAXPROCS 1 and 2.
func TestParallelNorms(t *testing.T) {
	const rows, d = 1000, 64
	const n, c, s = 8, 32, 100
	rng := rand.New(rand.NewPCG(10, 10))
	x := make([]float32, rows*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64()*2 + 1)
	}
	gamma, beta := make([]float32, max(d, c)), make([]float32, max(d, c))
	for i := range gamma {
		gamma[i], beta[i] = float32(rng.Float64()+0.5), float32(rng.NormFloat64())
	}
	var ln, bn [2][]float32
	for r, procs := range []int{1, 2} {
		withProcs(procs, func() {
			ln[r], bn[r] = make([]float32, rows*d), make([]float32, n*c*s)
			LayerNorm(ln[r], x, gamma[:d], beta[:d], rows, d, 1e-5)
			BatchNorm(bn[r], x[:n*c*s], gamma[:c], beta[:c], n, c, s, 1e-5)
		})
	}
	check := func(what string, got float32, vals []float64, v float64, g, b float32) {
		var mu, q float64
		for _, u := range vals {
			mu += u
		}
		mu /= float64(len(vals))
		for _, u := range vals {
			q += (u - mu) * (u - mu)
		}
		want := (v-mu)/math.Sqrt(q/float64(len(vals))+1e-5)*float64(g) + float64(b)
		if math.Abs(float64(got)-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
	vals := make([]float64, d)
	for r := 0; r < rows; r += 37 {
		for i := range vals {
			vals[i] = float64(x[r*d+i])
		}
		for i := 0; i < d; i += 5 {
			check("layer norm", ln[0][r*d+i], vals, vals[i], gamma[i], beta[i])
		}
	}
	for j := 0; j < c; j += 3 {
		var ch []float64
		for i := 0; i < n; i++ {
			for k := 0; k < s; k++ {
				ch = append(ch, float64(x[(i*c+j)*s+k]))
			}
		}
		check("batch norm", bn[0][(2*c+j)*s+7], ch, float64(x[(2*c+j)*s+7]), gamma[j], beta[j])
	}
	if !bitsEqual32(ln[0], ln[1]) || !bitsEqual32(bn[0], bn[1]) {
		t.Errorf("norms differ between GOMAXPROCS 1 and 2")
	}
}

// TestEWMaxWork: parallelEW's early return for short rows holds for every
// op, since no op costs more than ewMaxWork per element.
func TestEWMaxWork(t *testing.T) {
	for op, w := range ewWork {
		if w > ewMaxWork || ewCost[float32](op) > ewMaxWork || ewCost[float64](op) > ewMaxWork {
			t.Errorf("op %d costs %d (f32 %d, f64 %d) > ewMaxWork %d", op, w, ewCost[float32](op), ewCost[float64](op), ewMaxWork)
		}
	}
}
