package opt_test

import (
	"fmt"
	"os"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
)

// Optimize a graph after differentiation and before planning; DumpAfter
// prints the graph as one pass left it.
func ExampleOptimize() {
	b := ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.Shape{ops.DimVar("B"), ops.DimConst(4)}})
	one := b.Scalar(ops.F32, 1)
	h := b.Must(ops.Mul, nil, b.Must(ops.Add, nil, b.Must(ops.Mul, nil, x, b.Scalar(ops.F32, 2)), one), one)
	b.Output("y", b.Must(ops.Relu, nil, h))

	g, err := opt.Optimize(b.G, opt.Options{Level: 1, DumpAfter: "simplify", Dump: os.Stdout})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("--- optimized")
	fmt.Print(g)
	// Output:
	// %0 = input "x" f32[B, 4]
	// %1 = const() {dtype=f32, value=1} f32
	// %2 = const() {dtype=f32, value=2} f32
	// %3 = mul(%0, %2) f32[B, 4]
	// %4 = add(%3, %1) f32[B, 4]
	// %5 = relu(%4) f32[B, 4]
	// output y = %5
	// --- optimized
	// %0 = input "x" f32[B, 4]
	// %1 = fused_elementwise(%0) {dtype=f32, program="t0=mul(x0,2); t1=add(1,t0); t2=relu(t1)", shape=[B, 4]} f32[B, 4]
	// output y = %1
}
