//go:build !amd64 || noasm

package kernels

// lnAVX2 is false without the assembly: layer normalization's rows run the
// Go loops of layernorm_rows.go. The functions below only let the package
// build; they are never called.
func lnAVX2() bool { return false }

// lnZMMOff has no effect without the assembly.
var lnZMMOff bool

func lnSum16(*float32, int, *[lnLanes]float64)            { panic("unreachable") }
func lnSqDev16(*float32, int, float64, *[lnLanes]float64) { panic("unreachable") }
func lnGradSums16(_, _, _ *float32, _ int, _, _ float64, _ *[2 * lnLanes]float64) {
	panic("unreachable")
}
func lnForwardVec(_, _, _, _ *float32, _ int, _, _ float64)       { panic("unreachable") }
func lnGradOutVec(_, _, _, _ *float32, _ int, _, _, _, _ float64) { panic("unreachable") }
func lnParamAccVec(_, _ *float64, _, _ *float32, _ int, _, _ float64) {
	panic("unreachable")
}
