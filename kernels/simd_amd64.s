//go:build amd64 && !noasm

#include "textflag.h"

// Vectorized exp and sigmoid in float64 (AVX2 + FMA), four lanes at a
// time, for n a multiple of four (simd_amd64.go handles the rest): lanes
// never depend on their neighbours or on where a row starts. float32 exp,
// sigmoid and tanh are in simd_exp32_amd64.s.
//
// exp(x): x is clamped to a range where the result still over- or
// underflows (NaN passes the clamps), n = round(x/ln2), r = x - n*ln2 with
// ln2 in two parts (|r| <= ln2/2), exp(r) by its Taylor polynomial (degree
// 13 in float64, 8 for float32 results) in Horner form, then times 2^n built
// in the exponent bits. The float64 routines scale in two steps, 2^(n/2)
// and 2^(n-n/2), so that results in the subnormal range are rounded once.

// log2e
DATA simdk<>+0(SB)/8, $0x3ff71547652b82fe
DATA simdk<>+8(SB)/8, $0x3ff71547652b82fe
DATA simdk<>+16(SB)/8, $0x3ff71547652b82fe
DATA simdk<>+24(SB)/8, $0x3ff71547652b82fe
// ln2hi
DATA simdk<>+32(SB)/8, $0x3fe62e42fee00000
DATA simdk<>+40(SB)/8, $0x3fe62e42fee00000
DATA simdk<>+48(SB)/8, $0x3fe62e42fee00000
DATA simdk<>+56(SB)/8, $0x3fe62e42fee00000
// ln2lo
DATA simdk<>+64(SB)/8, $0x3dea39ef35793c76
DATA simdk<>+72(SB)/8, $0x3dea39ef35793c76
DATA simdk<>+80(SB)/8, $0x3dea39ef35793c76
DATA simdk<>+88(SB)/8, $0x3dea39ef35793c76
// half
DATA simdk<>+96(SB)/8, $0x3fe0000000000000
DATA simdk<>+104(SB)/8, $0x3fe0000000000000
DATA simdk<>+112(SB)/8, $0x3fe0000000000000
DATA simdk<>+120(SB)/8, $0x3fe0000000000000
// shifter
DATA simdk<>+128(SB)/8, $0x4338000000000000
DATA simdk<>+136(SB)/8, $0x4338000000000000
DATA simdk<>+144(SB)/8, $0x4338000000000000
DATA simdk<>+152(SB)/8, $0x4338000000000000
// bias
DATA simdk<>+160(SB)/8, $0x00000000000003ff
DATA simdk<>+168(SB)/8, $0x00000000000003ff
DATA simdk<>+176(SB)/8, $0x00000000000003ff
DATA simdk<>+184(SB)/8, $0x00000000000003ff
// hi64
DATA simdk<>+192(SB)/8, $0x4086300000000000
DATA simdk<>+200(SB)/8, $0x4086300000000000
DATA simdk<>+208(SB)/8, $0x4086300000000000
DATA simdk<>+216(SB)/8, $0x4086300000000000
// lo64
DATA simdk<>+224(SB)/8, $0xc087500000000000
DATA simdk<>+232(SB)/8, $0xc087500000000000
DATA simdk<>+240(SB)/8, $0xc087500000000000
DATA simdk<>+248(SB)/8, $0xc087500000000000
// hi32
DATA simdk<>+256(SB)/8, $0x4056400000000000
DATA simdk<>+264(SB)/8, $0x4056400000000000
DATA simdk<>+272(SB)/8, $0x4056400000000000
DATA simdk<>+280(SB)/8, $0x4056400000000000
// lo32
DATA simdk<>+288(SB)/8, $0xc05a000000000000
DATA simdk<>+296(SB)/8, $0xc05a000000000000
DATA simdk<>+304(SB)/8, $0xc05a000000000000
DATA simdk<>+312(SB)/8, $0xc05a000000000000
// one
DATA simdk<>+320(SB)/8, $0x3ff0000000000000
DATA simdk<>+328(SB)/8, $0x3ff0000000000000
DATA simdk<>+336(SB)/8, $0x3ff0000000000000
DATA simdk<>+344(SB)/8, $0x3ff0000000000000
// absmask
DATA simdk<>+352(SB)/8, $0x7fffffffffffffff
DATA simdk<>+360(SB)/8, $0x7fffffffffffffff
DATA simdk<>+368(SB)/8, $0x7fffffffffffffff
DATA simdk<>+376(SB)/8, $0x7fffffffffffffff
// signmask
DATA simdk<>+384(SB)/8, $0x8000000000000000
DATA simdk<>+392(SB)/8, $0x8000000000000000
DATA simdk<>+400(SB)/8, $0x8000000000000000
DATA simdk<>+408(SB)/8, $0x8000000000000000
// c0
DATA simdk<>+416(SB)/8, $0x3ff0000000000000
DATA simdk<>+424(SB)/8, $0x3ff0000000000000
DATA simdk<>+432(SB)/8, $0x3ff0000000000000
DATA simdk<>+440(SB)/8, $0x3ff0000000000000
// c1
DATA simdk<>+448(SB)/8, $0x3ff0000000000000
DATA simdk<>+456(SB)/8, $0x3ff0000000000000
DATA simdk<>+464(SB)/8, $0x3ff0000000000000
DATA simdk<>+472(SB)/8, $0x3ff0000000000000
// c2
DATA simdk<>+480(SB)/8, $0x3fe0000000000000
DATA simdk<>+488(SB)/8, $0x3fe0000000000000
DATA simdk<>+496(SB)/8, $0x3fe0000000000000
DATA simdk<>+504(SB)/8, $0x3fe0000000000000
// c3
DATA simdk<>+512(SB)/8, $0x3fc5555555555555
DATA simdk<>+520(SB)/8, $0x3fc5555555555555
DATA simdk<>+528(SB)/8, $0x3fc5555555555555
DATA simdk<>+536(SB)/8, $0x3fc5555555555555
// c4
DATA simdk<>+544(SB)/8, $0x3fa5555555555555
DATA simdk<>+552(SB)/8, $0x3fa5555555555555
DATA simdk<>+560(SB)/8, $0x3fa5555555555555
DATA simdk<>+568(SB)/8, $0x3fa5555555555555
// c5
DATA simdk<>+576(SB)/8, $0x3f81111111111111
DATA simdk<>+584(SB)/8, $0x3f81111111111111
DATA simdk<>+592(SB)/8, $0x3f81111111111111
DATA simdk<>+600(SB)/8, $0x3f81111111111111
// c6
DATA simdk<>+608(SB)/8, $0x3f56c16c16c16c17
DATA simdk<>+616(SB)/8, $0x3f56c16c16c16c17
DATA simdk<>+624(SB)/8, $0x3f56c16c16c16c17
DATA simdk<>+632(SB)/8, $0x3f56c16c16c16c17
// c7
DATA simdk<>+640(SB)/8, $0x3f2a01a01a01a01a
DATA simdk<>+648(SB)/8, $0x3f2a01a01a01a01a
DATA simdk<>+656(SB)/8, $0x3f2a01a01a01a01a
DATA simdk<>+664(SB)/8, $0x3f2a01a01a01a01a
// c8
DATA simdk<>+672(SB)/8, $0x3efa01a01a01a01a
DATA simdk<>+680(SB)/8, $0x3efa01a01a01a01a
DATA simdk<>+688(SB)/8, $0x3efa01a01a01a01a
DATA simdk<>+696(SB)/8, $0x3efa01a01a01a01a
// c9
DATA simdk<>+704(SB)/8, $0x3ec71de3a556c734
DATA simdk<>+712(SB)/8, $0x3ec71de3a556c734
DATA simdk<>+720(SB)/8, $0x3ec71de3a556c734
DATA simdk<>+728(SB)/8, $0x3ec71de3a556c734
// c10
DATA simdk<>+736(SB)/8, $0x3e927e4fb7789f5c
DATA simdk<>+744(SB)/8, $0x3e927e4fb7789f5c
DATA simdk<>+752(SB)/8, $0x3e927e4fb7789f5c
DATA simdk<>+760(SB)/8, $0x3e927e4fb7789f5c
// c11
DATA simdk<>+768(SB)/8, $0x3e5ae64567f544e4
DATA simdk<>+776(SB)/8, $0x3e5ae64567f544e4
DATA simdk<>+784(SB)/8, $0x3e5ae64567f544e4
DATA simdk<>+792(SB)/8, $0x3e5ae64567f544e4
// c12
DATA simdk<>+800(SB)/8, $0x3e21eed8eff8d898
DATA simdk<>+808(SB)/8, $0x3e21eed8eff8d898
DATA simdk<>+816(SB)/8, $0x3e21eed8eff8d898
DATA simdk<>+824(SB)/8, $0x3e21eed8eff8d898
// c13
DATA simdk<>+832(SB)/8, $0x3de6124613a86d09
DATA simdk<>+840(SB)/8, $0x3de6124613a86d09
DATA simdk<>+848(SB)/8, $0x3de6124613a86d09
DATA simdk<>+856(SB)/8, $0x3de6124613a86d09
GLOBL simdk<>(SB), RODATA|NOPTR, $864
#define K_LOG2E simdk<>+0(SB)
#define K_LN2HI simdk<>+32(SB)
#define K_LN2LO simdk<>+64(SB)
#define K_HALF simdk<>+96(SB)
#define K_SHIFTER simdk<>+128(SB)
#define K_BIAS simdk<>+160(SB)
#define K_HI64 simdk<>+192(SB)
#define K_LO64 simdk<>+224(SB)
#define K_HI32 simdk<>+256(SB)
#define K_LO32 simdk<>+288(SB)
#define K_ONE simdk<>+320(SB)
#define K_ABSMASK simdk<>+352(SB)
#define K_SIGNMASK simdk<>+384(SB)
#define K_C0 simdk<>+416(SB)
#define K_C1 simdk<>+448(SB)
#define K_C2 simdk<>+480(SB)
#define K_C3 simdk<>+512(SB)
#define K_C4 simdk<>+544(SB)
#define K_C5 simdk<>+576(SB)
#define K_C6 simdk<>+608(SB)
#define K_C7 simdk<>+640(SB)
#define K_C8 simdk<>+672(SB)
#define K_C9 simdk<>+704(SB)
#define K_C10 simdk<>+736(SB)
#define K_C11 simdk<>+768(SB)
#define K_C12 simdk<>+800(SB)
#define K_C13 simdk<>+832(SB)

// REDUCE: Y0 = x -> Y1 = n, Y0 = r.
#define REDUCE \
	VMULPD K_LOG2E, Y0, Y1; \
	VROUNDPD $0, Y1, Y1; \
	VFNMADD231PD K_LN2HI, Y1, Y0; \
	VFNMADD231PD K_LN2LO, Y1, Y0

// POLY13: Y2 = sum r^k/k! for k <= 13 (float64 results).
#define POLY13 \
	VMOVUPD K_C13, Y2; \
	VFMADD213PD K_C12, Y0, Y2; \
	VFMADD213PD K_C11, Y0, Y2; \
	VFMADD213PD K_C10, Y0, Y2; \
	VFMADD213PD K_C9, Y0, Y2; \
	VFMADD213PD K_C8, Y0, Y2; \
	VFMADD213PD K_C7, Y0, Y2; \
	VFMADD213PD K_C6, Y0, Y2; \
	VFMADD213PD K_C5, Y0, Y2; \
	VFMADD213PD K_C4, Y0, Y2; \
	VFMADD213PD K_C3, Y0, Y2; \
	VFMADD213PD K_C2, Y0, Y2; \
	VFMADD213PD K_C1, Y0, Y2; \
	VFMADD213PD K_C0, Y0, Y2

// POLY8: Y2 = sum r^k/k! for k <= 8 (float32 results).
#define POLY8 \
	VMOVUPD K_C8, Y2; \
	VFMADD213PD K_C7, Y0, Y2; \
	VFMADD213PD K_C6, Y0, Y2; \
	VFMADD213PD K_C5, Y0, Y2; \
	VFMADD213PD K_C4, Y0, Y2; \
	VFMADD213PD K_C3, Y0, Y2; \
	VFMADD213PD K_C2, Y0, Y2; \
	VFMADD213PD K_C1, Y0, Y2; \
	VFMADD213PD K_C0, Y0, Y2

// POW2: Y3 = 2^Y3 for integral Y3 in [-1022, 1023].
#define POW2(R) \
	VADDPD K_SHIFTER, R, R; \
	VPADDQ K_BIAS, R, R; \
	VPSLLQ $52, R, R

// SCALE2: Y2 *= 2^Y1 in two steps (n in [-1076, 1025]).
#define SCALE2 \
	VMULPD K_HALF, Y1, Y3; \
	VROUNDPD $1, Y3, Y3; \
	VSUBPD Y3, Y1, Y4; \
	POW2(Y3); \
	POW2(Y4); \
	VMULPD Y3, Y2, Y2; \
	VMULPD Y4, Y2, Y2

// SCALE1: Y2 *= 2^Y1 (n in [-151, 129]).
#define SCALE1 \
	VMOVAPD Y1, Y3; \
	POW2(Y3); \
	VMULPD Y3, Y2, Y2

#define EXP64 REDUCE; POLY13; SCALE2
#define EXP32 REDUCE; POLY8; SCALE1

// func expAVX2F64(dst, x *float64, n int)
TEXT ·expAVX2F64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPD K_HI64, Y14
	VMOVUPD K_LO64, Y15
exp64loop:
	CMPQ CX, $4
	JL exp64done
	VMOVUPD (SI), Y0
	VMINPD Y0, Y14, Y0
	VMAXPD Y0, Y15, Y0
	EXP64
	VMOVUPD Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP exp64loop
exp64done:
	VZEROUPPER
	RET

// SIGMOID: Y5 = x (clamp bound in Y15) -> Y0 = 1/(1+exp(-x)), as
// 1/(1+e) for x >= 0 and e/(1+e) for x < 0 with e = exp(-|x|), so that
// nothing overflows and tiny results keep their precision.
#define SIGMOID(EXP) \
	VORPD K_SIGNMASK, Y5, Y0; \
	VMAXPD Y0, Y15, Y0; \
	EXP; \
	VADDPD Y12, Y2, Y3; \
	VCMPPD $1, Y13, Y5, Y4; \
	VBLENDVPD Y4, Y2, Y12, Y6; \
	VDIVPD Y3, Y6, Y0

// func sigmoidAVX2F64(dst, x *float64, n int)
TEXT ·sigmoidAVX2F64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPD K_ONE, Y12
	VXORPD Y13, Y13, Y13
	VMOVUPD K_LO64, Y15
sig64loop:
	CMPQ CX, $4
	JL sig64done
	VMOVUPD (SI), Y5
	SIGMOID(EXP64)
	VMOVUPD Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP sig64loop
sig64done:
	VZEROUPPER
	RET

// func expAVX512F64(dst, x *float64, n int)
//
// expAVX2F64 with eight lanes (AVX-512F), n a multiple of eight: the same
// operations in the same order on each lane, so bitwise the same results.
TEXT ·expAVX512F64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD K_HI64, Z14
	VBROADCASTSD K_LO64, Z15
z8loop:
	CMPQ CX, $8
	JL z8done
	VMOVUPD (SI), Z0
	VMINPD Z0, Z14, Z0
	VMAXPD Z0, Z15, Z0
	VMULPD.BCST K_LOG2E, Z0, Z1
	VRNDSCALEPD $0, Z1, Z1
	VFNMADD231PD.BCST K_LN2HI, Z1, Z0
	VFNMADD231PD.BCST K_LN2LO, Z1, Z0
	VBROADCASTSD K_C13, Z2
	VFMADD213PD.BCST K_C12, Z0, Z2
	VFMADD213PD.BCST K_C11, Z0, Z2
	VFMADD213PD.BCST K_C10, Z0, Z2
	VFMADD213PD.BCST K_C9, Z0, Z2
	VFMADD213PD.BCST K_C8, Z0, Z2
	VFMADD213PD.BCST K_C7, Z0, Z2
	VFMADD213PD.BCST K_C6, Z0, Z2
	VFMADD213PD.BCST K_C5, Z0, Z2
	VFMADD213PD.BCST K_C4, Z0, Z2
	VFMADD213PD.BCST K_C3, Z0, Z2
	VFMADD213PD.BCST K_C2, Z0, Z2
	VFMADD213PD.BCST K_C1, Z0, Z2
	VFMADD213PD.BCST K_C0, Z0, Z2
	VMULPD.BCST K_HALF, Z1, Z3
	VRNDSCALEPD $1, Z3, Z3
	VSUBPD Z3, Z1, Z4
	VADDPD.BCST K_SHIFTER, Z3, Z3
	VPADDQ.BCST K_BIAS, Z3, Z3
	VPSLLQ $52, Z3, Z3
	VADDPD.BCST K_SHIFTER, Z4, Z4
	VPADDQ.BCST K_BIAS, Z4, Z4
	VPSLLQ $52, Z4, Z4
	VMULPD Z3, Z2, Z2
	VMULPD Z4, Z2, Z2
	VMOVUPD Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $8, CX
	JMP z8loop
z8done:
	VZEROUPPER
	RET
