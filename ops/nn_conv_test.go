package ops_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// TestNNFixedGradients runs the registry's gradient checker (VJP, JVP and
// second order against finite differences) on cases that its random resizing
// would make invalid: groups, strides and dilations of the convolutions
// themselves, and pooling whose result is smaller than its input.
func TestNNFixedGradients(t *testing.T) {
	cases := []struct {
		op string
		c  ops.CheckCase
	}{
		{"conv2d", ops.CheckCase{In: []ops.Type{ops.T(2, 4, 5, 6), ops.T(6, 2, 2, 3)},
			Attrs: ops.Attrs{"stride": []int{2, 1}, "pad": []int{1, 2}, "dilation": []int{2, 1}, "groups": 2}}},
		{"conv2d", ops.CheckCase{In: []ops.Type{ops.T(1, 3, 5, 4), ops.T(3, 1, 2, 2)},
			Attrs: ops.Attrs{"stride": 2, "groups": 3}}},
		{"conv2d", ops.CheckCase{In: []ops.Type{ops.T(2, 3, 3, 4), ops.T(2, 3, 1, 1)}}},
		{"conv1d", ops.CheckCase{In: []ops.Type{ops.T(2, 4, 8), ops.T(6, 2, 3)},
			Attrs: ops.Attrs{"stride": 2, "pad": 1, "dilation": 2, "groups": 2}}},
		{"conv1d", ops.CheckCase{In: []ops.Type{ops.T(1, 2, 5), ops.T(3, 2, 1)}}},
		{"conv2d_input_grad", ops.CheckCase{In: []ops.Type{ops.T(2, 3, 3, 4), ops.T(3, 3, 1, 1)},
			Attrs: ops.Attrs{"shape": ops.ShapeOf(2, 3, 3, 4)}}},
		{"conv2d_weight_grad", ops.CheckCase{In: []ops.Type{ops.T(2, 3, 3, 4), ops.T(2, 3, 3, 4)},
			Attrs: ops.Attrs{"shape": ops.ShapeOf(3, 3, 1, 1)}}},
		{"max_pool2d_grad", ops.CheckCase{In: []ops.Type{ops.T(1, 2, 4, 5), ops.T(1, 2, 2, 2)},
			Attrs: ops.Attrs{"k": 2}, Domain: []ops.Domain{ops.Distinct}}},
		{"max_pool2d_grad", ops.CheckCase{In: []ops.Type{ops.T(1, 2, 5, 4), ops.T(1, 2, 3, 5)},
			Attrs: ops.Attrs{"k": []int{3, 2}, "stride": []int{2, 1}, "pad": []int{1, 1}}, Domain: []ops.Domain{ops.Distinct}}},
		{"max_pool2d", ops.CheckCase{In: []ops.Type{ops.T(1, 1, 4, 4)}, Attrs: ops.Attrs{"k": 2, "stride": 1},
			Domain: []ops.Domain{ops.Distinct}}},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d", tc.op, i), func(t *testing.T) {
			checkCase(t, ops.MustLookup(tc.op), tc.c, rand.New(rand.NewPCG(7, uint64(i))))
		})
	}
}

// TestNNInfer: result shapes on symbolic dimensions, and errors that name
// both operands.
func TestNNInfer(t *testing.T) {
	h, w, d := ops.DimVar("H"), ops.DimVar("W"), ops.DimVar("d")
	f64 := func(dims ...ops.Dim) ops.Type { return ops.Type{DType: ops.F64, Shape: ops.Shape(dims)} }
	i32 := func(dims ...ops.Dim) ops.Type { return ops.Type{DType: ops.I32, Shape: ops.Shape(dims)} }
	good := []struct {
		op    string
		attrs ops.Attrs
		in    []ops.Type
		want  string
	}{
		{"conv2d", ops.Attrs{"pad": 1}, []ops.Type{f32(dB, c(3), h, w), f32(c(8), c(3), c(3), c(3))}, "f32[B, 8, H, W]"},
		{"conv2d", ops.Attrs{"stride": 2, "groups": 2}, []ops.Type{f32(dB, c(4), c(2).Mul(h), c(9)), f32(c(6), c(2), c(2), c(3))}, "f32[B, 6, H, 4]"},
		{"conv1d", ops.Attrs{"dilation": 2}, []ops.Type{f32(dB, c(3), w), f32(c(5), c(3), c(3))}, "f32[B, 5, W - 4]"},
		{"max_pool2d", ops.Attrs{"k": 2}, []ops.Type{f32(dB, c(3), c(2).Mul(h), c(2).Mul(w))}, "f32[B, 3, H, W]"},
		{"avg_pool2d", ops.Attrs{"k": 3, "stride": 1, "pad": 1}, []ops.Type{f32(dB, c(3), h, w)}, "f32[B, 3, H, W]"},
		// "same" with stride 1 keeps symbolic sizes; ceil_mode with stride 1 is the floor rule.
		{"conv2d", ops.Attrs{"pad": "same", "dilation": []int{1, 2}}, []ops.Type{f32(dB, c(3), h, w), f32(c(8), c(3), c(3), c(4))}, "f32[B, 8, H, W]"},
		{"max_pool2d", ops.Attrs{"k": 3, "stride": 1, "pad": "same", "ceil_mode": true}, []ops.Type{f32(dB, c(3), h, w)}, "f32[B, 3, H, W]"},
		{"conv2d", ops.Attrs{"pad": []int{0, 1, 2, 3}, "stride": 2}, []ops.Type{f32(dB, c(3), c(7), c(8)), f32(c(8), c(3), c(2), c(3))}, "f32[B, 8, 4, 6]"},
		{"layer_norm", nil, []ops.Type{f32(dB, c(7), d), f32(d), f32(d)}, "f32[B, 7, d]"},
		{"batch_norm", nil, []ops.Type{f32(dB, c(4), h, w), f32(c(4)), f32(c(4))}, "f32[B, 4, H, W]"},
		{"embedding", nil, []ops.Type{i32(dB, h), f32(c(100), d)}, "f32[B, H, d]"},
		{"attention", nil, []ops.Type{f32(dB, h, d), f32(dB, w, d), f32(dB, w, c(5)), {DType: ops.Bool, Shape: ops.Shape{h, w}}}, "f32[B, H, 5]"},
		{"cross_entropy", ops.Attrs{"label_smoothing": 0.1}, []ops.Type{f32(dB, c(10)), i32(dB), f32(c(10))}, "f32"},
		{"huber", ops.Attrs{"delta": 2.0}, []ops.Type{f64(dB, d), f64(dB, d)}, "f64"},
	}
	for _, tc := range good {
		b := ops.NewBuilder()
		var in []*ops.Node
		for i, ty := range tc.in {
			in = append(in, b.Input(argName(i), ty))
		}
		n, err := b.Apply(ops.MustLookup(tc.op), tc.attrs, in...)
		if err != nil {
			t.Errorf("%s %v: %v", tc.op, tc.in, err)
			continue
		}
		if n.Type.String() != tc.want {
			t.Errorf("%s %v: got %v, want %s", tc.op, tc.in, n.Type, tc.want)
		}
	}
	bad := []struct {
		op    string
		attrs ops.Attrs
		in    []ops.Type
		want  string
	}{
		{"conv2d", nil, []ops.Type{f32(dB, c(3), h, w), f32(c(8), c(4), c(3), c(3))},
			"conv2d: input channels 3 are not kernel channels 4 times groups 1: x is f32[B, 3, H, W], y is f32[8, 4, 3, 3]"},
		{"conv2d", nil, []ops.Type{f32(dB, c(3), c(2), c(9)), f32(c(8), c(3), c(3), c(3))},
			"conv2d: the dilated kernel (3 along axis 2, dilation 1) is larger than the padded input (2 + 0 + 0): x is f32[B, 3, 2, 9], y is f32[8, 3, 3, 3]"},
		{"conv2d", ops.Attrs{"stride": []int{1, 2, 3}}, []ops.Type{f32(dB, c(3), h, w), f32(c(8), c(3), c(3), c(3))},
			"conv2d: stride has 3 values, want 1 or 2"},
		{"conv1d", nil, []ops.Type{f32(dB, c(3), h, w), f32(c(8), c(3), c(3))},
			"conv1d: the input must be [N, C, W] and the kernel [C_out, C/groups, k]: x is f32[B, 3, H, W], y is f32[8, 3, 3]"},
		{"max_pool2d", ops.Attrs{"k": 2, "pad": 2}, []ops.Type{f32(dB, c(3), h, w)}, "max_pool2d: pad 2 is not less than the window [2 2] (dilated 2): a window would see only padding"},
		{"max_pool2d", nil, []ops.Type{f32(dB, c(3), h, w)}, "max_pool2d: needs the window size k"},
		{"conv2d", ops.Attrs{"pad": "same", "stride": 2}, []ops.Type{f32(dB, c(3), h, w), f32(c(8), c(3), c(3), c(3))},
			`conv2d: pad "same" with stride 2 needs known sizes: spatial axis 0 is H, the window 3`},
		{"max_pool2d", ops.Attrs{"k": 2, "ceil_mode": true}, []ops.Type{f32(dB, c(3), h, w)},
			"max_pool2d: ceil_mode with stride 2 needs known sizes: x is f32[B, 3, H, W]"},
		{"avg_pool3d", ops.Attrs{"k": 2}, []ops.Type{f32(dB, c(3), h, w)}, "avg_pool3d: needs an f32 or f64 [N, C, D, H, W] input: x is f32[B, 3, H, W]"},
		{"conv3d", nil, []ops.Type{f32(dB, c(3), h, w), f32(c(8), c(3), c(3), c(3))},
			"conv3d: the input must be [N, C, D, H, W] and the kernel [C_out, C/groups, kD, kH, kW]: x is f32[B, 3, H, W], y is f32[8, 3, 3, 3]"},
		{"max_pool3d", ops.Attrs{"k": []int{2, 2}}, []ops.Type{f32(dB, c(3), c(4), h, w)}, "max_pool3d: k has 2 values, want 1 or 3"},
		{"conv1d", ops.Attrs{"pad": []int{1, 2, 3}}, []ops.Type{f32(dB, c(3), w), f32(c(8), c(3), c(3))},
			"conv1d: pad has 3 values, want 1 or 2 (before and after)"},
		{"layer_norm", nil, []ops.Type{f32(dB, d), f32(c(4)), f32(d)},
			"layer_norm: y must be [d], the size of the last axis of x: x is f32[B, d], y is f32[4]"},
		{"batch_norm", nil, []ops.Type{f32(dB, c(4), h), f32(c(4)), f32(c(3))},
			"batch_norm: z must be [4], the size of the channel axis (1) of x: x is f32[B, 4, H], z is f32[3]"},
		{"embedding", nil, []ops.Type{f32(dB), f32(c(10), d)}, "embedding: ids must be i32 or i64: x is f32[B]"},
		{"attention", nil, []ops.Type{f32(dB, h, d), f32(dB, w, c(3)), f32(dB, w, d)},
			"attention: q and k must have the same feature size: x is f32[B, H, d], y is f32[B, W, 3]"},
		{"cross_entropy", nil, []ops.Type{f32(dB, c(10)), i32(dB), f32(c(9))},
			"cross_entropy: weights must be f32[10], one per class: x is f32[B, 10], z is f32[9]"},
		{"mse", nil, []ops.Type{f32(dB, d), f32(d)}, "mse: the operands must have one shape: x is f32[B, d], y is f32[d]"},
	}
	for _, tc := range bad {
		b := ops.NewBuilder()
		var in []*ops.Node
		for i, ty := range tc.in {
			in = append(in, b.Input(argName(i), ty))
		}
		_, err := b.Apply(ops.MustLookup(tc.op), tc.attrs, in...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %v:\n got %v\nwant %s", tc.op, tc.in, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), tc.op+": ") {
			t.Errorf("%s: error %q does not start with the op's name", tc.op, err)
		}
	}
}
