//go:build amd64 && !noasm

package kernels

// cpuid executes the CPUID instruction with the given leaf and sub-leaf.
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// xgetbv reads the extended control register XCR0: which register states
// the operating system saves on a context switch.
func xgetbv() (eax, edx uint32)

func init() {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 1 {
		return
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fmaBit     = 1 << 12
		osxsaveBit = 1 << 27
		avxBit     = 1 << 28
	)
	if ecx1&osxsaveBit == 0 {
		return
	}
	xcr0, _ := xgetbv()
	osYMM := xcr0&0x6 == 0x6            // XMM and YMM state
	osZMM := osYMM && xcr0&0xe0 == 0xe0 // opmask, upper ZMM0-15, ZMM16-31
	X86.HasAVX = osYMM && ecx1&avxBit != 0
	X86.HasFMA = X86.HasAVX && ecx1&fmaBit != 0
	if maxLeaf < 7 {
		return
	}
	_, ebx7, _, _ := cpuid(7, 0)
	bit := func(n uint) bool { return ebx7&(1<<n) != 0 }
	X86.HasAVX2 = X86.HasAVX && bit(5)
	X86.HasAVX512F = osZMM && bit(16)
	X86.HasAVX512DQ = osZMM && bit(17)
	X86.HasAVX512BW = osZMM && bit(30)
	X86.HasAVX512VL = osZMM && bit(31)
}
