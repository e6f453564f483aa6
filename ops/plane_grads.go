package ops

// PlaneGrads splits the gradient g of a result stacked in planes along
// axis 0 (shape [P, plane...], P constant) into the planes' gradients,
// each of shape plane, nil for a plane whose gradient is zero. It reads
// the joins that reverse mode builds when such a result is read through
// some of its planes only (autodiff/slots.go): an unslice of a range of
// planes, or a concat along axis 0 of ranges of planes and zeros. ok is
// false for any other g (its planes are then all to be read from it).
//
// The fused cells (nn_lstm.go, nn_gru.go) use it so that their backward
// kernels neither write nor read planes of zeros.
func PlaneGrads(b *Builder, g *Node, plane Shape) (gs []*Node, ok bool) {
	s := g.Type.Shape
	p, pok := s[0].IsConst()
	if s.Rank() != plane.Rank()+1 || !s[1:].Equal(plane) || !pok {
		return nil, false
	}
	type part struct {
		lo int
		x  *Node // [k, plane...]
	}
	var parts []part
	switch {
	case g.Op == Unslice && len(g.In) == 1:
		ax, err := resolveSlice("unslice", g.Type, g.Attrs)
		if err != nil || ax[0].step != 1 {
			return nil, false
		}
		lo, lok := ax[0].start.IsConst()
		if !lok {
			return nil, false
		}
		for j := 1; j < len(ax); j++ {
			if ax[j].start != DimConst(0) || ax[j].step != 1 || ax[j].count != plane[j-1] {
				return nil, false
			}
		}
		parts = []part{{int(lo), g.In[0]}}
	case g.Op == Concat && g.Attrs.Int("axis", -1) == 0:
		at := 0
		for _, x := range g.In {
			k, kok := x.Type.Shape[0].IsConst()
			if !kok {
				return nil, false
			}
			if x.Op != Full || x.Attrs.Float("value", 1) != 0 {
				parts = append(parts, part{at, x})
			}
			at += int(k)
		}
	default:
		return nil, false
	}
	gs = make([]*Node, p)
	for _, pt := range parts {
		k, _ := pt.x.Type.Shape[0].IsConst()
		for i := range int(k) {
			x := pt.x
			if k > 1 {
				x = cut(b, x, 0, DimConst(int64(i)), DimConst(1))
			}
			if x.Op == Reshape && x.In[0].Type.Shape.Equal(plane) {
				x = x.In[0]
			} else {
				x = b.Must(Reshape, Attrs{"shape": plane}, x)
			}
			gs[pt.lo+i] = x
		}
	}
	return gs, true
}
