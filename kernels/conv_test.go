package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveConv is the definition: out[n, o, y, x] = Σ_{c, i, j} in[n, g·cg+c,
// y·s - p + i·d, x·s - p + j·d] · k[o, c, i, j], g = o / (CO/G).
func naiveConv(c *Conv, x, k []float64) []float64 {
	out := make([]float64, c.N*c.CO*c.OH*c.OW)
	cg, cog := c.C/c.G, c.CO/c.G
	for n := 0; n < c.N; n++ {
		for o := 0; o < c.CO; o++ {
			g := o / cog
			for oy := 0; oy < c.OH; oy++ {
				for ox := 0; ox < c.OW; ox++ {
					var s float64
					for ci := 0; ci < cg; ci++ {
						for i := 0; i < c.KH; i++ {
							for j := 0; j < c.KW; j++ {
								iy, ix := oy*c.SH-c.PH+i*c.DH, ox*c.SW-c.PW+j*c.DW
								if iy < 0 || iy >= c.H || ix < 0 || ix >= c.W {
									continue
								}
								s += x[((n*c.C+g*cg+ci)*c.H+iy)*c.W+ix] * k[((o*cg+ci)*c.KH+i)*c.KW+j]
							}
						}
					}
					out[((n*c.CO+o)*c.OH+oy)*c.OW+ox] = s
				}
			}
		}
	}
	return out
}

// naiveConvGrads is the definition of both gradients: each term x·k of
// naiveConv adds gout·k to dx and gout·x to dk.
func naiveConvGrads(c *Conv, x, k, gout []float64) (dx, dk []float64) {
	dx, dk = make([]float64, len(x)), make([]float64, len(k))
	cg, cog := c.C/c.G, c.CO/c.G
	for n := 0; n < c.N; n++ {
		for o := 0; o < c.CO; o++ {
			g := o / cog
			for oy := 0; oy < c.OH; oy++ {
				for ox := 0; ox < c.OW; ox++ {
					gv := gout[((n*c.CO+o)*c.OH+oy)*c.OW+ox]
					for ci := 0; ci < cg; ci++ {
						for i := 0; i < c.KH; i++ {
							for j := 0; j < c.KW; j++ {
								iy, ix := oy*c.SH-c.PH+i*c.DH, ox*c.SW-c.PW+j*c.DW
								if iy < 0 || iy >= c.H || ix < 0 || ix >= c.W {
									continue
								}
								xi, ki := ((n*c.C+g*cg+ci)*c.H+iy)*c.W+ix, ((o*cg+ci)*c.KH+i)*c.KW+j
								dx[xi] += gv * k[ki]
								dk[ki] += gv * x[xi]
							}
						}
					}
				}
			}
		}
	}
	return dx, dk
}

// TestConv compares the im2col forward pass with the definition, and checks
// both gradients by the adjoint identities ⟨conv(x, k), g⟩ = ⟨x, dx(g, k)⟩ =
// ⟨k, dk(x, g)⟩ in f64, then runs f32 against f64.
func TestConv(t *testing.T) {
	type geo struct {
		x, k             [4]int
		stride, pad, dil [2]int
		groups           int
		extra            [2]int // padding after the rows and columns beyond pad (asymmetric)
	}
	cases := []geo{
		{[4]int{2, 3, 7, 5}, [4]int{4, 3, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, 1, [2]int{}},
		{[4]int{1, 4, 9, 8}, [4]int{6, 2, 3, 2}, [2]int{2, 3}, [2]int{1, 2}, [2]int{2, 1}, 2, [2]int{}},
		{[4]int{2, 3, 4, 5}, [4]int{5, 3, 1, 1}, [2]int{1, 1}, [2]int{0, 0}, [2]int{1, 1}, 1, [2]int{}},  // direct
		{[4]int{1, 6, 5, 5}, [4]int{6, 1, 2, 2}, [2]int{2, 2}, [2]int{0, 0}, [2]int{1, 1}, 6, [2]int{}},  // depthwise
		{[4]int{3, 2, 1, 33}, [4]int{7, 2, 1, 4}, [2]int{1, 2}, [2]int{0, 3}, [2]int{1, 3}, 1, [2]int{}}, // 1-D
		{[4]int{1, 1, 1, 1}, [4]int{1, 1, 1, 1}, [2]int{1, 1}, [2]int{0, 0}, [2]int{1, 1}, 1, [2]int{}},
		// Several images per product, the last batch shorter: 5 = 2+2+1
		// images of 15×20, 7 = 3+3+1 of 16×16 (dilated "same" padding),
		// 7 = 5+2 of 12×12 in two groups, and 5 = 4+1 without "same" shape.
		{[4]int{5, 2, 15, 20}, [4]int{3, 2, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, 1, [2]int{}},
		{[4]int{7, 3, 16, 16}, [4]int{4, 3, 3, 3}, [2]int{1, 1}, [2]int{2, 2}, [2]int{2, 2}, 1, [2]int{}},
		{[4]int{7, 4, 12, 12}, [4]int{6, 2, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, 2, [2]int{}},
		{[4]int{5, 2, 16, 13}, [4]int{3, 2, 3, 2}, [2]int{1, 1}, [2]int{0, 1}, [2]int{1, 1}, 1, [2]int{}},
		// Asymmetric padding: "same" of stride 2 on even sizes (0 before, 1
		// after), a plane shift with all of it after, and a 1×1 kernel that
		// padding after keeps off the direct path.
		{[4]int{2, 3, 8, 6}, [4]int{4, 3, 3, 3}, [2]int{2, 2}, [2]int{0, 0}, [2]int{1, 1}, 1, [2]int{1, 1}},
		{[4]int{1, 2, 6, 7}, [4]int{3, 2, 3, 3}, [2]int{1, 1}, [2]int{0, 0}, [2]int{1, 1}, 1, [2]int{2, 2}},
		{[4]int{1, 3, 4, 5}, [4]int{2, 3, 1, 1}, [2]int{1, 1}, [2]int{0, 0}, [2]int{1, 1}, 1, [2]int{1, 2}},
	}
	for i, g := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(i)))
			c := NewConvPadded(g.x[:], g.k[:], g.stride, g.pad, [2]int{g.pad[0] + g.extra[0], g.pad[1] + g.extra[1]}, g.dil, g.groups)
			if i >= 6 && i < 10 && (c.IPG < 2 || c.N%c.IPG == 0) {
				t.Fatalf("%d images per product of %d, want a shorter last batch", c.IPG, c.N)
			}
			x := randSlice(rng, numElems(g.x[:]))
			k := randSlice(rng, numElems(g.k[:]))
			gout := randSlice(rng, c.N*c.CO*c.OH*c.OW)
			col := make([]float64, c.ColLen())
			tmp := make([]float64, c.TmpLen())

			want := naiveConv(c, x, k)
			out := make([]float64, len(want))
			ConvForward(c, out, x, k, col, (*Matmul).F64)
			for j := range want {
				if math.Abs(out[j]-want[j]) > 1e-12*(1+math.Abs(want[j])) {
					t.Fatalf("forward[%d] = %g, want %g", j, out[j], want[j])
				}
			}
			dx := make([]float64, len(x))
			for j := range dx {
				dx[j] = 99 // must be overwritten
			}
			ConvInputGrad(c, dx, gout, k, col, (*Matmul).F64)
			dk := make([]float64, len(k))
			ConvWeightGrad(c, dk, x, gout, col, tmp, (*Matmul).F64)
			wdx, wdk := naiveConvGrads(c, x, k, gout)
			for j := range wdx {
				if math.Abs(dx[j]-wdx[j]) > 1e-12*(1+math.Abs(wdx[j])) {
					t.Fatalf("dx[%d] = %g, want %g", j, dx[j], wdx[j])
				}
			}
			for j := range wdk {
				if math.Abs(dk[j]-wdk[j]) > 1e-12*(1+math.Abs(wdk[j])) {
					t.Fatalf("dk[%d] = %g, want %g", j, dk[j], wdk[j])
				}
			}
			ref := dotF(want, gout)
			if a := dotF(x, dx); math.Abs(a-ref) > 1e-10*(1+math.Abs(ref)) {
				t.Errorf("⟨x, dx⟩ = %g, ⟨conv, g⟩ = %g", a, ref)
			}
			if a := dotF(k, dk); math.Abs(a-ref) > 1e-10*(1+math.Abs(ref)) {
				t.Errorf("⟨k, dk⟩ = %g, ⟨conv, g⟩ = %g", a, ref)
			}

			// f32 agrees with f64.
			out32, dx32, dk32 := make([]float32, len(out)), make([]float32, len(dx)), make([]float32, len(dk))
			col32, tmp32 := make([]float32, c.ColLen()), make([]float32, c.TmpLen())
			ConvForward(c, out32, to32(x), to32(k), col32, (*Matmul).F32)
			ConvInputGrad(c, dx32, to32(gout), to32(k), col32, (*Matmul).F32)
			ConvWeightGrad(c, dk32, to32(x), to32(gout), col32, tmp32, (*Matmul).F32)
			for _, p := range []struct {
				a []float32
				b []float64
			}{{out32, out}, {dx32, dx}, {dk32, dk}} {
				for j := range p.b {
					if math.Abs(float64(p.a[j])-p.b[j]) > 1e-4*(1+math.Abs(p.b[j])) {
						t.Fatalf("f32 %g against f64 %g", p.a[j], p.b[j])
					}
				}
			}
		})
	}
}

// BenchmarkConv runs the layers of the ConvNet benchmark (issue 6) in f32:
// forward, input gradient and weight gradient.
func BenchmarkConv(b *testing.B) {
	layers := []struct {
		name string
		x, k []int
	}{
		{"1x28x28-32", []int{64, 1, 28, 28}, []int{32, 1, 3, 3}},
		{"32x13x13-64", []int{64, 32, 13, 13}, []int{64, 32, 3, 3}},
	}
	for _, l := range layers {
		c := NewConv(l.x, l.k, [2]int{1, 1}, [2]int{0, 0}, [2]int{1, 1}, 1)
		x := make([]float32, numElems(l.x))
		k := make([]float32, numElems(l.k))
		out := make([]float32, c.N*c.CO*c.OH*c.OW)
		col, tmp := make([]float32, c.ColLen()), make([]float32, c.TmpLen())
		flops := float64(2 * len(out) * c.ck)
		b.Run(l.name+"/forward", func(b *testing.B) {
			for range b.N {
				ConvForward(c, out, x, k, col, (*Matmul).F32)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(l.name+"/input_grad", func(b *testing.B) {
			for range b.N {
				ConvInputGrad(c, x, out, k, col, (*Matmul).F32)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(l.name+"/weight_grad", func(b *testing.B) {
			for range b.N {
				ConvWeightGrad(c, k, x, out, col, tmp, (*Matmul).F32)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
