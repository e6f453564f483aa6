package kernels

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// Elements per second of the exp, sigmoid and tanh rows (one goroutine: the
// per-row functions, not the parallel wrappers) with the vector routines
// and with the scalar math.* loops, and of a fused program containing exp.
//
//	go test ./kernels -run '^$' -bench 'SIMD' -benchtime 200x

// benchRow times row on 4096 arguments uniform in [-10, 10] (in (0, 10]
// for log).
func benchRow[T Float](b *testing.B, row func(dst, x []T), simd bool) {
	const n = 4096 // the fused interpreter's tiles are 1024
	x := make([]T, n)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range x {
		x[i] = T((rng.Float64() - 0.5) * 20)
	}
	if isLog(row) {
		for i, v := range x {
			x[i] = max(abs(v), 1e-3)
		}
	}
	dst := make([]T, n)
	defer func(old bool) { simdOff = old }(simdOff)
	simdOff = !simd
	b.ResetTimer()
	for range b.N {
		row(dst, x)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
}

func BenchmarkSIMDRows(b *testing.B) {
	for _, mode := range []struct {
		name string
		simd bool
	}{{"scalar", false}, {"simd", true}} {
		b.Run("exp/f32/"+mode.name, func(b *testing.B) { benchRow(b, expRow[float32], mode.simd) })
		b.Run("exp/f64/"+mode.name, func(b *testing.B) { benchRow(b, expRow[float64], mode.simd) })
		b.Run("sigmoid/f32/"+mode.name, func(b *testing.B) { benchRow(b, sigmoidRow[float32], mode.simd) })
		b.Run("sigmoid/f64/"+mode.name, func(b *testing.B) { benchRow(b, sigmoidRow[float64], mode.simd) })
		b.Run("tanh/f32/"+mode.name, func(b *testing.B) { benchRow(b, tanhRow[float32], mode.simd) })
		b.Run("log/f32/"+mode.name, func(b *testing.B) { benchRow(b, logBench[float32], mode.simd) })
		b.Run("log/f64/"+mode.name, func(b *testing.B) { benchRow(b, logBench[float64], mode.simd) })
		b.Run("relu/f32/"+mode.name, func(b *testing.B) { benchRow(b, reluRow[float32], mode.simd) })
		b.Run("add/f32/"+mode.name, func(b *testing.B) {
			benchRow(b, func(dst, x []float32) { binaryRow(ewAdd, dst, x, x) }, mode.simd)
		})
		b.Run("max_acc/f32/"+mode.name, func(b *testing.B) {
			benchRow(b, func(dst, x []float32) {
				if !simdUnary(simdMaxAcc, dst, x) {
					for i, v := range x {
						dst[i] = max(dst[i], v)
					}
				}
			}, mode.simd)
		})
	}
}

// BenchmarkSIMDFused runs exp(x*y) + x as one fused program over 64K f32
// elements.
func BenchmarkSIMDFused(b *testing.B) {
	const n = 1 << 16
	prog := []FusedInstr{tile(TileMul, 0, 1), expInstr(2), tile(TileAdd, 3, 0)}
	for _, simd := range []bool{false, true} {
		name := "scalar"
		if simd {
			name = "simd"
		}
		b.Run("exp_chain/f32/"+name, func(b *testing.B) {
			f, err := NewFused[float32](prog, nil, []int{n}, [][]int{{n}, {n}})
			if err != nil {
				b.Fatal(err)
			}
			x, y, out := make([]float32, n), make([]float32, n), make([]float32, n)
			rng := rand.New(rand.NewPCG(7, 8))
			for i := range x {
				x[i], y[i] = rng.Float32()*4-2, rng.Float32()*4-2
			}
			defer func(old bool) { simdOff = old }(simdOff)
			simdOff = !simd
			b.ResetTimer()
			for range b.N {
				f.Run(out, x, y)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
	}
}

// logBench is logRow, told apart by benchRow to give it positive arguments.
func logBench[T Float](dst, x []T) { logRow(dst, x) }

func isLog[T Float](row func(dst, x []T)) bool {
	return reflect.ValueOf(row).Pointer() == reflect.ValueOf(logBench[T]).Pointer()
}

func abs[T Float](v T) T {
	if v < 0 {
		return -v
	}
	return v
}
