package nnc

import "testing"

// TestInputsPerShapeEntry: an entry that unrolls over a shape variable
// reports its inputs with the variable kept symbolic (the probe lowering
// used to show f32[1, 3]).
func TestInputsPerShapeEntry(t *testing.T) {
	p, err := Compile("loop.nn", []byte(loopSrc))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("L.score")
	if err != nil {
		t.Fatal(err)
	}
	in := f.Inputs()
	if len(in) != 1 || in[0] != (Arg{Name: "x", Type: "f32[T, 3]", DType: "f32"}) {
		t.Errorf("Inputs() = %+v, want [{x f32[T, 3] f32}]", in)
	}
}
