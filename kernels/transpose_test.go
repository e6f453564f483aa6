package kernels

import "testing"

func TestTransposeNaive(t *testing.T) {
	in, perm := []int{2, 3, 4, 5}, []int{2, 0, 3, 1}
	src := make([]int, numElems(in))
	for i := range src {
		src[i] = i
	}
	tr := NewTranspose(in, perm)
	dst := make([]int, len(src))
	TransposeRun(tr, dst, src)
	o := 0
	for a := range in[2] {
		for b := range in[0] {
			for c := range in[3] {
				for d := range in[1] {
					// out[a, b, c, d] = in[b, d, a, c]
					if want := ((b*3+d)*4+a)*5 + c; dst[o] != want {
						t.Fatalf("out[%d,%d,%d,%d] = %d, want %d", a, b, c, d, dst[o], want)
					}
					o++
				}
			}
		}
	}
	if n := testing.AllocsPerRun(10, func() { TransposeRun(tr, dst, src) }); n != 0 {
		t.Errorf("%g allocations per run", n)
	}
}
