package kernels

import "testing"

// BenchmarkParallelOverhead: one parallel call of two empty tasks, the
// fixed cost that parMinWork must pay for (run with -cpu 2).
func BenchmarkParallelOverhead(b *testing.B) {
	var sink [2]int
	p := newParFor(2, func(w, t int) { sink[t]++ })
	for b.Loop() {
		p.run()
	}
}

// BenchmarkParallelOverheadCold: the same call after 200 µs of serial work,
// long enough for the idle pool goroutine to park (compare with
// BenchmarkSerialWork, the serial work alone).
func BenchmarkParallelOverheadCold(b *testing.B) { afterSerial(b, 200, 0) }

// BenchmarkParallelOverheadGap: the same call after 20 µs of serial work,
// the gap between two parallel kernels of a step with small kernels between
// them (compare with BenchmarkSerialWork20).
func BenchmarkParallelOverheadGap(b *testing.B) { afterSerial(b, 20, 0) }

// BenchmarkParallelHandoff: 20 µs of serial work, then two tasks of 10 µs
// each (spin's microseconds: on the 2026-12 machine spin(20) took 12 µs):
// on two threads, what a call takes beyond the serial work and one task
// is the hand-off.
func BenchmarkParallelHandoff(b *testing.B) { afterSerial(b, 20, 10) }

// afterSerial times spin(serial) followed by one parallel call of two
// tasks of spin(task) each.
func afterSerial(b *testing.B, serial, task int) {
	var sink [2]int
	p := newParFor(2, func(w, t int) {
		sink[t]++
		if task > 0 {
			spin(task)
		}
	})
	for b.Loop() {
		spin(serial)
		p.run()
	}
}

// BenchmarkSerialWork20 is the serial work of BenchmarkParallelOverheadGap.
func BenchmarkSerialWork20(b *testing.B) {
	for b.Loop() {
		spin(20)
	}
}

// BenchmarkSerialWork is the serial work of BenchmarkParallelOverheadCold.
func BenchmarkSerialWork(b *testing.B) {
	for b.Loop() {
		spin(200)
	}
}

var spinSink float64

// spin computes for about us microseconds.
func spin(us int) {
	x := spinSink
	for i := 0; i < us*300; i++ {
		x = x*0.999 + 1
	}
	spinSink = x
}
