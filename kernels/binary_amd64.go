//go:build amd64 && !noasm

package kernels

// The binary ops with AVX2 loops in fused_amd64.s (add, sub, mul, div,
// greater, equal), bitwise equal to their Go loops, as binaryLoops for the
// broadcast driver. The other ops' entries are empty.
var (
	asmBinary32 = &[nBinary]binaryLoops[float32]{
		ewAdd - ewAdd:     asmLoops(addVV32, addVS32, addSV32),
		ewSub - ewAdd:     asmLoops(subVV32, subVS32, subSV32),
		ewMul - ewAdd:     asmLoops(mulVV32, mulVS32, mulSV32),
		ewDiv - ewAdd:     asmLoops(divVV32, divVS32, divSV32),
		ewGreater - ewAdd: asmLoops(greaterVV32, greaterVS32, greaterSV32),
		ewEqual - ewAdd:   asmLoops(equalVV32, equalVS32, equalSV32),
	}
	asmBinary64 = &[nBinary]binaryLoops[float64]{
		ewAdd - ewAdd:     asmLoops(addVV64, addVS64, addSV64),
		ewSub - ewAdd:     asmLoops(subVV64, subVS64, subSV64),
		ewMul - ewAdd:     asmLoops(mulVV64, mulVS64, mulSV64),
		ewDiv - ewAdd:     asmLoops(divVV64, divVS64, divSV64),
		ewGreater - ewAdd: asmLoops(greaterVV64, greaterVS64, greaterSV64),
		ewEqual - ewAdd:   asmLoops(equalVV64, equalVS64, equalSV64),
	}
)

// asmLoops wraps one op's three assembly loops (the SV loop takes the row
// operand first and the repeated element last).
func asmLoops[T Float](vv func(dst, x, y *T, n int), vs, sv func(dst, x *T, n int, c T)) binaryLoops[T] {
	return binaryLoops[T]{
		vv: func(dst, x, y []T) { vv(&dst[0], &x[0], &y[0], len(dst)) },
		vs: func(dst, x []T, c T) { vs(&dst[0], &x[0], len(dst), c) },
		sv: func(dst []T, c T, y []T) { sv(&dst[0], &y[0], len(dst), c) },
	}
}

// asmBinaryLoops returns op's vector loops for T, or nil when the processor
// lacks AVX2, the vector code is off (simdOff) or op has none.
func asmBinaryLoops[T Float](op int) *binaryLoops[T] {
	if !X86.HasAVX2 || simdOff {
		return nil
	}
	var l *binaryLoops[T]
	if t, ok := any(asmBinary32).(*[nBinary]binaryLoops[T]); ok {
		l = &t[op-ewAdd]
	} else if t, ok := any(asmBinary64).(*[nBinary]binaryLoops[T]); ok {
		l = &t[op-ewAdd]
	}
	if l == nil || l.vv == nil {
		return nil
	}
	return l
}
