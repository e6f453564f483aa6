package kernels

// SplitMix64 is the finalizer of the splitmix64 generator: a bijective,
// well-mixed hash of a 64-bit counter.
func SplitMix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// DropoutMask fills dst with 0 with probability p and 1/(1-p) otherwise. The
// draw for element i is a hash of (seed, stream, i) alone, so the same
// arguments give the same mask in every run, forward or backward. p >= 1
// gives all zeros.
func DropoutMask[T Float](dst []T, p float64, seed, stream uint64) {
	if p >= 1 {
		clear(dst)
		return
	}
	keep := T(1 / (1 - p))
	key := SplitMix64(seed ^ SplitMix64(stream))
	for i := range dst {
		u := float64(SplitMix64(key+uint64(i))>>11) * 0x1p-53
		if u < p {
			dst[i] = 0
		} else {
			dst[i] = keep
		}
	}
}
