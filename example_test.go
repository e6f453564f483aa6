package nnc_test

import (
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/tensor"
)

func ExampleCompile_error() {
	_, err := nnc.Compile("bad.nn", []byte("fn f(x: f32[2, 3], W: f32[4, 5]) -> f32 {\n    return sum(x @ W)\n}\n"))
	fmt.Println(err)
	// Output: bad.nn:2:18: matmul: inner dimensions differ: x is f32[2, 3], W is f32[4, 5]
}

func ExampleFunc_Grad() {
	prog, err := nnc.Compile("sq.nn", []byte("fn f(x: f64[3]) -> f64 { return sum(x * x) / 2 }\n"))
	if err != nil {
		log.Fatal(err)
	}
	f, err := prog.Func("f")
	if err != nil {
		log.Fatal(err)
	}
	x := tensor.FromFloat64s(tensor.F64, []int{3}, []float64{1, -2, 3})
	val, grads, err := f.Grad([]string{"x"}, map[string]*nnc.Tensor{"x": x})
	if err != nil {
		log.Fatal(err)
	}
	// f = (1 + 4 + 9) / 2 = 7 and df/dx = x.
	fmt.Println(val.F64[0], grads[0].F64)
	// Output: 7 [1 -2 3]
}

func ExampleFunc_Run() {
	prog, err := nnc.Compile("affine.nn", []byte(`
fn affine(x: f32[B, 2], W: f32[2, 2], b: f32[2]) -> f32[B, 2] {
    return x @ W + b
}
`))
	if err != nil {
		log.Fatal(err)
	}
	f, err := prog.Func("affine")
	if err != nil {
		log.Fatal(err)
	}
	in := map[string]*nnc.Tensor{
		"x": tensor.FromFloat64s(tensor.F32, []int{1, 2}, []float64{1, 2}),
		"W": tensor.FromFloat64s(tensor.F32, []int{2, 2}, []float64{1, 0, 0, 10}),
		"b": tensor.FromFloat64s(tensor.F32, []int{2}, []float64{0.5, 0.5}),
	}
	out, err := f.Run(in)
	if err != nil {
		log.Fatal(err)
	}
	// [1, 2] @ [[1, 0], [0, 10]] + 0.5 = [1.5, 20.5]
	fmt.Println(out[0].F32)
	// Output: [1.5 20.5]
}

func ExampleProgram_Train() {
	prog, err := nnc.CompileFile("models/digits.nn")
	if err != nil {
		log.Fatal(err) // file:line:col: message, one line per error
	}
	res, err := prog.Train(nnc.TrainOptions{Epochs: 5})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Metrics["test_accuracy"] > 0.85)
	// Output: true
}

// A Func is safe for concurrent use: goroutines share it, each call uses a
// session of its own, and every result is the one the call gives alone.
func ExampleFunc_Run_concurrent() {
	prog, err := nnc.Compile("scale.nn", []byte("fn scale(x: f64[N]) -> f64[N] { return x * 3 }\n"))
	if err != nil {
		log.Fatal(err)
	}
	f, err := prog.Func("scale")
	if err != nil {
		log.Fatal(err)
	}
	sums := make([]float64, 8)
	var wg sync.WaitGroup
	for g := range sums {
		wg.Go(func() {
			// Goroutine g scales [1, ..., g+1]: the sum is 3(g+1)(g+2)/2.
			v := make([]float64, g+1)
			for i := range v {
				v[i] = float64(i + 1)
			}
			out, err := f.Run(map[string]*nnc.Tensor{"x": tensor.FromFloat64s(tensor.F64, []int{g + 1}, v)})
			if err != nil {
				log.Fatal(err)
			}
			for _, y := range out[0].F64 {
				sums[g] += y
			}
		})
	}
	wg.Wait()
	fmt.Println(sums)
	// Output: [3 9 18 30 45 63 84 108]
}

// Tensors for inputs are made with NewTensor (zeros) or TensorOf (values in
// row-major order); a shape or a count that does not fit is an error.
func ExampleTensorOf() {
	x, err := nnc.TensorOf(nnc.F32, []int{2, 2}, []float64{1, 2, 3, 4})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(x.DType, x.Shape, x.F32)
	_, err = nnc.TensorOf(nnc.I32, []int{3}, []float64{1, 2})
	fmt.Println(err)
	// Output:
	// f32 [2 2] [1 2 3 4]
	// TensorOf: 2 values for shape [3] (3 elements)
}

// A Split gives Train and Eval the fractions of the data for training,
// validation and test (TrainOptions.Split, EvalOptions.Split); Check says
// why one cannot be used.
func ExampleSplit_Check() {
	fmt.Println(nnc.DefaultSplit(), nnc.DefaultSplit().Check())
	fmt.Println(nnc.Split{Train: 0.8, Val: 0.1, Test: 0.2}.Check())
	fmt.Println(nnc.Split{Train: 0.9, Test: 0.1}.Check())
	// Output:
	// [0.7, 0.15, 0.15] <nil>
	// the fractions sum to 1.1, not 1
	// <nil>
}

// The library's errors about options are *OptionError values that name
// the option; a program with its own way of taking options (the nnc
// command's flags) finds them with errors.As.
func ExampleOptionError() {
	prog, err := nnc.Compile("m.nn", []byte("fn f(x: f32[2]) -> f32[2] { return x * 2 }\n"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = prog.Train(nnc.TrainOptions{})
	var oe *nnc.OptionError
	fmt.Println(errors.As(err, &oe), oe.Option, oe.Missing)
	fmt.Println(err)
	// Output:
	// true TrainOptions.Model true
	// m.nn: no train block (set TrainOptions.Model)
}
