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
func BenchmarkParallelOverheadCold(b *testing.B) {
	var sink [2]int
	p := newParFor(2, func(w, t int) { sink[t]++ })
	for b.Loop() {
		spin(200)
		p.run()
	}
}

// BenchmarkParallelOverheadGap: the same call after 20 µs of serial work,
// the gap between two parallel kernels of a step with small kernels between
// them (compare with BenchmarkSerialWork20).
func BenchmarkParallelOverheadGap(b *testing.B) {
	var sink [2]int
	p := newParFor(2, func(w, t int) { sink[t]++ })
	for b.Loop() {
		spin(20)
		p.run()
	}
}

// BenchmarkParallelHandoff: 20 µs of serial work, then two tasks of 10 µs
// each: 40 µs a call on one thread (-cpu 1), 30 µs on two when the second
// thread takes its task at once; what two threads lose beyond that is the
// hand-off.
func BenchmarkParallelHandoff(b *testing.B) {
	p := newParFor(2, func(w, t int) { spin(10) })
	for b.Loop() {
		spin(20)
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
