package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// tile is an instruction running tile op op on registers a and b.
func tile(op TileOp, a, b int) FusedInstr {
	r := op.Rows()
	return FusedInstr{Op: fmt.Sprintf("tile %d", op), Rows: &r, A: a, B: b}
}

// row1 is an instruction running a unary op's own rows on register a.
func row1(name string, r32 func(dst, x []float32), r64 func(dst, x []float64), a int) FusedInstr {
	return FusedInstr{Op: name, Rows: &FusedRows{Unary32: r32, Unary64: r64}, A: a, B: -1}
}

// row2 is an instruction running a binary op's own rows on registers a, b.
func row2(name string, r32 func(dst, x, y []float32), r64 func(dst, x, y []float64), a, b int) FusedInstr {
	return FusedInstr{Op: name, Rows: &FusedRows{Binary32: r32, Binary64: r64}, A: a, B: b}
}

var (
	expInstr = func(a int) FusedInstr { return row1("exp", ExpRow[float32], ExpRow[float64], a) }
	tanh     = func(a int) FusedInstr { return row1("tanh", TanhRow[float32], TanhRow[float64], a) }
	powInstr = func(a, b int) FusedInstr { return row2("pow", PowRow[float32], PowRow[float64], a, b) }
)

// TestFusedBroadcastTiles runs y = tanh(x*w + b) - 0.5 with x [r, c], w [c]
// (gathered per tile), b [r, 1] (repeated along rows) and a scalar s as the
// exponent of a final pow, over shapes smaller than, equal to and larger than
// a tile, and compares it with a plain loop written here.
func TestFusedBroadcastTiles(t *testing.T) {
	// registers: x0 x [r,c], x1 w [c], x2 b [r,1], x3 s [], imm 0.5 (4),
	// t0 (5) = x*w, t1 (6) = t0+b, t2 (7) = tanh, t3 (8) = t2-0.5, t4 (9) = |t3|, t5 = t4**s
	prog := []FusedInstr{
		tile(TileMul, 0, 1), tile(TileAdd, 5, 2), tanh(6), tile(TileSub, 7, 4), tile(TileAbs, 8, -1), powInstr(9, 3),
	}
	for _, dims := range [][2]int{{1, 1}, {3, 5}, {7, 300}, {1000, 3}, {2, FusedTile}, {3, FusedTile + 7}} {
		r, c := dims[0], dims[1]
		rng := rand.New(rand.NewPCG(uint64(r), uint64(c)))
		x, w, b := make([]float64, r*c), make([]float64, c), make([]float64, r)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		s := []float64{1.5}
		f, err := NewFused[float64](prog, []float64{0.5}, []int{r, c}, [][]int{{r, c}, {c}, {r, 1}, {}})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, r*c)
		f.Run(out, x, w, b, s)
		for i := range r {
			for j := range c {
				want := math.Pow(math.Abs(math.Tanh(x[i*c+j]*w[j]+b[i])-0.5), 1.5)
				if got := out[i*c+j]; got != want {
					t.Fatalf("%dx%d: out[%d,%d] = %v, want %v", r, c, i, j, got, want)
				}
			}
		}
		if a := testing.AllocsPerRun(3, func() { f.Run(out, x, w, b, s) }); a != 0 {
			t.Errorf("%dx%d: Run allocates %v times", r, c, a)
		}
	}
}

// TestFusedScalarResult: a program whose result is a scalar (both operands
// scalars) fills the output.
func TestFusedScalarResult(t *testing.T) {
	prog := []FusedInstr{tile(TileMul, 0, 2), expInstr(3), tile(TileAdd, 4, 1)} // exp(a*2) + b: a=0, b=1, imm 2=2, t0=3, t1=4
	f, err := NewFused[float32](prog, []float64{2}, []int{3}, [][]int{{}, {3}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, 3)
	f.Run(out, []float32{0.5}, []float32{1, 2, 3})
	e := float32(math.Exp(float64(float32(0.5) * 2)))
	for i, want := range []float32{e + 1, e + 2, e + 3} {
		if out[i] != want {
			t.Errorf("out[%d] = %v, want %v", i, out[i], want)
		}
	}
	g, err := NewFused[float64]([]FusedInstr{tile(TileNeg, 0, -1), tile(TileMul, 1, 1)}, nil, []int{4}, [][]int{{}})
	if err != nil {
		t.Fatal(err)
	}
	o := make([]float64, 4)
	g.Run(o, []float64{3})
	for i, v := range o {
		if v != 9 {
			t.Errorf("(-3)² broadcast: out[%d] = %v", i, v)
		}
	}
}

// TestFusedErrors: bad programs are errors, not panics.
func TestFusedErrors(t *testing.T) {
	only32 := FusedInstr{Op: "half", Rows: &FusedRows{Unary32: NegRow[float32]}, A: 0, B: -1}
	for _, prog := range [][]FusedInstr{
		nil,
		{{Op: "frobnicate", A: 0, B: -1}}, // no rows
		{tile(TileAdd, 0, 2)},             // reads its own result
		{row2("exp", nil, nil, 0, 0)},     // exp with two operands
		{tile(TileAdd, 0, -1)},            // add with one operand
		{only32},                          // no float64 row
	} {
		if _, err := NewFused[float64](prog, nil, []int{2}, [][]int{{2}}); err == nil {
			t.Errorf("%v: no error", prog)
		}
	}
	if _, err := NewFused[float32]([]FusedInstr{only32}, nil, []int{2}, [][]int{{2}}); err != nil {
		t.Errorf("a float32 row in a float32 program: %v", err)
	}
}

// TestTileOpRows: every tile op has rows of one arity for both element
// types, and a value past the last tile op is a bug that panics.
func TestTileOpRows(t *testing.T) {
	for op := range nTileOps {
		r := op.Rows()
		un := r.Unary32 != nil && r.Unary64 != nil && r.Binary32 == nil && r.Binary64 == nil
		bin := r.Unary32 == nil && r.Unary64 == nil && r.Binary32 != nil && r.Binary64 != nil
		if un == bin {
			t.Errorf("tile op %d: rows %+v", op, r)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("TileOp(nTileOps).Rows() did not panic")
		}
	}()
	nTileOps.Rows()
}

// TestFusedRowsMatchGo: the row functions the interpreter picks (AVX2 where
// the processor has it) give bitwise Go's scalar arithmetic, for every
// length up to 40 (vector body and tail), with one repeated operand on
// either side, special values included, and in place.
func TestFusedRowsMatchGo(t *testing.T) {
	t.Logf("AVX2: %v", X86.HasAVX2)
	ops := map[string]func(a, b float64) float64{
		"add": func(a, b float64) float64 { return a + b },
		"sub": func(a, b float64) float64 { return a - b },
		"mul": func(a, b float64) float64 { return a * b },
		"div": func(a, b float64) float64 { return a / b },
	}
	tiles := map[string]TileOp{"add": TileAdd, "sub": TileSub, "mul": TileMul, "div": TileDiv}
	rng := rand.New(rand.NewPCG(1, 1))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e-310, 3}
	draw := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
			if rng.IntN(4) == 0 {
				v[i] = special[rng.IntN(len(special))]
			}
		}
		return v
	}
	for name, op := range ops {
		rows := tiles[name].Rows()
		r32, r64 := rows.Binary32, rows.Binary64
		for n := 1; n <= 40; n++ {
			for mode := range 3 {
				x, y := draw(n), draw(n)
				switch mode {
				case 1:
					y = y[:1]
				case 2:
					x = x[:1]
				}
				at := func(v []float64, i int) float64 { return v[min(i, len(v)-1)] }
				d64 := make([]float64, n)
				r64(d64, x, y)
				x32, y32 := make([]float32, len(x)), make([]float32, len(y))
				for i, v := range x {
					x32[i] = float32(v)
				}
				for i, v := range y {
					y32[i] = float32(v)
				}
				d32 := make([]float32, n)
				r32(d32, x32, y32)
				for i := range n {
					want := op(at(x, i), at(y, i))
					if math.Float64bits(d64[i]) != math.Float64bits(want) && !(math.IsNaN(want) && math.IsNaN(d64[i])) {
						t.Fatalf("%s f64 n=%d mode %d: [%d] = %v, want %v", name, n, mode, i, d64[i], want)
					}
					a, b := x32[min(i, len(x32)-1)], y32[min(i, len(y32)-1)]
					var w32 float32
					switch name {
					case "add":
						w32 = a + b
					case "sub":
						w32 = a - b
					case "mul":
						w32 = a * b
					case "div":
						w32 = a / b
					}
					if math.Float32bits(d32[i]) != math.Float32bits(w32) && !(w32 != w32 && d32[i] != d32[i]) {
						t.Fatalf("%s f32 n=%d mode %d: [%d] = %v, want %v", name, n, mode, i, d32[i], w32)
					}
				}
				if mode == 0 { // in place: dst is x
					r64(x, x, y)
					for i := range n {
						if math.Float64bits(x[i]) != math.Float64bits(d64[i]) && !(math.IsNaN(x[i]) && math.IsNaN(d64[i])) {
							t.Fatalf("%s in place: [%d] = %v, want %v", name, i, x[i], d64[i])
						}
					}
				}
			}
		}
	}
}

// TestFusedUnaryRowsMatch: the unary tile rows give bitwise
// NegRow, ReluRow, SquareRow, SqrtRow and AbsRow (the unfused ops' kernels), ±0,
// negative numbers and NaN included, for every length up to 40.
func TestFusedUnaryRowsMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), -math.NaN(), 1e-310}
	refs64 := map[TileOp]func(dst, x []float64){TileNeg: NegRow[float64], TileRelu: ReluRow[float64], TileSquare: SquareRow[float64], TileSqrt: SqrtRow[float64], TileAbs: AbsRow[float64]}
	refs32 := map[TileOp]func(dst, x []float32){TileNeg: NegRow[float32], TileRelu: ReluRow[float32], TileSquare: SquareRow[float32], TileSqrt: SqrtRow[float32], TileAbs: AbsRow[float32]}
	for name, ref64 := range refs64 {
		rows := name.Rows()
		f64, f32 := rows.Unary64, rows.Unary32
		for n := 1; n <= 40; n++ {
			x := make([]float64, n)
			for i := range x {
				x[i] = rng.NormFloat64()
				if rng.IntN(3) == 0 {
					x[i] = special[rng.IntN(len(special))]
				}
			}
			x32 := make([]float32, n)
			for i, v := range x {
				x32[i] = float32(v)
			}
			got, want := make([]float64, n), make([]float64, n)
			f64(got, x)
			ref64(want, x)
			got32, want32 := make([]float32, n), make([]float32, n)
			f32(got32, x32)
			refs32[name](want32, x32)
			for i := range n {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("tile op %d f64 n=%d: %v → %v, want %v", name, n, x[i], got[i], want[i])
				}
				if math.Float32bits(got32[i]) != math.Float32bits(want32[i]) {
					t.Fatalf("tile op %d f32 n=%d: %v → %v, want %v", name, n, x32[i], got32[i], want32[i])
				}
			}
		}
	}
}

// TestFusedMaskRowsMatch: the comparison and extremum tile rows give
// bitwise GreaterRow, EqualRow, GreaterRow with swapped operands (less),
// MaxRow and MinRow, with one repeated operand on either side, NaN and ±0
// included.
func TestFusedMaskRowsMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.NaN(), -math.NaN(), 1, -1}
	less := func(dst, x, y []float64) { GreaterRow(dst, y, x) }
	refs := map[TileOp]func(dst, x, y []float64){TileGreater: GreaterRow[float64], TileEqual: EqualRow[float64], TileLess: less,
		TileMax: MaxRow[float64], TileMin: MinRow[float64]}
	less32 := func(dst, x, y []float32) { GreaterRow(dst, y, x) }
	refs32 := map[TileOp]func(dst, x, y []float32){TileGreater: GreaterRow[float32], TileEqual: EqualRow[float32], TileLess: less32,
		TileMax: MaxRow[float32], TileMin: MinRow[float32]}
	draw := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = special[rng.IntN(len(special))]
			if rng.IntN(3) == 0 {
				v[i] = rng.NormFloat64()
			}
		}
		return v
	}
	to32 := func(v []float64) []float32 {
		o := make([]float32, len(v))
		for i, x := range v {
			o[i] = float32(x)
		}
		return o
	}
	for name, ref := range refs {
		rows := name.Rows()
		f64, f32 := rows.Binary64, rows.Binary32
		for n := 1; n <= 40; n++ {
			for mode := range 3 {
				x, y := draw(n), draw(n)
				switch mode {
				case 1:
					y = y[:1]
				case 2:
					x = x[:1]
				}
				got, want := make([]float64, n), make([]float64, n)
				f64(got, x, y)
				ref(want, x, y)
				got32, want32 := make([]float32, n), make([]float32, n)
				f32(got32, to32(x), to32(y))
				refs32[name](want32, to32(x), to32(y))
				for i := range n {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) || math.Float32bits(got32[i]) != math.Float32bits(want32[i]) {
						t.Fatalf("tile op %d n=%d mode %d [%d]: got %v/%v, want %v/%v", name, n, mode, i, got[i], got32[i], want[i], want32[i])
					}
				}
			}
		}
	}
}
