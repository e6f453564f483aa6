package ops_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// Forward values of the kernels, against references written out here as
// plain loops over the math package, or computed by hand.

// run applies op to concrete tensors through Evaluate.
func run(t *testing.T, op string, attrs ops.Attrs, seed uint64, args ...*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	b := ops.NewBuilder()
	vals := map[string]*tensor.Tensor{}
	nodes := make([]*ops.Node, len(args))
	for i, a := range args {
		nodes[i] = b.Input(argName(i), ops.Type{DType: a.DType, Shape: ops.ShapeOf(a.Shape...)})
		vals[argName(i)] = a
	}
	n, err := b.Apply(ops.MustLookup(op), attrs, nodes...)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	res, err := ops.Evaluate(b.G, vals, &ops.Ctx{Seed: seed})
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return res[n]
}

// runErr is run for inputs the op must refuse at run time: the error.
func runErr(t *testing.T, op string, attrs ops.Attrs, args ...*tensor.Tensor) error {
	t.Helper()
	b := ops.NewBuilder()
	vals := map[string]*tensor.Tensor{}
	nodes := make([]*ops.Node, len(args))
	for i, a := range args {
		nodes[i] = b.Input(argName(i), ops.Type{DType: a.DType, Shape: ops.ShapeOf(a.Shape...)})
		vals[argName(i)] = a
	}
	if _, err := b.Apply(ops.MustLookup(op), attrs, nodes...); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	_, err := ops.Evaluate(b.G, vals, nil)
	if err == nil {
		t.Fatalf("%s: no error", op)
	}
	return err
}

func randTensor(rng *rand.Rand, dt ops.DType, lo, hi float64, shape ...int) *tensor.Tensor {
	v := tensor.New(dt, shape...)
	for i := range v.Len() {
		v.Set(i, lo+(hi-lo)*rng.Float64())
	}
	return v
}

func checkValues(t *testing.T, what string, got *tensor.Tensor, shape []int, want []float64, tol float64) {
	t.Helper()
	if !equalInts(got.Shape, shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, shape)
	}
	for i, w := range want {
		g := got.At(i)
		if math.IsNaN(w) != math.IsNaN(g) || math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			t.Errorf("%s[%d] = %.9g, want %.9g", what, i, g, w)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestUnaryValues(t *testing.T) {
	ref := map[string]func(float64) float64{
		"neg": func(x float64) float64 { return -x }, "exp": math.Exp, "log": math.Log,
		"log1p": math.Log1p, "tanh": math.Tanh, "sqrt": math.Sqrt, "abs": math.Abs,
		"sigmoid": func(x float64) float64 { return 1 / (1 + math.Exp(-x)) },
		"relu":    func(x float64) float64 { return math.Max(x, 0) },
		"square":  func(x float64) float64 { return x * x },
		"sign": func(x float64) float64 {
			if x > 0 {
				return 1
			}
			return -1
		},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for name, f := range ref {
		for _, dt := range []ops.DType{ops.F32, ops.F64} {
			lo := -3.0
			if name == "log" || name == "sqrt" || name == "log1p" {
				lo = 0.01
			}
			x := randTensor(rng, dt, lo, 3, 5, 7)
			want := make([]float64, x.Len())
			for i := range want {
				want[i] = f(x.At(i))
			}
			tol := 1e-14
			if dt == ops.F32 {
				tol = 1e-6
			}
			checkValues(t, name+"/"+dt.String(), run(t, name, nil, 0, x), x.Shape, want, tol)
		}
	}
	// sigmoid saturates without overflow.
	x := tensor.FromFloat64s(ops.F32, []int{3}, []float64{-1000, 0, 1000})
	checkValues(t, "sigmoid extremes", run(t, "sigmoid", nil, 0, x), []int{3}, []float64{0, 0.5, 1}, 0)
}

func TestBinaryValues(t *testing.T) {
	ref := map[string]func(a, b float64) float64{
		"add": func(a, b float64) float64 { return a + b }, "sub": func(a, b float64) float64 { return a - b },
		"mul": func(a, b float64) float64 { return a * b }, "div": func(a, b float64) float64 { return a / b },
		"pow": math.Pow, "maximum": math.Max, "minimum": math.Min,
		"greater": func(a, b float64) float64 { return b2f(a > b) },
		"less":    func(a, b float64) float64 { return b2f(a < b) },
		"equal":   func(a, b float64) float64 { return b2f(a == b) },
	}
	rng := rand.New(rand.NewPCG(3, 4))
	// x [2, 1, 3] with y [4, 1] broadcasts to [2, 4, 3]; out[i,j,k] = f(x[i,0,k], y[j,0]).
	for name, f := range ref {
		for _, dt := range []ops.DType{ops.F32, ops.F64} {
			x := randTensor(rng, dt, 0.5, 2, 2, 1, 3)
			y := randTensor(rng, dt, -2, 2, 4, 1)
			y.Set(1, x.At(2)) // one tie, for equal
			var want []float64
			for i := range 2 {
				for j := range 4 {
					for k := range 3 {
						want = append(want, f(x.At(i*3+k), y.At(j)))
					}
				}
			}
			tol := 1e-14
			if dt == ops.F32 {
				tol = 1e-6
			}
			checkValues(t, name+"/"+dt.String(), run(t, name, nil, 0, x, y), []int{2, 4, 3}, want, tol)
			// and the other way round, scalar against tensor
			s := randTensor(rng, dt, 0.5, 2)
			want = want[:0]
			for i := range x.Len() {
				want = append(want, f(s.At(0), x.At(i)))
			}
			checkValues(t, name+"/scalar", run(t, name, nil, 0, s, x), x.Shape, want, tol)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestMatmulValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []struct{ x, w, out []int }{
		{[]int{3, 4}, []int{4, 5}, []int{3, 5}},
		{[]int{2, 1, 3, 4}, []int{3, 4, 2}, []int{2, 3, 3, 2}},
		{[]int{3, 4}, []int{2, 4, 5}, []int{2, 3, 5}},
		{[]int{2, 3, 4}, []int{4, 5}, []int{2, 3, 5}},
		{[]int{4}, []int{4, 5}, []int{5}},
		{[]int{2, 3, 4}, []int{4}, []int{2, 3}},
		{[]int{4}, []int{4}, []int{}},
		{[]int{3, 0}, []int{0, 2}, []int{3, 2}},
	}
	for _, c := range cases {
		for _, dt := range []ops.DType{ops.F32, ops.F64} {
			x := randTensor(rng, dt, -1, 1, c.x...)
			w := randTensor(rng, dt, -1, 1, c.w...)
			want := naiveMatmul(x, w, c.out)
			tol := 1e-13
			if dt == ops.F32 {
				tol = 1e-5
			}
			checkValues(t, "matmul", run(t, "matmul", nil, 0, x, w), c.out, want, tol)
			if len(c.x) >= 2 && len(c.w) >= 2 {
				// The same product from transposed storage.
				xt := run(t, "transpose", ops.Attrs{"perm": lastSwapped(len(c.x))}, 0, x)
				wt := run(t, "transpose", ops.Attrs{"perm": lastSwapped(len(c.w))}, 0, w)
				got := run(t, "matmul", ops.Attrs{"transpose_x": true, "transpose_w": true}, 0, xt, wt)
				checkValues(t, "matmul transposed", got, c.out, want, tol)
			}
		}
	}
}

func lastSwapped(r int) []int {
	p := make([]int, r)
	for i := range p {
		p[i] = i
	}
	p[r-1], p[r-2] = r-2, r-1
	return p
}

// naiveMatmul multiplies by NumPy's definition, one output element at a time.
func naiveMatmul(x, w *tensor.Tensor, out []int) []float64 {
	xs, ws := append([]int(nil), x.Shape...), append([]int(nil), w.Shape...)
	if len(xs) == 1 {
		xs = []int{1, xs[0]}
	}
	if len(ws) == 1 {
		ws = []int{ws[0], 1}
	}
	m, k, n := xs[len(xs)-2], xs[len(xs)-1], ws[len(ws)-1]
	bx, bw := xs[:len(xs)-2], ws[:len(ws)-2]
	r := max(len(bx), len(bw))
	batch := make([]int, r)
	for i := range batch {
		batch[i] = max(dimAt(bx, i, r), dimAt(bw, i, r))
	}
	nb := tensor.NumElems(batch)
	var res []float64
	for b := range nb {
		idx := make([]int, r)
		rem := b
		for i := r - 1; i >= 0; i-- {
			idx[i] = rem % batch[i]
			rem /= batch[i]
		}
		xo, wo := flatBatch(idx, bx)*m*k, flatBatch(idx, bw)*k*n
		for i := range m {
			for j := range n {
				s := 0.0
				for l := range k {
					s += x.At(xo+i*k+l) * w.At(wo+l*n+j)
				}
				res = append(res, s)
			}
		}
	}
	return res
}

func dimAt(s []int, i, r int) int {
	if j := i - (r - len(s)); j >= 0 {
		return s[j]
	}
	return 1
}

// flatBatch is the flat index in batch shape s of the broadcast index idx.
func flatBatch(idx, s []int) int {
	off := len(idx) - len(s)
	f := 0
	for i, d := range s {
		v := idx[i+off]
		if d == 1 {
			v = 0
		}
		f = f*d + v
	}
	return f
}

func TestReductionValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := randTensor(rng, ops.F64, -1, 1, 2, 3, 4)
	at := func(i, j, k int) float64 { return x.At(i*12 + j*4 + k) }
	// Over axes 0 and 2, for each j.
	var sum, mean, mx, mn []float64
	for j := range 3 {
		s, hi, lo := 0.0, math.Inf(-1), math.Inf(1)
		for i := range 2 {
			for k := range 4 {
				s += at(i, j, k)
				hi, lo = math.Max(hi, at(i, j, k)), math.Min(lo, at(i, j, k))
			}
		}
		sum, mean, mx, mn = append(sum, s), append(mean, s/8), append(mx, hi), append(mn, lo)
	}
	a := ops.Attrs{"axes": []int{0, -1}}
	checkValues(t, "sum", run(t, "sum", a, 0, x), []int{3}, sum, 1e-14)
	checkValues(t, "mean", run(t, "mean", a, 0, x), []int{3}, mean, 1e-14)
	checkValues(t, "max", run(t, "max", a, 0, x), []int{3}, mx, 0)
	checkValues(t, "min", run(t, "min", a, 0, x), []int{3}, mn, 0)
	k := ops.Attrs{"axes": []int{0, 2}, "keepdims": true}
	checkValues(t, "sum keepdims", run(t, "sum", k, 0, x), []int{1, 3, 1}, sum, 1e-14)
	// Over everything.
	total := 0.0
	for i := range x.Len() {
		total += x.At(i)
	}
	checkValues(t, "sum all", run(t, "sum", nil, 0, x), []int{}, []float64{total}, 1e-14)
	checkValues(t, "mean all", run(t, "mean", nil, 0, x), []int{}, []float64{total / 24}, 1e-14)
	// Over the middle axis.
	var mid []float64
	for i := range 2 {
		for k := range 4 {
			s := 0.0
			for j := range 3 {
				s += at(i, j, k)
			}
			mid = append(mid, s)
		}
	}
	checkValues(t, "sum axis 1", run(t, "sum", ops.Attrs{"axes": []int{1}}, 0, x), []int{2, 4}, mid, 1e-14)
	checkValues(t, "size", run(t, "size", ops.Attrs{"axes": []int{0, 2}, "dtype": ops.F32}, 0, x), []int{}, []float64{8}, 0)
}

func TestLayoutValues(t *testing.T) {
	x := tensor.New(ops.I32, 2, 3, 4)
	for i := range x.Len() {
		x.Set(i, float64(i))
	}
	// transpose perm [1, 2, 0]: out[j, k, i] = x[i, j, k] = 12i + 4j + k.
	var want []float64
	for j := range 3 {
		for k := range 4 {
			for i := range 2 {
				want = append(want, float64(12*i+4*j+k))
			}
		}
	}
	checkValues(t, "transpose", run(t, "transpose", ops.Attrs{"perm": []int{1, 2, 0}}, 0, x), []int{3, 4, 2}, want, 0)
	// default: reversed axes, out[k, j, i].
	want = want[:0]
	for k := range 4 {
		for j := range 3 {
			for i := range 2 {
				want = append(want, float64(12*i+4*j+k))
			}
		}
	}
	checkValues(t, "transpose reversed", run(t, "transpose", nil, 0, x), []int{4, 3, 2}, want, 0)
	r := run(t, "reshape", ops.Attrs{"shape": ops.ShapeOf(6, 4)}, 0, x)
	checkValues(t, "reshape", r, []int{6, 4}, x.Float64s(), 0)
	bt := run(t, "broadcast_to", ops.Attrs{"shape": ops.ShapeOf(2, 3)}, 0, tensor.FromFloat64s(ops.F32, []int{3}, []float64{1, 2, 3}))
	checkValues(t, "broadcast_to", bt, []int{2, 3}, []float64{1, 2, 3, 1, 2, 3}, 0)
	st := run(t, "sum_to", ops.Attrs{"shape": ops.ShapeOf(2, 1)}, 0, tensor.FromFloat64s(ops.F64, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}))
	checkValues(t, "sum_to", st, []int{2, 1}, []float64{6, 15}, 0)
}

func TestSoftmaxValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := randTensor(rng, ops.F64, -3, 3, 2, 3, 4)
	// axis 1: for each (i, k), normalize over j.
	sm, lsm := make([]float64, 24), make([]float64, 24)
	for i := range 2 {
		for k := range 4 {
			z := 0.0
			for j := range 3 {
				z += math.Exp(x.At(i*12 + j*4 + k))
			}
			for j := range 3 {
				p := i*12 + j*4 + k
				sm[p] = math.Exp(x.At(p)) / z
				lsm[p] = x.At(p) - math.Log(z)
			}
		}
	}
	a := ops.Attrs{"axis": 1}
	checkValues(t, "softmax", run(t, "softmax", a, 0, x), x.Shape, sm, 1e-14)
	checkValues(t, "log_softmax", run(t, "log_softmax", a, 0, x), x.Shape, lsm, 1e-14)
	// Large logits do not overflow: softmax([1000, 1000 + ln 3]) = [1/4, 3/4].
	big := tensor.FromFloat64s(ops.F64, []int{2}, []float64{1000, 1000 + math.Log(3)})
	checkValues(t, "softmax large", run(t, "softmax", nil, 0, big), []int{2}, []float64{0.25, 0.75}, 1e-12)
	checkValues(t, "log_softmax large", run(t, "log_softmax", nil, 0, big), []int{2},
		[]float64{-math.Log(4), math.Log(3) - math.Log(4)}, 1e-12)
}

func TestCrossEntropyValues(t *testing.T) {
	// Row 0: logits [0, 0], label 0: log 2. Row 1: [ln 3, 0], label 1:
	// log(3 + 1) - 0 = 2 log 2. Mean: 1.5 log 2.
	logits := tensor.FromFloat64s(ops.F32, []int{2, 2}, []float64{0, 0, math.Log(3), 0})
	for _, lt := range []ops.DType{ops.I32, ops.I64} {
		labels := tensor.FromFloat64s(lt, []int{2}, []float64{0, 1})
		checkValues(t, "cross_entropy", run(t, "cross_entropy", nil, 0, logits, labels), []int{}, []float64{1.5 * math.Ln2}, 1e-6)
		// Labels out of [0, C) are errors naming the label and the range.
		bad := tensor.FromFloat64s(lt, []int{2}, []float64{0, 2})
		if err := runErr(t, "cross_entropy", nil, logits, bad); !strings.Contains(err.Error(), "label 2 out of range [0, 2)") {
			t.Errorf("label 2 of 2 classes: %v", err)
		}
		neg := tensor.FromFloat64s(lt, []int{2}, []float64{-1, 0})
		if err := runErr(t, "cross_entropy", nil, logits, neg); !strings.Contains(err.Error(), "label -1 out of range [0, 2)") {
			t.Errorf("label -1: %v", err)
		}
	}
	labels := tensor.FromFloat64s(ops.I64, []int{3}, []float64{2, 0, 1})
	checkValues(t, "one_hot", run(t, "one_hot", ops.Attrs{"n": 3, "dtype": ops.F32}, 0, labels), []int{3, 3},
		[]float64{0, 0, 1, 1, 0, 0, 0, 1, 0}, 0)
	bad := tensor.FromFloat64s(ops.I64, []int{3}, []float64{2, 0, 5})
	if err := runErr(t, "one_hot", ops.Attrs{"n": 3, "dtype": ops.F32}, bad); !strings.Contains(err.Error(), "label 5 out of range [0, 3)") {
		t.Errorf("one_hot label 5 of 3: %v", err)
	}
}

func TestCastValues(t *testing.T) {
	x := tensor.FromFloat64s(ops.F64, []int{4}, []float64{-1.7, -0.2, 0.5, 2.9})
	checkValues(t, "f64→i32", run(t, "cast", ops.Attrs{"dtype": ops.I32}, 0, x), []int{4}, []float64{-1, 0, 0, 2}, 0)
	checkValues(t, "f64→f32", run(t, "cast", ops.Attrs{"dtype": ops.F32}, 0, x), []int{4}, []float64{-1.7, -0.2, 0.5, 2.9}, 1e-7)
	i := tensor.FromFloat64s(ops.I64, []int{2}, []float64{3, -4})
	checkValues(t, "i64→f64", run(t, "cast", ops.Attrs{"dtype": ops.F64}, 0, i), []int{2}, []float64{3, -4}, 0)
	checkValues(t, "i64→bool", run(t, "cast", ops.Attrs{"dtype": ops.Bool}, 0, i), []int{2}, []float64{1, 1}, 0)
}

func TestDropoutMask(t *testing.T) {
	mask := func(seed uint64, stream int, p float64) *tensor.Tensor {
		return run(t, "dropout_mask", ops.Attrs{"p": p, "seed": stream, "shape": ops.ShapeOf(100, 100), "dtype": ops.F32}, seed)
	}
	a, b := mask(7, 1, 0.25), mask(7, 1, 0.25)
	zeros := 0
	for i := range a.Len() {
		if a.F32[i] != b.F32[i] {
			t.Fatal("the same seeds give different masks")
		}
		switch a.F32[i] {
		case 0:
			zeros++
		case float32(1 / 0.75):
		default:
			t.Fatalf("mask element %g", a.F32[i])
		}
	}
	// 10000 draws at p = 0.25: the count of zeros has sd ≈ 43.
	if zeros < 2300 || zeros > 2700 {
		t.Errorf("%d zeros in 10000 draws at p = 0.25", zeros)
	}
	for _, other := range []*tensor.Tensor{mask(8, 1, 0.25), mask(7, 2, 0.25)} {
		same := 0
		for i := range a.Len() {
			if a.F32[i] == other.F32[i] {
				same++
			}
		}
		if same > 7000 { // independent masks agree on 0.25² + 0.75² = 62.5%
			t.Errorf("masks with different seeds agree on %d of 10000", same)
		}
	}
	for i, v := range mask(7, 1, 0).F32 {
		if v != 1 {
			t.Fatalf("p = 0: element %d is %g", i, v)
		}
	}
	for i, v := range mask(7, 1, 1).F32 {
		if v != 0 {
			t.Fatalf("p = 1: element %d is %g", i, v)
		}
	}
}

// TestPowConstantExponent: the gradient of x ** 2 at negative x is 2x, with
// no NaN anywhere in the graph (log(x) is not built for a constant exponent).
func TestPowConstantExponent(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(3)})
	y := b.Must(ops.Pow, nil, x, b.Scalar(ops.F64, 2))
	g := b.Must(ops.Full, ops.Attrs{"value": 1.0, "dtype": ops.F64, "shape": ops.ShapeOf(3)})
	d := y.Op.VJP(b, y, g)
	if d[1] != nil {
		t.Errorf("gradient for the constant exponent: %v", d[1])
	}
	res, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{"x": tensor.FromFloat64s(ops.F64, []int{3}, []float64{-2, 0.5, 3})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, "d/dx x**2", res[d[0]], []int{3}, []float64{-4, 1, 6}, 1e-15)
	for n, v := range res {
		for _, f := range v.Float64s() {
			if math.IsNaN(f) {
				t.Errorf("%v (%s) holds NaN", n, n.Op.Name)
			}
		}
	}
}
