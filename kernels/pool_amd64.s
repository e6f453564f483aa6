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

// TAILMASKS loads the masks of the last n%8 windows of a row pair, n in
// R14: Y10 and Y11 for the row's two groups of 8 inputs (the first 2t
// lanes of the 16), Y12 for the t outputs, t = n%8; R10 = 4·(8 - min(2t,
// 8)), R11 = 4·(8 - max(2t-8, 0)) and R12 = 4·(8-t) are the masks' byte
// offsets in poolmask. It clobbers R8-R13 and CX.
#define TAILMASKS \
	LEAQ    poolmask<>(SB), R8 \
	MOVQ    R14, CX            \
	ANDQ    $7, CX             \
	MOVQ    CX, R9             \
	SHLQ    $1, R9             \
	MOVQ    $8, R10            \
	SUBQ    R9, R10            \
	XORQ    R13, R13           \
	CMPQ    R10, $0            \
	CMOVQLT R13, R10           \
	MOVQ    $16, R11           \
	SUBQ    R9, R11            \
	MOVQ    $8, R13            \
	CMPQ    R11, $8            \
	CMOVQGT R13, R11           \
	MOVQ    $8, R12            \
	SUBQ    CX, R12            \
	SHLQ    $2, R10            \
	SHLQ    $2, R11            \
	SHLQ    $2, R12            \
	VMOVDQU (R8)(R10*1), Y10   \
	VMOVDQU (R8)(R11*1), Y11   \
	VMOVDQU (R8)(R12*1), Y12

// SPLIT2X2 deinterleaves the 16 inputs Y0, Y1 (row 0) and Y2, Y3 (row 1)
// of 8 windows into each window's four elements in order, Y4, Y5 (row 0's
// even and odd elements) and Y6, Y7 (row 1's), in window order 0,1,4,5 |
// 2,3,6,7; it ORs into Y15 the lanes where a window holds a NaN.
#define SPLIT2X2 \
	VSHUFPS $0x88, Y1, Y0, Y4 \
	VSHUFPS $0xDD, Y1, Y0, Y5 \
	VSHUFPS $0x88, Y3, Y2, Y6 \
	VSHUFPS $0xDD, Y3, Y2, Y7 \
	VCMPPS  $3, Y5, Y4, Y8    \
	VCMPPS  $3, Y7, Y6, Y9    \
	VORPS   Y8, Y9, Y8        \
	VORPS   Y8, Y15, Y15

// POOL2X2 computes Y4 = the first maximum of the 2x2 windows of the 16
// inputs Y0, Y1 (row 0) and Y2, Y3 (row 1), in output order, and ORs into
// Y15 the lanes where a window holds a NaN. VMAXPS x, y, d is d = y > x ?
// y : x, which keeps the earlier operand x on ties (signed zeros).
#define POOL2X2 \
	SPLIT2X2                  \
	VMAXPS  Y4, Y5, Y4        \
	VMAXPS  Y6, Y7, Y6        \
	VMAXPS  Y4, Y6, Y4        \
	VPERMPD $0xD8, Y4, Y4

// POOLGRAD2X2 takes the 16 inputs Y0, Y1 (row 0) and Y2, Y3 (row 1) of 8
// windows and their gradients Y14 in window order; it leaves in Y4, Y5
// (row 0) and Y6, Y7 (row 1) each window's gradient at its first maximum
// and zeros elsewhere, and ORs into Y15 the lanes where a window holds a
// NaN. The maximum m is one of the four values when none is NaN, so
// equality finds it; -0 == +0, so the first of equal zeros wins, as in
// argmax2x2.
#define POOLGRAD2X2 \
	SPLIT2X2                    \
	VMAXPS    Y4, Y5, Y9        \
	VMAXPS    Y6, Y7, Y13       \
	VMAXPS    Y9, Y13, Y9       \
	VPERMPD   $0xD8, Y14, Y14   \
	VCMPPS    $0, Y9, Y4, Y0    \
	VCMPPS    $0, Y9, Y5, Y1    \
	VANDNPS   Y1, Y0, Y1        \
	VCMPPS    $0, Y9, Y6, Y2    \
	VORPS     Y0, Y1, Y3        \
	VANDNPS   Y2, Y3, Y2        \
	VORPS     Y3, Y2, Y3        \
	VANDPS    Y14, Y0, Y0       \
	VANDPS    Y14, Y1, Y1       \
	VANDPS    Y14, Y2, Y2       \
	VANDNPS   Y14, Y3, Y3       \
	VUNPCKLPS Y1, Y0, Y4        \
	VUNPCKHPS Y1, Y0, Y5        \
	VUNPCKLPS Y3, Y2, Y6        \
	VUNPCKHPS Y3, Y2, Y7

// func maxPool2x2F32(dst, x *float32, rows, n, w int) (nan int)
TEXT ·maxPool2x2F32(SB), NOSPLIT, $0-48
	MOVQ   dst+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   rows+16(FP), BX
	MOVQ   n+24(FP), R14
	MOVQ   w+32(FP), R15
	SHLQ   $2, R15
	VXORPS Y15, Y15, Y15

	TAILMASKS

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

// func maxPool2x2GradF32(dx, x, grad *float32, rows, n, w int) (nan int)
//
// For each of rows row pairs of x (rows of w = 2n elements, the pairs
// contiguous) and each window j of the pair's n windows, it writes grad[j] to
// the window's first maximum in dx and zeros to its other three elements;
// grad advances by n a pair. The deinterleaved rows A, B (row 0's even and odd
// elements) and C, D (row 1's) hold windows 0,1,4,5 | 2,3,6,7 of 8; grad is
// put in the same order (VPERMPD $0xD8) and VUNPCK{L,H}PS put the masked
// gradients back in element order. It returns nonzero when a window holds
// a NaN (the caller then recomputes everything in Go).
TEXT ·maxPool2x2GradF32(SB), NOSPLIT, $0-56
	MOVQ   dx+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   rows+24(FP), BX
	MOVQ   n+32(FP), R14
	MOVQ   w+40(FP), R15
	SHLQ   $2, R15
	VXORPS Y15, Y15, Y15

	TAILMASKS
	MOVQ grad+16(FP), R9

growp:
	TESTQ BX, BX
	JE    gdone
	MOVQ  SI, AX                // this row pair's start in x
	MOVQ  DI, R10               // and in dx
	LEAQ  (SI)(R15*1), DX
	LEAQ  (DI)(R15*1), R8
	MOVQ  R14, CX

gloop:
	CMPQ    CX, $8
	JL      gtail
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (DX), Y2
	VMOVUPS 32(DX), Y3
	VMOVUPS (R9), Y14
	POOLGRAD2X2
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	VMOVUPS Y6, (R8)
	VMOVUPS Y7, 32(R8)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	ADDQ    $64, R8
	ADDQ    $32, R9
	SUBQ    $8, CX
	JMP     gloop

gtail:
	TESTQ      CX, CX
	JE         gnext
	VMASKMOVPS (SI), Y10, Y0
	VMASKMOVPS 32(SI), Y11, Y1
	VMASKMOVPS (DX), Y10, Y2
	VMASKMOVPS 32(DX), Y11, Y3
	VMASKMOVPS (R9), Y12, Y14
	POOLGRAD2X2
	VMASKMOVPS Y4, Y10, (DI)
	VMASKMOVPS Y5, Y11, 32(DI)
	VMASKMOVPS Y6, Y10, (R8)
	VMASKMOVPS Y7, Y11, 32(R8)
	LEAQ       (R9)(CX*4), R9

gnext:
	LEAQ (AX)(R15*2), SI // the next row pair
	LEAQ (R10)(R15*2), DI
	DECQ BX
	JMP  growp

gdone:
	VMOVMSKPS Y15, AX
	VZEROUPPER
	MOVQ      AX, nan+48(FP)
	RET
