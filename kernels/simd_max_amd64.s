//go:build amd64 && !noasm

#include "textflag.h"

// dst[i] = max(dst[i], x[i]) as Go's max computes it, for n a multiple of
// eight (f32) or four (f64): VMAXP* gives its second operand for equal
// values and NaNs, so equal lanes take the AND of both (+0 over -0) and
// unordered lanes the sum (a NaN).
#define MAXACC(MAXP, ANDP, CMPP, ADDP, BLEND, MOVU, STEP, BYTES) \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ n+16(FP), CX; \
loop: \
	CMPQ CX, $STEP; \
	JL done; \
	MOVU (DI), Y0; \
	MOVU (SI), Y1; \
	MAXP Y1, Y0, Y2; \
	ANDP Y1, Y0, Y3; \
	CMPP $0, Y1, Y0, Y4; \
	BLEND Y4, Y3, Y2, Y2; \
	CMPP $3, Y1, Y0, Y4; \
	ADDP Y1, Y0, Y3; \
	BLEND Y4, Y3, Y2, Y2; \
	MOVU Y2, (DI); \
	ADDQ $BYTES, DI; \
	ADDQ $BYTES, SI; \
	SUBQ $STEP, CX; \
	JMP loop; \
done: \
	VZEROUPPER; \
	RET

// func maxAccV32(dst, x *float32, n int)
TEXT ·maxAccV32(SB), NOSPLIT, $0-24
	MAXACC(VMAXPS, VANDPS, VCMPPS, VADDPS, VBLENDVPS, VMOVUPS, 8, 32)

// func maxAccV64(dst, x *float64, n int)
TEXT ·maxAccV64(SB), NOSPLIT, $0-24
	MAXACC(VMAXPD, VANDPD, VCMPPD, VADDPD, VBLENDVPD, VMOVUPD, 4, 32)
