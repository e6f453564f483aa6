//go:build !amd64 || noasm

package kernels

// maxPool2x2F32Rows: no assembly on this build; the caller pools the rows
// in Go.
func maxPool2x2F32Rows(dst, x []float32, rows, n, w int) bool { return false }

// maxPool2x2GradF32Rows: no assembly on this build; the caller computes
// the gradient in Go.
func maxPool2x2GradF32Rows(dx, x, g []float32, rows, n, w int) bool { return false }
