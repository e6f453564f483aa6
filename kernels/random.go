package kernels

import "math"

// Counter-based random draws: element i of a draw is a function of (seed,
// stream, i) alone, so a graph gives the same values on every run with the
// same execution seed, forward or backward, whatever the order of the work,
// and a long normal draw or dropout mask runs in parallel tasks
// (random_par.go) with the values of a serial run, however many threads
// take part.

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

// Uniform fills dst with draws uniform in [low, high) (element i from
// counter i). It runs serially: at about a nanosecond an element, the
// parallel tasks did not pay on the 2-core machine (BenchmarkDraws).
func Uniform[T Float](dst []T, low, high float64, seed, stream uint64) {
	key := drawKey(seed, stream)
	for i := range dst {
		dst[i] = T(low + (high-low)*unit(key, uint64(i)))
	}
}

// Normal fills dst with normal draws of the given mean and standard
// deviation by the ziggurat method (Marsaglia and Tsang, "The ziggurat
// method for generating random variables", 2000) with 256 layers: element
// i takes the hash of counter i under the draw's key, whose low 8 bits
// pick a layer, bit 8 the sign and the top 53 bits the position in the
// layer; about 99% of elements are accepted there, at the cost of one hash,
// one comparison and one product. The others (a wedge or the tail beyond
// r ≈ 3.654) draw more uniforms from a splitmix64 sequence of their own,
// seeded by the element's index, so element i remains a function of (seed,
// stream, i).
func Normal[T Float](dst []T, mean, std float64, seed, stream uint64) {
	key := drawKey(seed, stream)
	if parallelDraw(drawNormal, dst, mean, std, key) {
		return
	}
	normalRange(dst, mean, std, key, 0)
}

// normalRange fills dst with the elements [off, off+len(dst)) of a normal
// draw under key.
func normalRange[T Float](dst []T, mean, std float64, key uint64, off int) {
	z := &zig
	c := uint64(off)
	for i := range dst {
		h := splitMix64(key + c + uint64(i))
		l := h & (zigLayers - 1)
		u := h >> 11
		x := float64(u) * z.w[l]
		if u >= z.k[l] {
			x = zigSlow(int(l), x, key, c+uint64(i))
		}
		// bit 8 of h to the sign bit, without a branch (half the
		// elements are negative, at random)
		x = math.Float64frombits(math.Float64bits(x) ^ (h>>8&1)<<63)
		dst[i] = T(mean + std*x)
	}
}

// zigLayers is the number of layers of the ziggurat (a power of two).
const zigLayers = 256

// zig is the ziggurat of the standard normal density's shape
// f(x) = exp(-x²/2) on x ≥ 0: layer 0 is the rectangle [0, x[1]=r] under
// f(r) with the tail beyond r, of area v, given the width x[0] = v/f(r);
// layer i ≥ 1 is the rectangle [0, x[i]] × [f(x[i]), f(x[i+1])], also of
// area v, x[256] = 0. A point of layer i whose x is below x[i+1] is under
// the curve.
var zig = newZiggurat()

type ziggurat struct {
	r, v float64
	x, f [zigLayers + 1]float64
	w    [zigLayers]float64 // x[i]·2⁻⁵³: a 53-bit integer to a position in layer i
	k    [zigLayers]uint64  // ⌊x[i+1]/x[i]·2⁵³⌋: positions below it are accepted
}

// zigGauss is the shape of the normal density.
func zigGauss(x float64) float64 { return math.Exp(-0.5 * x * x) }

// zigStack builds the layers above the base for the base's edge r: it
// returns the area v of each layer and the excess f(x[255]) + v/x[255] - 1
// of the top layer's height over f(0) = 1 (positive when the 256 layers
// of area v overshoot the curve's top: r is too small), filling x and f
// when they are not nil.
func zigStack(r float64, x, f *[zigLayers + 1]float64) (v, excess float64) {
	v = r*zigGauss(r) + math.Sqrt(math.Pi/2)*math.Erfc(r/math.Sqrt2)
	xi := r
	for i := 1; i < zigLayers-1; i++ {
		top := zigGauss(xi) + v/xi
		if top >= 1 {
			return v, 1 // the layers reach the top too early
		}
		if x != nil {
			x[i] = xi
		}
		xi = math.Sqrt(-2 * math.Log(top))
	}
	if x != nil {
		x[zigLayers-1] = xi
	}
	return v, zigGauss(xi) + v/xi - 1
}

// newZiggurat finds r by bisection (the layers' excess falls as r grows)
// and builds the tables.
func newZiggurat() ziggurat {
	var z ziggurat
	lo, hi := 2.0, 5.0
	for range 200 {
		mid := (lo + hi) / 2
		if mid == lo || mid == hi {
			break
		}
		if _, e := zigStack(mid, nil, nil); e > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	z.r = hi
	z.v, _ = zigStack(z.r, &z.x, nil)
	z.x[0] = z.v / zigGauss(z.r)
	z.x[zigLayers] = 0
	for i := range z.f {
		z.f[i] = zigGauss(z.x[i])
	}
	for i := range zigLayers {
		z.w[i] = z.x[i] * 0x1p-53
		z.k[i] = uint64(z.x[i+1] / z.x[i] * 0x1p53)
	}
	return z
}

// zigSlow finishes the draw of element c whose first try fell in layer l
// at x outside the layer's inner rectangle: in the tail (layer 0) it
// draws from the normal beyond r (Marsaglia's method), in a wedge it
// accepts x when a uniform height under the layer falls under f(x), and
// otherwise it tries again with a new layer and x. Its uniforms come from
// the splitmix64 sequence seeded by the hash of the element's counter under
// a key of its own (a rotation of key).
func zigSlow(l int, x float64, key, c uint64) float64 {
	z := &zig
	s := splitMix64((key<<17 | key>>47) + c)
	next := func() uint64 {
		s += 0x9e3779b97f4a7c15
		return splitMix64(s)
	}
	for {
		if l == 0 {
			for {
				// -log of uniforms in (0, 1]: finite.
				a := -math.Log(float64(next()>>11+1)*0x1p-53) / z.r
				b := -math.Log(float64(next()>>11+1) * 0x1p-53)
				if 2*b > a*a {
					return z.r + a
				}
			}
		}
		y := z.f[l] + float64(next()>>11)*0x1p-53*(z.f[l+1]-z.f[l])
		if y < zigGauss(x) {
			return x
		}
		h := next()
		l = int(h & (zigLayers - 1))
		u := h >> 11
		x = float64(u) * z.w[l]
		if u < z.k[l] {
			return x
		}
	}
}

// DropoutMask fills dst with 0 with probability p and 1/(1-p) otherwise
// (draw i is uniform counter i). p >= 1 gives all zeros.
func DropoutMask[T Float](dst []T, p float64, seed, stream uint64) {
	if p >= 1 {
		clear(dst)
		return
	}
	key := drawKey(seed, stream)
	if parallelDraw(drawDropout, dst, p, 0, key) {
		return
	}
	dropoutRange(dst, p, key, 0)
}

// dropoutRange fills dst with the elements [off, off+len(dst)) of a
// dropout mask under key: element i is 0 when unit(key, i) < p. It
// compares the 53 bits of the uniform with the integer threshold
// ⌈p·2⁵³⌉ instead (the same test, as unit is that integer times 2⁻⁵³),
// and picks 0 or the kept scale without a branch, which at p = 0.5 would
// be mispredicted half the time. f32 masks run eight counters at a time
// with AVX-512 where the processor has it (random_amd64.s; 2²⁰ elements
// 1.74 → 0.31 ms on one Zen 4 core, BenchmarkDraws/dropout), the same
// integer arithmetic, so the same mask.
func dropoutRange[T Float](dst []T, p float64, key uint64, off int) {
	keep := T(1 / (1 - p))
	var cut uint64 // p ≤ 0 or NaN: nothing dropped
	if p > 0 {
		cut = uint64(math.Ceil(p * 0x1p53))
	}
	vals := [2]T{keep, 0}
	c := uint64(off)
	if d32, ok := any(dst).([]float32); ok && dropoutVec() {
		m := len(d32) &^ 7
		if m > 0 {
			dropoutAVX512F32(&d32[0], m, key+c, cut, float32(keep))
		}
		dst, c = dst[m:], c+uint64(m)
	}
	for i := range dst {
		// u < cut exactly when u - cut wraps (both are below 2⁵³)
		u := splitMix64(key+c+uint64(i)) >> 11
		dst[i] = vals[(u-cut)>>63]
	}
}
