package kernels

import "unsafe"

// A direct convolution for f32 with stride 1, dilation 1 and one group
// (the 3×3 "same" convolutions of small ConvNets), on processors with AVX2
// and FMA. Each image is copied, for each input channel ci and kernel
// column kw, into a plane of hp = H+PH+PHE rows of OW elements that holds
// at (r, ow) the input element (r-PH, ow+kw-PW), zero outside the input.
// Output position p = oh·OW + ow then reads tap (ci, kh, kw) at the fixed
// offset (ci·KW + kw)·hp·OW + kh·OW from p, so that the kernel computes a
// product of the packed weights by shifted views of these planes, 6 output
// channels and 16 positions at a time (sconvKern6x16, AVX2) or, with
// AVX-512, 12 channels and 32 positions (sconvKern12x32; the last
// positions of a plane in tiles of 16, the channels past the last panel
// of 12 in panels of 6: sconvKern12x16, sconvKern6x32), with no column
// buffer and no packing of the input, writing the output in place (a
// last, shorter tile and a last panel of fewer channels go through a
// small buffer). With AVX-512, the last positions of a plane past its
// whole tiles of 16 (ohw mod 16, at most 12) go, where that costs fewer
// instructions than a tile of 16 in every panel, through the tail kernels
// (sconvTail4x64 and narrower), which hold 4 positions by up to 64
// channels with the channels in the lanes and read the weights from a
// second, tap-major packing (packTail). Every output is one chain of fused
// multiply-adds over the taps in the order (ci, kh, kw), whatever the
// threads and the kernel.

const (
	convDirectMR     = 6  // output channels per tile (AVX2)
	convDirectWideMR = 12 // output channels per tile of the AVX-512 kernels
	convDirectNR     = 16 // positions per tile (the narrow kernel's)
	convDirectWide   = 32 // positions per tile of the wide (AVX-512) kernel
	convTailPos      = 4  // positions per tail kernel
	convTailChans    = 64 // output channels per tail kernel, at most
)

// convTail is the positions at the end of each plane of ohw positions that
// the tail kernels compute for co output channels in the given panels (0:
// none; tiles of 16 and 32 take them all). It is ohw mod 16 on the wide
// (AVX-512) path when the tail kernels take fewer cycles a tap than a tile
// of 16 positions in every panel, counting each kernel as its
// accumulators over the two fused multiply-add ports but at least the 4
// cycles of one multiply-add's latency.
func convTail(ohw, co int, panels []convPanel, wide bool) int {
	r := ohw % convDirectNR
	if !wide || r == 0 {
		return 0
	}
	cycles := func(acc int) int { return max((acc+1)/2, 4) }
	panel := 0
	for _, p := range panels {
		panel += cycles(p.mr)
	}
	tail := 0
	for c0 := 0; c0 < co; c0 += convTailChans {
		vecs := (min(convTailChans, co-c0) + 15) / 16
		tail += cycles(convTailPos * vecs)
	}
	if tail*((r+convTailPos-1)/convTailPos) >= panel {
		return 0
	}
	return r
}

// convTailRows is co rounded up to whole vectors of 16 channels: the row
// length of packTail's layout.
func convTailRows(co int) int { return (co + 15) &^ 15 }

// convPanel is a panel of output channels [co, co+mr) whose packed
// weights start at element at of the packed kernel.
type convPanel struct{ co, mr, at int }

// convPanels splits co output channels into panels for taps taps per
// channel: where the AVX-512 kernels run (wide), panels of 12 channels (24
// accumulators) and one last panel of 4, 6, 8 or 12 for the rest, the
// smallest that holds it, except that a rest of 1 to 4 channels after at
// least one panel of 12 makes the last 12 + rest two panels of 8 (so 32
// channels are 12 + 12 + 8 and 64 are 4·12 + 8 + 8); otherwise panels of
// 6. A last panel's rows past co are zero rows computed for nothing: at
// most 3 with AVX-512, 5 without.
func convPanels(co, taps int, wide bool) []convPanel {
	var ps []convPanel
	at, c := 0, 0
	if wide {
		for ; c+convDirectWideMR <= co; c += convDirectWideMR {
			ps = append(ps, convPanel{c, convDirectWideMR, at})
			at += convDirectWideMR * taps
		}
		r := co - c
		if r > 0 && r <= 4 && len(ps) > 0 {
			// 12 + r channels as two panels of 8: the same rows as 12 and
			// a panel of 4, whose kernels keep too few sums in flight.
			c -= convDirectWideMR
			at -= convDirectWideMR * taps
			ps = append(ps[:len(ps)-1], convPanel{c, 8, at})
			return append(ps, convPanel{c + 8, 8, at + 8*taps})
		}
		if r > 0 {
			mr := convDirectWideMR
			for _, m := range []int{4, 6, 8} {
				if r <= m {
					mr = m
					break
				}
			}
			return append(ps, convPanel{c, mr, at})
		}
		return ps
	}
	for ; c < co; c += convDirectMR {
		ps = append(ps, convPanel{c, convDirectMR, at})
		at += convDirectMR * taps
	}
	return ps
}

// convPackedLen is the elements of the packed kernel for panels ps.
func convPackedLen(ps []convPanel, taps int) int {
	if len(ps) == 0 {
		return 0
	}
	l := ps[len(ps)-1]
	return l.at + l.mr*taps
}

// convDirect holds a direct convolution's layout and buffers.
type convDirect struct {
	c          *Conv
	hp, plane  int         // the rows and the elements (hp·OW) of a padded plane
	wide       bool        // the AVX-512 kernels: tiles of 32 positions, panels of 12 channels
	panels     []convPanel // the output channels' panels (convPanels)
	offs       []int       // per tap (ci, kh, kw): its offset into the padded planes
	apack      []float32   // the packed kernel, when no PackCache holds it
	a          []float32   // the packed kernel of the current run
	tail       int         // the positions at each plane's end the tail kernels take (convTail)
	apackT     []float32   // the tail kernels' packing (packTail), when no PackCache holds it
	aT         []float32   // the tail kernels' packing of the current run
	xpads      [][]float32 // per participant: the padded planes, with the slack the last tiles read
	tiles      [][]float32 // per participant: one tile, [12, convDirectWide]
	out, x     []float32
	tasks, per int
	par        *parFor
	// bias holds the current run's bias (ConvEpilogue.Bias) padded with
	// zeros to the panels' rows (and, for the tail kernels, to whole
	// vectors of 16), and hasBias and relu say what the tiles add and
	// apply.
	bias          []float32
	hasBias, relu bool
}

// convDirectMinTaps is the fewest taps (input channels × KH × KW) for
// which the forward pass runs convDirect: with fewer, the tiles' stores
// and the copies into the padded planes may outweigh what it saves
// (measured at 9, the 1-channel 3×3 convolution of bench/convnet.nn at
// batch 8: 67 µs direct against 92 µs by im2col and the gemm; its
// 32-channel one: 747 against 977 µs; load 25).
const convDirectMinTaps = 9

// useDirect says whether c's f32 forward pass runs convDirect: stride 1,
// dilation 1, one group, enough taps, not a 1×1 kernel without padding
// (whose input is its own column buffer), and no padding negative.
func (c *Conv) useDirect() bool {
	plain := c.KH == 1 && c.KW == 1 && c.PH == 0 && c.PW == 0 && c.OH == c.H && c.OW == c.W
	return convDirectAsm() && c.ck >= convDirectMinTaps && c.G == 1 && c.SH == 1 && c.SW == 1 &&
		c.DH == 1 && c.DW == 1 && !plain && c.N > 0 && c.PH >= 0 && c.PW >= 0 &&
		c.padAfter(c.PH, c.H, c.OH, c.KH) >= 0 && c.padAfter(c.PW, c.W, c.OW, c.KW) >= 0
}

// padAfter is the padding after an axis of n inputs, lo before, o outputs
// and k taps at stride 1.
func (c *Conv) padAfter(lo, n, o, k int) int { return o + k - 1 - n - lo }

// convDirectSizes are the elements of convDirect's buffers: the packed
// weights, and per participant the padded planes and a tile.
func convDirectSizes(c *Conv) (apack, xpad, tile int64) {
	wide := convDirectWideOK()
	// convPanels' rows: CO and the zero rows of its last panel.
	rows := int64(0)
	if ps := convPanels(c.CO, c.ck, wide); len(ps) > 0 {
		l := ps[len(ps)-1]
		rows = int64(l.co + l.mr)
	}
	apack = MulBytes(rows, int64(c.ck))
	if convTail(c.OH*c.OW, c.CO, convPanels(c.CO, c.ck, wide), wide) > 0 {
		// packTail's layout and the padded bias.
		apack = AddBytes(apack, MulBytes(int64(convTailRows(c.CO)), AddBytes(int64(c.ck), 1)))
	}
	xpad = AddBytes(MulBytes(int64(c.C), int64(c.KW), int64(c.OH+c.KH-1), int64(c.OW)), convDirectNR)
	tile = int64(convDirectMR * convDirectWide)
	if wide {
		tile = convDirectWideMR * convDirectWide
	}
	return apack, xpad, tile
}

// ConvForwardScratch is the bytes of the buffers a Conv that runs only
// ConvForward allocates on its first run for T: those of the direct
// convolution when it applies (f32, stride and dilation 1, one group),
// else ConvScratch's. The arguments are ConvScratch's and the dilation dil.
func ConvForwardScratch[T Float](x, k []int, stride, pad, dil [2]int, oh, ow int) int64 {
	if sizeOf[T]() != 4 || k[1] <= 0 || x[1] != k[1] || pad[0] < 0 || pad[1] < 0 {
		return ConvScratch[T](x, k, stride, pad, oh, ow)
	}
	c := &Conv{N: x[0], C: x[1], H: x[2], W: x[3], CO: k[0], KH: k[2], KW: k[3],
		SH: stride[0], SW: stride[1], PH: pad[0], PW: pad[1], DH: dil[0], DW: dil[1], G: 1, OH: oh, OW: ow}
	c.layout()
	if !c.useDirect() {
		return ConvScratch[T](x, k, stride, pad, oh, ow)
	}
	a, xp, op := convDirectSizes(c)
	tasks, _ := splitTasks(c.N, c.CO*c.ck*c.ohw)
	np := int64(min(gemmParticipants(), tasks))
	return AddBytes(bufBytes(a, 4), MulBytes(np, AddBytes(bufBytes(xp, 4), bufBytes(op, 4))))
}

func newConvDirect(c *Conv) *convDirect {
	d := &convDirect{c: c, hp: c.OH + c.KH - 1, wide: convDirectWideOK()}
	d.plane = d.hp * c.OW
	d.panels = convPanels(c.CO, c.ck, d.wide)
	for ci := 0; ci < c.C; ci++ {
		for kh := 0; kh < c.KH; kh++ {
			for kw := 0; kw < c.KW; kw++ {
				d.offs = append(d.offs, (ci*c.KW+kw)*d.plane+kh*c.OW)
			}
		}
	}
	a, xl, tl := convDirectSizes(c)
	d.tail = convTail(c.ohw, c.CO, d.panels, d.wide)
	d.apack = make([]float32, convPackedLen(d.panels, c.ck))
	pl, rows := int64(len(d.apack)), len(d.apack)/max(c.ck, 1)
	if d.tail > 0 {
		rt := convTailRows(c.CO)
		d.apackT = make([]float32, rt*c.ck)
		pl += int64(rt) * int64(c.ck+1) // the tail packing and its bias rows
		rows = max(rows, rt)
	}
	d.bias = make([]float32, rows)
	if pl != a {
		panic("kernels: the direct convolution's panels disagree with its sizes")
	}
	d.tasks, d.per = splitTasks(c.N, c.CO*c.ck*c.ohw)
	d.par = newParFor(d.tasks, d.task)
	for range min(d.par.participants(), d.tasks) {
		d.xpads = append(d.xpads, make([]float32, xl)) // the padding stays zero
		d.tiles = append(d.tiles, make([]float32, tl))
	}
	return d
}

// packWeights lays k [CO, C, KH, KW] out in dst as d.panels, each tap
// by tap (the panel's channels' weights of a tap together), with zero
// rows past CO.
func (d *convDirect) packWeights(dst, k []float32) {
	c := d.c
	for _, p := range d.panels {
		mr := p.mr
		pan := dst[p.at : p.at+mr*c.ck]
		rows := min(mr, c.CO-p.co)
		for r := 0; r < mr; r++ {
			if r >= rows {
				for t := 0; t < c.ck; t++ {
					pan[t*mr+r] = 0
				}
				continue
			}
			src := k[(p.co+r)*c.ck : (p.co+r+1)*c.ck]
			for t, v := range src {
				pan[t*mr+r] = v
			}
		}
	}
}

// packTail lays k [CO, C, KH, KW] out in dst tap by tap, each tap's
// weights of all output channels together in a row of convTailRows(CO)
// (zeros past CO): the tail kernels' layout.
func (d *convDirect) packTail(dst, k []float32) {
	c := d.c
	rt := convTailRows(c.CO)
	for t := 0; t < c.ck; t++ {
		row := dst[t*rt : (t+1)*rt]
		for co := range c.CO {
			row[co] = k[co*c.ck+t]
		}
		clear(row[c.CO:])
	}
}

// pack packs k for the panels into d.apack and, when the tail kernels
// run, for them into d.apackT, and returns the two.
func (d *convDirect) pack(k []float32) (a, aT []float32) {
	d.packWeights(d.apack, k)
	if d.tail > 0 {
		d.packTail(d.apackT, k)
	}
	return d.apack, d.apackT
}

// forward computes out [N, CO, OH, OW] = conv(x, k) with k packed by
// packWeights into a and, when the tail kernels run, by packTail into aT,
// then ep's bias and relu.
func (d *convDirect) forward(out, x, a, aT []float32, ep ConvEpilogue) {
	d.out, d.x, d.a, d.aT = out, x, a, aT
	d.hasBias, d.relu = ep.Bias != nil, ep.Relu
	if d.hasBias {
		copy(d.bias, ep.Bias[:d.c.CO])
	}
	d.par.run()
	d.out, d.x, d.a, d.aT = nil, nil, nil, nil
}

// directF32 returns c's direct convolution, made on first use.
func (c *Conv) directF32() *convDirect {
	if c.d32 == nil {
		c.d32 = newConvDirect(c)
	}
	return c.d32
}

// ConvForwardPacked is ConvForward for f32 with the packed kernel of the
// direct convolution, when it runs, taken from cache or packed into it (k
// must not change until the cache is invalidated, as for
// GemmPlan.RunPacked): an inference plan whose params stay fixed packs its
// kernels once. With a nil cache it is ConvForward.
func ConvForwardPacked(c *Conv, cache *PackCache, out, x, k []float32) {
	ConvForwardEpilogue(c, cache, out, x, k, ConvEpilogue{})
}

// ConvEpilogue is what ConvForwardEpilogue applies to a convolution's
// output: Bias[co] (CO values; nil: none) added to every element of output
// channel co, then, with Relu, relu (x < 0 becomes 0; NaN and -0 stay), as
// the add and relu ops compute them.
type ConvEpilogue struct {
	Bias []float32
	Relu bool
}

// ConvForwardEpilogue is ConvForwardPacked (cache may be nil) followed by
// ep: where the direct convolution runs, each tile gets the bias and relu
// before it is stored; otherwise they are a pass over out. Either way the
// results are bitwise those of the convolution and then the add and relu
// ops.
func ConvForwardEpilogue(c *Conv, cache *PackCache, out, x, k []float32, ep ConvEpilogue) {
	if ep.Bias != nil && len(ep.Bias) != c.CO {
		panic("kernels: the convolution's bias is not one value per output channel")
	}
	if !c.useDirect() {
		ConvForward(c, out, x, k, nil, (*Matmul).F32)
		convEpilogueRows(c, out, ep)
		return
	}
	d := c.directF32()
	if cache == nil {
		a, aT := d.pack(k)
		d.forward(out, x, a, aT, ep)
		return
	}
	key := packKey{data: uintptr(unsafe.Pointer(&k[0])), k: c.ck, n: c.CO, kc: d.panels[0].mr, nr: convDirectNR, kern: "conv", size: 4}
	buf, ok, e := packEntryFor[float32](cache, key, len(d.apack))
	if !ok {
		d.packWeights(buf, k)
		cache.packed++
		e.gen = cache.gen
	}
	var bufT []float32
	if d.tail > 0 {
		key.kern = "conv_tail"
		// The second layout of the same weights, made and invalidated with
		// the first: one packing as the cache counts them.
		bufT, ok, e = packEntryFor[float32](cache, key, len(d.apackT))
		if !ok {
			d.packTail(bufT, k)
			e.gen = cache.gen
		}
	}
	d.forward(out, x, buf, bufT, ep)
}

// convEpilogueRows applies ep to out [N, CO, OH·OW] channel by channel.
func convEpilogueRows(c *Conv, out []float32, ep ConvEpilogue) {
	if ep.Bias == nil && !ep.Relu {
		return
	}
	hw := c.OH * c.OW
	for n := 0; n < c.N; n++ {
		for co := 0; co < c.CO; co++ {
			row := out[(n*c.CO+co)*hw : (n*c.CO+co+1)*hw]
			if ep.Bias != nil {
				b := ep.Bias[co]
				for i := range row {
					row[i] += b
				}
			}
			if ep.Relu {
				ReluRow(row, row)
			}
		}
	}
}

func (d *convDirect) task(w, t int) {
	c := d.c
	for n := t * d.per; n < min((t+1)*d.per, c.N); n++ {
		d.image(d.xpads[w], d.tiles[w], n)
	}
}

// image convolves image n through the participant's padded planes xpad
// and tile.
func (d *convDirect) image(xpad, tile []float32, n int) {
	c := d.c
	d.pad(xpad, n)
	out := d.out[n*c.CO*c.ohw : (n+1)*c.CO*c.ohw]
	wide := d.wide
	qt := c.ohw - d.tail // the positions of the channel panels' tiles
	for _, p := range d.panels {
		mr := p.mr
		a := d.a[p.at : p.at+mr*c.ck]
		rows := min(mr, c.CO-p.co)
		o := out[p.co*c.ohw:]
		var bias *float32
		if d.hasBias {
			bias = &d.bias[p.co]
		}
		for q, w := 0, 0; q < qt; q += w {
			// Tiles of 32 positions while 32 remain (with AVX-512), then
			// of 16: a tile past the plane's end reads only the 16
			// positions of slack the padded planes have.
			w = convDirectNR
			if wide && qt-q >= convDirectWide {
				w = convDirectWide
			}
			if rows == mr && q+w <= c.ohw {
				convDirectTile(mr, w, c.ck, a, xpad[q:], d.offs, o[q:], c.ohw, bias, d.relu)
				continue
			}
			convDirectTile(mr, w, c.ck, a, xpad[q:], d.offs, tile, w, bias, d.relu)
			l := min(w, c.ohw-q)
			for r := 0; r < rows; r++ {
				copy(o[r*c.ohw+q:r*c.ohw+q+l], tile[r*w:r*w+l])
			}
		}
	}
	if d.tail > 0 {
		d.tailImage(xpad, tile, out, qt)
	}
}

// tailImage computes positions [qt, ohw) of every output channel of one
// image (out) by the tail kernels, 4 positions by up to 64 channels at a
// time through tile (rows of 64): the last kernel of a plane reads up to 3
// positions past it, inside the padded planes' slack.
func (d *convDirect) tailImage(xpad, tile, out []float32, qt int) {
	c := d.c
	rt := convTailRows(c.CO)
	for c0 := 0; c0 < c.CO; c0 += convTailChans {
		n := min(convTailChans, c.CO-c0)
		var bias *float32
		if d.hasBias {
			bias = &d.bias[c0]
		}
		for q := qt; q < c.ohw; q += convTailPos {
			convTailTile((n+15)/16, c.ck, d.aT[c0:], rt, xpad[q:], d.offs, tile, bias, d.relu)
			for p := range min(convTailPos, c.ohw-q) {
				row := tile[convTailChans*p : convTailChans*p+n]
				for j, v := range row {
					out[(c0+j)*c.ohw+q+p] = v
				}
			}
		}
	}
}

// pad fills xpad's planes with image n: plane (ci, kw) holds at (r, ow)
// the element (r-PH, ow+kw-PW) of channel ci. Only the elements inside
// the input are written (the same ones on every call), so the rest stays
// zero.
func (d *convDirect) pad(xpad []float32, n int) {
	c := d.c
	for ci := 0; ci < c.C; ci++ {
		src := d.x[(n*c.C+ci)*c.hw : (n*c.C+ci+1)*c.hw]
		for kw := 0; kw < c.KW; kw++ {
			dw := kw - c.PW
			lo, hi := max(0, -dw), min(c.OW, c.W-dw)
			if lo >= hi || c.H == 0 {
				continue
			}
			dst := xpad[(ci*c.KW+kw)*d.plane+c.PH*c.OW : (ci*c.KW+kw)*d.plane+(c.PH+c.H)*c.OW]
			if c.OW != c.W {
				for h := 0; h < c.H; h++ {
					copy(dst[h*c.OW+lo:h*c.OW+hi], src[h*c.W+lo+dw:h*c.W+hi+dw])
				}
				continue
			}
			// Rows as wide as the input: one shifted copy, then zeros in
			// the columns it wrapped into, a column at a time (the wrap
			// is a column or two; a loop per row costs more than its
			// stores on small planes).
			copy(dst[lo:(c.H-1)*c.OW+hi], src[lo+dw:(c.H-1)*c.W+hi+dw])
			for j := range lo {
				for i := j; i < len(dst); i += c.OW {
					dst[i] = 0
				}
			}
			for j := hi; j < c.OW; j++ {
				for i := j; i < len(dst); i += c.OW {
					dst[i] = 0
				}
			}
		}
	}
}
