//go:build linux

package kernels

import (
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
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

// BenchmarkCoreRewrite times CPU 0 rewriting 512 KiB (a product's packed
// panels, say) that it wrote the time before: "local" when nothing else
// touched them in between, "readByOther" when CPU 1 read them in between,
// as the other participant of a parallel product reads shared packed
// panels; ns/rewrite is one rewrite (ns/op adds the turn-taking). The
// difference is what writing lines that another core holds costs (on the
// session 20 guest 10-11 µs against 84-91 µs).
func BenchmarkCoreRewrite(b *testing.B) {
	if runtime.NumCPU() < 2 {
		b.Skip("needs two CPUs")
	}
	for _, other := range []bool{false, true} {
		name := "local"
		if other {
			name = "readByOther"
		}
		b.Run(name, func(b *testing.B) { coreRewrite(b, other) })
	}
}

func coreRewrite(b *testing.B, other bool) {
	const n = 1 << 17 // f32: 512 KiB
	buf, src := make([]float32, n), make([]float32, n)
	var turn atomic.Int64 // odd: CPU 1's turn; -1: stop
	errs := make(chan error, 2)
	go func() { // reads buf on CPU 1 between rewrites
		if err := pinThread(1); err != nil {
			errs <- err
			return
		}
		errs <- nil
		var s float32
		for t := int64(1); ; t += 2 {
			for v := turn.Load(); v != t; v = turn.Load() {
				if v < 0 {
					spinSink = float64(s)
					return
				}
			}
			if other {
				for i := 0; i < n; i += 16 { // a line at a time
					s += buf[i]
				}
			}
			turn.Store(t + 1)
		}
	}()
	if err := <-errs; err != nil {
		b.Skip("cannot pin a thread:", err)
	}
	done := make(chan time.Duration)
	go func() {
		if err := pinThread(0); err != nil {
			turn.Store(-1)
			errs <- err
			done <- 0
			return
		}
		var d time.Duration
		for i := range b.N {
			t := int64(2 * i)
			for turn.Load() != t {
			}
			src[0] = float32(i)
			t0 := time.Now()
			copy(buf, src)
			d += time.Since(t0)
			turn.Store(t + 1)
		}
		for turn.Load() != int64(2*b.N) {
		}
		turn.Store(-1)
		done <- d
	}()
	d := <-done
	select {
	case err := <-errs:
		b.Fatal("cannot pin a thread:", err)
	default:
	}
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "ns/rewrite")
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
