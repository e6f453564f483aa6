package kernels

import "fmt"

// Tile rows: the rows a fused program runs for the cheap ops (neg, relu,
// abs, square, sqrt, and the arithmetic, extrema and comparisons of two
// operands). They do the same arithmetic as NegRow, AddRow and the others
// (so results are bitwise theirs) without their per-call dispatch (the
// parallel split, the choice of vector code), which on a tile of
// FusedTile elements costs as much as the arithmetic: where the processor
// has AVX2 they are the vector loops of fused_amd64.s, picked once when
// the ops register (TileOp.Rows); elsewhere Go loops written so that the
// compiler drops the bounds checks. x or y may be one repeated element;
// dst may alias x or y.

// TileOp names an op that has tile rows. The table is by op code, never by
// name: ops' descriptors ask for their rows with TileAdd.Rows() and the
// like.
type TileOp uint8

// The ops with tile rows.
const (
	TileNeg TileOp = iota
	TileRelu
	TileAbs
	TileSquare
	TileSqrt
	TileAdd
	TileSub
	TileMul
	TileDiv
	TileMax
	TileMin
	TileGreater
	TileLess // GreaterRow with the operands exchanged
	TileEqual
	nTileOps
)

// goTileRows are the Go rows of every tile op.
var goTileRows = [nTileOps]FusedRows{
	TileNeg:     {Unary32: negF[float32], Unary64: negF[float64]},
	TileRelu:    {Unary32: reluF[float32], Unary64: reluF[float64]},
	TileAbs:     {Unary32: absF[float32], Unary64: absF[float64]},
	TileSquare:  {Unary32: squareF[float32], Unary64: squareF[float64]},
	TileSqrt:    {Unary32: SqrtRow[float32], Unary64: SqrtRow[float64]},
	TileAdd:     {Binary32: addF[float32], Binary64: addF[float64]},
	TileSub:     {Binary32: subF[float32], Binary64: subF[float64]},
	TileMul:     {Binary32: mulF[float32], Binary64: mulF[float64]},
	TileDiv:     {Binary32: divF[float32], Binary64: divF[float64]},
	TileMax:     {Binary32: maxF[float32], Binary64: maxF[float64]},
	TileMin:     {Binary32: minF[float32], Binary64: minF[float64]},
	TileGreater: {Binary32: GreaterRow[float32], Binary64: GreaterRow[float64]},
	TileLess:    {Binary32: swapped(GreaterRow[float32]), Binary64: swapped(GreaterRow[float64])},
	TileEqual:   {Binary32: EqualRow[float32], Binary64: EqualRow[float64]},
}

// Rows returns op's tile rows: the AVX2 loops where the processor has them
// (asmTileRows), else the Go rows. It panics for a value that names no
// tile op (a bug in a descriptor).
func (op TileOp) Rows() FusedRows {
	if op >= nTileOps {
		panic(fmt.Sprintf("kernels: no tile op %d", op))
	}
	r := goTileRows[op]
	asmTileRows(op, &r)
	return r
}

// swapped is row with its operands exchanged: x < y is y > x.
func swapped[T Float](row func(dst, x, y []T)) func(dst, x, y []T) {
	return func(dst, x, y []T) { row(dst, y, x) }
}

func addF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = x[i] + y[i]
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = x[i] + c
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = c + y[i]
		}
	default:
		c := x[0] + y[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

func subF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = x[i] - y[i]
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = x[i] - c
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = c - y[i]
		}
	default:
		c := x[0] - y[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

func mulF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = x[i] * y[i]
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = x[i] * c
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = c * y[i]
		}
	default:
		c := x[0] * y[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

func divF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = x[i] / y[i]
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = x[i] / c
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = c / y[i]
		}
	default:
		c := x[0] / y[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

func maxF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = max(x[i], y[i])
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = max(x[i], c)
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = max(c, y[i])
		}
	default:
		c := max(x[0], y[0])
		for i := range dst {
			dst[i] = c
		}
	}
}

func minF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = min(x[i], y[i])
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = min(x[i], c)
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = min(c, y[i])
		}
	default:
		c := min(x[0], y[0])
		for i := range dst {
			dst[i] = c
		}
	}
}

func negF[T Float](dst, x []T) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = -v
	}
}

func reluF[T Float](dst, x []T) {
	dst = dst[:len(x)]
	for i, v := range x {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

func absF[T Float](dst, x []T) {
	dst = dst[:len(x)]
	for i, v := range x {
		if v < 0 {
			v = -v
		}
		dst[i] = v
	}
}

func squareF[T Float](dst, x []T) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = v * v
	}
}
