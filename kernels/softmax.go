package kernels

import "math"

// Softmax computes dst = softmax(x) along the middle axis of x viewed as
// [outer, n, inner]; with log it computes log_softmax. Both subtract the
// maximum first, so large inputs do not overflow.
func Softmax[T Float](dst, x []T, outer, n, inner int, log bool) {
	if !parallelSoftmax(dst, x, outer, n, inner, log) {
		softmaxLines(dst, x, n, inner, log, 0, outer)
	}
}

// softmaxLines is Softmax for the outer indices [o0, o1).
func softmaxLines[T Float](dst, x []T, n, inner int, log bool, o0, o1 int) {
	if inner == 1 {
		for o := o0; o < o1; o++ {
			softmaxRow(dst[o*n:(o+1)*n], x[o*n:(o+1)*n], log)
		}
		return
	}
	for o := o0; o < o1; o++ {
		for in := 0; in < inner; in++ {
			base := o*n*inner + in
			m := math.Inf(-1)
			for j := 0; j < n; j++ {
				m = max(m, float64(x[base+j*inner]))
			}
			if math.IsInf(m, -1) {
				m = 0 // every entry is -Inf: let exp give 0 and the sum 0
			}
			var s float64
			for j := 0; j < n; j++ {
				k := base + j*inner
				e := math.Exp(float64(x[k]) - m)
				s += e
				if !log {
					dst[k] = T(e)
				}
			}
			if log {
				lse := m + math.Log(s)
				for j := 0; j < n; j++ {
					k := base + j*inner
					dst[k] = T(float64(x[k]) - lse)
				}
			} else {
				inv := 1 / s
				for j := 0; j < n; j++ {
					k := base + j*inner
					dst[k] = T(float64(dst[k]) * inv)
				}
			}
		}
	}
}

// softmaxRow is softmax (or log_softmax) of one contiguous row, its
// exponentials computed by expRow's vector code in dst.
func softmaxRow[T Float](dst, x []T, log bool) {
	m := lineMax(x)
	for j, v := range x {
		dst[j] = v - m
	}
	expRow(dst, dst)
	var s float64
	for _, e := range dst {
		s += float64(e)
	}
	if log {
		lse := float64(m) + math.Log(s)
		for j, v := range x {
			dst[j] = T(float64(v) - lse)
		}
		return
	}
	inv := 1 / s
	for j, e := range dst {
		dst[j] = T(float64(e) * inv)
	}
}

// lineMax is the maximum of a non-empty row, or 0 when every entry is -Inf
// (exp then gives 0 and the sum 0, as for the definition's limit).
func lineMax[T Float](x []T) T {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, float64(v))
	}
	if math.IsInf(m, -1) {
		return 0
	}
	return T(m)
}

// sumExpShifted is Σ exp(x[j] - m), the exponentials computed by expRow's
// vector code in chunks on the stack.
func sumExpShifted[T Float](x []T, m T) float64 {
	var buf [256]T
	var s float64
	for len(x) > 0 {
		c := min(len(x), len(buf))
		b := buf[:c]
		for j, v := range x[:c] {
			b[j] = v - m
		}
		expRow(b, b)
		for _, e := range b {
			s += float64(e)
		}
		x = x[c:]
	}
	return s
}

// CrossEntropy returns the mean over the N rows of logits [N, C] of
// logsumexp(row) - row[label]. A label outside [0, C) makes that row's loss,
// and so the mean, NaN: loaders validate labels, and a NaN is a visible
// failure where clamping would silently train on a wrong class.
//
// Many rows run in tasks, whose sums are added in task order.
func CrossEntropy[T Float, L Label](logits []T, labels []L, n, c int) T {
	total, ok := parallelCrossEntropy(logits, labels, n, c)
	if !ok {
		total = crossEntropyRows(logits, labels, c, 0, n)
	}
	return T(total / float64(n))
}

// crossEntropyRows is the sum of the losses of rows [lo, hi).
func crossEntropyRows[T Float, L Label](logits []T, labels []L, c, lo, hi int) float64 {
	var total float64
	for i := lo; i < hi; i++ {
		row := logits[i*c : (i+1)*c]
		l := int64(labels[i])
		if l < 0 || l >= int64(c) {
			total += math.NaN()
			continue
		}
		m := lineMax(row)
		total += float64(m) + math.Log(sumExpShifted(row, m)) - float64(row[l])
	}
	return total
}

// OneHot writes dst [len(labels), c] with 1 at each label's column and 0
// elsewhere; a label outside [0, c) gives a row of zeros.
func OneHot[T Float | ~int32 | ~int64, L Label](dst []T, labels []L, c int) {
	clear(dst)
	for i, l := range labels {
		if l >= 0 && int64(l) < int64(c) {
			dst[i*c+int(l)] = 1
		}
	}
}
