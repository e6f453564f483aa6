package kernels

import "math"

// Counter-based random draws: element i of a draw is a function of (seed,
// stream, i) alone, so a graph gives the same values on every run with the
// same execution seed, forward or backward, whatever the order of the work.

// splitMix64 is the finalizer of the splitmix64 generator: a bijective,
// well-mixed hash of a 64-bit counter.
func splitMix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// drawKey mixes the execution seed with a node's stream.
func drawKey(seed, stream uint64) uint64 { return splitMix64(seed ^ splitMix64(stream)) }

// unit is a uniform draw in [0, 1) from counter c under key.
func unit(key, c uint64) float64 { return float64(splitMix64(key+c)>>11) * 0x1p-53 }

// Uniform fills dst with draws uniform in [low, high).
func Uniform[T Float](dst []T, low, high float64, seed, stream uint64) {
	key := drawKey(seed, stream)
	for i := range dst {
		dst[i] = T(low + (high-low)*unit(key, uint64(i)))
	}
}

// Normal fills dst with normal draws of the given mean and standard
// deviation, by the Box–Muller transform of two uniforms per element
// (counters 2i and 2i+1).
func Normal[T Float](dst []T, mean, std float64, seed, stream uint64) {
	key := drawKey(seed, stream)
	for i := range dst {
		u1 := 1 - unit(key, 2*uint64(i)) // in (0, 1]: log is finite
		u2 := unit(key, 2*uint64(i)+1)
		z := math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
		dst[i] = T(mean + std*z)
	}
}

// DropoutMask fills dst with 0 with probability p and 1/(1-p) otherwise
// (draw i is uniform counter i). p >= 1 gives all zeros.
func DropoutMask[T Float](dst []T, p float64, seed, stream uint64) {
	if p >= 1 {
		clear(dst)
		return
	}
	keep := T(1 / (1 - p))
	key := drawKey(seed, stream)
	for i := range dst {
		if unit(key, uint64(i)) < p {
			dst[i] = 0
		} else {
			dst[i] = keep
		}
	}
}
