//go:build amd64 && !noasm

#include "textflag.h"

// Masks for VMASKMOVPS: the 8 dwords at byte offset 4·(8-m) enable the
// first m lanes.
DATA poolmask<>+0(SB)/8, $0xffffffffffffffff
DATA poolmask<>+8(SB)/8, $0xffffffffffffffff
DATA poolmask<>+16(SB)/8, $0xffffffffffffffff
DATA poolmask<>+24(SB)/8, $0xffffffffffffffff
DATA poolmask<>+32(SB)/8, $0
DATA poolmask<>+40(SB)/8, $0
DATA poolmask<>+48(SB)/8, $0
DATA poolmask<>+56(SB)/8, $0
GLOBL poolmask<>(SB), RODATA|NOPTR, $64

// POOL2X2 computes Y4 = the first maximum of the 2x2 windows of the 16
// inputs Y0, Y1 (row 0) and Y2, Y3 (row 1), in output order, and ORs into
// Y15 the lanes where a window holds a NaN. VMAXPS x, y, d is d = y > x ?
// y : x, which keeps the earlier operand x on ties (signed zeros).
#define POOL2X2 \
	VSHUFPS $0x88, Y1, Y0, Y4 \
	VSHUFPS $0xDD, Y1, Y0, Y5 \
	VSHUFPS $0x88, Y3, Y2, Y6 \
	VSHUFPS $0xDD, Y3, Y2, Y7 \
	VCMPPS  $3, Y5, Y4, Y8    \
	VCMPPS  $3, Y7, Y6, Y9    \
	VORPS   Y8, Y9, Y8        \
	VORPS   Y8, Y15, Y15      \
	VMAXPS  Y4, Y5, Y4        \
	VMAXPS  Y6, Y7, Y6        \
	VMAXPS  Y4, Y6, Y4        \
	VPERMPD $0xD8, Y4, Y4

// func maxPool2x2F32(dst, x *float32, rows, n, w int) (nan int)
TEXT ·maxPool2x2F32(SB), NOSPLIT, $0-48
	MOVQ   dst+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   rows+16(FP), BX
	MOVQ   n+24(FP), R14
	MOVQ   w+32(FP), R15
	SHLQ   $2, R15
	VXORPS Y15, Y15, Y15

	// The tail masks, for n%8 outputs: R10 = 4·(8 - min(2t, 8)),
	// R11 = 4·(8 - max(2t-8, 0)), R12 = 4·(8-t), t = n%8.
	LEAQ    poolmask<>(SB), R8
	MOVQ    R14, CX
	ANDQ    $7, CX
	MOVQ    CX, R9
	SHLQ    $1, R9
	MOVQ    $8, R10
	SUBQ    R9, R10
	XORQ    R13, R13
	CMPQ    R10, $0
	CMOVQLT R13, R10
	MOVQ    $16, R11
	SUBQ    R9, R11
	MOVQ    $8, R13
	CMPQ    R11, $8
	CMOVQGT R13, R11
	MOVQ    $8, R12
	SUBQ    CX, R12
	SHLQ    $2, R10
	SHLQ    $2, R11
	SHLQ    $2, R12
	VMOVDQU (R8)(R10*1), Y10
	VMOVDQU (R8)(R11*1), Y11
	VMOVDQU (R8)(R12*1), Y12

row:
	TESTQ BX, BX
	JE    done
	MOVQ  SI, AX         // this row pair's start
	LEAQ  (SI)(R15*1), DX
	MOVQ  R14, CX

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (DX), Y2
	VMOVUPS 32(DX), Y3
	POOL2X2
	VMOVUPS Y4, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JE         next
	VMASKMOVPS (SI), Y10, Y0
	VMASKMOVPS 32(SI), Y11, Y1
	VMASKMOVPS (DX), Y10, Y2
	VMASKMOVPS 32(DX), Y11, Y3
	POOL2X2
	VMASKMOVPS Y4, Y12, (DI)
	LEAQ       (DI)(CX*4), DI

next:
	LEAQ (AX)(R15*2), SI // the next row pair
	DECQ BX
	JMP  row

done:
	VMOVMSKPS Y15, AX
	VZEROUPPER
	MOVQ      AX, nan+40(FP)
	RET
