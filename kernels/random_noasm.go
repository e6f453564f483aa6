//go:build !amd64 || noasm

package kernels

// dropoutVec is false without the assembly: dropout masks run the Go loop
// of random.go. dropoutAVX512F32 only lets the package build.
func dropoutVec() bool { return false }

func dropoutAVX512F32(*float32, int, uint64, uint64, float32) { panic("unreachable") }
