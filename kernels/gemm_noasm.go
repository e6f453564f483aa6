//go:build !amd64 || noasm

package kernels

// gemmKernels32 lists the float32 microkernels: only the pure-Go one in this
// build.
func gemmKernels32() []gemmKernel[float32] {
	return []gemmKernel[float32]{{"go", goMR, goNR, gemmKernGo[float32], nil, nil, nil, nil, nil, nil, nil}}
}

// gemmKernels64 lists the float64 microkernels: only the pure-Go one in this
// build.
func gemmKernels64() []gemmKernel[float64] {
	return []gemmKernel[float64]{{"go", goMR, goNR, gemmKernGo[float64], nil, nil, nil, nil, nil, nil, nil}}
}

// gemmAsm says that this build has the assembly microkernels.
const gemmAsm = false

// groupKernels lists the grouped small-M kernels: none in this build.
func groupKernels[T Float]() []groupKernel[T] { return nil }
