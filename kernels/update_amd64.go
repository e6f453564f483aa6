//go:build amd64 && !noasm

package kernels

// adamAVX512 and adamAVX2 (update_amd64.s) run adamUpdate without decay or
// mask over n float32 elements, a multiple of 16 (8), in one pass; c holds
// B1, C1, B2, C2, Eps, StepSize and BC2Sqrt.
//
//go:noescape
func adamAVX512(n int, dst, p, gr, m, v *float32, c *[7]float32)

//go:noescape
func adamAVX2(n int, dst, p, gr, m, v *float32, c *[7]float32)

// adamLanes is the elements adamOnePass takes at a time on this machine (0:
// none: the tiles run every element).
func adamLanes() int {
	switch {
	case X86.HasAVX512F:
		return 16
	case X86.HasAVX2:
		return 8
	}
	return 0
}

// adamOnePass runs the first n elements (a multiple of adamLanes).
func adamOnePass(n int, dst, p, g, m, v *float32, c *[7]float32) {
	if adamLanes() == 16 {
		adamAVX512(n, dst, p, g, m, v, c)
	} else {
		adamAVX2(n, dst, p, g, m, v, c)
	}
}
