package data

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// augmentExpect is testdata/augment/augment_expect.json, written by
// make_augment.py (NumPy; the affine cases checked against SciPy).
type augmentExpect struct {
	Shape []int
	Image []float64
	Crops []struct {
		Pad, Dy, Dx int
		Out         []float64
	}
	Flip   []float64
	Affine []struct {
		Angle, Tx, Ty, Zoom float64
		Out                 []float64
	}
}

func loadAugmentExpect(t *testing.T) (*augmentExpect, imageShape, []float32) {
	t.Helper()
	b, err := os.ReadFile("testdata/augment/augment_expect.json")
	if err != nil {
		t.Fatal(err)
	}
	var e augmentExpect
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	img := make([]float32, len(e.Image))
	for i, v := range e.Image {
		img[i] = float32(v)
	}
	return &e, imageShape{e.Shape[0], e.Shape[1], e.Shape[2]}, img
}

func f64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestAugmentCropFlipExact(t *testing.T) {
	e, s, img := loadAugmentExpect(t)
	dst := make([]float32, len(img))
	for _, c := range e.Crops {
		cropImage(dst, img, s, c.Pad, c.Dy, c.Dx)
		sameFloats(t, "crop", f64s(dst), c.Out)
	}
	flipped := slices.Clone(img)
	flipImage(flipped, s)
	sameFloats(t, "flip", f64s(flipped), e.Flip)
	flipImage(flipped, s)
	sameFloats(t, "flip twice", f64s(flipped), f64s(img))
}

func TestAugmentAffineReference(t *testing.T) {
	e, s, img := loadAugmentExpect(t)
	dst := make([]float32, len(img))
	for _, c := range e.Affine {
		affineImage(dst, img, s, imageDraw{angle: c.Angle, tx: c.Tx, ty: c.Ty, zm: c.Zoom})
		for i := range dst {
			// Equal here; two f32 ulps allow for sin and cos of other libraries.
			if d := math.Abs(float64(dst[i]) - c.Out[i]); d > 2.5e-7 {
				t.Fatalf("affine %+v: value %d = %v, want %v", c, i, dst[i], c.Out[i])
			}
		}
	}
	// The identity transform copies exactly.
	affineImage(dst, img, s, imageDraw{zm: 1})
	sameFloats(t, "identity affine", f64s(dst), f64s(img))
}

// imageBatch is a batch of n random images [C, H, W] (f32 in [0, 1)).
func imageBatch(n int, s imageShape, seed uint64) *Batch {
	x := tensor.New(tensor.F32, n, s.c, s.h, s.w)
	r := newRNG(seed, 1)
	for i := range x.F32 {
		x.F32[i] = float32(r.float())
	}
	return &Batch{Index: 3, Size: n, Arrays: map[string]*tensor.Tensor{"x": x, "y": tensor.New(tensor.I32, n)}}
}

func TestAugmentApplyComposes(t *testing.T) {
	s := imageShape{3, 8, 6}
	a := &Augment{Crop: 2, Flip: true, Rotate: 10, Translate: 0.1, Scale: 0.1, Noise: 0.05, Seed: 9}
	b := imageBatch(64, s, 1)
	orig := b.Arrays["x"].Clone()
	if err := a.Apply(b, 4); err != nil {
		t.Fatal(err)
	}
	per := s.c * s.h * s.w
	flips, offsets := 0, map[[2]int]bool{}
	tmp := make([]float32, per)
	for i := range 64 {
		want := slices.Clone(orig.F32[i*per : (i+1)*per])
		r := a.imageRNG(4, 3, i)
		d := a.draw(r, s)
		if d.dy < 0 || d.dy > 4 || d.dx < 0 || d.dx > 4 || math.Abs(d.angle) > 10*math.Pi/180 ||
			math.Abs(d.tx) > 0.6 || math.Abs(d.ty) > 0.8 || d.zm < 0.9 || d.zm > 1.1 {
			t.Fatalf("row %d: draw %+v out of its ranges", i, d)
		}
		offsets[[2]int{d.dy, d.dx}] = true
		cropImage(tmp, want, s, 2, d.dy, d.dx)
		copy(want, tmp)
		if d.flip {
			flips++
			flipImage(want, s)
		}
		affineImage(tmp, want, s, d)
		copy(want, tmp)
		addNoise(want, r, 0.05)
		sameFloats(t, "augmented row", f64s(b.Arrays["x"].F32[i*per:(i+1)*per]), f64s(want))
	}
	// 64 fair coin flips: outside [16, 48] has probability below 1e-4.
	if flips < 16 || flips > 48 {
		t.Fatalf("%d of 64 images flipped", flips)
	}
	if len(offsets) < 10 {
		t.Fatalf("only %d distinct crop offsets in 64 images", len(offsets))
	}
	if !slices.Equal(b.Arrays["y"].I32, make([]int32, 64)) {
		t.Fatal("the labels changed")
	}
}

func TestAugmentDeterministic(t *testing.T) {
	s := imageShape{1, 12, 12}
	a := &Augment{Crop: 3, Flip: true, Rotate: 15, Translate: 0.1, Scale: 0.2, Noise: 0.1, Seed: 42}
	run := func(epoch int, seed uint64) []float32 {
		b := imageBatch(16, s, 7)
		aa := *a
		aa.Seed = seed
		if err := aa.Apply(b, epoch); err != nil {
			t.Fatal(err)
		}
		return b.Arrays["x"].F32
	}
	first := run(2, 42)
	if !slices.Equal(first, run(2, 42)) {
		t.Fatal("same seed and epoch, different batches")
	}
	if slices.Equal(first, run(3, 42)) || slices.Equal(first, run(2, 43)) {
		t.Fatal("another epoch or seed gives the same batch")
	}
	// Through the prefetcher, under GOMAXPROCS 1 and 2: the same bytes.
	x := tensor.New(tensor.F32, 40, 12, 12)
	r := newRNG(5, 2)
	for i := range x.F32 {
		x.F32[i] = float32(r.float())
	}
	d := &Dataset{Arrays: map[string]*tensor.Tensor{"x": x}}
	epochs := func(procs int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		p, err := NewPrefetch(d, PrefetchOptions{Size: 16, Shuffle: true, Seed: 1, Prep: a.Apply})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		var out [][]float32
		for e := range 2 {
			for p.Start(context.Background(), e); p.Next(); {
				out = append(out, slices.Clone(p.Batch().Arrays["x"].F32))
			}
			if p.Err() != nil {
				t.Fatal(p.Err())
			}
		}
		return out
	}
	one, two := epochs(1), epochs(2)
	if len(one) != 6 {
		t.Fatalf("%d batches in two epochs of 40 rows by 16", len(one))
	}
	for i := range one {
		if !slices.Equal(one[i], two[i]) {
			t.Fatalf("batch %d differs between GOMAXPROCS 1 and 2", i)
		}
	}
}

func TestAugmentNoiseStatistics(t *testing.T) {
	const sigma = 0.25
	x := tensor.New(tensor.F64, 16, 64, 64)
	b := &Batch{Size: 16, Arrays: map[string]*tensor.Tensor{"x": x}}
	if err := (&Augment{Noise: sigma, Seed: 1}).Apply(b, 0); err != nil {
		t.Fatal(err)
	}
	n := float64(x.Len())
	var sum, sq, quart, within, lag float64
	for i, v := range x.F64 {
		z := v / sigma
		sum += z
		sq += z * z
		quart += z * z * z * z
		if math.Abs(z) < 1 {
			within++
		}
		if i > 0 {
			lag += z * x.F64[i-1] / sigma
		}
	}
	mean := sum / n
	variance := sq/n - mean*mean
	// Tolerances of five standard errors for n = 65,536 standard normals.
	if math.Abs(mean) > 5/math.Sqrt(n) {
		t.Errorf("noise mean %v σ", mean)
	}
	if math.Abs(variance-1) > 5*math.Sqrt(2/n) {
		t.Errorf("noise variance %v σ²", variance)
	}
	if k := quart / n; math.Abs(k-3) > 5*math.Sqrt(96/n) {
		t.Errorf("fourth moment %v, want 3", k)
	}
	if p := within / n; math.Abs(p-0.682689) > 5*math.Sqrt(0.2166/n) {
		t.Errorf("fraction within one σ: %v, want 0.6827", p)
	}
	if c := lag / n; math.Abs(c) > 5/math.Sqrt(n) {
		t.Errorf("correlation of neighbours %v", c)
	}
}

func TestAugmentErrors(t *testing.T) {
	b := imageBatch(2, imageShape{1, 4, 4}, 1)
	cases := map[string]*Augment{
		"rotate 200":                  {Rotate: 200},
		"translate 2":                 {Translate: 2},
		"scale 1 ":                    {Scale: 1},
		"noise -1":                    {Noise: -1},
		"noise NaN":                   {Noise: math.NaN()},
		"crop padding 5":              {Crop: 5},
		"crop padding -1 is negative": {Crop: -1},
		"no array \"img\"":            {Array: "img"},
		"does not hold":               {Image: []int{3, 3}},
		"is not [H, W] or [C, H, W]":  {Image: []int{1, 1, 4, 4}},
	}
	for want, a := range cases {
		err := a.Apply(b, 0)
		if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(want)) {
			t.Errorf("%+v: got %v, want %q", a, err, want)
		}
	}
	ints := &Batch{Arrays: map[string]*tensor.Tensor{"x": tensor.New(tensor.I32, 2, 4, 4)}}
	if err := (&Augment{Flip: true}).Apply(ints, 0); err == nil || !strings.Contains(err.Error(), "as floats") {
		t.Errorf("integer images: %v", err)
	}
	empty := &Batch{Arrays: map[string]*tensor.Tensor{"x": tensor.New(tensor.F32, 2, 0, 4)}}
	if err := (&Augment{Flip: true}).Apply(empty, 0); err == nil || !strings.Contains(err.Error(), "empty dimension") {
		t.Errorf("empty images: %v", err)
	}
	flat := &Batch{Arrays: map[string]*tensor.Tensor{"x": tensor.New(tensor.F32, 2, 16)}}
	if err := (&Augment{Flip: true}).Apply(flat, 0); err == nil || !strings.Contains(err.Error(), "give the image's shape") {
		t.Errorf("flat rows: %v", err)
	}
	// Flat rows with Image flip as images.
	for i := range 16 {
		flat.Arrays["x"].F32[i] = float32(i)
	}
	a := &Augment{Flip: true, Image: []int{4, 4}}
	for seed := uint64(0); ; seed++ {
		a.Seed = seed
		if a.draw(a.imageRNG(0, 0, 0), imageShape{1, 4, 4}).flip {
			break
		}
	}
	if err := a.Apply(flat, 0); err != nil {
		t.Fatal(err)
	}
	if got := flat.Arrays["x"].F32[:4]; !slices.Equal(got, []float32{3, 2, 1, 0}) {
		t.Fatalf("flat row flipped as [4, 4]: %v", got)
	}
}
