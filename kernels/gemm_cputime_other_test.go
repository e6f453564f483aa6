//go:build !linux

package kernels

// threadCPUSeconds is not measured on this system.
func threadCPUSeconds() (float64, bool) { return 0, false }
