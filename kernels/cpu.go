package kernels

// X86 reports the x86 vector extensions that both the processor and the
// operating system support, read once with CPUID at start-up. It is all
// false on other architectures and in builds with the noasm tag, where the
// kernels run their pure-Go loops.
var X86 struct {
	HasAVX, HasAVX2, HasFMA                           bool
	HasAVX512F, HasAVX512DQ, HasAVX512BW, HasAVX512VL bool
}
