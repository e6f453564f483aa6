//go:build amd64 && !noasm

#include "textflag.h"

// dropoutRange's f32 mask (random.go) with AVX-512: splitmix64's finalizer
// on eight 64-bit counters per step (VPMULLQ is AVX-512DQ), the top 53 bits
// compared unsigned with the threshold, and keep or 0 stored as eight
// floats under the comparison's mask (AVX-512VL).

// The lane offsets 0..7 of the first counters.
DATA dropoutLanes<>+0(SB)/8, $0
DATA dropoutLanes<>+8(SB)/8, $1
DATA dropoutLanes<>+16(SB)/8, $2
DATA dropoutLanes<>+24(SB)/8, $3
DATA dropoutLanes<>+32(SB)/8, $4
DATA dropoutLanes<>+40(SB)/8, $5
DATA dropoutLanes<>+48(SB)/8, $6
DATA dropoutLanes<>+56(SB)/8, $7
GLOBL dropoutLanes<>(SB), RODATA|NOPTR, $64

// func dropoutAVX512F32(dst *float32, n int, base, cut uint64, keep float32)
TEXT ·dropoutAVX512F32(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ base+16(FP), AX
	VPBROADCASTQ AX, Z0
	VPADDQ dropoutLanes<>(SB), Z0, Z0 // the counters base+0 .. base+7
	MOVQ $8, AX
	VPBROADCASTQ AX, Z1
	MOVQ $0x9e3779b97f4a7c15, AX
	VPBROADCASTQ AX, Z5
	MOVQ $0xbf58476d1ce4e5b9, AX
	VPBROADCASTQ AX, Z6
	MOVQ $0x94d049bb133111eb, AX
	VPBROADCASTQ AX, Z7
	MOVQ cut+24(FP), AX
	VPBROADCASTQ AX, Z8
	VBROADCASTSS keep+32(FP), Y9
	TESTQ CX, CX
	JZ done

loop:
	VPADDQ Z5, Z0, Z2 // z = c + 0x9e3779b97f4a7c15
	VPSRLQ $30, Z2, Z3
	VPXORQ Z3, Z2, Z2
	VPMULLQ Z6, Z2, Z2 // (z ^ z>>30) * 0xbf58476d1ce4e5b9
	VPSRLQ $27, Z2, Z3
	VPXORQ Z3, Z2, Z2
	VPMULLQ Z7, Z2, Z2 // (z ^ z>>27) * 0x94d049bb133111eb
	VPSRLQ $31, Z2, Z3
	VPXORQ Z3, Z2, Z2
	VPSRLQ $11, Z2, Z2 // u: the top 53 bits
	VPCMPUQ $5, Z8, Z2, K1 // kept where u >= cut
	VMOVUPS.Z Y9, K1, Y4
	VMOVUPS Y4, (DI)
	VPADDQ Z1, Z0, Z0
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ loop

done:
	VZEROUPPER
	RET
