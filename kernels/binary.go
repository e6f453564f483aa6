package kernels

import (
	"math"
	"unsafe"
)

// Binary elementwise rows: dst = x op y, where x or y may be one repeated
// element (length 1) and the other has dst's length; dst may alias x or y.
// Long rows run in parallel tasks (see parallelEW). Every op goes through
// one broadcast driver, binaryRow, which tells the operand forms apart and
// calls the op's loop for that form: an op is its three loops (binaryLoops),
// in Go for every element type and, for some ops, in vector code
// (binary_amd64.go). Binary (broadcast.go) walks a broadcast in such rows.

// AddRow computes dst = x + y.
func AddRow[T Float](dst, x, y []T) { binaryEW(ewAdd, dst, x, y) }

// SubRow computes dst = x - y.
func SubRow[T Float](dst, x, y []T) { binaryEW(ewSub, dst, x, y) }

// MulRow computes dst = x * y.
func MulRow[T Float](dst, x, y []T) { binaryEW(ewMul, dst, x, y) }

// DivRow computes dst = x / y.
func DivRow[T Float](dst, x, y []T) { binaryEW(ewDiv, dst, x, y) }

// PowRow computes dst = x ** y (math.Pow in float64, rounded once).
func PowRow[T Float](dst, x, y []T) { binaryEW(ewPow, dst, x, y) }

// MaxRow computes dst = max(x, y) (NaN if either is NaN).
func MaxRow[T Float](dst, x, y []T) { binaryEW(ewMax, dst, x, y) }

// MinRow computes dst = min(x, y) (NaN if either is NaN).
func MinRow[T Float](dst, x, y []T) { binaryEW(ewMin, dst, x, y) }

// GreaterRow computes dst = 1 where x > y, else 0.
func GreaterRow[T Float](dst, x, y []T) { binaryEW(ewGreater, dst, x, y) }

// EqualRow computes dst = 1 where x == y, else 0.
func EqualRow[T Float](dst, x, y []T) { binaryEW(ewEqual, dst, x, y) }

// binaryEW runs the binary op (an ew code from ewAdd on) on one row, in
// parallel tasks when the row is long enough to pay for them.
func binaryEW[T Float](op int, dst, x, y []T) {
	if !parallelEW(op, dst, x, y) {
		binaryRow(op, dst, x, y)
	}
}

// binaryLoops is one binary op's loops, one per operand form. The driver
// passes x and y of dst's length, or the repeated element as c; dst is not
// empty. Vector loops (binary_amd64.go) take pointers and a length: where
// avv is set, avv, avs and asv replace vv, vs and sv.
type binaryLoops[T Float] struct {
	vv func(dst, x, y []T)       // dst = x op y
	vs func(dst, x []T, c T)     // dst = x op c
	sv func(dst []T, c T, y []T) // dst = c op y

	avv      func(dst, x, y *T, n int)
	avs, asv func(dst, x *T, n int, c T) // asv's x is the row operand y
}

// nBinary is the number of binary ops (ew codes ewAdd to ewEqual).
const nBinary = ewEqual - ewAdd + 1

// binaryTable holds the loops of every binary op for one element type:
// plain has the Go loops, fast the vector loops where an op has some (and
// the Go loops of the others).
type binaryTable[T Float] struct {
	plain, fast [nBinary]binaryLoops[T]
}

// The tables of float32 and float64.
var (
	binary32 = newBinaryTable[float32]()
	binary64 = newBinaryTable[float64]()
)

func newBinaryTable[T Float]() *binaryTable[T] {
	t := &binaryTable[T]{plain: [nBinary]binaryLoops[T]{
		ewAdd - ewAdd:     {vv: addVV[T], vs: addVS[T], sv: addSV[T]},
		ewSub - ewAdd:     {vv: subVV[T], vs: subVS[T], sv: subSV[T]},
		ewMul - ewAdd:     {vv: mulVV[T], vs: mulVS[T], sv: mulSV[T]},
		ewDiv - ewAdd:     {vv: divVV[T], vs: divVS[T], sv: divSV[T]},
		ewPow - ewAdd:     {vv: powVV[T], vs: powVS[T], sv: powSV[T]},
		ewMax - ewAdd:     {vv: maxVV[T], vs: maxVS[T], sv: maxSV[T]},
		ewMin - ewAdd:     {vv: minVV[T], vs: minVS[T], sv: minSV[T]},
		ewGreater - ewAdd: {vv: greaterVV[T], vs: greaterVS[T], sv: greaterSV[T]},
		ewEqual - ewAdd:   {vv: equalVV[T], vs: equalVS[T], sv: equalSV[T]},
	}}
	t.fast = t.plain
	addAsmLoops(t)
	return t
}

// binaryRow is the broadcast driver of the binary ops: it takes op's loops
// for T (the vector ones where they run: AVX2, simdOff unset) and calls the
// one for the operand form. Two repeated elements give one result, copied.
func binaryRow[T Float](op int, dst, x, y []T) {
	n := len(dst)
	if n == 0 {
		return
	}
	// The size picks the table at compile time, leaving one type check.
	var t *binaryTable[T]
	var ok bool
	if unsafe.Sizeof(T(0)) == 4 {
		t, ok = any(binary32).(*binaryTable[T])
	} else {
		t, ok = any(binary64).(*binaryTable[T])
	}
	if !ok {
		t = newBinaryTable[T]() // a named float type: built per call
	}
	l := &t.plain[op-ewAdd]
	if X86.HasAVX2 && !simdOff {
		l = &t.fast[op-ewAdd] // vector loops where they run
	}
	switch {
	case len(x) == n && len(y) == n:
		if l.avv != nil {
			l.avv(&dst[0], &x[0], &y[0], n)
		} else {
			l.vv(dst, x, y)
		}
	case len(x) == n:
		if l.avs != nil {
			l.avs(&dst[0], &x[0], n, y[0])
		} else {
			l.vs(dst, x, y[0])
		}
	case len(y) == n:
		if l.asv != nil {
			l.asv(&dst[0], &y[0], n, x[0])
		} else {
			l.sv(dst, x[0], y)
		}
	default:
		if len(x) != 1 || len(y) != 1 {
			panic("kernels: binary row operands do not broadcast")
		}
		l.vv(dst[:1], x, y) // the Go loop, as for every op
		c := dst[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

// The loops re-slice their operands to dst's length so that the compiler
// drops the bounds checks.

func addVV[T Float](dst, x, y []T) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

func addVS[T Float](dst, x []T, c T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + c
	}
}

func addSV[T Float](dst []T, c T, y []T) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = c + y[i]
	}
}

func subVV[T Float](dst, x, y []T) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] - y[i]
	}
}

func subVS[T Float](dst, x []T, c T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] - c
	}
}

func subSV[T Float](dst []T, c T, y []T) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = c - y[i]
	}
}

func mulVV[T Float](dst, x, y []T) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

func mulVS[T Float](dst, x []T, c T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * c
	}
}

func mulSV[T Float](dst []T, c T, y []T) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = c * y[i]
	}
}

func divVV[T Float](dst, x, y []T) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] / y[i]
	}
}

func divVS[T Float](dst, x []T, c T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] / c
	}
}

func divSV[T Float](dst []T, c T, y []T) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = c / y[i]
	}
}

func powVV[T Float](dst, x, y []T) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = T(math.Pow(float64(x[i]), float64(y[i])))
	}
}

func powVS[T Float](dst, x []T, c T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = T(math.Pow(float64(x[i]), float64(c)))
	}
}

func powSV[T Float](dst []T, c T, y []T) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = T(math.Pow(float64(c), float64(y[i])))
	}
}

func maxVV[T Float](dst, x, y []T) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = max(x[i], y[i])
	}
}

func maxVS[T Float](dst, x []T, c T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = max(x[i], c)
	}
}

func maxSV[T Float](dst []T, c T, y []T) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = max(c, y[i])
	}
}

func minVV[T Float](dst, x, y []T) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = min(x[i], y[i])
	}
}

func minVS[T Float](dst, x []T, c T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = min(x[i], c)
	}
}

func minSV[T Float](dst []T, c T, y []T) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = min(c, y[i])
	}
}

func greaterVV[T Float](dst, x, y []T) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = b2f[T](x[i] > y[i])
	}
}

func greaterVS[T Float](dst, x []T, c T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = b2f[T](x[i] > c)
	}
}

func greaterSV[T Float](dst []T, c T, y []T) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = b2f[T](c > y[i])
	}
}

func equalVV[T Float](dst, x, y []T) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = b2f[T](x[i] == y[i])
	}
}

func equalVS[T Float](dst, x []T, c T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = b2f[T](x[i] == c)
	}
}

func equalSV[T Float](dst []T, c T, y []T) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = b2f[T](c == y[i])
	}
}

func b2f[T Float](b bool) T {
	if b {
		return 1
	}
	return 0
}
