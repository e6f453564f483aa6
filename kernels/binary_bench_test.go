package kernels

import (
	"fmt"
	"testing"

	"github.com/nnclang/nnc/internal/cputime"
)

// BenchmarkBinaryBroadcast times the broadcasting binary kernels as ops runs
// them (NewBcast, then Binary with a row function) over the operand forms
// the broadcast driver tells apart: same shape, a row [N,M]+[M], a column
// [N,M]+[N,1], a scalar, and a 3-D middle axis [A,B,C]+[A,1,C]. add runs
// the vector loops on AVX2, max the Go loops, greater the compare rows.
// Small shapes have 256 elements (the per-row work dominates), large ones
// 32768 (below the parallel threshold, so one core runs the loops). Besides
// ns/op it reports cpu-ns/op, the process's CPU time per call, which other
// jobs on a busy machine inflate less than wall time. It uses only names
// that predate the driver, so the same file runs against the old code:
//
//	go test ./kernels -run '^$' -bench BinaryBroadcast -benchtime 100ms -count 5
func BenchmarkBinaryBroadcast(b *testing.B) {
	cases := []struct {
		name, size string
		out, x, y  []int
	}{
		{"same", "small", []int{8, 32}, []int{8, 32}, []int{8, 32}},
		{"row", "small", []int{8, 32}, []int{8, 32}, []int{32}},
		{"column", "small", []int{8, 32}, []int{8, 32}, []int{8, 1}},
		{"scalar", "small", []int{8, 32}, []int{8, 32}, []int{}},
		{"middle", "small", []int{4, 8, 8}, []int{4, 8, 8}, []int{4, 1, 8}},
		{"same", "large", []int{64, 512}, []int{64, 512}, []int{64, 512}},
		{"row", "large", []int{64, 512}, []int{64, 512}, []int{512}},
		{"column", "large", []int{64, 512}, []int{64, 512}, []int{64, 1}},
		{"scalar", "large", []int{64, 512}, []int{64, 512}, []int{}},
		{"middle", "large", []int{16, 64, 32}, []int{16, 64, 32}, []int{16, 1, 32}},
	}
	for _, op := range []string{"add", "max", "greater"} {
		for _, c := range cases {
			name := fmt.Sprintf("%s/%s/%s", op, c.name, c.size)
			b.Run(name+"/f32", func(b *testing.B) {
				benchBinary(b, c.out, c.x, c.y, binaryBenchRow[float32](op))
			})
			b.Run(name+"/f64", func(b *testing.B) {
				benchBinary(b, c.out, c.x, c.y, binaryBenchRow[float64](op))
			})
		}
	}
}

func binaryBenchRow[T Float](op string) func(dst, x, y []T) {
	switch op {
	case "add":
		return AddRow[T]
	case "max":
		return MaxRow[T]
	}
	return GreaterRow[T]
}

func benchBinary[T Float](b *testing.B, out, xs, ys []int, row func(dst, x, y []T)) {
	x, y, dst := make([]T, benchElems(xs)), make([]T, benchElems(ys)), make([]T, benchElems(out))
	for i := range x {
		x[i] = T(i%17) - 8
	}
	for i := range y {
		y[i] = T(i%5) - 2
	}
	p := NewBcast(out, xs, ys)
	idx, off := p.Scratch(), make([]int, 2)
	b.ResetTimer()
	c0 := cputime.Used()
	for range b.N {
		Binary(p, dst, x, y, idx, off, row)
	}
	b.ReportMetric(float64(cputime.Used()-c0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(dst))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
}

func benchElems(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}
