//go:build amd64 && !noasm

#include "textflag.h"

// Layer normalization's f32 rows (layernorm_rows.go) in AVX2: four float32
// converted to four float64 per register, the same IEEE operations in the
// same order as the Go loops, no fused multiply-adds, so the results are
// bitwise those of the Go code. The reductions keep 16 lanes in four
// registers (lane k: elements i ≡ k mod 16).

// The 16 lanes of a reduction: Y0-Y3 zeroed (ZERO4), stored to DI
// (STORE4); LOAD16 converts the 16 floats at SI to Y4-Y7, ADD4 adds them
// to the lanes.
#define ZERO4 \
	VXORPD Y0, Y0, Y0; \
	VXORPD Y1, Y1, Y1; \
	VXORPD Y2, Y2, Y2; \
	VXORPD Y3, Y3, Y3

#define STORE4 \
	VMOVUPD Y0, (DI); \
	VMOVUPD Y1, 32(DI); \
	VMOVUPD Y2, 64(DI); \
	VMOVUPD Y3, 96(DI)

#define LOAD16 \
	VCVTPS2PD (SI), Y4; \
	VCVTPS2PD 16(SI), Y5; \
	VCVTPS2PD 32(SI), Y6; \
	VCVTPS2PD 48(SI), Y7

#define ADD4 \
	VADDPD Y4, Y0, Y0; \
	VADDPD Y5, Y1, Y1; \
	VADDPD Y6, Y2, Y2; \
	VADDPD Y7, Y3, Y3

// func lnSum16AVX2(x *float32, n int, acc *[16]float64)
TEXT ·lnSum16AVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ acc+16(FP), DI
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
loop:
	CMPQ CX, $16
	JL done
	LOAD16
	ADD4
	ADDQ $64, SI
	SUBQ $16, CX
	JMP loop
done:
	STORE4
	VZEROUPPER
	RET

// func lnSqDev16AVX2(x *float32, n int, mu float64, acc *[16]float64)
TEXT ·lnSqDev16AVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD mu+16(FP), Y8
	MOVQ acc+24(FP), DI
	ZERO4
loop:
	CMPQ CX, $16
	JL done
	LOAD16
	VSUBPD Y8, Y4, Y4
	VSUBPD Y8, Y5, Y5
	VSUBPD Y8, Y6, Y6
	VSUBPD Y8, Y7, Y7
	VMULPD Y4, Y4, Y4
	VMULPD Y5, Y5, Y5
	VMULPD Y6, Y6, Y6
	VMULPD Y7, Y7, Y7
	ADD4
	ADDQ $64, SI
	SUBQ $16, CX
	JMP loop
done:
	STORE4
	VZEROUPPER
	RET

// GRADSUM(off, S, X): v = g·gamma for the four elements at byte offset off,
// S += v, X += ((x - mu)·inv)·v (Y14 = mu, Y15 = inv).
#define GRADSUM(off, S, X) \
	VCVTPS2PD off(DX), Y8; \
	VCVTPS2PD off(R8), Y9; \
	VMULPD Y9, Y8, Y8; \
	VADDPD Y8, S, S; \
	VCVTPS2PD off(SI), Y10; \
	VSUBPD Y14, Y10, Y10; \
	VMULPD Y15, Y10, Y10; \
	VMULPD Y8, Y10, Y10; \
	VADDPD Y10, X, X

// func lnGradSums16AVX2(x, gr, gamma *float32, n int, mu, inv float64, acc *[32]float64)
TEXT ·lnGradSums16AVX2(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ gr+8(FP), DX
	MOVQ gamma+16(FP), R8
	MOVQ n+24(FP), CX
	VBROADCASTSD mu+32(FP), Y14
	VBROADCASTSD inv+40(FP), Y15
	MOVQ acc+48(FP), DI
	ZERO4
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
loop:
	CMPQ CX, $16
	JL done
	GRADSUM(0, Y0, Y4)
	GRADSUM(16, Y1, Y5)
	GRADSUM(32, Y2, Y6)
	GRADSUM(48, Y3, Y7)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, R8
	SUBQ $16, CX
	JMP loop
done:
	STORE4
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	VZEROUPPER
	RET

// LNFWD4: lnForward on the four elements at SI, R8, R9 into DI (Y14 =
// mu, Y15 = inv).
#define LNFWD4 \
	VCVTPS2PD (SI), Y0; \
	VSUBPD Y14, Y0, Y0; \
	VMULPD Y15, Y0, Y0; \
	VCVTPS2PD (R8), Y1; \
	VMULPD Y1, Y0, Y0; \
	VCVTPS2PD (R9), Y2; \
	VADDPD Y2, Y0, Y0; \
	VCVTPD2PSY Y0, X0; \
	VMOVUPS X0, (DI)

// LNGRADOUT4: lnGradOut on the four elements at SI, DX, R8 into DI (Y12
// = mu, Y13 = inv, Y14 = mv, Y15 = mxv).
#define LNGRADOUT4 \
	VCVTPS2PD (SI), Y0; \
	VSUBPD Y12, Y0, Y0; \
	VMULPD Y13, Y0, Y0; \
	VMULPD Y15, Y0, Y0; \
	VCVTPS2PD (DX), Y1; \
	VCVTPS2PD (R8), Y2; \
	VMULPD Y2, Y1, Y1; \
	VSUBPD Y14, Y1, Y1; \
	VSUBPD Y0, Y1, Y1; \
	VMULPD Y13, Y1, Y1; \
	VCVTPD2PSY Y1, X1; \
	VMOVUPS X1, (DI)

// LNPARAM4: lnParamAcc on the four elements at SI, DX into the sums at
// DI, BX (Y14 = mu, Y15 = inv).
#define LNPARAM4 \
	VCVTPS2PD (SI), Y0; \
	VSUBPD Y14, Y0, Y0; \
	VMULPD Y15, Y0, Y0; \
	VCVTPS2PD (DX), Y1; \
	VMULPD Y0, Y1, Y0; \
	VADDPD (DI), Y0, Y0; \
	VMOVUPD Y0, (DI); \
	VADDPD (BX), Y1, Y1; \
	VMOVUPD Y1, (BX)

// func lnForwardAVX2(out, x, gamma, beta *float32, n int, mu, inv float64)
TEXT ·lnForwardAVX2(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gamma+16(FP), R8
	MOVQ beta+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSD mu+40(FP), Y14
	VBROADCASTSD inv+48(FP), Y15
loop:
	CMPQ CX, $4
	JL done
	LNFWD4
	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $16, R9
	ADDQ $16, DI
	SUBQ $4, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func lnGradOutAVX2(out, x, gr, gamma *float32, n int, mu, inv, mv, mxv float64)
TEXT ·lnGradOutAVX2(SB), NOSPLIT, $0-72
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gr+16(FP), DX
	MOVQ gamma+24(FP), R8
	MOVQ n+32(FP), CX
	VBROADCASTSD mu+40(FP), Y12
	VBROADCASTSD inv+48(FP), Y13
	VBROADCASTSD mv+56(FP), Y14
	VBROADCASTSD mxv+64(FP), Y15
loop:
	CMPQ CX, $4
	JL done
	LNGRADOUT4
	ADDQ $16, SI
	ADDQ $16, DX
	ADDQ $16, R8
	ADDQ $16, DI
	SUBQ $4, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func lnParamAccAVX2(ag, ab *float64, x, gr *float32, n int, mu, inv float64)
TEXT ·lnParamAccAVX2(SB), NOSPLIT, $0-56
	MOVQ ag+0(FP), DI
	MOVQ ab+8(FP), BX
	MOVQ x+16(FP), SI
	MOVQ gr+24(FP), DX
	MOVQ n+32(FP), CX
	VBROADCASTSD mu+40(FP), Y14
	VBROADCASTSD inv+48(FP), Y15
loop:
	CMPQ CX, $4
	JL done
	LNPARAM4
	ADDQ $16, SI
	ADDQ $16, DX
	ADDQ $32, DI
	ADDQ $32, BX
	SUBQ $4, CX
	JMP loop
done:
	VZEROUPPER
	RET

// The AVX-512 forms (layernorm_amd64.go picks them where the processor
// has AVX-512F): the same lanes and the same IEEE operations in the same
// order, eight float64 to a register, so the results are bitwise those of
// the AVX2 forms and of the Go loops. The reductions' 16 lanes are Z0
// (lanes 0-7) and Z1 (lanes 8-15); the elementwise passes take eight
// elements at a time and a last four as the AVX2 forms do.

// func lnSum16AVX512(x *float32, n int, acc *[16]float64)
TEXT ·lnSum16AVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ acc+16(FP), DI
	VMOVUPD (DI), Z0
	VMOVUPD 64(DI), Z1
loop:
	CMPQ CX, $16
	JL done
	VCVTPS2PD (SI), Z4
	VCVTPS2PD 32(SI), Z5
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	ADDQ $64, SI
	SUBQ $16, CX
	JMP loop
done:
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	VZEROUPPER
	RET

// func lnSqDev16AVX512(x *float32, n int, mu float64, acc *[16]float64)
TEXT ·lnSqDev16AVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD mu+16(FP), Z8
	MOVQ acc+24(FP), DI
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
loop:
	CMPQ CX, $16
	JL done
	VCVTPS2PD (SI), Z4
	VCVTPS2PD 32(SI), Z5
	VSUBPD Z8, Z4, Z4
	VSUBPD Z8, Z5, Z5
	VMULPD Z4, Z4, Z4
	VMULPD Z5, Z5, Z5
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	ADDQ $64, SI
	SUBQ $16, CX
	JMP loop
done:
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	VZEROUPPER
	RET

// GRADSUMZ(off, S, X): GRADSUM on eight elements (Z14 = mu, Z15 = inv).
#define GRADSUMZ(off, S, X) \
	VCVTPS2PD off(DX), Z8; \
	VCVTPS2PD off(R8), Z9; \
	VMULPD Z9, Z8, Z8; \
	VADDPD Z8, S, S; \
	VCVTPS2PD off(SI), Z10; \
	VSUBPD Z14, Z10, Z10; \
	VMULPD Z15, Z10, Z10; \
	VMULPD Z8, Z10, Z10; \
	VADDPD Z10, X, X

// func lnGradSums16AVX512(x, gr, gamma *float32, n int, mu, inv float64, acc *[32]float64)
TEXT ·lnGradSums16AVX512(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ gr+8(FP), DX
	MOVQ gamma+16(FP), R8
	MOVQ n+24(FP), CX
	VBROADCASTSD mu+32(FP), Z14
	VBROADCASTSD inv+40(FP), Z15
	MOVQ acc+48(FP), DI
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3
loop:
	CMPQ CX, $16
	JL done
	GRADSUMZ(0, Z0, Z2)
	GRADSUMZ(32, Z1, Z3)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, R8
	SUBQ $16, CX
	JMP loop
done:
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	VMOVUPD Z2, 128(DI)
	VMOVUPD Z3, 192(DI)
	VZEROUPPER
	RET

// func lnForwardAVX512(out, x, gamma, beta *float32, n int, mu, inv float64)
TEXT ·lnForwardAVX512(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gamma+16(FP), R8
	MOVQ beta+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSD mu+40(FP), Z14
	VBROADCASTSD inv+48(FP), Z15
loop:
	CMPQ CX, $8
	JL four
	VCVTPS2PD (SI), Z0
	VSUBPD Z14, Z0, Z0
	VMULPD Z15, Z0, Z0
	VCVTPS2PD (R8), Z1
	VMULPD Z1, Z0, Z0
	VCVTPS2PD (R9), Z2
	VADDPD Z2, Z0, Z0
	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, DI
	SUBQ $8, CX
	JMP loop
four:
	CMPQ CX, $4
	JL done
	LNFWD4
done:
	VZEROUPPER
	RET

// func lnGradOutAVX512(out, x, gr, gamma *float32, n int, mu, inv, mv, mxv float64)
TEXT ·lnGradOutAVX512(SB), NOSPLIT, $0-72
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gr+16(FP), DX
	MOVQ gamma+24(FP), R8
	MOVQ n+32(FP), CX
	VBROADCASTSD mu+40(FP), Z12
	VBROADCASTSD inv+48(FP), Z13
	VBROADCASTSD mv+56(FP), Z14
	VBROADCASTSD mxv+64(FP), Z15
loop:
	CMPQ CX, $8
	JL four
	VCVTPS2PD (SI), Z0
	VSUBPD Z12, Z0, Z0
	VMULPD Z13, Z0, Z0
	VMULPD Z15, Z0, Z0
	VCVTPS2PD (DX), Z1
	VCVTPS2PD (R8), Z2
	VMULPD Z2, Z1, Z1
	VSUBPD Z14, Z1, Z1
	VSUBPD Z0, Z1, Z1
	VMULPD Z13, Z1, Z1
	VCVTPD2PS Z1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R8
	ADDQ $32, DI
	SUBQ $8, CX
	JMP loop
four:
	CMPQ CX, $4
	JL done
	LNGRADOUT4
done:
	VZEROUPPER
	RET

// func lnParamAccAVX512(ag, ab *float64, x, gr *float32, n int, mu, inv float64)
TEXT ·lnParamAccAVX512(SB), NOSPLIT, $0-56
	MOVQ ag+0(FP), DI
	MOVQ ab+8(FP), BX
	MOVQ x+16(FP), SI
	MOVQ gr+24(FP), DX
	MOVQ n+32(FP), CX
	VBROADCASTSD mu+40(FP), Z14
	VBROADCASTSD inv+48(FP), Z15
loop:
	CMPQ CX, $8
	JL four
	VCVTPS2PD (SI), Z0
	VSUBPD Z14, Z0, Z0
	VMULPD Z15, Z0, Z0
	VCVTPS2PD (DX), Z1
	VMULPD Z0, Z1, Z0
	VADDPD (DI), Z0, Z0
	VMOVUPD Z0, (DI)
	VADDPD (BX), Z1, Z1
	VMOVUPD Z1, (BX)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $64, DI
	ADDQ $64, BX
	SUBQ $8, CX
	JMP loop
four:
	CMPQ CX, $4
	JL done
	LNPARAM4
done:
	VZEROUPPER
	RET
