//go:build amd64 && !noasm

#include "textflag.h"

// func flushSub32(x *float32, n int)
//
// Clears the mantissa of every element of x[:n] (n a multiple of 8) whose
// exponent bits are zero: a subnormal becomes a zero of its sign, a zero
// stays. Integer operations only, so no microcode assist.
TEXT ·flushSub32(SB), NOSPLIT, $0-16
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVL         $0x7f800000, AX
	MOVQ         AX, X1
	VPBROADCASTD X1, Y1 // exponent bits
	MOVL         $0x007fffff, AX
	MOVQ         AX, X2
	VPBROADCASTD X2, Y2 // mantissa bits
	VPXOR        Y4, Y4, Y4

loop:
	CMPQ     CX, $8
	JL       done
	VMOVDQU  (SI), Y0
	VPAND    Y1, Y0, Y3
	VPCMPEQD Y4, Y3, Y3 // exponent zero
	VPAND    Y2, Y3, Y3
	VPANDN   Y0, Y3, Y0 // its mantissa cleared
	VMOVDQU  Y0, (SI)
	ADDQ     $32, SI
	SUBQ     $8, CX
	JMP      loop

done:
	VZEROUPPER
	RET
