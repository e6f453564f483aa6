//go:build amd64 && !noasm

#include "textflag.h"

// func adamAVX512(n int, dst, p, gr, m, v *float32, c *[7]float32)
//
// One Adam step over n elements (a multiple of 16), c holding B1, C1, B2,
// C2, Eps, StepSize and BC2Sqrt: the operations of adamUpdate (no decay,
// no mask) in its order, each rounded to float32 (no fused multiply-add),
// so the same bits. dst may be p or g: both are read before dst is
// written.
TEXT ·adamAVX512(SB), NOSPLIT, $0-56
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ p+16(FP), SI
	MOVQ gr+24(FP), R8
	MOVQ m+32(FP), R9
	MOVQ v+40(FP), R10
	MOVQ c+48(FP), R11
	SHRQ $4, CX
	JZ   adam512done
	VBROADCASTSS 0(R11), Z16  // B1
	VBROADCASTSS 4(R11), Z17  // C1
	VBROADCASTSS 8(R11), Z18  // B2
	VBROADCASTSS 12(R11), Z19 // C2
	VBROADCASTSS 16(R11), Z20 // Eps
	VBROADCASTSS 20(R11), Z21 // StepSize
	VBROADCASTSS 24(R11), Z22 // BC2Sqrt
	XORQ AX, AX

adam512loop:
	VMOVUPS (R8)(AX*1), Z0  // g
	VMOVUPS (R9)(AX*1), Z1  // m
	VMOVUPS (R10)(AX*1), Z2 // v
	VMOVUPS (SI)(AX*1), Z7  // p
	VMULPS  Z16, Z1, Z1     // B1·m
	VMULPS  Z17, Z0, Z3     // C1·g
	VADDPS  Z3, Z1, Z1      // m' = B1·m + C1·g
	VMULPS  Z0, Z0, Z4      // g²
	VMULPS  Z19, Z4, Z4     // C2·g²
	VMULPS  Z18, Z2, Z2     // B2·v
	VADDPS  Z4, Z2, Z2      // v' = B2·v + C2·g²
	VMOVUPS Z1, (R9)(AX*1)
	VMOVUPS Z2, (R10)(AX*1)
	VSQRTPS Z2, Z5          // √v'
	VDIVPS  Z22, Z5, Z5     // √v'/BC2Sqrt
	VADDPS  Z20, Z5, Z5     // + Eps
	VDIVPS  Z5, Z1, Z6      // m'/(…)
	VMULPS  Z21, Z6, Z6     // StepSize·(…)
	VSUBPS  Z6, Z7, Z7      // p - StepSize·(…)
	VMOVUPS Z7, (DI)(AX*1)
	ADDQ    $64, AX
	DECQ    CX
	JNZ     adam512loop
	VZEROUPPER

adam512done:
	RET

// func adamAVX2(n int, dst, p, gr, m, v *float32, c *[7]float32)
//
// adamAVX512 with AVX, 8 elements at a time (n a multiple of 8).
TEXT ·adamAVX2(SB), NOSPLIT, $0-56
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ p+16(FP), SI
	MOVQ gr+24(FP), R8
	MOVQ m+32(FP), R9
	MOVQ v+40(FP), R10
	MOVQ c+48(FP), R11
	SHRQ $3, CX
	JZ   adam2done
	VBROADCASTSS 0(R11), Y8   // B1
	VBROADCASTSS 4(R11), Y9   // C1
	VBROADCASTSS 8(R11), Y10  // B2
	VBROADCASTSS 12(R11), Y11 // C2
	VBROADCASTSS 16(R11), Y12 // Eps
	VBROADCASTSS 20(R11), Y13 // StepSize
	VBROADCASTSS 24(R11), Y14 // BC2Sqrt
	XORQ AX, AX

adam2loop:
	VMOVUPS (R8)(AX*1), Y0  // g
	VMOVUPS (R9)(AX*1), Y1  // m
	VMOVUPS (R10)(AX*1), Y2 // v
	VMOVUPS (SI)(AX*1), Y7  // p
	VMULPS  Y8, Y1, Y1
	VMULPS  Y9, Y0, Y3
	VADDPS  Y3, Y1, Y1
	VMULPS  Y0, Y0, Y4
	VMULPS  Y11, Y4, Y4
	VMULPS  Y10, Y2, Y2
	VADDPS  Y4, Y2, Y2
	VMOVUPS Y1, (R9)(AX*1)
	VMOVUPS Y2, (R10)(AX*1)
	VSQRTPS Y2, Y5
	VDIVPS  Y14, Y5, Y5
	VADDPS  Y12, Y5, Y5
	VDIVPS  Y5, Y1, Y6
	VMULPS  Y13, Y6, Y6
	VSUBPS  Y6, Y7, Y7
	VMOVUPS Y7, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    CX
	JNZ     adam2loop
	VZEROUPPER

adam2done:
	RET
