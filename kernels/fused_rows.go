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
	TileAdd:     {Binary32: tileBinary[float32](ewAdd), Binary64: tileBinary[float64](ewAdd)},
	TileSub:     {Binary32: tileBinary[float32](ewSub), Binary64: tileBinary[float64](ewSub)},
	TileMul:     {Binary32: tileBinary[float32](ewMul), Binary64: tileBinary[float64](ewMul)},
	TileDiv:     {Binary32: tileBinary[float32](ewDiv), Binary64: tileBinary[float64](ewDiv)},
	TileMax:     {Binary32: tileBinary[float32](ewMax), Binary64: tileBinary[float64](ewMax)},
	TileMin:     {Binary32: tileBinary[float32](ewMin), Binary64: tileBinary[float64](ewMin)},
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

// tileBinary is the Go tile row of a binary op (an ew code): the one
// broadcast driver of the binary ops, binaryRow.
func tileBinary[T Float](op int) func(dst, x, y []T) {
	return func(dst, x, y []T) { binaryRow(op, dst, x, y) }
}

// swapped is row with its operands exchanged: x < y is y > x.
func swapped[T Float](row func(dst, x, y []T)) func(dst, x, y []T) {
	return func(dst, x, y []T) { row(dst, y, x) }
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
