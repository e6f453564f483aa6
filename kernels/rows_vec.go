package kernels

// Row helpers with AVX2 paths for f32 rows (rows_vec_amd64.go): sums and
// dot products in float64 over 16 lanes reduced by lnReduce
// (layernorm_rows.go), bitwise the same with or without the vector code;
// the maximum of a row; a row minus a scalar; a row times another (a row
// times a scalar is ScaleRow, unary.go).

// sumLanes is the float64 sum of x: lane k sums x[i] for i ≡ k (mod 16)
// over the first len &^ 15 elements, in order; the tail is summed in
// order; lnReduce adds them.
func sumLanes[T Float](x []T) float64 {
	var acc [lnLanes]float64
	return endLanes(&acc, addLanes(&acc, x))
}

// addLanes adds the first len(x) &^ 15 elements of x to the lanes of acc
// (lane k: i ≡ k mod 16, in order) and returns the rest. A row summed in
// pieces whose lengths, but the last's, are multiples of 16 gets
// sumLanes's bits: addLanes for each piece, then endLanes.
func addLanes[T Float](acc *[lnLanes]float64, x []T) []T {
	m := len(x) &^ (lnLanes - 1)
	if x32, ok := lnVec(x, m); ok {
		lnSum16(&x32[0], m, acc)
		return x[m:]
	}
	for i := 0; i < m; i += lnLanes {
		for k := range acc {
			acc[k] += float64(x[i+k])
		}
	}
	return x[m:]
}

// endLanes returns the lanes' total with the tail (fewer than 16 elements)
// summed in order, as sumLanes does.
func endLanes[T Float](acc *[lnLanes]float64, tail []T) float64 {
	var t float64
	for _, v := range tail {
		t += float64(v)
	}
	return lnReduce(acc[:], t)
}

// dotLanes is Σ a[i]·b[i] in float64, in lanes as sumLanes.
func dotLanes[T Float](a, b []T) float64 {
	n := len(a)
	b = b[:n]
	m := n &^ (lnLanes - 1)
	var acc [lnLanes]float64
	if a32, ok := lnVec(a, m); ok {
		dot16AVX2(&a32[0], &any(b).([]float32)[0], m, &acc)
	} else {
		for i := 0; i < m; i += lnLanes {
			for k := range acc {
				acc[k] += float64(float64(a[i+k]) * float64(b[i+k]))
			}
		}
	}
	var t float64
	for i := m; i < n; i++ {
		t += float64(float64(a[i]) * float64(b[i]))
	}
	return lnReduce(acc[:], t)
}

// maxOfRow is the largest element of row (not empty) by comparison. A NaN
// may or may not be passed over; callers feed the row through exp, where a
// NaN reaches the result either way.
func maxOfRow[T Float](row []T) T {
	m, i := row[0], 0
	if r32, ok := any(row).([]float32); ok && len(row) >= 8 && vecRows32() {
		i = len(row) &^ 7
		m = T(maxRow32AVX2(&r32[0], i))
	}
	for ; i < len(row); i++ {
		if row[i] > m {
			m = row[i]
		}
	}
	return m
}

// subScalarRow sets x[i] = x[i] - c.
func subScalarRow[T Float](x []T, c T) {
	if x32, ok := any(x).([]float32); ok && len(x) > 0 && vecRows32() {
		subScalarRow32(x32, float32(c))
		return
	}
	for i := range x {
		x[i] -= c
	}
}

// mulRow sets dst[i] = x[i]·dst[i].
func mulRow[T Float](dst, x []T) {
	if d32, ok := any(dst).([]float32); ok && len(dst) > 0 && vecRows32() {
		mulRow32(d32, any(x).([]float32)[:len(d32)])
		return
	}
	for i := range dst {
		dst[i] = x[i] * dst[i]
	}
}
