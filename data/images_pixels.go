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
	// The source as float channels, row-major, channels first.
	src := make([]float64, ch*ih*iw)
	for y := range ih {
		for x := range iw {
			c := img.At(b.Min.X+x, b.Min.Y+y)
			if ch == 1 {
				src[y*iw+x] = float64(color.GrayModel.Convert(c).(color.Gray).Y)
				continue
			}
			r, g, bl, _ := color.NRGBAModel.Convert(c).RGBA()
			src[y*iw+x] = float64(r >> 8)
			src[ih*iw+y*iw+x] = float64(g >> 8)
			src[2*ih*iw+y*iw+x] = float64(bl >> 8)
		}
	}
	if ih == h && iw == w {
		for _, v := range src {
			dst = append(dst, byte(v))
		}
		return dst
	}
	for c := range ch {
		plane := src[c*ih*iw : (c+1)*ih*iw]
		for y := range h {
			y0, y1, fy := bilinearTaps(y, h, ih)
			for x := range w {
				x0, x1, fx := bilinearTaps(x, w, iw)
				top := plane[y0*iw+x0]*(1-fx) + plane[y0*iw+x1]*fx
				bot := plane[y1*iw+x0]*(1-fx) + plane[y1*iw+x1]*fx
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
