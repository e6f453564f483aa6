//go:build !amd64 || noasm

package kernels

// fillRow sets every element of dst to src[i].
func fillRow[T Float](dst, src []T, i int) {
	c := src[i]
	for j := range dst {
		dst[j] = c
	}
}
