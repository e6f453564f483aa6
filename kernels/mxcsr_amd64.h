// FTZ_ENTER saves MXCSR at 4(SP) and sets its flush-to-zero (bit 15) and
// denormals-are-zero (bit 6) bits; FTZ_LEAVE restores it. The f32 product
// and convolution kernels run between the two (see gemm_gen.go for why):
// the function needs an 8-byte frame, and AX is clobbered.
#define FTZ_ENTER \
	STMXCSR 0(SP); \
	MOVL 0(SP), AX; \
	MOVL AX, 4(SP); \
	ORL $0x8040, AX; \
	MOVL AX, 0(SP); \
	LDMXCSR 0(SP)

#define FTZ_LEAVE LDMXCSR 4(SP)
