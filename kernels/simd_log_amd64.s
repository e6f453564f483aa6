//go:build amd64 && !noasm

#include "textflag.h"

// Vectorized natural logarithm (AVX2 + FMA), four lanes at a time, for n a
// multiple of four, computed in float64 (the float32 routine widens its
// arguments and rounds once). Subnormal x are first scaled by 2^54; then x
// = 2^k m with m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f/(2+f), and
// log(1+f) = 2 atanh(s) = f - f²/2 + s (f²/2 + R) with R = sum 2 s^2j/(2j+1)
// for j <= 11 (|s| <= 0.1716, so the next term is below 2^-64 relative);
// log(x) = k ln2hi - ((f²/2 - (s (f²/2 + R) + k ln2lo)) - f). Then +Inf for
// +Inf, -Inf for ±0 and NaN for x < 0 or NaN.

// minnorm
DATA simdlog<>+0(SB)/8, $0x0010000000000000
DATA simdlog<>+8(SB)/8, $0x0010000000000000
DATA simdlog<>+16(SB)/8, $0x0010000000000000
DATA simdlog<>+24(SB)/8, $0x0010000000000000
// two54
DATA simdlog<>+32(SB)/8, $0x4350000000000000
DATA simdlog<>+40(SB)/8, $0x4350000000000000
DATA simdlog<>+48(SB)/8, $0x4350000000000000
DATA simdlog<>+56(SB)/8, $0x4350000000000000
// k54
DATA simdlog<>+64(SB)/8, $0x404b000000000000
DATA simdlog<>+72(SB)/8, $0x404b000000000000
DATA simdlog<>+80(SB)/8, $0x404b000000000000
DATA simdlog<>+88(SB)/8, $0x404b000000000000
// magic
DATA simdlog<>+96(SB)/8, $0x4330000000000000
DATA simdlog<>+104(SB)/8, $0x4330000000000000
DATA simdlog<>+112(SB)/8, $0x4330000000000000
DATA simdlog<>+120(SB)/8, $0x4330000000000000
// k1022
DATA simdlog<>+128(SB)/8, $0x408ff00000000000
DATA simdlog<>+136(SB)/8, $0x408ff00000000000
DATA simdlog<>+144(SB)/8, $0x408ff00000000000
DATA simdlog<>+152(SB)/8, $0x408ff00000000000
// mant
DATA simdlog<>+160(SB)/8, $0x000fffffffffffff
DATA simdlog<>+168(SB)/8, $0x000fffffffffffff
DATA simdlog<>+176(SB)/8, $0x000fffffffffffff
DATA simdlog<>+184(SB)/8, $0x000fffffffffffff
// halfbits
DATA simdlog<>+192(SB)/8, $0x3fe0000000000000
DATA simdlog<>+200(SB)/8, $0x3fe0000000000000
DATA simdlog<>+208(SB)/8, $0x3fe0000000000000
DATA simdlog<>+216(SB)/8, $0x3fe0000000000000
// sqrthalf
DATA simdlog<>+224(SB)/8, $0x3fe6a09e667f3bcd
DATA simdlog<>+232(SB)/8, $0x3fe6a09e667f3bcd
DATA simdlog<>+240(SB)/8, $0x3fe6a09e667f3bcd
DATA simdlog<>+248(SB)/8, $0x3fe6a09e667f3bcd
// one
DATA simdlog<>+256(SB)/8, $0x3ff0000000000000
DATA simdlog<>+264(SB)/8, $0x3ff0000000000000
DATA simdlog<>+272(SB)/8, $0x3ff0000000000000
DATA simdlog<>+280(SB)/8, $0x3ff0000000000000
// two
DATA simdlog<>+288(SB)/8, $0x4000000000000000
DATA simdlog<>+296(SB)/8, $0x4000000000000000
DATA simdlog<>+304(SB)/8, $0x4000000000000000
DATA simdlog<>+312(SB)/8, $0x4000000000000000
// half
DATA simdlog<>+320(SB)/8, $0x3fe0000000000000
DATA simdlog<>+328(SB)/8, $0x3fe0000000000000
DATA simdlog<>+336(SB)/8, $0x3fe0000000000000
DATA simdlog<>+344(SB)/8, $0x3fe0000000000000
// ln2hi
DATA simdlog<>+352(SB)/8, $0x3fe62e42fee00000
DATA simdlog<>+360(SB)/8, $0x3fe62e42fee00000
DATA simdlog<>+368(SB)/8, $0x3fe62e42fee00000
DATA simdlog<>+376(SB)/8, $0x3fe62e42fee00000
// ln2lo
DATA simdlog<>+384(SB)/8, $0x3dea39ef35793c76
DATA simdlog<>+392(SB)/8, $0x3dea39ef35793c76
DATA simdlog<>+400(SB)/8, $0x3dea39ef35793c76
DATA simdlog<>+408(SB)/8, $0x3dea39ef35793c76
// posinf
DATA simdlog<>+416(SB)/8, $0x7ff0000000000000
DATA simdlog<>+424(SB)/8, $0x7ff0000000000000
DATA simdlog<>+432(SB)/8, $0x7ff0000000000000
DATA simdlog<>+440(SB)/8, $0x7ff0000000000000
// neginf
DATA simdlog<>+448(SB)/8, $0xfff0000000000000
DATA simdlog<>+456(SB)/8, $0xfff0000000000000
DATA simdlog<>+464(SB)/8, $0xfff0000000000000
DATA simdlog<>+472(SB)/8, $0xfff0000000000000
// nan
DATA simdlog<>+480(SB)/8, $0x7ff8000000000001
DATA simdlog<>+488(SB)/8, $0x7ff8000000000001
DATA simdlog<>+496(SB)/8, $0x7ff8000000000001
DATA simdlog<>+504(SB)/8, $0x7ff8000000000001
// r1
DATA simdlog<>+512(SB)/8, $0x3fe5555555555555
DATA simdlog<>+520(SB)/8, $0x3fe5555555555555
DATA simdlog<>+528(SB)/8, $0x3fe5555555555555
DATA simdlog<>+536(SB)/8, $0x3fe5555555555555
// r2
DATA simdlog<>+544(SB)/8, $0x3fd999999999999a
DATA simdlog<>+552(SB)/8, $0x3fd999999999999a
DATA simdlog<>+560(SB)/8, $0x3fd999999999999a
DATA simdlog<>+568(SB)/8, $0x3fd999999999999a
// r3
DATA simdlog<>+576(SB)/8, $0x3fd2492492492492
DATA simdlog<>+584(SB)/8, $0x3fd2492492492492
DATA simdlog<>+592(SB)/8, $0x3fd2492492492492
DATA simdlog<>+600(SB)/8, $0x3fd2492492492492
// r4
DATA simdlog<>+608(SB)/8, $0x3fcc71c71c71c71c
DATA simdlog<>+616(SB)/8, $0x3fcc71c71c71c71c
DATA simdlog<>+624(SB)/8, $0x3fcc71c71c71c71c
DATA simdlog<>+632(SB)/8, $0x3fcc71c71c71c71c
// r5
DATA simdlog<>+640(SB)/8, $0x3fc745d1745d1746
DATA simdlog<>+648(SB)/8, $0x3fc745d1745d1746
DATA simdlog<>+656(SB)/8, $0x3fc745d1745d1746
DATA simdlog<>+664(SB)/8, $0x3fc745d1745d1746
// r6
DATA simdlog<>+672(SB)/8, $0x3fc3b13b13b13b14
DATA simdlog<>+680(SB)/8, $0x3fc3b13b13b13b14
DATA simdlog<>+688(SB)/8, $0x3fc3b13b13b13b14
DATA simdlog<>+696(SB)/8, $0x3fc3b13b13b13b14
// r7
DATA simdlog<>+704(SB)/8, $0x3fc1111111111111
DATA simdlog<>+712(SB)/8, $0x3fc1111111111111
DATA simdlog<>+720(SB)/8, $0x3fc1111111111111
DATA simdlog<>+728(SB)/8, $0x3fc1111111111111
// r8
DATA simdlog<>+736(SB)/8, $0x3fbe1e1e1e1e1e1e
DATA simdlog<>+744(SB)/8, $0x3fbe1e1e1e1e1e1e
DATA simdlog<>+752(SB)/8, $0x3fbe1e1e1e1e1e1e
DATA simdlog<>+760(SB)/8, $0x3fbe1e1e1e1e1e1e
// r9
DATA simdlog<>+768(SB)/8, $0x3fbaf286bca1af28
DATA simdlog<>+776(SB)/8, $0x3fbaf286bca1af28
DATA simdlog<>+784(SB)/8, $0x3fbaf286bca1af28
DATA simdlog<>+792(SB)/8, $0x3fbaf286bca1af28
// r10
DATA simdlog<>+800(SB)/8, $0x3fb8618618618618
DATA simdlog<>+808(SB)/8, $0x3fb8618618618618
DATA simdlog<>+816(SB)/8, $0x3fb8618618618618
DATA simdlog<>+824(SB)/8, $0x3fb8618618618618
// r11
DATA simdlog<>+832(SB)/8, $0x3fb642c8590b2164
DATA simdlog<>+840(SB)/8, $0x3fb642c8590b2164
DATA simdlog<>+848(SB)/8, $0x3fb642c8590b2164
DATA simdlog<>+856(SB)/8, $0x3fb642c8590b2164
GLOBL simdlog<>(SB), RODATA|NOPTR, $864
#define L_MINNORM simdlog<>+0(SB)
#define L_TWO54 simdlog<>+32(SB)
#define L_K54 simdlog<>+64(SB)
#define L_MAGIC simdlog<>+96(SB)
#define L_K1022 simdlog<>+128(SB)
#define L_MANT simdlog<>+160(SB)
#define L_HALFBITS simdlog<>+192(SB)
#define L_SQRTHALF simdlog<>+224(SB)
#define L_ONE simdlog<>+256(SB)
#define L_TWO simdlog<>+288(SB)
#define L_HALF simdlog<>+320(SB)
#define L_LN2HI simdlog<>+352(SB)
#define L_LN2LO simdlog<>+384(SB)
#define L_POSINF simdlog<>+416(SB)
#define L_NEGINF simdlog<>+448(SB)
#define L_NAN simdlog<>+480(SB)
#define L_R1 simdlog<>+512(SB)
#define L_R2 simdlog<>+544(SB)
#define L_R3 simdlog<>+576(SB)
#define L_R4 simdlog<>+608(SB)
#define L_R5 simdlog<>+640(SB)
#define L_R6 simdlog<>+672(SB)
#define L_R7 simdlog<>+704(SB)
#define L_R8 simdlog<>+736(SB)
#define L_R9 simdlog<>+768(SB)
#define L_R10 simdlog<>+800(SB)
#define L_R11 simdlog<>+832(SB)

// LOGCORE: Y0 = x -> Y2 = log(x); clobbers Y1, Y3-Y9.
#define LOGCORE \
	VCMPPD $1, L_MINNORM, Y0, Y1; \
	VMULPD L_TWO54, Y0, Y2; \
	VBLENDVPD Y1, Y2, Y0, Y2; \
	VANDPD L_K54, Y1, Y3; \
	VPSRLQ $52, Y2, Y4; \
	VPOR L_MAGIC, Y4, Y4; \
	VSUBPD L_MAGIC, Y4, Y4; \
	VSUBPD L_K1022, Y4, Y4; \
	VSUBPD Y3, Y4, Y4; \
	VANDPD L_MANT, Y2, Y5; \
	VORPD L_HALFBITS, Y5, Y5; \
	VCMPPD $1, L_SQRTHALF, Y5, Y6; \
	VADDPD Y5, Y5, Y7; \
	VBLENDVPD Y6, Y7, Y5, Y5; \
	VANDPD L_ONE, Y6, Y7; \
	VSUBPD Y7, Y4, Y4; \
	VSUBPD L_ONE, Y5, Y5; \
	VADDPD L_TWO, Y5, Y6; \
	VDIVPD Y6, Y5, Y6; \
	VMULPD Y6, Y6, Y7; \
	VMOVUPD L_R11, Y8; \
	VFMADD213PD L_R10, Y7, Y8; \
	VFMADD213PD L_R9, Y7, Y8; \
	VFMADD213PD L_R8, Y7, Y8; \
	VFMADD213PD L_R7, Y7, Y8; \
	VFMADD213PD L_R6, Y7, Y8; \
	VFMADD213PD L_R5, Y7, Y8; \
	VFMADD213PD L_R4, Y7, Y8; \
	VFMADD213PD L_R3, Y7, Y8; \
	VFMADD213PD L_R2, Y7, Y8; \
	VFMADD213PD L_R1, Y7, Y8; \
	VMULPD Y7, Y8, Y8; \
	VMULPD L_HALF, Y5, Y9; \
	VMULPD Y5, Y9, Y9; \
	VADDPD Y9, Y8, Y8; \
	VMULPD L_LN2LO, Y4, Y3; \
	VFMADD231PD Y8, Y6, Y3; \
	VSUBPD Y3, Y9, Y3; \
	VSUBPD Y5, Y3, Y3; \
	VMULPD L_LN2HI, Y4, Y2; \
	VSUBPD Y3, Y2, Y2; \
	VCMPPD $0, L_POSINF, Y0, Y1; \
	VBLENDVPD Y1, L_POSINF, Y2, Y2; \
	VXORPD Y3, Y3, Y3; \
	VCMPPD $0, Y3, Y0, Y1; \
	VBLENDVPD Y1, L_NEGINF, Y2, Y2; \
	VCMPPD $1, Y3, Y0, Y1; \
	VCMPPD $3, Y0, Y0, Y4; \
	VORPD Y4, Y1, Y1; \
	VBLENDVPD Y1, L_NAN, Y2, Y2

// func logAVX2F64(dst, x *float64, n int)
TEXT ·logAVX2F64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
log64loop:
	CMPQ CX, $4
	JL log64done
	VMOVUPD (SI), Y0
	LOGCORE
	VMOVUPD Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP log64loop
log64done:
	VZEROUPPER
	RET

// func logAVX2F32(dst, x *float32, n int)
TEXT ·logAVX2F32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
log32loop:
	CMPQ CX, $4
	JL log32done
	VCVTPS2PD (SI), Y0
	LOGCORE
	VCVTPD2PSY Y2, X2
	VMOVUPS X2, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	SUBQ $4, CX
	JMP log32loop
log32done:
	VZEROUPPER
	RET
