//go:build !amd64 || noasm

package kernels

// vecRows32 is false without the assembly; the functions below only let
// the package build and are never called.
func vecRows32() bool { return false }

func subScalarRow32([]float32, float32)                   { panic("unreachable") }
func scaleRow32(_, _ []float32, _ float32)                { panic("unreachable") }
func mulRow32(_, _ []float32)                             { panic("unreachable") }
func maxRow32AVX2(*float32, int) float32                  { panic("unreachable") }
func dot16AVX2(_, _ *float32, _ int, _ *[lnLanes]float64) { panic("unreachable") }
