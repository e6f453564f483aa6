package data

import (
	"image"
	"image/color"
	"math"
)

// appendPixels appends the image's pixels, channels first (C×H×W), resized
// to h×w by bilinear interpolation when its size differs.
func appendPixels(dst []byte, img image.Image, ch, h, w int) []byte {
	b := img.Bounds()
	ih, iw := b.Dy(), b.Dx()
	if ih == h && iw == w {
		return appendPlanes(dst, img, ch)
	}
	// The source's planes, then each resized.
	src := appendPlanes(nil, img, ch)
	for c := range ch {
		plane := src[c*ih*iw : (c+1)*ih*iw]
		for y := range h {
			y0, y1, fy := bilinearTaps(y, h, ih)
			for x := range w {
				x0, x1, fx := bilinearTaps(x, w, iw)
				top := float64(plane[y0*iw+x0])*(1-fx) + float64(plane[y0*iw+x1])*fx
				bot := float64(plane[y1*iw+x0])*(1-fx) + float64(plane[y1*iw+x1])*fx
				v := math.Round(top*(1-fy) + bot*fy)
				dst = append(dst, byte(min(max(v, 0), 255)))
			}
		}
	}
	return dst
}

// bilinearTaps maps output index i of n to the two source indices of m it
// interpolates and the weight of the second: the source coordinate is
// (i + 0.5)·m/n − 0.5, clamped at the edges (align_corners=False).
func bilinearTaps(i, n, m int) (int, int, float64) {
	s := (float64(i)+0.5)*float64(m)/float64(n) - 0.5
	if s < 0 {
		s = 0
	}
	i0 := int(s)
	if i0 > m-1 {
		i0 = m - 1
	}
	i1 := min(i0+1, m-1)
	return i0, i1, s - float64(i0)
}

// appendPlanes appends the image's channels, one plane after another:
// the luma (color.GrayModel) for one channel, else R, G and B of the
// non-premultiplied colour (8 bits each).
func appendPlanes(dst []byte, img image.Image, ch int) []byte {
	b := img.Bounds()
	n := b.Dx() * b.Dy()
	start := len(dst)
	dst = append(dst, make([]byte, ch*n)...)
	out := dst[start:]
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.At(x, y)
			if ch == 1 {
				out[i] = color.GrayModel.Convert(c).(color.Gray).Y
			} else {
				p := color.NRGBAModel.Convert(c).(color.NRGBA)
				out[i], out[n+i], out[2*n+i] = p.R, p.G, p.B
			}
			i++
		}
	}
	return dst
}
