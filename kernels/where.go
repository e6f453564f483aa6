package kernels

// Where writes dst = x where cond is nonzero (true), y elsewhere, with
// broadcasting: p walks dst over (cond, x, y); off has three entries.
func Where[C comparable, T any](p *Bcast, dst []T, cond []C, x, y []T, idx, off []int) {
	var zero C
	n := p.Row
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		d := dst[r*n : (r+1)*n]
		for i := range d {
			c := cond[off[0]+i*p.Inner[0]]
			if c != zero {
				d[i] = x[off[1]+i*p.Inner[1]]
			} else {
				d[i] = y[off[2]+i*p.Inner[2]]
			}
		}
	}
}
