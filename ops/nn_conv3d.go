package ops

import (
	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// conv3d and its gradients (registered with the other convolutions in
// nn_conv.go) run kernels.Conv3D: im2col + gemm over [N, C, D, H, W].

// plan3D prepares the 3-D convolution of concrete shapes x and k.
func plan3D(name string, a Attrs, x, k []int) (*kernels.Conv3D, error) {
	p, lo, hi, err := convWidths(name, 3, a, x, k)
	if err != nil {
		return nil, err
	}
	three := func(v []int) [3]int { return [3]int{v[0], v[1], v[2]} }
	return kernels.NewConv3D(x, k, three(p.stride), three(lo), three(hi), three(p.dil), p.groups), nil
}

// conv3DKernelFor prepares the f32 or f64 kernel of the given kind for x
// and k (the input and kernel shapes, whichever operand or result they are).
func conv3DKernelFor(n *Node, x, k []int, kind int) (KernelFunc, error) {
	c, err := plan3D(n.Op.Name, n.Attrs, x, k)
	if err != nil {
		return nil, err
	}
	return floatKernel(n,
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			conv3DRun(c, kind, o.F32, in[0].F32, in[1].F32, (*kernels.Matmul).F32)
		},
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			conv3DRun(c, kind, o.F64, in[0].F64, in[1].F64, (*kernels.Matmul).F64)
		})
}

func conv3DRun[T kernels.Float](c *kernels.Conv3D, kind int, o, a, b []T, mm kernels.Gemm[T]) {
	switch kind {
	case convFwd:
		kernels.Conv3DForward(c, o, a, b, mm)
	case convIn:
		kernels.Conv3DInputGrad(c, o, a, b, mm)
	default:
		kernels.Conv3DWeightGrad(c, o, a, b, mm)
	}
}

// conv3DScratch is convScratch for conv3d: x, k and g are the input,
// kernel and output shapes.
func conv3DScratch(x, k, g []int, f32 bool) int64 {
	if len(g) != 5 {
		return 0
	}
	out := [3]int{g[2], g[3], g[4]}
	if f32 {
		return kernels.Conv3DScratch[float32](x, k, out)
	}
	return kernels.Conv3DScratch[float64](x, k, out)
}
