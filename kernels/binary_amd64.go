//go:build amd64 && !noasm

package kernels

// addAsmLoops puts into t.fast the AVX2 loops of fused_amd64.s for the
// binary ops that have them (add, sub, mul, div, greater, equal), bitwise
// equal to their Go loops. They run only where the processor has AVX2
// (binaryRow).
func addAsmLoops[T Float](t *binaryTable[T]) {
	switch t := any(t).(type) {
	case *binaryTable[float32]:
		setAsm(&t.fast[ewAdd-ewAdd], addVV32, addVS32, addSV32)
		setAsm(&t.fast[ewSub-ewAdd], subVV32, subVS32, subSV32)
		setAsm(&t.fast[ewMul-ewAdd], mulVV32, mulVS32, mulSV32)
		setAsm(&t.fast[ewDiv-ewAdd], divVV32, divVS32, divSV32)
		setAsm(&t.fast[ewGreater-ewAdd], greaterVV32, greaterVS32, greaterSV32)
		setAsm(&t.fast[ewEqual-ewAdd], equalVV32, equalVS32, equalSV32)
	case *binaryTable[float64]:
		setAsm(&t.fast[ewAdd-ewAdd], addVV64, addVS64, addSV64)
		setAsm(&t.fast[ewSub-ewAdd], subVV64, subVS64, subSV64)
		setAsm(&t.fast[ewMul-ewAdd], mulVV64, mulVS64, mulSV64)
		setAsm(&t.fast[ewDiv-ewAdd], divVV64, divVS64, divSV64)
		setAsm(&t.fast[ewGreater-ewAdd], greaterVV64, greaterVS64, greaterSV64)
		setAsm(&t.fast[ewEqual-ewAdd], equalVV64, equalVS64, equalSV64)
	}
}

func setAsm[T Float](l *binaryLoops[T], vv func(dst, x, y *T, n int), vs, sv func(dst, x *T, n int, c T)) {
	l.avv, l.avs, l.asv = vv, vs, sv
}
