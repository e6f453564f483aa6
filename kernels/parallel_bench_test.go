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
