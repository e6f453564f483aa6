package data

// rng is a small splitmix64 generator. The package uses its own generator so
// that splits and shuffles are the same on every Go version and platform.
type rng struct{ s uint64 }

func newRNG(seed uint64, stream uint64) *rng {
	r := &rng{s: seed ^ (stream * 0xd1b54a32d192ed03)}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform integer in [0, n) for n > 0 (rejection sampling,
// so there is no modulo bias).
func (r *rng) intn(n int) int {
	un := uint64(n)
	limit := -un % un // 2^64 mod n
	for {
		x := r.next()
		if x >= limit {
			return int(x % un)
		}
	}
}

// shuffle permutes p in place (Fisher–Yates).
func (r *rng) shuffle(p []int) {
	for i := len(p) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}

// Permutation returns a seeded permutation of 0..n-1. The same seed and
// stream give the same permutation on every platform.
func Permutation(n int, seed, stream uint64) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	newRNG(seed, stream).shuffle(p)
	return p
}
