package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveConv3D is the definition of conv3d and its two gradients as loops
// over every output position and tap, in float64.
func naiveConv3D(c *Conv3D, x, k, g []float64) (out, dx, dk []float64) {
	out = make([]float64, c.N*c.CO*c.osp)
	dx = make([]float64, len(x))
	dk = make([]float64, len(k))
	D, H, W := c.In[0], c.In[1], c.In[2]
	for n := 0; n < c.N; n++ {
		for co := 0; co < c.CO; co++ {
			grp := co / c.cog
			for od := 0; od < c.Out[0]; od++ {
				for oh := 0; oh < c.Out[1]; oh++ {
					for ow := 0; ow < c.Out[2]; ow++ {
						o := (((n*c.CO+co)*c.Out[0]+od)*c.Out[1]+oh)*c.Out[2] + ow
						for ci := 0; ci < c.cg; ci++ {
							for a := 0; a < c.K[0]; a++ {
								d := od*c.S[0] - c.Lo[0] + a*c.Dil[0]
								for b := 0; b < c.K[1]; b++ {
									h := oh*c.S[1] - c.Lo[1] + b*c.Dil[1]
									for e := 0; e < c.K[2]; e++ {
										w := ow*c.S[2] - c.Lo[2] + e*c.Dil[2]
										if d < 0 || d >= D || h < 0 || h >= H || w < 0 || w >= W {
											continue
										}
										xi := (((n*c.C+grp*c.cg+ci)*D+d)*H+h)*W + w
										ki := (((co*c.cg+ci)*c.K[0]+a)*c.K[1]+b)*c.K[2] + e
										out[o] += x[xi] * k[ki]
										dx[xi] += g[o] * k[ki]
										dk[ki] += g[o] * x[xi]
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return out, dx, dk
}

// TestConv3DPieces checks conv3d and its gradients against the loops on a
// volume large enough that the column buffer is cut into pieces of output
// planes (4 and a last one of 1), with groups, strides, padding and
// dilation; and on a small one that runs in one piece.
func TestConv3DPieces(t *testing.T) {
	for _, tc := range []struct {
		x, k             []int
		stride, lo, hi   [3]int
		dil              [3]int
		groups, wantPlan int
	}{
		{[]int{2, 8, 5, 32, 64}, []int{6, 4, 3, 3, 3}, [3]int{1, 1, 1}, [3]int{1, 1, 1}, [3]int{1, 1, 1}, [3]int{1, 1, 1}, 2, 4},
		{[]int{1, 3, 6, 7, 5}, []int{4, 3, 2, 3, 2}, [3]int{2, 1, 2}, [3]int{1, 0, 1}, [3]int{0, 2, 1}, [3]int{1, 2, 1}, 1, 3},
	} {
		c := NewConv3D(tc.x, tc.k, tc.stride, tc.lo, tc.hi, tc.dil, tc.groups)
		if c.Chunk != tc.wantPlan {
			t.Fatalf("%v: %d planes a piece, want %d", tc.x, c.Chunk, tc.wantPlan)
		}
		rng := rand.New(rand.NewPCG(1, 5))
		fill := func(n int) ([]float64, []float32) {
			a, b := make([]float64, n), make([]float32, n)
			for i := range a {
				b[i] = float32(rng.IntN(33)-16) / 16 // exact in float32
				a[i] = float64(b[i])
			}
			return a, b
		}
		x64, x32 := fill(tc.x[0] * tc.x[1] * c.sp)
		k64, k32 := fill(c.CO * c.ck)
		g64, g32 := fill(c.N * c.CO * c.osp)
		out, dx, dk := naiveConv3D(c, x64, k64, g64)
		gotOut, gotDx, gotDk := make([]float32, len(out)), make([]float32, len(dx)), make([]float32, len(dk))
		Conv3DForward(c, gotOut, x32, k32, (*Matmul).F32)
		Conv3DInputGrad(c, gotDx, g32, k32, (*Matmul).F32)
		Conv3DWeightGrad(c, gotDk, x32, g32, (*Matmul).F32)
		for _, r := range []struct {
			name string
			got  []float32
			want []float64
		}{{"out", gotOut, out}, {"dx", gotDx, dx}, {"dk", gotDk, dk}} {
			for i, w := range r.want {
				if d := math.Abs(float64(r.got[i]) - w); d > 1e-5*math.Abs(w)+1e-4 {
					t.Fatalf("%v: %s[%d] = %g, want %g", tc.x, r.name, i, r.got[i], w)
				}
			}
		}
	}
}
