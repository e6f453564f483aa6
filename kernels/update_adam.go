package kernels

import "math"

// AdamCoef holds the scalars of one Adam step (see AdamUpdate).
type AdamCoef[T Float] struct {
	B1, C1   T // β1 and 1-β1
	B2, C2   T // β2 and 1-β2
	Eps      T
	StepSize T // LR/(1-β1^t)
	BC2Sqrt  T // √(1-β2^t)
	// Decay is the L2 weight decay added to the gradient (L2) or the
	// factor the parameter is scaled by first (Decoupled, AdamW's
	// 1-LR·WeightDecay); unused when neither is set.
	Decay         T
	L2, Decoupled bool
}

// AdamUpdate runs one Adam step over a parameter in one pass: for every
// element it reads p, g, m and v, writes the new moments into m and v and
// the new parameter into dst:
//
//	g' = g + Decay·p                     (L2)
//	m = B1·m + C1·g'
//	v = B2·v + C2·g'²
//	p' = p·Decay (Decoupled), else p
//	dst = p' - StepSize·(m / (√v/BC2Sqrt + Eps))
//
// Every operation rounds to T, in the order of the unfused graph
// (train.Adam), so the result is the unfused ops' bitwise. dst may alias g.
func AdamUpdate[T Float](dst, p, g, m, v []T, c AdamCoef[T]) {
	n := len(dst)
	p, g, m, v = p[:n], g[:n], m[:n], v[:n]
	for i := range dst {
		pi, gi := p[i], g[i]
		if c.L2 {
			gi += T(c.Decay * pi)
		}
		if c.Decoupled {
			pi = T(pi * c.Decay)
		}
		nm := T(c.B1*m[i]) + T(c.C1*gi)
		nv := T(c.B2*v[i]) + T(c.C2*T(gi*gi))
		den := T(T(math.Sqrt(float64(nv)))/c.BC2Sqrt) + c.Eps
		m[i], v[i] = nm, nv
		dst[i] = pi - T(c.StepSize*T(nm/den))
	}
}
