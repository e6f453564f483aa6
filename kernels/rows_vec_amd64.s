//go:build amd64 && !noasm

#include "textflag.h"

// func maxRow32AVX2(x *float32, n int) float32
// The eight lanes start from x[0:8]; each further block of eight is taken
// where it is larger (VMAXPS keeps its second Go operand, the new block,
// where either is a NaN); then the lanes are reduced pairwise.
TEXT ·maxRow32AVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VMOVUPS (SI), Y0
	ADDQ $32, SI
	SUBQ $8, CX
loop:
	CMPQ CX, $8
	JL done
	VMOVUPS (SI), Y1
	VMAXPS Y1, Y0, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP loop
done:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4E, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xB1, X0, X1
	VMAXPS X1, X0, X0
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// DOT4(off, A): A += a·b for the four floats at byte offset off of SI (a)
// and DX (b), in float64.
#define DOT4(off, A) \
	VCVTPS2PD off(SI), Y4; \
	VCVTPS2PD off(DX), Y5; \
	VMULPD Y5, Y4, Y4; \
	VADDPD Y4, A, A

// func dot16AVX2(a, b *float32, n int, acc *[16]float64)
TEXT ·dot16AVX2(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ n+16(FP), CX
	MOVQ acc+24(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
loop:
	CMPQ CX, $16
	JL done
	DOT4(0, Y0)
	DOT4(16, Y1)
	DOT4(32, Y2)
	DOT4(48, Y3)
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $16, CX
	JMP loop
done:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET
