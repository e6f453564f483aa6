package kernels

import (
	"math/rand/v2"
	"testing"
)

// fusedBenchProgs are the programs of BenchmarkFusedProgram: registers x0
// (and x1), the immediates, then one per instruction.
func fusedBenchProgs() map[string][]FusedInstr {
	return map[string][]FusedInstr{
		// relu(x*1.5 + 0.25)*0.75 - x, negated: the cheap tile rows,
		// with immediates (x0, imm 1.5 = 2, 0.25 = 3, 0.75 = 4).
		"cheap": {tile(TileMul, 0, 2), tile(TileAdd, 5, 3), tile(TileRelu, 6, -1), tile(TileMul, 7, 4),
			tile(TileSub, 8, 0), tile(TileNeg, 9, -1)},
		// exp(x*y) + x: an op's own rows between tile rows.
		"exp_chain": {tile(TileMul, 0, 1), expInstr(2), tile(TileAdd, 3, 0)},
	}
}

// BenchmarkFusedProgram runs fused programs over 64K elements (in the L2
// cache, where the per-instruction cost of the interpreter shows most).
func BenchmarkFusedProgram(b *testing.B) {
	const n = 1 << 16
	for _, name := range []string{"cheap", "exp_chain"} {
		prog := fusedBenchProgs()[name]
		b.Run(name+"/f32", func(b *testing.B) { benchFused[float32](b, prog, n) })
		b.Run(name+"/f64", func(b *testing.B) { benchFused[float64](b, prog, n) })
	}
}

func benchFused[T Float](b *testing.B, prog []FusedInstr, n int) {
	f, err := NewFused[T](prog, []float64{1.5, 0.25, 0.75}, []int{n}, [][]int{{n}, {n}})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	x, y, out := make([]T, n), make([]T, n), make([]T, n)
	for i := range x {
		x[i], y[i] = T(rng.Float64()*4-2), T(rng.Float64()*4-2)
	}
	b.SetBytes(2 * int64(n) * sizeOf[T]())
	for b.Loop() {
		f.Run(out, x, y)
	}
}
