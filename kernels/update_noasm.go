//go:build !amd64 || noasm

package kernels

// adamLanes is 0 without the assembly: the Adam tiles run every element.
func adamLanes() int { return 0 }

func adamOnePass(int, *float32, *float32, *float32, *float32, *float32, *[7]float32) {
	panic("unreachable")
}
