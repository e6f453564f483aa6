package ops

// poolChecks are the pooling ops' gradient-check cases, by op name (more
// cases run in nn_pool_test.go and the spec tests). A window of 3 with
// stride 1 and pad 1 keeps the shape, so the checker may resize x and g of
// the _grad and _pick ops together.
var poolChecks = map[string][]CheckCase{
	"max_pool2d": {
		{In: []Type{T(2, 3, 4, 4)}, Attrs: Attrs{"k": 2}, Domain: []Domain{Distinct}},
		{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": []int{3, 2}, "stride": []int{2, 1}, "pad": []int{1, 1}}, Domain: []Domain{Distinct}},
		{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": []int{1, 0, 0, 1}, "ceil_mode": true}, Domain: []Domain{Distinct}},
		{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 2, "stride": 1, "pad": 1, "dilation": 2}, Domain: []Domain{Distinct}},
		{In: []Type{T(2, 1, 5, 4)}, Attrs: Attrs{"k": []int{2, 3}, "stride": 2, "pad": "same"}, Domain: []Domain{Distinct}},
	},
	"max_pool2d_grad": {
		{In: []Type{T(2, 2, 4, 5), T(2, 2, 4, 5)}, Attrs: Attrs{"k": 3, "stride": 1, "pad": 1}, Domain: []Domain{Distinct}},
	},
	"max_pool2d_pick": {
		{In: []Type{T(2, 2, 4, 5), T(2, 2, 4, 5)}, Attrs: Attrs{"k": 3, "stride": 1, "pad": 1}, Domain: []Domain{Distinct}},
		{In: []Type{T(1, 2, 5, 4), T(1, 2, 5, 4)}, Attrs: Attrs{"k": []int{3, 2}, "stride": []int{2, 1}, "pad": []int{1, 1}}, Domain: []Domain{Distinct}},
		{In: []Type{T(1, 2, 5, 4), T(1, 2, 5, 4)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": []int{1, 0, 0, 1}, "ceil_mode": true, "dilation": []int{1, 2}}, Domain: []Domain{Distinct}},
	},
	"avg_pool2d": {
		{In: []Type{T(2, 3, 4, 4)}, Attrs: Attrs{"k": 2}},
		{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": []int{3, 2}, "stride": []int{2, 1}, "pad": []int{1, 1}}},
		{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": 1, "count_include_pad": false}},
		{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": []int{1, 0, 0, 1}, "ceil_mode": true}},
		{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": 1, "ceil_mode": true, "count_include_pad": false}},
		{In: []Type{T(2, 1, 5, 4)}, Attrs: Attrs{"k": []int{2, 3}, "stride": 2, "pad": "same"}},
		{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 2, "stride": 1, "pad": 1, "dilation": 2}},
		{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 2, "stride": 2, "pad": 1, "dilation": []int{2, 1}, "ceil_mode": true, "count_include_pad": false}},
	},
	"avg_pool2d_grad": {
		{In: []Type{T(2, 3, 2, 2)}, Attrs: Attrs{"k": 2, "shape": ShapeOf(2, 3, 4, 5)}},
		{In: []Type{T(1, 2, 3, 5)}, Attrs: Attrs{"k": []int{3, 2}, "stride": []int{2, 1}, "pad": []int{1, 1}, "shape": ShapeOf(1, 2, 5, 4)}},
		{In: []Type{T(1, 2, 3, 2)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": 1, "count_include_pad": false, "shape": ShapeOf(1, 2, 5, 4)}},
		{In: []Type{T(1, 2, 4, 3)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": 1, "ceil_mode": true, "shape": ShapeOf(1, 2, 6, 5)}},
		{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 2, "stride": 1, "pad": 1, "dilation": 2, "count_include_pad": false, "shape": ShapeOf(1, 2, 5, 4)}},
	},
	"max_pool3d": {
		{In: []Type{T(1, 2, 4, 4, 4)}, Attrs: Attrs{"k": 2}, Domain: []Domain{Distinct}},
		{In: []Type{T(1, 2, 4, 5, 3)}, Attrs: Attrs{"k": []int{3, 2, 2}, "stride": []int{2, 1, 2}, "pad": []int{1, 1, 0}}, Domain: []Domain{Distinct}},
		{In: []Type{T(1, 1, 5, 4, 4)}, Attrs: Attrs{"k": 2, "stride": 2, "pad": []int{1, 0, 0, 1, 1, 0}, "ceil_mode": true, "dilation": []int{2, 1, 1}}, Domain: []Domain{Distinct}},
	},
	"max_pool3d_grad": {
		{In: []Type{T(1, 2, 3, 4, 3), T(1, 2, 3, 4, 3)}, Attrs: Attrs{"k": 3, "stride": 1, "pad": 1}, Domain: []Domain{Distinct}},
	},
	"max_pool3d_pick": {
		{In: []Type{T(1, 2, 3, 4, 3), T(1, 2, 3, 4, 3)}, Attrs: Attrs{"k": 3, "stride": 1, "pad": 1}, Domain: []Domain{Distinct}},
		{In: []Type{T(1, 1, 4, 5, 3), T(1, 1, 4, 5, 3)}, Attrs: Attrs{"k": []int{3, 2, 2}, "stride": []int{2, 1, 2}, "pad": []int{1, 1, 0}, "dilation": []int{1, 2, 1}}, Domain: []Domain{Distinct}},
	},
	"avg_pool3d": {
		{In: []Type{T(1, 2, 4, 4, 4)}, Attrs: Attrs{"k": 2}},
		{In: []Type{T(1, 2, 4, 5, 3)}, Attrs: Attrs{"k": []int{3, 2, 2}, "stride": []int{2, 1, 2}, "pad": []int{1, 1, 0}, "count_include_pad": false}},
		{In: []Type{T(1, 1, 5, 4, 4)}, Attrs: Attrs{"k": 2, "stride": 2, "pad": []int{1, 0, 0, 1, 1, 0}, "ceil_mode": true, "dilation": []int{2, 1, 1}}},
	},
	"avg_pool3d_grad": {
		{In: []Type{T(1, 2, 3, 2, 3)}, Attrs: Attrs{"k": []int{2, 2, 3}, "stride": []int{2, 1, 2}, "pad": []int{1, 0, 1}, "shape": ShapeOf(1, 2, 4, 3, 5)}},
		{In: []Type{T(1, 2, 3, 2, 3)}, Attrs: Attrs{"k": []int{2, 2, 3}, "stride": []int{2, 1, 2}, "pad": []int{1, 0, 1}, "count_include_pad": false, "shape": ShapeOf(1, 2, 4, 3, 5)}},
	},
}
