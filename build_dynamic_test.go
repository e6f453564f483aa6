package nnc

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// dynamicSizes are the values of B a dynamic package is checked at: the
// build's own (1) and two it plans at run time.
var dynamicSizes = []int{1, 3, 5}

// buildDynamic builds c with B left symbolic (BuildOptions.Dynamic, at
// most 8) and writes, for each B of dynamicSizes, random inputs and
// Func.Run's outputs for them, with dynamic_test.go: Predict gives Run's
// outputs byte for byte at every B (each planned at its first call), a
// steady PredictTo at B=3 allocates nothing, and B=9 or a length that is
// no multiple of a row is an error; run_test.go checks B=1 too. The entry
// must have one input, f32 with B first, and one f32 output (digits.nn,
// lenet.nn).
func buildDynamic(t *testing.T, c buildCase, dir string, rng *rand.Rand) {
	p, err := CompileFile(c.file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func(c.entry)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := f.Build(BuildOptions{Package: c.pkg, Dynamic: "B", MaxDynamic: 8})
	if err != nil {
		t.Fatalf("%s %s: Build: %v", c.file, c.entry, err)
	}
	if err := pkg.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, b := range dynamicSizes {
		in := map[string]*Tensor{}
		for i, x := range pkg.sample {
			if x.DType != tensor.F32 || x.Shape[0] != 1 {
				t.Fatalf("%s: input %s is %v%v, want f32 with B=1 first", c.pkg, pkg.sampleNames[i], x.DType, x.Shape)
			}
			shape := append([]int{b}, x.Shape[1:]...)
			y, err := NewTensor(F32, shape...)
			if err != nil {
				t.Fatal(err)
			}
			for k := range y.F32 {
				y.F32[k] = rng.Float32()*2 - 1
			}
			in[pkg.sampleNames[i]] = y
			writeTestFile(t, filepath.Join(dir, "testdata", fmt.Sprintf("in%d_%d.bin", b, i)), tensor.AppendLE(nil, y))
			if b == 1 { // run_test.go's, at the build's B
				writeTestFile(t, filepath.Join(dir, "testdata", fmt.Sprintf("in%d.bin", i)), tensor.AppendLE(nil, y))
			}
		}
		res, err := f.Run(in)
		if err != nil {
			t.Fatalf("%s %s: Run at B=%d: %v", c.file, c.entry, b, err)
		}
		for i, r := range res {
			writeTestFile(t, filepath.Join(dir, "testdata", fmt.Sprintf("out%d_%d.bin", b, i)), tensor.AppendLE(nil, r))
			if b == 1 {
				writeTestFile(t, filepath.Join(dir, "testdata", fmt.Sprintf("out%d.bin", i)), tensor.AppendLE(nil, r))
			}
		}
	}
	sizes := strings.Trim(fmt.Sprint(dynamicSizes), "[]")
	src := strings.ReplaceAll(strings.ReplaceAll(dynamicTest, "PKG", c.pkg), "SIZES", strings.ReplaceAll(sizes, " ", ", "))
	writeTestFile(t, filepath.Join(dir, "dynamic_test.go"), []byte(src))
	writeTestFile(t, filepath.Join(dir, "run_test.go"), []byte(strings.ReplaceAll(matchTest, "PKG", c.pkg)))
}

// dynamicTest is dynamic_test.go, written into each dynamic package.
const dynamicTest = `package PKG

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"testing"
)

func dynamicInputs(t *testing.T, b int) []reflect.Value {
	var args []reflect.Value
	for i, a := range Inputs {
		raw, err := os.ReadFile(fmt.Sprintf("testdata/in%d_%d.bin", b, i))
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, reflect.ValueOf(decodeLE(a.DType, raw)))
	}
	return args
}

func TestDynamicMatchesRun(t *testing.T) {
	m := newTestModel(t)
	for _, b := range []int{SIZES, 3} {
		res := reflect.ValueOf(m.Predict).Call(dynamicInputs(t, b))
		if err, _ := res[len(res)-1].Interface().(error); err != nil {
			t.Fatalf("B=%d: %v", b, err)
		}
		for i, o := range Outputs {
			want, err := os.ReadFile(fmt.Sprintf("testdata/out%d_%d.bin", b, i))
			if err != nil {
				t.Fatal(err)
			}
			if got := encodeLE(res[i].Interface()); !bytes.Equal(got, want) {
				t.Errorf("B=%d: output %s differs from nnc run's (%d bytes, want %d)", b, o.Name, len(got), len(want))
			}
		}
	}
}

func TestDynamicAllocs(t *testing.T) {
	m := newTestModel(t)
	x := dynamicInputs(t, 3)[0].Interface().([]float32)
	out, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	call := func() {
		if err := m.PredictTo(out, x); err != nil {
			t.Fatal(err)
		}
	}
	if a := testing.AllocsPerRun(10, call); a != 0 {
		t.Errorf("PredictTo at B=3: %v allocations per call, want 0", a)
	}
}

func TestDynamicLimits(t *testing.T) {
	m := newTestModel(t)
	args := dynamicInputs(t, 1)
	for _, n := range []int{9 * args[0].Len(), args[0].Len() + 1} {
		bad := append([]reflect.Value{reflect.MakeSlice(args[0].Type(), n, n)}, args[1:]...)
		res := reflect.ValueOf(m.Predict).Call(bad)
		if err, _ := res[len(res)-1].Interface().(error); err == nil {
			t.Errorf("Predict took %d elements for %s", n, Inputs[0].Name)
		}
	}
}
`
