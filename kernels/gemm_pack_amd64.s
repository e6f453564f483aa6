//go:build amd64 && !noasm

#include "textflag.h"

// func packT4(dst, src *float32, lds, n, ld int, alpha float32)
//
// For r < 4 and l < n (n a multiple of 4): dst[l*ld+r] = alpha*src[r*lds+l].
// Four rows of src are read four columns at a time and transposed in
// registers (SSE, which every amd64 processor has).
TEXT ·packT4(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ n+24(FP), CX
	SHRQ $2, CX
	JZ   done
	MOVQ ld+32(FP), R9
	SHLQ $2, R9
	MOVSS alpha+40(FP), X7
	SHUFPS $0, X7, X7
	LEAQ (R8)(R8*2), R10 // 3 rows of src
	LEAQ (R9)(R9*2), R11 // 3 rows of dst

loop:
	MOVUPS (SI), X0        // a0 a1 a2 a3
	MOVUPS (SI)(R8*1), X1  // b0 b1 b2 b3
	MOVUPS (SI)(R8*2), X2  // c0 c1 c2 c3
	MOVUPS (SI)(R10*1), X3 // d0 d1 d2 d3
	MOVAPS X0, X4
	UNPCKLPS X1, X4        // a0 b0 a1 b1
	UNPCKHPS X1, X0        // a2 b2 a3 b3
	MOVAPS X2, X5
	UNPCKLPS X3, X5        // c0 d0 c1 d1
	UNPCKHPS X3, X2        // c2 d2 c3 d3
	MOVAPS X4, X1
	MOVLHPS X5, X1         // a0 b0 c0 d0
	MOVHLPS X4, X5         // a1 b1 c1 d1
	MOVAPS X0, X6
	MOVLHPS X2, X6         // a2 b2 c2 d2
	MOVHLPS X0, X2         // a3 b3 c3 d3
	MULPS X7, X1
	MULPS X7, X5
	MULPS X7, X6
	MULPS X7, X2
	MOVUPS X1, (DI)
	MOVUPS X5, (DI)(R9*1)
	MOVUPS X6, (DI)(R9*2)
	MOVUPS X2, (DI)(R11*1)
	ADDQ $16, SI
	LEAQ (DI)(R9*4), DI
	DECQ CX
	JNZ  loop

done:
	RET

// func packRows8(dst, src *float32, lds, n, w, ld int, alpha float32)
//
// For l < n and j < w (w a positive multiple of 4):
// dst[l*ld+j] = alpha*src[l*lds+j], eight columns at a time with AVX, then
// four.
TEXT ·packRows8(SB), NOSPLIT, $0-52
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JZ   edone
	MOVQ w+32(FP), R10
	SHLQ $2, R10
	MOVQ ld+40(FP), R9
	SHLQ $2, R9
	VBROADCASTSS alpha+48(FP), Y7

erow:
	XORQ AX, AX

ecol:
	LEAQ 32(AX), DX
	CMPQ DX, R10
	JGT  etail
	VMULPS (SI)(AX*1), Y7, Y0
	VMOVUPS Y0, (DI)(AX*1)
	MOVQ DX, AX
	JMP  ecol

etail:
	CMPQ AX, R10
	JGE  enext
	VMULPS (SI)(AX*1), X7, X0
	VMOVUPS X0, (DI)(AX*1)

enext:
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  erow
	VZEROUPPER

edone:
	RET

// func packPanels8(dst, src *float32, lds, n, panels, nr, pstride, ld int, alpha float32)
//
// For l < n, p < panels and c < nr (a positive multiple of 8):
// dst[p*pstride+l*ld+c] = alpha*src[l*lds+p*nr+c]. A row of src is read in
// order into every panel before the next row, eight columns at a time
// with AVX.
TEXT ·packPanels8(SB), NOSPLIT, $0-68
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JZ   pdone
	MOVQ panels+32(FP), R11
	MOVQ nr+40(FP), R10
	SHLQ $2, R10
	MOVQ pstride+48(FP), R12
	SHLQ $2, R12
	MOVQ ld+56(FP), R9
	SHLQ $2, R9
	VBROADCASTSS alpha+64(FP), Y7

prow:
	MOVQ SI, BX
	MOVQ DI, R13
	MOVQ R11, DX

ppanel:
	XORQ AX, AX

pcol:
	VMULPS (BX)(AX*1), Y7, Y0
	VMOVUPS Y0, (R13)(AX*1)
	ADDQ $32, AX
	CMPQ AX, R10
	JLT  pcol
	ADDQ R10, BX
	ADDQ R12, R13
	DECQ DX
	JNZ  ppanel
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  prow
	VZEROUPPER

pdone:
	RET

// func packT8(dst, src *float32, lds, n, ld int, alpha float32)
//
// For r < 8 and l < n (n a multiple of 8): dst[l*ld+r] = alpha*src[r*lds+l].
// Eight rows of src are read eight columns at a time (AVX), scaled, and
// transposed in registers: unpack pairs of rows, shuffle pairs of those,
// then exchange 128-bit halves.
TEXT ·packT8(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   t8done
	MOVQ ld+32(FP), R9
	SHLQ $2, R9
	VBROADCASTSS alpha+40(FP), Y15
	LEAQ (R8)(R8*2), R10 // 3 rows of src
	LEAQ (R9)(R9*2), R11 // 3 rows of dst
	LEAQ (R8)(R8*4), R12 // 5 rows of src
	LEAQ (R9)(R9*4), R13 // 5 rows of dst

t8loop:
	MOVQ SI, AX
	VMULPS (AX), Y15, Y0
	VMULPS (AX)(R8*1), Y15, Y1
	VMULPS (AX)(R8*2), Y15, Y2
	VMULPS (AX)(R10*1), Y15, Y3
	VMULPS (AX)(R8*4), Y15, Y4
	VMULPS (AX)(R12*1), Y15, Y5
	LEAQ (AX)(R10*2), AX // row 6
	VMULPS (AX), Y15, Y6
	VMULPS (AX)(R8*1), Y15, Y7
	VUNPCKLPS Y1, Y0, Y8  // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS Y1, Y0, Y9  // a2 b2 a3 b3 | a6 b6 a7 b7
	VUNPCKLPS Y3, Y2, Y10 // c0 d0 c1 d1 | ...
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12 // e0 f0 e1 f1 | ...
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14 // g0 h0 g1 h1 | ...
	VUNPCKHPS Y7, Y6, Y0
	VSHUFPS $0x44, Y10, Y8, Y1 // a0 b0 c0 d0 | a4 b4 c4 d4
	VSHUFPS $0xEE, Y10, Y8, Y2 // a1 b1 c1 d1 | a5 ...
	VSHUFPS $0x44, Y11, Y9, Y3 // a2 ... | a6 ...
	VSHUFPS $0xEE, Y11, Y9, Y4 // a3 ... | a7 ...
	VSHUFPS $0x44, Y14, Y12, Y5 // e0 f0 g0 h0 | e4 ...
	VSHUFPS $0xEE, Y14, Y12, Y6
	VSHUFPS $0x44, Y0, Y13, Y7
	VSHUFPS $0xEE, Y0, Y13, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9 // column 0
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x20, Y8, Y4, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13 // column 4
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y0
	VPERM2F128 $0x31, Y8, Y4, Y1
	MOVQ DI, BX
	VMOVUPS Y9, (BX)
	VMOVUPS Y10, (BX)(R9*1)
	VMOVUPS Y11, (BX)(R9*2)
	VMOVUPS Y12, (BX)(R11*1)
	VMOVUPS Y13, (BX)(R9*4)
	VMOVUPS Y14, (BX)(R13*1)
	LEAQ (BX)(R11*2), BX // column 6
	VMOVUPS Y0, (BX)
	VMOVUPS Y1, (BX)(R9*1)
	ADDQ $32, SI
	LEAQ (DI)(R9*8), DI
	DECQ CX
	JNZ  t8loop
	VZEROUPPER

t8done:
	RET
