package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// specialRow is n values mixing random ones with zeros of both signs,
// infinities, NaNs and subnormals.
func specialRow(rng *rand.Rand, n int) []float64 {
	sp := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e-310, -1e-310, 1, -1}
	x := make([]float64, n)
	for i := range x {
		if rng.IntN(4) == 0 {
			x[i] = sp[rng.IntN(len(sp))]
		} else {
			x[i] = (rng.Float64() - 0.5) * 10
		}
	}
	return x
}

func simdSameBits[T Float](a, b T) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return float64(a) == float64(b) && math.Signbit(float64(a)) == math.Signbit(float64(b))
}

// The rows that run the AVX2 loops give bitwise what their Go loops give
// (simdOff), at every length (vector body and scalar tail), for operands of
// either sign, zeros of both signs, infinities and NaNs.
func TestSIMDRowsMatchGo(t *testing.T) {
	checkRowsMatchGo[float32](t)
	checkRowsMatchGo[float64](t)
}

func checkRowsMatchGo[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	unary := map[string]func(dst, x []T){"neg": negRow[T], "relu": reluRow[T], "square": squareRow[T], "sqrt": sqrtRow[T], "abs": absRow[T]}
	binary := map[string]int{"add": ewAdd, "sub": ewSub, "mul": ewMul, "div": ewDiv, "greater": ewGreater, "equal": ewEqual}
	acc := map[string]func(dst, x []T){
		"sumto_acc": func(dst, x []T) { // SumTo over the leading axis of [2, n]
			p := NewBcast([]int{2, len(x) / 2}, []int{1, len(x) / 2})
			SumTo(p, dst[:len(x)/2], x, p.Scratch(), make([]int, 1))
		},
		"max_acc": func(dst, x []T) {
			p := NewBcast([]int{2, len(x) / 2}, []int{1, len(x) / 2})
			ReduceMax(p, dst[:len(x)/2], x, p.Scratch(), make([]int, 1))
		},
	}
	run := func(name string, n int, f func(dst []T)) {
		want, got := make([]T, n), make([]T, n)
		simdOff = true
		f(want)
		simdOff = false
		f(got)
		for i := range want {
			if !simdSameBits(got[i], want[i]) {
				t.Fatalf("%s n=%d: element %d is %v, Go loop gives %v", name, n, i, got[i], want[i])
			}
		}
	}
	defer func(old bool) { simdOff = old }(simdOff)
	for _, n := range []int{1, 3, 4, 7, 8, 9, 31, 64, 100} {
		x64, y64 := specialRow(rng, 2*n), specialRow(rng, 2*n)
		x, y := make([]T, 2*n), make([]T, 2*n)
		for i := range x {
			x[i], y[i] = T(x64[i]), T(y64[i])
		}
		for name, row := range unary {
			run(name, n, func(dst []T) { row(dst, x[:n]) })
		}
		for name, op := range binary {
			run(name, n, func(dst []T) { binaryRow(op, dst, x[:n], y[:n]) })
			run(name+"/vs", n, func(dst []T) { binaryRow(op, dst, x[:n], y[:1]) })
			run(name+"/sv", n, func(dst []T) { binaryRow(op, dst, x[:1], y[:n]) })
			run(name+"/ss", n, func(dst []T) { binaryRow(op, dst, x[:1], y[:1]) })
		}
		for name, f := range acc {
			run(name, n, func(dst []T) { f(dst, x) })
		}
	}
}
