//go:build amd64 && !noasm

#include "textflag.h"

// AVX2 row functions of the fused interpreter (fused_amd64.go): dst[i] =
// x[i] OP y[i] (VV), x[i] OP c (VS) and c OP x[i] (SV) for n elements,
// eight f32 or four f64 at a time, then one at a time. Each lane is the
// same IEEE operation as Go's scalar arithmetic, so the results are bitwise
// those of the pure-Go loops (where both operands are NaN, which NaN comes
// out may differ). dst may alias x or y.

#define VV32(NAME, VOP, SOP) \
TEXT NAME(SB), NOSPLIT, $0-32; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ y+16(FP), DX; \
	MOVQ n+24(FP), CX; \
loop: \
	CMPQ CX, $8; \
	JL tail; \
	VMOVUPS (SI), Y0; \
	VMOVUPS (DX), Y1; \
	VOP Y1, Y0, Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DX; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSS (SI), X0; \
	VMOVSS (DX), X1; \
	SOP X1, X0, X0; \
	VMOVSS X0, (DI); \
	ADDQ $4, SI; \
	ADDQ $4, DX; \
	ADDQ $4, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

#define VS32(NAME, VOP, SOP) \
TEXT NAME(SB), NOSPLIT, $0-28; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	VBROADCASTSS c+24(FP), Y1; \
loop: \
	CMPQ CX, $8; \
	JL tail; \
	VMOVUPS (SI), Y0; \
	VOP Y1, Y0, Y2; \
	VMOVUPS Y2, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSS (SI), X0; \
	SOP X1, X0, X2; \
	VMOVSS X2, (DI); \
	ADDQ $4, SI; \
	ADDQ $4, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

#define SV32(NAME, VOP, SOP) \
TEXT NAME(SB), NOSPLIT, $0-28; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	VBROADCASTSS c+24(FP), Y1; \
loop: \
	CMPQ CX, $8; \
	JL tail; \
	VMOVUPS (SI), Y0; \
	VOP Y0, Y1, Y2; \
	VMOVUPS Y2, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSS (SI), X0; \
	SOP X0, X1, X2; \
	VMOVSS X2, (DI); \
	ADDQ $4, SI; \
	ADDQ $4, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

#define VV64(NAME, VOP, SOP) \
TEXT NAME(SB), NOSPLIT, $0-32; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ y+16(FP), DX; \
	MOVQ n+24(FP), CX; \
loop: \
	CMPQ CX, $4; \
	JL tail; \
	VMOVUPD (SI), Y0; \
	VMOVUPD (DX), Y1; \
	VOP Y1, Y0, Y0; \
	VMOVUPD Y0, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DX; \
	ADDQ $32, DI; \
	SUBQ $4, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSD (SI), X0; \
	VMOVSD (DX), X1; \
	SOP X1, X0, X0; \
	VMOVSD X0, (DI); \
	ADDQ $8, SI; \
	ADDQ $8, DX; \
	ADDQ $8, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

#define VS64(NAME, VOP, SOP) \
TEXT NAME(SB), NOSPLIT, $0-32; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	VBROADCASTSD c+24(FP), Y1; \
loop: \
	CMPQ CX, $4; \
	JL tail; \
	VMOVUPD (SI), Y0; \
	VOP Y1, Y0, Y2; \
	VMOVUPD Y2, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $4, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSD (SI), X0; \
	SOP X1, X0, X2; \
	VMOVSD X2, (DI); \
	ADDQ $8, SI; \
	ADDQ $8, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

#define SV64(NAME, VOP, SOP) \
TEXT NAME(SB), NOSPLIT, $0-32; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	VBROADCASTSD c+24(FP), Y1; \
loop: \
	CMPQ CX, $4; \
	JL tail; \
	VMOVUPD (SI), Y0; \
	VOP Y0, Y1, Y2; \
	VMOVUPD Y2, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $4, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSD (SI), X0; \
	SOP X0, X1, X2; \
	VMOVSD X2, (DI); \
	ADDQ $8, SI; \
	ADDQ $8, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

VV32(·addVV32, VADDPS, VADDSS)
VS32(·addVS32, VADDPS, VADDSS)
SV32(·addSV32, VADDPS, VADDSS)
VV32(·subVV32, VSUBPS, VSUBSS)
VS32(·subVS32, VSUBPS, VSUBSS)
SV32(·subSV32, VSUBPS, VSUBSS)
VV32(·mulVV32, VMULPS, VMULSS)
VS32(·mulVS32, VMULPS, VMULSS)
SV32(·mulSV32, VMULPS, VMULSS)
VV32(·divVV32, VDIVPS, VDIVSS)
VS32(·divVS32, VDIVPS, VDIVSS)
SV32(·divSV32, VDIVPS, VDIVSS)
VV64(·addVV64, VADDPD, VADDSD)
VS64(·addVS64, VADDPD, VADDSD)
SV64(·addSV64, VADDPD, VADDSD)
VV64(·subVV64, VSUBPD, VSUBSD)
VS64(·subVS64, VSUBPD, VSUBSD)
SV64(·subSV64, VSUBPD, VSUBSD)
VV64(·mulVV64, VMULPD, VMULSD)
VS64(·mulVS64, VMULPD, VMULSD)
SV64(·mulSV64, VMULPD, VMULSD)
VV64(·divVV64, VDIVPD, VDIVSD)
VS64(·divVS64, VDIVPD, VDIVSD)
SV64(·divSV64, VDIVPD, VDIVSD)

// Unary rows: negation flips the sign bit as Go does; relu keeps x unless
// x < 0 (so NaN and -0 stay, as in ReluRow); square is x*x.

// negV32: see fused_amd64.go.
TEXT ·negV32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL $0x80000000, AX
	VMOVD AX, X6
	VPBROADCASTD X6, Y6
loop:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VXORPS Y6, Y0, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JE    done
	VMOVSS (SI), X0
	VXORPS X6, X0, X2
	VMOVSS X2, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET

// reluV32: see fused_amd64.go.
TEXT ·reluV32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y7, Y7, Y7
loop:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VCMPPS $1, Y7, Y0, Y2
	VANDNPS Y0, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JE    done
	VMOVSS (SI), X0
	VCMPSS $1, X7, X0, X2
	VANDNPS X0, X2, X2
	VMOVSS X2, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET

// squareV32: see fused_amd64.go.
TEXT ·squareV32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX

loop:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VMULPS Y0, Y0, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JE    done
	VMOVSS (SI), X0
	VMULSS X0, X0, X2
	VMOVSS X2, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET

// negV64: see fused_amd64.go.
TEXT ·negV64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ $0x8000000000000000, AX
	VMOVQ AX, X6
	VPBROADCASTQ X6, Y6
loop:
	CMPQ CX, $4
	JL   tail
	VMOVUPD (SI), Y0
	VXORPD Y6, Y0, Y2
	VMOVUPD Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JE    done
	VMOVSD (SI), X0
	VXORPD X6, X0, X2
	VMOVSD X2, (DI)
	ADDQ $8, SI
	ADDQ $8, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET

// reluV64: see fused_amd64.go.
TEXT ·reluV64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPD Y7, Y7, Y7
loop:
	CMPQ CX, $4
	JL   tail
	VMOVUPD (SI), Y0
	VCMPPD $1, Y7, Y0, Y2
	VANDNPD Y0, Y2, Y2
	VMOVUPD Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JE    done
	VMOVSD (SI), X0
	VCMPSD $1, X7, X0, X2
	VANDNPD X0, X2, X2
	VMOVSD X2, (DI)
	ADDQ $8, SI
	ADDQ $8, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET

// squareV64: see fused_amd64.go.
TEXT ·squareV64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX

loop:
	CMPQ CX, $4
	JL   tail
	VMOVUPD (SI), Y0
	VMULPD Y0, Y0, Y2
	VMOVUPD Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JE    done
	VMOVSD (SI), X0
	VMULSD X0, X0, X2
	VMOVSD X2, (DI)
	ADDQ $8, SI
	ADDQ $8, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET


// Comparisons: 1 where x > y (predicate GT_OQ) or x == y (EQ_OQ), else
// +0, as b2f gives: NaN compares false, -0 equals +0.

#define CVV32(NAME, PRED) \
TEXT NAME(SB), NOSPLIT, $0-32; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ y+16(FP), DX; \
	MOVQ n+24(FP), CX; \
	MOVL $0x3f800000, AX; \
	VMOVD AX, X5; \
	VPBROADCASTD X5, Y5; \
loop: \
	CMPQ CX, $8; \
	JL tail; \
	VMOVUPS (SI), Y0; \
	VMOVUPS (DX), Y1; \
	VCMPPS PRED, Y1, Y0, Y2; \
	VANDPS Y5, Y2, Y2; \
	VMOVUPS Y2, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DX; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSS (SI), X0; \
	VMOVSS (DX), X1; \
	VCMPSS PRED, X1, X0, X2; \
	VANDPS X5, X2, X2; \
	VMOVSS X2, (DI); \
	ADDQ $4, SI; \
	ADDQ $4, DX; \
	ADDQ $4, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

#define CVS32(NAME, PRED) \
TEXT NAME(SB), NOSPLIT, $0-28; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	VBROADCASTSS c+24(FP), Y1; \
	MOVL $0x3f800000, AX; \
	VMOVD AX, X5; \
	VPBROADCASTD X5, Y5; \
loop: \
	CMPQ CX, $8; \
	JL tail; \
	VMOVUPS (SI), Y0; \
	VCMPPS PRED, Y1, Y0, Y2; \
	VANDPS Y5, Y2, Y2; \
	VMOVUPS Y2, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSS (SI), X0; \
	VCMPSS PRED, X1, X0, X2; \
	VANDPS X5, X2, X2; \
	VMOVSS X2, (DI); \
	ADDQ $4, SI; \
	ADDQ $4, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

#define CSV32(NAME, PRED) \
TEXT NAME(SB), NOSPLIT, $0-28; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	VBROADCASTSS c+24(FP), Y1; \
	MOVL $0x3f800000, AX; \
	VMOVD AX, X5; \
	VPBROADCASTD X5, Y5; \
loop: \
	CMPQ CX, $8; \
	JL tail; \
	VMOVUPS (SI), Y0; \
	VCMPPS PRED, Y0, Y1, Y2; \
	VANDPS Y5, Y2, Y2; \
	VMOVUPS Y2, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSS (SI), X0; \
	VCMPSS PRED, X0, X1, X2; \
	VANDPS X5, X2, X2; \
	VMOVSS X2, (DI); \
	ADDQ $4, SI; \
	ADDQ $4, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

#define CVV64(NAME, PRED) \
TEXT NAME(SB), NOSPLIT, $0-32; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ y+16(FP), DX; \
	MOVQ n+24(FP), CX; \
	MOVQ $0x3ff0000000000000, AX; \
	VMOVQ AX, X5; \
	VPBROADCASTQ X5, Y5; \
loop: \
	CMPQ CX, $4; \
	JL tail; \
	VMOVUPD (SI), Y0; \
	VMOVUPD (DX), Y1; \
	VCMPPD PRED, Y1, Y0, Y2; \
	VANDPD Y5, Y2, Y2; \
	VMOVUPD Y2, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DX; \
	ADDQ $32, DI; \
	SUBQ $4, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSD (SI), X0; \
	VMOVSD (DX), X1; \
	VCMPSD PRED, X1, X0, X2; \
	VANDPD X5, X2, X2; \
	VMOVSD X2, (DI); \
	ADDQ $8, SI; \
	ADDQ $8, DX; \
	ADDQ $8, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

#define CVS64(NAME, PRED) \
TEXT NAME(SB), NOSPLIT, $0-32; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	VBROADCASTSD c+24(FP), Y1; \
	MOVQ $0x3ff0000000000000, AX; \
	VMOVQ AX, X5; \
	VPBROADCASTQ X5, Y5; \
loop: \
	CMPQ CX, $4; \
	JL tail; \
	VMOVUPD (SI), Y0; \
	VCMPPD PRED, Y1, Y0, Y2; \
	VANDPD Y5, Y2, Y2; \
	VMOVUPD Y2, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $4, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSD (SI), X0; \
	VCMPSD PRED, X1, X0, X2; \
	VANDPD X5, X2, X2; \
	VMOVSD X2, (DI); \
	ADDQ $8, SI; \
	ADDQ $8, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

#define CSV64(NAME, PRED) \
TEXT NAME(SB), NOSPLIT, $0-32; \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	VBROADCASTSD c+24(FP), Y1; \
	MOVQ $0x3ff0000000000000, AX; \
	VMOVQ AX, X5; \
	VPBROADCASTQ X5, Y5; \
loop: \
	CMPQ CX, $4; \
	JL tail; \
	VMOVUPD (SI), Y0; \
	VCMPPD PRED, Y0, Y1, Y2; \
	VANDPD Y5, Y2, Y2; \
	VMOVUPD Y2, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $4, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	VMOVSD (SI), X0; \
	VCMPSD PRED, X0, X1, X2; \
	VANDPD X5, X2, X2; \
	VMOVSD X2, (DI); \
	ADDQ $8, SI; \
	ADDQ $8, DI; \
	DECQ CX; \
	JMP tail; \
done: \
	VZEROUPPER; \
	RET

CVV32(·greaterVV32, $0x1E)
CVS32(·greaterVS32, $0x1E)
CSV32(·greaterSV32, $0x1E)
CVV32(·equalVV32, $0x00)
CVS32(·equalVS32, $0x00)
CSV32(·equalSV32, $0x00)
CVV64(·greaterVV64, $0x1E)
CVS64(·greaterVS64, $0x1E)
CSV64(·greaterSV64, $0x1E)
CVV64(·equalVV64, $0x00)
CVS64(·equalVS64, $0x00)
CSV64(·equalSV64, $0x00)

// sqrt is correctly rounded in both widths, as math.Sqrt is (and an f64
// square root rounded to f32 is the correctly rounded f32 one).

// sqrtV32: see fused_amd64.go.
TEXT ·sqrtV32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX

loop:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VSQRTPS Y0, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JE    done
	VMOVSS (SI), X0
	VSQRTSS X0, X0, X2
	VMOVSS X2, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET

// sqrtV64: see fused_amd64.go.
TEXT ·sqrtV64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX

loop:
	CMPQ CX, $4
	JL   tail
	VMOVUPD (SI), Y0
	VSQRTPD Y0, Y2
	VMOVUPD Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JE    done
	VMOVSD (SI), X0
	VSQRTSD X0, X0, X2
	VMOVSD X2, (DI)
	ADDQ $8, SI
	ADDQ $8, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET

// abs flips the sign of x where x < 0 only, as AbsRow does (so -0 and a
// negative NaN keep their sign bit).

// absV32: see fused_amd64.go.
TEXT ·absV32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL $0x80000000, AX
	VMOVD AX, X6
	VPBROADCASTD X6, Y6
	VXORPS Y7, Y7, Y7

loop:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y0
	VCMPPS $1, Y7, Y0, Y2
	VANDPS Y6, Y2, Y2
	VXORPS Y0, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JE    done
	VMOVSS (SI), X0
	VCMPSS $1, X7, X0, X2
	VANDPS X6, X2, X2
	VXORPS X0, X2, X2
	VMOVSS X2, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET

// absV64: see fused_amd64.go.
TEXT ·absV64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ $0x8000000000000000, AX
	VMOVQ AX, X6
	VPBROADCASTQ X6, Y6
	VXORPD Y7, Y7, Y7

loop:
	CMPQ CX, $4
	JL   tail
	VMOVUPD (SI), Y0
	VCMPPD $1, Y7, Y0, Y2
	VANDPD Y6, Y2, Y2
	VXORPD Y0, Y2, Y2
	VMOVUPD Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JE    done
	VMOVSD (SI), X0
	VCMPSD $1, X7, X0, X2
	VANDPD X6, X2, X2
	VXORPD X0, X2, X2
	VMOVSD X2, (DI)
	ADDQ $8, SI
	ADDQ $8, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET
