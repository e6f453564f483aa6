package kernels

// SGDCoef holds the scalars of one SGD-with-momentum step (see SGDUpdate).
type SGDCoef[T Float] struct {
	LR, Momentum T
	// Decay is the L2 weight decay added to the gradient when L2 is set.
	Decay    T
	L2       bool
	Nesterov bool
}

// SGDUpdate runs one SGD step with momentum over a parameter in one pass:
// for every element it reads p, g and the momentum buffer buf, writes the
// new buffer into buf and the new parameter into dst:
//
//	d = g + Decay·p                     (L2)
//	buf = Momentum·buf + d
//	d = d + Momentum·buf (Nesterov), else buf
//	dst = p - LR·d
//
// Every operation rounds to T, in the order of the unfused graph
// (train.SGD), so the result is the unfused ops' bitwise. dst may alias g.
func SGDUpdate[T Float](dst, p, g, buf []T, c SGDCoef[T]) {
	n := len(dst)
	p, g, buf = p[:n], g[:n], buf[:n]
	for i := range dst {
		pi, d := p[i], g[i]
		if c.L2 {
			d += T(c.Decay * pi)
		}
		nb := T(c.Momentum*buf[i]) + d
		buf[i] = nb
		if c.Nesterov {
			d += T(c.Momentum * nb)
		} else {
			d = nb
		}
		dst[i] = pi - T(c.LR*d)
	}
}
