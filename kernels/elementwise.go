package kernels

// AddRow computes dst = x + y where x or y may be a single repeated element.
func AddRow[T Float](dst, x, y []T) {
	if !parallelEW(ewAdd, dst, x, y) {
		addRow(dst, x, y)
	}
}

func addRow[T Float](dst, x, y []T) {
	if simdBinary(simdAdd, dst, x, y) {
		return
	}
	switch {
	case len(x) == len(dst) && len(y) == len(dst):
		for i := range dst {
			dst[i] = x[i] + y[i]
		}
	case len(x) == len(dst):
		c := y[0]
		for i := range dst {
			dst[i] = x[i] + c
		}
	case len(y) == len(dst):
		c := x[0]
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
