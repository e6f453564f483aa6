package data

import (
	"fmt"
	"math"

	"github.com/nnclang/nnc/tensor"
)

// Augment randomly alters the images of training batches, each image on
// its own draws: a random crop of the image padded with zeros, a horizontal
// flip, a small affine transform (rotation, translation, zoom; bilinear)
// and Gaussian noise, in that order. The draws of an image depend only on
// Seed, the epoch, the batch's index and the image's row in the batch: the
// same seed and epoch give the same batches, byte for byte, whatever
// GOMAXPROCS, prefetching or timing. The zero value changes nothing.
//
// Images are rows of a float array laid out channels first: a row [H, W]
// is one channel, [C, H, W] has C (an image folder's rows); a flat row
// needs Image. Augment the pixels before scaling them (Preprocess's
// ScaleBatch), as the padding and the affine fill are zeros.
type Augment struct {
	// Array names the image array; "" means "x".
	Array string
	// Image is the shape of a row as an image, [C, H, W] or [H, W], for
	// rows stored flat ([N, 784] as [28, 28]); nil takes the row's shape.
	Image []int
	// Crop pads the image with Crop zeros on every side and takes an
	// H × W window at a uniform offset in [0, 2·Crop] on each axis (the
	// image shifted by up to Crop pixels); 0 means no crop.
	Crop int
	// Flip mirrors the image left to right with probability 1/2.
	Flip bool
	// Rotate is the largest angle in degrees (uniform in [−Rotate,
	// Rotate]; positive turns clockwise as displayed, rows going down),
	// in [0, 180].
	Rotate float64
	// Translate is the largest shift as a fraction of the width and of the
	// height (each uniform in [−Translate, Translate]), in [0, 1].
	Translate float64
	// Scale is the largest change of size (a zoom uniform in [1 − Scale,
	// 1 + Scale]), in [0, 1).
	Scale float64
	// Noise is the standard deviation of the Gaussian noise added to
	// every value, in [0, 1e6]; 0 adds none.
	Noise float64
	// Seed seeds the draws (the training seed, usually).
	Seed uint64
}

// maxNoise bounds Augment.Noise, far above any useful level, so that the
// noise stays finite in f32.
const maxNoise = 1e6

// imageShape is an image's channels, height and width.
type imageShape struct{ c, h, w int }

func (a *Augment) name() string {
	if a.Array == "" {
		return "x"
	}
	return a.Array
}

func (a *Augment) affine() bool { return a.Rotate > 0 || a.Translate > 0 || a.Scale > 0 }

// Check reports settings out of their ranges, or a row shape (of the image
// array, without the leading batch dimension) that is not an image.
func (a *Augment) Check(row []int) error {
	if err := a.CheckSettings(); err != nil {
		return err
	}
	s, err := a.shape(row)
	if err != nil {
		return err
	}
	if a.Crop > max(s.h, s.w) {
		return fmt.Errorf("data: augment: crop padding %d is not in [0, %d] (the image's larger side)", a.Crop, max(s.h, s.w))
	}
	return nil
}

// CheckSettings reports settings out of their ranges, without an image:
// the crop's padding is checked against the image's size by Check.
func (a *Augment) CheckSettings() error {
	in := func(v, lo, hi float64) bool { return v >= lo && v <= hi }
	switch {
	case a.Crop < 0:
		return fmt.Errorf("data: augment: crop padding %d is negative", a.Crop)
	case !in(a.Rotate, 0, 180):
		return fmt.Errorf("data: augment: rotate %v is not in [0, 180] degrees", a.Rotate)
	case !in(a.Translate, 0, 1):
		return fmt.Errorf("data: augment: translate %v is not in [0, 1]", a.Translate)
	case !(a.Scale >= 0 && a.Scale < 1):
		return fmt.Errorf("data: augment: scale %v is not in [0, 1)", a.Scale)
	case !in(a.Noise, 0, maxNoise):
		return fmt.Errorf("data: augment: noise %v is not in [0, %g]", a.Noise, maxNoise)
	}
	if a.Image != nil && len(a.Image) != 2 && len(a.Image) != 3 {
		return fmt.Errorf("data: augment: image shape %s is not [H, W] or [C, H, W]", shapeString(a.Image))
	}
	return nil
}

// shape reads a row shape as an image.
func (a *Augment) shape(row []int) (imageShape, error) {
	dims := row
	if a.Image != nil {
		dims = a.Image
		if tensor.NumElems(a.Image) != tensor.NumElems(row) {
			return imageShape{}, fmt.Errorf("data: augment: image shape %s does not hold the %d values of a row %s", shapeString(a.Image), tensor.NumElems(row), shapeString(row))
		}
	}
	for _, d := range dims {
		if d <= 0 {
			return imageShape{}, fmt.Errorf("data: augment: image shape %s has an empty dimension", shapeString(dims))
		}
	}
	switch len(dims) {
	case 2:
		return imageShape{1, dims[0], dims[1]}, nil
	case 3:
		return imageShape{dims[0], dims[1], dims[2]}, nil
	}
	return imageShape{}, fmt.Errorf("data: augment: rows %s of %q are not images [H, W] or [C, H, W] (give the image's shape)", shapeString(row), a.name())
}

// imageDraw holds the random choices for one image.
type imageDraw struct {
	dy, dx            int  // crop window offsets in [0, 2·Crop]
	flip              bool // mirror left to right
	angle, tx, ty, zm float64
}

// draw makes an image's choices, always in the same order.
func (a *Augment) draw(r *rng, s imageShape) imageDraw {
	var d imageDraw
	if a.Crop > 0 {
		d.dy = r.intn(2*a.Crop + 1)
		d.dx = r.intn(2*a.Crop + 1)
	}
	if a.Flip {
		d.flip = r.next()>>63 == 1
	}
	d.zm = 1
	if a.affine() {
		d.angle = (2*r.float() - 1) * a.Rotate * math.Pi / 180
		d.tx = (2*r.float() - 1) * a.Translate * float64(s.w)
		d.ty = (2*r.float() - 1) * a.Translate * float64(s.h)
		d.zm = 1 + (2*r.float()-1)*a.Scale
	}
	return d
}

// float is a uniform float64 in [0, 1) with 53 random bits.
func (r *rng) float() float64 { return float64(r.next()>>11) * 0x1p-53 }

// gauss returns two independent standard normal values (Box–Muller).
func (r *rng) gauss() (float64, float64) {
	u1 := float64(r.next()>>11+1) * 0x1p-53 // (0, 1]: the log is finite
	u2 := r.float()
	m := math.Sqrt(-2 * math.Log(u1))
	s, c := math.Sincos(2 * math.Pi * u2)
	return m * c, m * s
}

// mix64 is splitmix64's finalizer.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// imageRNG is the generator of row i of batch index in epoch.
func (a *Augment) imageRNG(epoch, index, i int) *rng {
	h := mix64(mix64(mix64(uint64(epoch)^0xa06e)^uint64(index)) ^ uint64(i))
	return newRNG(a.Seed, h)
}

// Apply augments, in place, the images of a batch of epoch (from 0). The
// image array must be f32 or f64. It suits Prefetch's Prep.
func (a *Augment) Apply(b *Batch, epoch int) error {
	t, ok := b.Arrays[a.name()]
	if !ok {
		return fmt.Errorf("data: augment: the batch has no array %q", a.name())
	}
	if len(t.Shape) == 0 {
		return fmt.Errorf("data: augment: array %q is a scalar", a.name())
	}
	if err := a.Check(t.Shape[1:]); err != nil {
		return err
	}
	s, _ := a.shape(t.Shape[1:])
	switch t.DType {
	case tensor.F32:
		augmentRows(a, t.F32, s, b.Index, epoch)
	case tensor.F64:
		augmentRows(a, t.F64, s, b.Index, epoch)
	default:
		return fmt.Errorf("data: augment: array %q is %v; images are augmented as floats", a.name(), t.DType)
	}
	return nil
}

// augmentRows augments every image of data (rows of s).
func augmentRows[T float32 | float64](a *Augment, data []T, s imageShape, index, epoch int) {
	per := s.c * s.h * s.w
	tmp := make([]T, per)
	for i := range len(data) / per {
		img := data[i*per : (i+1)*per]
		r := a.imageRNG(epoch, index, i)
		d := a.draw(r, s)
		if a.Crop > 0 {
			cropImage(tmp, img, s, a.Crop, d.dy, d.dx)
			copy(img, tmp)
		}
		if d.flip {
			flipImage(img, s)
		}
		if a.affine() {
			affineImage(tmp, img, s, d)
			copy(img, tmp)
		}
		if a.Noise > 0 {
			addNoise(img, r, a.Noise)
		}
	}
}

// cropImage writes to dst the H × W window at (dy, dx) of src padded with
// pad zeros on every side: dst[y][x] = src[y+dy−pad][x+dx−pad], or 0.
func cropImage[T float32 | float64](dst, src []T, s imageShape, pad, dy, dx int) {
	for c := range s.c {
		plane := c * s.h * s.w
		for y := range s.h {
			sy := y + dy - pad
			row := dst[plane+y*s.w : plane+(y+1)*s.w]
			if sy < 0 || sy >= s.h {
				clear(row)
				continue
			}
			srow := src[plane+sy*s.w : plane+(sy+1)*s.w]
			for x := range s.w {
				sx := x + dx - pad
				if sx < 0 || sx >= s.w {
					row[x] = 0
				} else {
					row[x] = srow[sx]
				}
			}
		}
	}
}

// flipImage mirrors every row of img left to right.
func flipImage[T float32 | float64](img []T, s imageShape) {
	for r := range s.c * s.h {
		row := img[r*s.w : (r+1)*s.w]
		for i, j := 0, s.w-1; i < j; i, j = i+1, j-1 {
			row[i], row[j] = row[j], row[i]
		}
	}
}

// affineImage writes to dst src moved by d: the output pixel p takes the
// bilinear value of src at c + R(−angle)·(p − c − t)/zoom, where c is the
// image's centre ((W−1)/2, (H−1)/2) and values outside src are 0.
func affineImage[T float32 | float64](dst, src []T, s imageShape, d imageDraw) {
	cx, cy := float64(s.w-1)/2, float64(s.h-1)/2
	sin, cos := math.Sincos(d.angle)
	for y := range s.h {
		v := float64(y) - cy - d.ty
		for x := range s.w {
			u := float64(x) - cx - d.tx
			sx := cx + (cos*u+sin*v)/d.zm
			sy := cy + (-sin*u+cos*v)/d.zm
			for c := range s.c {
				plane := src[c*s.h*s.w : (c+1)*s.h*s.w]
				dst[c*s.h*s.w+y*s.w+x] = T(bilinear(plane, s.h, s.w, sx, sy))
			}
		}
	}
}

// bilinear samples the h × w plane at (x, y), taking 0 outside it.
func bilinear[T float32 | float64](p []T, h, w int, x, y float64) float64 {
	if !(x > -1 && x < float64(w) && y > -1 && y < float64(h)) {
		return 0 // no neighbour inside (NaN too)
	}
	fx, fy := math.Floor(x), math.Floor(y)
	x0, y0 := int(fx), int(fy)
	ax, ay := x-fx, y-fy
	var v00, v01, v10, v11 float64
	if x0 >= 0 && y0 >= 0 && x0+1 < w && y0+1 < h {
		i := y0*w + x0
		v00, v01, v10, v11 = float64(p[i]), float64(p[i+1]), float64(p[i+w]), float64(p[i+w+1])
	} else {
		v00, v01 = pixel(p, h, w, y0, x0), pixel(p, h, w, y0, x0+1)
		v10, v11 = pixel(p, h, w, y0+1, x0), pixel(p, h, w, y0+1, x0+1)
	}
	top := (1-ax)*v00 + ax*v01
	bottom := (1-ax)*v10 + ax*v11
	return (1-ay)*top + ay*bottom
}

// pixel is p[y][x], or 0 outside the h × w plane.
func pixel[T float32 | float64](p []T, h, w, y, x int) float64 {
	if y < 0 || y >= h || x < 0 || x >= w {
		return 0
	}
	return float64(p[y*w+x])
}

// addNoise adds sigma times standard normal values to img.
func addNoise[T float32 | float64](img []T, r *rng, sigma float64) {
	for i := 0; i < len(img); i += 2 {
		z0, z1 := r.gauss()
		img[i] = T(float64(img[i]) + sigma*z0)
		if i+1 < len(img) {
			img[i+1] = T(float64(img[i+1]) + sigma*z1)
		}
	}
}
