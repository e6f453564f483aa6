//go:build linux

package kernels

import (
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"
)

// BenchmarkCoreRoundTrip measures how long CPUs 0 and 1 take to pass a
// cache line there and back (ns/op is one round trip): two goroutines,
// each locked to a thread pinned to one of the CPUs, take turns writing a
// counter the other polls. Every hand-off of the worker pool moves at
// least one line each way, so this is the floor of a parallel call's
// cost on the machine; on the 2-vCPU guest of BENCHMARKS.md, session 20,
// it was 0.87-0.98 µs, several times what two cores of one processor
// usually take.
func BenchmarkCoreRoundTrip(b *testing.B) {
	if runtime.NumCPU() < 2 {
		b.Skip("needs two CPUs")
	}
	var ping, pong struct {
		v atomic.Int64
		_ [120]byte
	}
	n := int64(b.N)
	errs := make(chan error, 2)
	go func() { // echoes on CPU 1; its thread ends with the goroutine
		if err := pinThread(1); err != nil {
			errs <- err
			return
		}
		errs <- nil
		for i := int64(1); i <= n; i++ {
			for v := ping.v.Load(); v != i; v = ping.v.Load() {
				if v < 0 { // the other side could not start
					return
				}
			}
			pong.v.Store(i)
		}
	}()
	if err := <-errs; err != nil {
		b.Skip("cannot pin a thread:", err)
	}
	done := make(chan struct{})
	b.ResetTimer()
	go func() {
		defer close(done)
		if err := pinThread(0); err != nil {
			ping.v.Store(-1)
			errs <- err
			return
		}
		for i := int64(1); i <= n; i++ {
			ping.v.Store(i)
			for pong.v.Load() != i {
			}
		}
	}()
	<-done
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal("cannot pin a thread:", err)
	default:
	}
}

// pinThread locks the calling goroutine to its thread, for good (the
// thread ends with the goroutine), and the thread to cpu.
func pinThread(cpu int) error {
	runtime.LockOSThread()
	var mask [16]uint64
	mask[cpu/64] |= 1 << (cpu % 64)
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask[0])))
	if e != 0 {
		return e
	}
	return nil
}
