package data

import (
	"context"
	"testing"
	"time"

	"github.com/nnclang/nnc/tensor"
)

// benchImages is an MNIST-like set: n byte images 28 × 28 as f32 / 255.
func benchImages(n int) *Dataset {
	img := &ByteArray{Shape: []int{n, 28, 28}, Data: make([]byte, n*784), DType: tensor.F32, Scale: 1.0 / 255}
	r := newRNG(1, 1)
	for i := range img.Data {
		img.Data[i] = byte(r.next())
	}
	y := tensor.New(tensor.I32, n)
	for i := range n {
		y.I32[i] = int32(i % 10)
	}
	return &Dataset{Bytes: map[string]*ByteArray{"x": img}, Arrays: map[string]*tensor.Tensor{"y": y}}
}

// benchPrep augments (crop, flip, affine) and standardizes a batch.
func benchPrep(b *testing.B, d *Dataset) Prep {
	pre := &Preprocess{Scaling: Standardize}
	if err := pre.Fit(d); err != nil {
		b.Fatal(err)
	}
	aug := &Augment{Crop: 2, Flip: true, Rotate: 10, Translate: 0.1, Scale: 0.1, Seed: 1}
	return func(bt *Batch, epoch int) error {
		if err := aug.Apply(bt, epoch); err != nil {
			return err
		}
		return pre.ScaleBatch(bt)
	}
}

// benchStep stands for a training step: a dense layer's forward and
// backward products, x [128, 784] by w [784, 32], on one goroutine.
type benchStep struct{ w, h []float32 }

func newBenchStep() *benchStep {
	s := &benchStep{w: make([]float32, 784*32), h: make([]float32, 128*32)}
	for i := range s.w {
		s.w[i] = float32(i%7) * 0.01
	}
	return s
}

func (s *benchStep) run(x []float32) float32 {
	rows := len(x) / 784
	for pass := range 2 {
		for i := range rows {
			xi := x[i*784 : (i+1)*784]
			hi := s.h[i*32 : (i+1)*32]
			for k, v := range xi {
				wk := s.w[k*32 : (k+1)*32]
				for j := range hi {
					hi[j] += v * wk[j] * float32(pass+1)
				}
			}
		}
	}
	return s.h[0]
}

// BenchmarkPrefetch measures, per batch of 128 augmented MNIST-sized
// images: preparing it (Prep), the stand-in step alone (Step), both one
// after the other (Sequential) and the step with the batch prepared by
// Prefetch meanwhile (Overlapped), which reports the time the step waited
// for its batch (wait-ns/op): the prep time not hidden. On an idle second
// core it is near 0 and Overlapped near Step.
func BenchmarkPrefetch(b *testing.B) {
	d := benchImages(4096)
	prep := benchPrep(b, d)
	step := newBenchStep()
	var sink float32
	b.Run("Prep", func(b *testing.B) {
		bs, _ := NewBatches(d, 128, true, 1)
		e := 0
		for b.Loop() {
			if !bs.Next() {
				e++
				bs.Start(e)
				bs.Next()
			}
			if err := prep(bs.Batch(), e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Step", func(b *testing.B) {
		x := make([]float32, 128*784)
		for b.Loop() {
			sink += step.run(x)
		}
	})
	b.Run("Sequential", func(b *testing.B) {
		bs, _ := NewBatches(d, 128, true, 1)
		e := 0
		for b.Loop() {
			if !bs.Next() {
				e++
				bs.Start(e)
				bs.Next()
			}
			if err := prep(bs.Batch(), e); err != nil {
				b.Fatal(err)
			}
			sink += step.run(bs.Batch().Arrays["x"].F32)
		}
	})
	b.Run("Overlapped", func(b *testing.B) {
		p, _ := NewPrefetch(d, PrefetchOptions{Size: 128, Shuffle: true, Seed: 1, Prep: prep})
		defer p.Close()
		e := 0
		p.Start(context.Background(), e)
		var wait time.Duration // time the step waited for its batch
		for b.Loop() {
			t0 := time.Now()
			if !p.Next() {
				if p.Err() != nil {
					b.Fatal(p.Err())
				}
				e++
				p.Start(context.Background(), e)
				p.Next()
			}
			wait += time.Since(t0)
			sink += step.run(p.Batch().Arrays["x"].F32)
		}
		b.ReportMetric(float64(wait.Nanoseconds())/float64(b.N), "wait-ns/op")
	})
	_ = sink
}
