package kernels

// Row functions of the fused interpreter for the cheap ops: the same
// arithmetic as AddRow, NegRow and the others (so results are bitwise
// theirs), written so that the compiler drops the bounds checks, which
// otherwise cost as much as the arithmetic. x or y may be one repeated
// element; dst may alias x or y.

func addF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = x[i] + y[i]
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = x[i] + c
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = c + y[i]
		}
	default:
		c := x[0] + y[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

func subF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = x[i] - y[i]
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = x[i] - c
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = c - y[i]
		}
	default:
		c := x[0] - y[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

func mulF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = x[i] * y[i]
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = x[i] * c
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = c * y[i]
		}
	default:
		c := x[0] * y[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

func divF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = x[i] / y[i]
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = x[i] / c
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = c / y[i]
		}
	default:
		c := x[0] / y[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

func maxF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = max(x[i], y[i])
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = max(x[i], c)
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = max(c, y[i])
		}
	default:
		c := max(x[0], y[0])
		for i := range dst {
			dst[i] = c
		}
	}
}

func minF[T Float](dst, x, y []T) {
	n := len(dst)
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[:n], y[:n]
		for i := range dst {
			dst[i] = min(x[i], y[i])
		}
	case len(x) == n:
		x, c := x[:n], y[0]
		for i := range dst {
			dst[i] = min(x[i], c)
		}
	case len(y) == n:
		y, c := y[:n], x[0]
		for i := range dst {
			dst[i] = min(c, y[i])
		}
	default:
		c := min(x[0], y[0])
		for i := range dst {
			dst[i] = c
		}
	}
}

func negF[T Float](dst, x []T) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = -v
	}
}

func reluF[T Float](dst, x []T) {
	dst = dst[:len(x)]
	for i, v := range x {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

func absF[T Float](dst, x []T) {
	dst = dst[:len(x)]
	for i, v := range x {
		if v < 0 {
			v = -v
		}
		dst[i] = v
	}
}

func squareF[T Float](dst, x []T) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = v * v
	}
}
