package kernels

import (
	"syscall"
	"unsafe"
)

// threadCPUSeconds is the CPU time of the calling OS thread
// (CLOCK_THREAD_CPUTIME_ID), which a busy machine does not inflate.
func threadCPUSeconds() (float64, bool) {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, false
	}
	return float64(ts.Nano()) / 1e9, true
}
