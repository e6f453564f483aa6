//go:build amd64 && !noasm

package kernels

// Declarations of fused_amd64.s: dst[i] = x[i] OP y[i] (VV), x[i] OP c (VS)
// and c OP x[i] (SV) for i < n, with AVX2.

//go:noescape
func addVV32(dst, x, y *float32, n int)

//go:noescape
func addVS32(dst, x *float32, n int, c float32)

//go:noescape
func addSV32(dst, x *float32, n int, c float32)

//go:noescape
func subVV32(dst, x, y *float32, n int)

//go:noescape
func subVS32(dst, x *float32, n int, c float32)

//go:noescape
func subSV32(dst, x *float32, n int, c float32)

//go:noescape
func mulVV32(dst, x, y *float32, n int)

//go:noescape
func mulVS32(dst, x *float32, n int, c float32)

//go:noescape
func mulSV32(dst, x *float32, n int, c float32)

//go:noescape
func divVV32(dst, x, y *float32, n int)

//go:noescape
func divVS32(dst, x *float32, n int, c float32)

//go:noescape
func divSV32(dst, x *float32, n int, c float32)

//go:noescape
func addVV64(dst, x, y *float64, n int)

//go:noescape
func addVS64(dst, x *float64, n int, c float64)

//go:noescape
func addSV64(dst, x *float64, n int, c float64)

//go:noescape
func subVV64(dst, x, y *float64, n int)

//go:noescape
func subVS64(dst, x *float64, n int, c float64)

//go:noescape
func subSV64(dst, x *float64, n int, c float64)

//go:noescape
func mulVV64(dst, x, y *float64, n int)

//go:noescape
func mulVS64(dst, x *float64, n int, c float64)

//go:noescape
func mulSV64(dst, x *float64, n int, c float64)

//go:noescape
func divVV64(dst, x, y *float64, n int)

//go:noescape
func divVS64(dst, x *float64, n int, c float64)

//go:noescape
func divSV64(dst, x *float64, n int, c float64)

// asmTileRows puts into r the AVX2 loops of tile op op, where the
// processor has AVX2 and op has them (every tile op but maximum and
// minimum, and sqrt's and the comparisons' Go rows run vector code of their
// own).
func asmTileRows(op TileOp, r *FusedRows) {
	if !X86.HasAVX2 {
		return
	}
	if f := asmTile32[op]; f.un != nil || f.bin != nil {
		r.Unary32, r.Binary32 = f.un, f.bin
	}
	if f := asmTile64[op]; f.un != nil || f.bin != nil {
		r.Unary64, r.Binary64 = f.un, f.bin
	}
}

// asmTile is the AVX2 row of one tile op for one element type.
type asmTile[T Float] struct {
	un  func(dst, x []T)
	bin func(dst, x, y []T)
}

var asmTile32 = [nTileOps]asmTile[float32]{
	TileNeg:     {un: asmUnaryRow(negV32)},
	TileRelu:    {un: asmUnaryRow(reluV32)},
	TileAbs:     {un: asmUnaryRow(absV32)},
	TileSquare:  {un: asmUnaryRow(squareV32)},
	TileSqrt:    {un: asmUnaryRow(sqrtV32)},
	TileAdd:     {bin: asmRow(addVV32, addVS32, addSV32, func(a, b float32) float32 { return a + b })},
	TileSub:     {bin: asmRow(subVV32, subVS32, subSV32, func(a, b float32) float32 { return a - b })},
	TileMul:     {bin: asmRow(mulVV32, mulVS32, mulSV32, func(a, b float32) float32 { return a * b })},
	TileDiv:     {bin: asmRow(divVV32, divVS32, divSV32, func(a, b float32) float32 { return a / b })},
	TileGreater: {bin: asmRow(greaterVV32, greaterVS32, greaterSV32, func(a, b float32) float32 { return b2f[float32](a > b) })},
	TileLess:    {bin: swapped(asmRow(greaterVV32, greaterVS32, greaterSV32, func(a, b float32) float32 { return b2f[float32](a > b) }))},
	TileEqual:   {bin: asmRow(equalVV32, equalVS32, equalSV32, func(a, b float32) float32 { return b2f[float32](a == b) })},
}

var asmTile64 = [nTileOps]asmTile[float64]{
	TileNeg:     {un: asmUnaryRow(negV64)},
	TileRelu:    {un: asmUnaryRow(reluV64)},
	TileAbs:     {un: asmUnaryRow(absV64)},
	TileSquare:  {un: asmUnaryRow(squareV64)},
	TileSqrt:    {un: asmUnaryRow(sqrtV64)},
	TileAdd:     {bin: asmRow(addVV64, addVS64, addSV64, func(a, b float64) float64 { return a + b })},
	TileSub:     {bin: asmRow(subVV64, subVS64, subSV64, func(a, b float64) float64 { return a - b })},
	TileMul:     {bin: asmRow(mulVV64, mulVS64, mulSV64, func(a, b float64) float64 { return a * b })},
	TileDiv:     {bin: asmRow(divVV64, divVS64, divSV64, func(a, b float64) float64 { return a / b })},
	TileGreater: {bin: asmRow(greaterVV64, greaterVS64, greaterSV64, func(a, b float64) float64 { return b2f[float64](a > b) })},
	TileLess:    {bin: swapped(asmRow(greaterVV64, greaterVS64, greaterSV64, func(a, b float64) float64 { return b2f[float64](a > b) }))},
	TileEqual:   {bin: asmRow(equalVV64, equalVS64, equalSV64, func(a, b float64) float64 { return b2f[float64](a == b) })},
}

// asmRow makes a row function (x or y may be one repeated element) from the
// three assembly loops of one op and its scalar form.
func asmRow[T Float](vv func(dst, x, y *T, n int), vs, sv func(dst, x *T, n int, c T), op func(a, b T) T) func(dst, x, y []T) {
	return func(dst, x, y []T) {
		n := len(dst)
		if n == 0 {
			return
		}
		switch {
		case len(x) == n && len(y) == n:
			vv(&dst[0], &x[0], &y[0], n)
		case len(x) == n:
			vs(&dst[0], &x[0], n, y[0])
		case len(y) == n:
			sv(&dst[0], &y[0], n, x[0])
		default:
			c := op(x[0], y[0])
			for i := range dst {
				dst[i] = c
			}
		}
	}
}

func asmUnaryRow[T Float](r func(dst, x *T, n int)) func(dst, x []T) {
	return func(dst, x []T) {
		if n := len(x); n > 0 {
			r(&dst[0], &x[0], n)
		}
	}
}

// Unary rows of fused_amd64.s: dst[i] = OP(x[i]) for i < n.

//go:noescape
func negV32(dst, x *float32, n int)

//go:noescape
func reluV32(dst, x *float32, n int)

//go:noescape
func squareV32(dst, x *float32, n int)

//go:noescape
func negV64(dst, x *float64, n int)

//go:noescape
func reluV64(dst, x *float64, n int)

//go:noescape
func squareV64(dst, x *float64, n int)

// Comparison rows of fused_amd64.s: dst[i] = 1 where x[i] OP y[i] (VV),
// x[i] OP c (VS) or c OP x[i] (SV), else 0.

//go:noescape
func greaterVV32(dst, x, y *float32, n int)

//go:noescape
func greaterVS32(dst, x *float32, n int, c float32)

//go:noescape
func greaterSV32(dst, x *float32, n int, c float32)

//go:noescape
func equalVV32(dst, x, y *float32, n int)

//go:noescape
func equalVS32(dst, x *float32, n int, c float32)

//go:noescape
func equalSV32(dst, x *float32, n int, c float32)

//go:noescape
func sqrtV32(dst, x *float32, n int)

//go:noescape
func greaterVV64(dst, x, y *float64, n int)

//go:noescape
func greaterVS64(dst, x *float64, n int, c float64)

//go:noescape
func greaterSV64(dst, x *float64, n int, c float64)

//go:noescape
func equalVV64(dst, x, y *float64, n int)

//go:noescape
func equalVS64(dst, x *float64, n int, c float64)

//go:noescape
func equalSV64(dst, x *float64, n int, c float64)

//go:noescape
func sqrtV64(dst, x *float64, n int)

//go:noescape
func absV32(dst, x *float32, n int)

//go:noescape
func absV64(dst, x *float64, n int)
