package ops

import "testing"

// TestPlaneGrads reads back the two joins reverse mode builds for a
// result read through some of its planes, and refuses anything else.
func TestPlaneGrads(t *testing.T) {
	b := NewBuilder()
	bd := DimVar("B")
	plane := Shape{bd, DimConst(3)}
	full := Type{F32, Shape{DimConst(5), bd, DimConst(3)}}
	pt := Type{F32, plane}
	one := Type{F32, Shape{DimConst(1), bd, DimConst(3)}}
	two := Type{F32, Shape{DimConst(2), bd, DimConst(3)}}
	dh := b.Input("dh", pt)
	// plane 2 alone, as the slice's VJP writes it: an unslice
	sl := b.Must(Slice, Attrs{"begin": Shape{DimConst(2), DimConst(0), DimConst(0)}, "end": Shape{DimConst(3), bd, DimConst(3)}}, b.Input("y", full))
	un := b.Must(Unslice, sliceAttrs(sl.Attrs).With("shape", full.Shape), b.Must(Reshape, Attrs{"shape": one.Shape}, dh))
	// planes 0 and 1 (one part of two planes), then zeros: a concat
	cc := b.Must(Concat, Attrs{"axis": 0}, b.Input("g01", two), b.Full(Type{F32, Shape{DimConst(3), bd, DimConst(3)}}, 0))
	for _, c := range []struct {
		name string
		g    *Node
		have []bool
	}{
		{"unslice", un, []bool{false, false, true, false, false}},
		{"concat", cc, []bool{true, true, false, false, false}},
	} {
		gs, ok := PlaneGrads(b, c.g, plane)
		if !ok || len(gs) != 5 {
			t.Fatalf("%s: ok %v, %d planes; want true, 5", c.name, ok, len(gs))
		}
		for k, x := range gs {
			if (x != nil) != c.have[k] {
				t.Errorf("%s: plane %d has a gradient: %v, want %v", c.name, k, x != nil, c.have[k])
			}
			if x != nil && !x.Type.Shape.Equal(plane) {
				t.Errorf("%s: plane %d's gradient is %v, want %v", c.name, k, x.Type, pt)
			}
		}
	}
	if gs, _ := PlaneGrads(b, un, plane); gs[2] != dh {
		t.Errorf("the unslice's plane is %v, want dh itself (the reshape undone)", gs[2].Op.Name)
	}
	for _, g := range []*Node{b.Input("g", full), dh} {
		if _, ok := PlaneGrads(b, g, plane); ok {
			t.Errorf("PlaneGrads read planes from %v %v", g.Op.Name, g.Type)
		}
	}
}
