//go:build amd64 && !noasm

#include "textflag.h"

// Native float32 exp, eight lanes at a time with AVX2 and FMA, for n a
// multiple of eight: x clamped to [-104, 89] (NaN passes), n = round(x
// log2(e)) as an int32, r = x - n ln2 with ln2 in two parts, exp(r) by its
// Taylor polynomial of degree 7 (error below 2^-27 on |r| <= ln2/2), times
// 2^(n>>1) and 2^(n-(n>>1)), so that subnormal results are rounded once and
// x above the threshold overflows to +Inf.
//
// tanh on the same exp: with a = |x|, (1 - e)/(1 + e) for e = exp(-2a)
// from a = 0.55 up, a + a·s·P(s) for s = a² below (P of degree 5:
// simd_tanh32_fit.py, which prints the constants tanhb and t0-t5), x's sign
// put back.

// log2e
DATA simdk32<>+0(SB)/4, $0x3fb8aa3b
DATA simdk32<>+4(SB)/4, $0x3fb8aa3b
DATA simdk32<>+8(SB)/4, $0x3fb8aa3b
DATA simdk32<>+12(SB)/4, $0x3fb8aa3b
DATA simdk32<>+16(SB)/4, $0x3fb8aa3b
DATA simdk32<>+20(SB)/4, $0x3fb8aa3b
DATA simdk32<>+24(SB)/4, $0x3fb8aa3b
DATA simdk32<>+28(SB)/4, $0x3fb8aa3b
// ln2hi
DATA simdk32<>+32(SB)/4, $0x3f318000
DATA simdk32<>+36(SB)/4, $0x3f318000
DATA simdk32<>+40(SB)/4, $0x3f318000
DATA simdk32<>+44(SB)/4, $0x3f318000
DATA simdk32<>+48(SB)/4, $0x3f318000
DATA simdk32<>+52(SB)/4, $0x3f318000
DATA simdk32<>+56(SB)/4, $0x3f318000
DATA simdk32<>+60(SB)/4, $0x3f318000
// ln2lo
DATA simdk32<>+64(SB)/4, $0xb95e8083
DATA simdk32<>+68(SB)/4, $0xb95e8083
DATA simdk32<>+72(SB)/4, $0xb95e8083
DATA simdk32<>+76(SB)/4, $0xb95e8083
DATA simdk32<>+80(SB)/4, $0xb95e8083
DATA simdk32<>+84(SB)/4, $0xb95e8083
DATA simdk32<>+88(SB)/4, $0xb95e8083
DATA simdk32<>+92(SB)/4, $0xb95e8083
// hi
DATA simdk32<>+96(SB)/4, $0x42b20000
DATA simdk32<>+100(SB)/4, $0x42b20000
DATA simdk32<>+104(SB)/4, $0x42b20000
DATA simdk32<>+108(SB)/4, $0x42b20000
DATA simdk32<>+112(SB)/4, $0x42b20000
DATA simdk32<>+116(SB)/4, $0x42b20000
DATA simdk32<>+120(SB)/4, $0x42b20000
DATA simdk32<>+124(SB)/4, $0x42b20000
// lo
DATA simdk32<>+128(SB)/4, $0xc2d00000
DATA simdk32<>+132(SB)/4, $0xc2d00000
DATA simdk32<>+136(SB)/4, $0xc2d00000
DATA simdk32<>+140(SB)/4, $0xc2d00000
DATA simdk32<>+144(SB)/4, $0xc2d00000
DATA simdk32<>+148(SB)/4, $0xc2d00000
DATA simdk32<>+152(SB)/4, $0xc2d00000
DATA simdk32<>+156(SB)/4, $0xc2d00000
// bias
DATA simdk32<>+160(SB)/4, $0x0000007f
DATA simdk32<>+164(SB)/4, $0x0000007f
DATA simdk32<>+168(SB)/4, $0x0000007f
DATA simdk32<>+172(SB)/4, $0x0000007f
DATA simdk32<>+176(SB)/4, $0x0000007f
DATA simdk32<>+180(SB)/4, $0x0000007f
DATA simdk32<>+184(SB)/4, $0x0000007f
DATA simdk32<>+188(SB)/4, $0x0000007f
// c0
DATA simdk32<>+192(SB)/4, $0x3f800000
DATA simdk32<>+196(SB)/4, $0x3f800000
DATA simdk32<>+200(SB)/4, $0x3f800000
DATA simdk32<>+204(SB)/4, $0x3f800000
DATA simdk32<>+208(SB)/4, $0x3f800000
DATA simdk32<>+212(SB)/4, $0x3f800000
DATA simdk32<>+216(SB)/4, $0x3f800000
DATA simdk32<>+220(SB)/4, $0x3f800000
// c1
DATA simdk32<>+224(SB)/4, $0x3f800000
DATA simdk32<>+228(SB)/4, $0x3f800000
DATA simdk32<>+232(SB)/4, $0x3f800000
DATA simdk32<>+236(SB)/4, $0x3f800000
DATA simdk32<>+240(SB)/4, $0x3f800000
DATA simdk32<>+244(SB)/4, $0x3f800000
DATA simdk32<>+248(SB)/4, $0x3f800000
DATA simdk32<>+252(SB)/4, $0x3f800000
// c2
DATA simdk32<>+256(SB)/4, $0x3f000000
DATA simdk32<>+260(SB)/4, $0x3f000000
DATA simdk32<>+264(SB)/4, $0x3f000000
DATA simdk32<>+268(SB)/4, $0x3f000000
DATA simdk32<>+272(SB)/4, $0x3f000000
DATA simdk32<>+276(SB)/4, $0x3f000000
DATA simdk32<>+280(SB)/4, $0x3f000000
DATA simdk32<>+284(SB)/4, $0x3f000000
// c3
DATA simdk32<>+288(SB)/4, $0x3e2aaaab
DATA simdk32<>+292(SB)/4, $0x3e2aaaab
DATA simdk32<>+296(SB)/4, $0x3e2aaaab
DATA simdk32<>+300(SB)/4, $0x3e2aaaab
DATA simdk32<>+304(SB)/4, $0x3e2aaaab
DATA simdk32<>+308(SB)/4, $0x3e2aaaab
DATA simdk32<>+312(SB)/4, $0x3e2aaaab
DATA simdk32<>+316(SB)/4, $0x3e2aaaab
// c4
DATA simdk32<>+320(SB)/4, $0x3d2aaaab
DATA simdk32<>+324(SB)/4, $0x3d2aaaab
DATA simdk32<>+328(SB)/4, $0x3d2aaaab
DATA simdk32<>+332(SB)/4, $0x3d2aaaab
DATA simdk32<>+336(SB)/4, $0x3d2aaaab
DATA simdk32<>+340(SB)/4, $0x3d2aaaab
DATA simdk32<>+344(SB)/4, $0x3d2aaaab
DATA simdk32<>+348(SB)/4, $0x3d2aaaab
// c5
DATA simdk32<>+352(SB)/4, $0x3c088889
DATA simdk32<>+356(SB)/4, $0x3c088889
DATA simdk32<>+360(SB)/4, $0x3c088889
DATA simdk32<>+364(SB)/4, $0x3c088889
DATA simdk32<>+368(SB)/4, $0x3c088889
DATA simdk32<>+372(SB)/4, $0x3c088889
DATA simdk32<>+376(SB)/4, $0x3c088889
DATA simdk32<>+380(SB)/4, $0x3c088889
// c6
DATA simdk32<>+384(SB)/4, $0x3ab60b61
DATA simdk32<>+388(SB)/4, $0x3ab60b61
DATA simdk32<>+392(SB)/4, $0x3ab60b61
DATA simdk32<>+396(SB)/4, $0x3ab60b61
DATA simdk32<>+400(SB)/4, $0x3ab60b61
DATA simdk32<>+404(SB)/4, $0x3ab60b61
DATA simdk32<>+408(SB)/4, $0x3ab60b61
DATA simdk32<>+412(SB)/4, $0x3ab60b61
// c7
DATA simdk32<>+416(SB)/4, $0x39500d01
DATA simdk32<>+420(SB)/4, $0x39500d01
DATA simdk32<>+424(SB)/4, $0x39500d01
DATA simdk32<>+428(SB)/4, $0x39500d01
DATA simdk32<>+432(SB)/4, $0x39500d01
DATA simdk32<>+436(SB)/4, $0x39500d01
DATA simdk32<>+440(SB)/4, $0x39500d01
DATA simdk32<>+444(SB)/4, $0x39500d01
// one
DATA simdk32<>+448(SB)/4, $0x3f800000
DATA simdk32<>+452(SB)/4, $0x3f800000
DATA simdk32<>+456(SB)/4, $0x3f800000
DATA simdk32<>+460(SB)/4, $0x3f800000
DATA simdk32<>+464(SB)/4, $0x3f800000
DATA simdk32<>+468(SB)/4, $0x3f800000
DATA simdk32<>+472(SB)/4, $0x3f800000
DATA simdk32<>+476(SB)/4, $0x3f800000
// sign
DATA simdk32<>+480(SB)/4, $0x80000000
DATA simdk32<>+484(SB)/4, $0x80000000
DATA simdk32<>+488(SB)/4, $0x80000000
DATA simdk32<>+492(SB)/4, $0x80000000
DATA simdk32<>+496(SB)/4, $0x80000000
DATA simdk32<>+500(SB)/4, $0x80000000
DATA simdk32<>+504(SB)/4, $0x80000000
DATA simdk32<>+508(SB)/4, $0x80000000
// tanhb
DATA simdk32<>+512(SB)/4, $0x3f0ccccd
DATA simdk32<>+516(SB)/4, $0x3f0ccccd
DATA simdk32<>+520(SB)/4, $0x3f0ccccd
DATA simdk32<>+524(SB)/4, $0x3f0ccccd
DATA simdk32<>+528(SB)/4, $0x3f0ccccd
DATA simdk32<>+532(SB)/4, $0x3f0ccccd
DATA simdk32<>+536(SB)/4, $0x3f0ccccd
DATA simdk32<>+540(SB)/4, $0x3f0ccccd
// t0
DATA simdk32<>+544(SB)/4, $0xbeaaaaab
DATA simdk32<>+548(SB)/4, $0xbeaaaaab
DATA simdk32<>+552(SB)/4, $0xbeaaaaab
DATA simdk32<>+556(SB)/4, $0xbeaaaaab
DATA simdk32<>+560(SB)/4, $0xbeaaaaab
DATA simdk32<>+564(SB)/4, $0xbeaaaaab
DATA simdk32<>+568(SB)/4, $0xbeaaaaab
DATA simdk32<>+572(SB)/4, $0xbeaaaaab
// t1
DATA simdk32<>+576(SB)/4, $0x3e08887f
DATA simdk32<>+580(SB)/4, $0x3e08887f
DATA simdk32<>+584(SB)/4, $0x3e08887f
DATA simdk32<>+588(SB)/4, $0x3e08887f
DATA simdk32<>+592(SB)/4, $0x3e08887f
DATA simdk32<>+596(SB)/4, $0x3e08887f
DATA simdk32<>+600(SB)/4, $0x3e08887f
DATA simdk32<>+604(SB)/4, $0x3e08887f
// t2
DATA simdk32<>+608(SB)/4, $0xbd5d0964
DATA simdk32<>+612(SB)/4, $0xbd5d0964
DATA simdk32<>+616(SB)/4, $0xbd5d0964
DATA simdk32<>+620(SB)/4, $0xbd5d0964
DATA simdk32<>+624(SB)/4, $0xbd5d0964
DATA simdk32<>+628(SB)/4, $0xbd5d0964
DATA simdk32<>+632(SB)/4, $0xbd5d0964
DATA simdk32<>+636(SB)/4, $0xbd5d0964
// t3
DATA simdk32<>+640(SB)/4, $0x3cb2b593
DATA simdk32<>+644(SB)/4, $0x3cb2b593
DATA simdk32<>+648(SB)/4, $0x3cb2b593
DATA simdk32<>+652(SB)/4, $0x3cb2b593
DATA simdk32<>+656(SB)/4, $0x3cb2b593
DATA simdk32<>+660(SB)/4, $0x3cb2b593
DATA simdk32<>+664(SB)/4, $0x3cb2b593
DATA simdk32<>+668(SB)/4, $0x3cb2b593
// t4
DATA simdk32<>+672(SB)/4, $0xbc0b9adf
DATA simdk32<>+676(SB)/4, $0xbc0b9adf
DATA simdk32<>+680(SB)/4, $0xbc0b9adf
DATA simdk32<>+684(SB)/4, $0xbc0b9adf
DATA simdk32<>+688(SB)/4, $0xbc0b9adf
DATA simdk32<>+692(SB)/4, $0xbc0b9adf
DATA simdk32<>+696(SB)/4, $0xbc0b9adf
DATA simdk32<>+700(SB)/4, $0xbc0b9adf
// t5
DATA simdk32<>+704(SB)/4, $0x3b2591cd
DATA simdk32<>+708(SB)/4, $0x3b2591cd
DATA simdk32<>+712(SB)/4, $0x3b2591cd
DATA simdk32<>+716(SB)/4, $0x3b2591cd
DATA simdk32<>+720(SB)/4, $0x3b2591cd
DATA simdk32<>+724(SB)/4, $0x3b2591cd
DATA simdk32<>+728(SB)/4, $0x3b2591cd
DATA simdk32<>+732(SB)/4, $0x3b2591cd
GLOBL simdk32<>(SB), RODATA|NOPTR, $736
#define F_LOG2E simdk32<>+0(SB)
#define F_LN2HI simdk32<>+32(SB)
#define F_LN2LO simdk32<>+64(SB)
#define F_HI simdk32<>+96(SB)
#define F_LO simdk32<>+128(SB)
#define F_BIAS simdk32<>+160(SB)
#define F_C0 simdk32<>+192(SB)
#define F_C1 simdk32<>+224(SB)
#define F_C2 simdk32<>+256(SB)
#define F_C3 simdk32<>+288(SB)
#define F_C4 simdk32<>+320(SB)
#define F_C5 simdk32<>+352(SB)
#define F_C6 simdk32<>+384(SB)
#define F_C7 simdk32<>+416(SB)
#define F_ONE simdk32<>+448(SB)
#define F_SIGN simdk32<>+480(SB)
#define F_TANHB simdk32<>+512(SB)
#define F_T0 simdk32<>+544(SB)
#define F_T1 simdk32<>+576(SB)
#define F_T2 simdk32<>+608(SB)
#define F_T3 simdk32<>+640(SB)
#define F_T4 simdk32<>+672(SB)
#define F_T5 simdk32<>+704(SB)

// EXPF32: Y0 = x -> Y2 = exp(x); clamp bounds in Y14, Y15, the bias in
// Y13; clobbers Y1, Y3, Y4, Y5.
#define EXPF32 \
	VMINPS Y0, Y14, Y0; \
	VMAXPS Y0, Y15, Y0; \
	VMULPS F_LOG2E, Y0, Y1; \
	VCVTPS2DQ Y1, Y5; \
	VCVTDQ2PS Y5, Y1; \
	VFNMADD231PS F_LN2HI, Y1, Y0; \
	VFNMADD231PS F_LN2LO, Y1, Y0; \
	VMOVUPS F_C7, Y2; \
	VFMADD213PS F_C6, Y0, Y2; \
	VFMADD213PS F_C5, Y0, Y2; \
	VFMADD213PS F_C4, Y0, Y2; \
	VFMADD213PS F_C3, Y0, Y2; \
	VFMADD213PS F_C2, Y0, Y2; \
	VFMADD213PS F_C1, Y0, Y2; \
	VFMADD213PS F_C0, Y0, Y2; \
	VPSRAD $1, Y5, Y3; \
	VPSUBD Y3, Y5, Y4; \
	VPADDD Y13, Y3, Y3; \
	VPSLLD $23, Y3, Y3; \
	VPADDD Y13, Y4, Y4; \
	VPSLLD $23, Y4, Y4; \
	VMULPS Y3, Y2, Y2; \
	VMULPS Y4, Y2, Y2

// func expAVX2F32N(dst, x *float32, n int)
TEXT ·expAVX2F32N(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS F_HI, Y14
	VMOVUPS F_LO, Y15
	VMOVUPS F_BIAS, Y13
loop:
	CMPQ CX, $8
	JL done
	VMOVUPS (SI), Y0
	EXPF32
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func sigmoidAVX2F32N(dst, x *float32, n int)
//
// 1/(1+e) for x >= 0 and e/(1+e) for x < 0 with e = exp(-|x|), in float32.
TEXT ·sigmoidAVX2F32N(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS F_HI, Y14
	VMOVUPS F_LO, Y15
	VMOVUPS F_BIAS, Y13
	VMOVUPS F_ONE, Y12
	VXORPS Y11, Y11, Y11
sigloop:
	CMPQ CX, $8
	JL sigdone
	VMOVUPS (SI), Y6
	VORPS F_SIGN, Y6, Y0
	EXPF32
	VADDPS Y12, Y2, Y7
	VCMPPS $1, Y11, Y6, Y8
	VBLENDVPS Y8, Y2, Y12, Y9
	VDIVPS Y7, Y9, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP sigloop
sigdone:
	VZEROUPPER
	RET

// EXPF32Z: EXPF32 on sixteen lanes: Z0 = x -> Z2 = exp(x); clamp bounds in
// Z14, Z15, the bias in Z13; clobbers Z1, Z3, Z4, Z5.
#define EXPF32Z \
	VMINPS Z0, Z14, Z0; \
	VMAXPS Z0, Z15, Z0; \
	VMULPS.BCST F_LOG2E, Z0, Z1; \
	VCVTPS2DQ Z1, Z5; \
	VCVTDQ2PS Z5, Z1; \
	VFNMADD231PS.BCST F_LN2HI, Z1, Z0; \
	VFNMADD231PS.BCST F_LN2LO, Z1, Z0; \
	VBROADCASTSS F_C7, Z2; \
	VFMADD213PS.BCST F_C6, Z0, Z2; \
	VFMADD213PS.BCST F_C5, Z0, Z2; \
	VFMADD213PS.BCST F_C4, Z0, Z2; \
	VFMADD213PS.BCST F_C3, Z0, Z2; \
	VFMADD213PS.BCST F_C2, Z0, Z2; \
	VFMADD213PS.BCST F_C1, Z0, Z2; \
	VFMADD213PS.BCST F_C0, Z0, Z2; \
	VPSRAD $1, Z5, Z3; \
	VPSUBD Z3, Z5, Z4; \
	VPADDD Z13, Z3, Z3; \
	VPSLLD $23, Z3, Z3; \
	VPADDD Z13, Z4, Z4; \
	VPSLLD $23, Z4, Z4; \
	VMULPS Z3, Z2, Z2; \
	VMULPS Z4, Z2, Z2

// func expAVX512F32N(dst, x *float32, n int)
//
// expAVX2F32N with sixteen lanes (AVX-512F), n a multiple of sixteen: the
// same operations in the same order on each lane, so bitwise the same
// results.
TEXT ·expAVX512F32N(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS F_HI, Z14
	VBROADCASTSS F_LO, Z15
	VPBROADCASTD F_BIAS, Z13
z16loop:
	CMPQ CX, $16
	JL z16done
	VMOVUPS (SI), Z0
	EXPF32Z
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP z16loop
z16done:
	VZEROUPPER
	RET

// func sigmoidAVX512F32N(dst, x *float32, n int)
//
// sigmoidAVX2F32N with sixteen lanes (AVX-512F), n a multiple of sixteen,
// bitwise the same results.
TEXT ·sigmoidAVX512F32N(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS F_HI, Z14
	VBROADCASTSS F_LO, Z15
	VPBROADCASTD F_BIAS, Z13
	VBROADCASTSS F_ONE, Z12
	VPXORD Z11, Z11, Z11
zsigloop:
	CMPQ CX, $16
	JL zsigdone
	VMOVUPS (SI), Z6
	VPORD.BCST F_SIGN, Z6, Z0
	EXPF32Z
	VADDPS Z12, Z2, Z7
	VCMPPS $1, Z11, Z6, K1
	VBLENDMPS Z2, Z12, K1, Z9
	VDIVPS Z7, Z9, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP zsigloop
zsigdone:
	VZEROUPPER
	RET

// TANHF32: Y6 = x -> Y8 = tanh(x); Y11 the sign mask, Y12 one, Y13-Y15 as
// EXPF32; clobbers Y0-Y5, Y7, Y9, Y10.
#define TANHF32 \
	VANDNPS Y6, Y11, Y7; \
	VADDPS Y7, Y7, Y0; \
	VXORPS Y11, Y0, Y0; \
	EXPF32; \
	VSUBPS Y2, Y12, Y8; \
	VADDPS Y12, Y2, Y9; \
	VDIVPS Y9, Y8, Y8; \
	VMULPS Y7, Y7, Y9; \
	VMOVUPS F_T5, Y10; \
	VFMADD213PS F_T4, Y9, Y10; \
	VFMADD213PS F_T3, Y9, Y10; \
	VFMADD213PS F_T2, Y9, Y10; \
	VFMADD213PS F_T1, Y9, Y10; \
	VFMADD213PS F_T0, Y9, Y10; \
	VMULPS Y9, Y10, Y10; \
	VFMADD213PS Y7, Y7, Y10; \
	VCMPPS $1, F_TANHB, Y7, Y9; \
	VBLENDVPS Y9, Y10, Y8, Y8; \
	VANDPS Y11, Y6, Y9; \
	VORPS Y9, Y8, Y8

// func tanhAVX2F32N(dst, x *float32, n int)
TEXT ·tanhAVX2F32N(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS F_HI, Y14
	VMOVUPS F_LO, Y15
	VMOVUPS F_BIAS, Y13
	VMOVUPS F_ONE, Y12
	VMOVUPS F_SIGN, Y11
tanhloop:
	CMPQ CX, $8
	JL tanhdone
	VMOVUPS (SI), Y6
	TANHF32
	VMOVUPS Y8, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP tanhloop
tanhdone:
	VZEROUPPER
	RET

// func tanhAVX512F32N(dst, x *float32, n int)
//
// tanhAVX2F32N with sixteen lanes (AVX-512F), n a multiple of sixteen,
// bitwise the same results (TANHB in Z16).
TEXT ·tanhAVX512F32N(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS F_HI, Z14
	VBROADCASTSS F_LO, Z15
	VPBROADCASTD F_BIAS, Z13
	VBROADCASTSS F_ONE, Z12
	VPBROADCASTD F_SIGN, Z11
	VBROADCASTSS F_TANHB, Z16
ztanhloop:
	CMPQ CX, $16
	JL ztanhdone
	VMOVUPS (SI), Z6
	VPANDND Z6, Z11, Z7
	VADDPS Z7, Z7, Z0
	VPXORD Z11, Z0, Z0
	EXPF32Z
	VSUBPS Z2, Z12, Z8
	VADDPS Z12, Z2, Z9
	VDIVPS Z9, Z8, Z8
	VMULPS Z7, Z7, Z9
	VBROADCASTSS F_T5, Z10
	VFMADD213PS.BCST F_T4, Z9, Z10
	VFMADD213PS.BCST F_T3, Z9, Z10
	VFMADD213PS.BCST F_T2, Z9, Z10
	VFMADD213PS.BCST F_T1, Z9, Z10
	VFMADD213PS.BCST F_T0, Z9, Z10
	VMULPS Z9, Z10, Z10
	VFMADD213PS Z7, Z7, Z10
	VCMPPS $1, Z16, Z7, K1
	VBLENDMPS Z10, Z8, K1, Z8
	VPANDD Z11, Z6, Z9
	VPORD Z9, Z8, Z8
	VMOVUPS Z8, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP ztanhloop
ztanhdone:
	VZEROUPPER
	RET
