package nnc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBuildStartup measures what BENCHMARKS.md reports for nnc build:
// the binary size and the time from starting the process to its first
// prediction (15 runs; and, in a separate run, the steady time per call) of a program using the
// package nnc build writes for models/mnist_mlp.nn (B=1), against a
// program that compiles the .nn file and loads the safetensors at run
// time with the Func API. Both print their first prediction, which must
// agree bitwise. A measurement, not a check of speed: it runs only with
// NNC_BUILD_BENCH=1 (go test -run TestBuildStartup -v .).
func TestBuildStartup(t *testing.T) {
	if os.Getenv("NNC_BUILD_BENCH") == "" {
		t.Skip("a measurement: set NNC_BUILD_BENCH=1")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	repo, _ := filepath.Abs(".")
	src, _ := filepath.Abs("models/mnist_mlp.nn")
	mod := t.TempDir()
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	// The interpreting program imports the root package: the module
	// requires what nnc's go.mod does, so that the build stays offline.
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	_, reqs, _ := strings.Cut(string(gomod), "\nrequire")
	writeTestFile(t, filepath.Join(mod, "go.mod"), []byte(fmt.Sprintf(
		"module example.com/app\n\ngo 1.26.0\n\nrequire github.com/nnclang/nnc v0.0.0\n\nreplace github.com/nnclang/nnc => %s\n\nrequire%s", repo, reqs)))
	writeTestFile(t, filepath.Join(mod, "go.sum"), sum)

	p, err := CompileFile(src)
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("MnistMLP.forward")
	if err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(mod, "mnist.safetensors")
	if err := f.SaveParams(params); err != nil {
		t.Fatal(err)
	}
	pkg, err := f.Build(BuildOptions{Shapes: map[string]int{"B": 1}, Package: "mnist"})
	if err != nil {
		t.Fatal(err)
	}
	if err := pkg.Write(filepath.Join(mod, "mnist")); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(mod, "gen", "main.go"), []byte(startupGen))
	writeTestFile(t, filepath.Join(mod, "interp", "main.go"), []byte(startupInterp))
	bins := map[string]string{}
	for _, name := range []string{"gen", "interp"} {
		bins[name] = filepath.Join(mod, name+".bin")
		goCmd(t, mod, gobin, "build", "-o", bins[name], "./"+name)
	}
	first := map[string]string{}
	for _, name := range []string{"gen", "interp"} {
		st, err := os.Stat(bins[name])
		if err != nil {
			t.Fatal(err)
		}
		var walls []time.Duration
		for range 15 {
			cmd := exec.Command(bins[name], src, params)
			start := time.Now()
			out, err := cmd.Output()
			walls = append(walls, time.Since(start))
			if err != nil {
				t.Fatalf("%s: %v: %s", name, err, out)
			}
			first[name] = strings.TrimSpace(string(out))
		}
		out, err := exec.Command(bins[name], src, params, "steady").Output()
		if err != nil {
			t.Fatalf("%s: %v: %s", name, err, out)
		}
		_, steady, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		slices.Sort(walls)
		t.Logf("%-6s binary %.1f MB; process start to first prediction and exit: median %v, min %v (15 runs); %s",
			name, float64(st.Size())/(1<<20), walls[len(walls)/2].Round(time.Microsecond), walls[0].Round(time.Microsecond), steady)
	}
	if first["gen"] != first["interp"] {
		t.Errorf("first predictions differ:\ngen    %s\ninterp %s", first["gen"], first["interp"])
	}
}

// startupGen predicts with the generated package: the embedded weights,
// no file read.
const startupGen = `package main

import (
	"fmt"
	"os"
	"time"

	"example.com/app/mnist"
)

func main() {
	x := make([]float32, 784)
	for i := range x {
		x[i] = float32(i%17) / 16
	}
	m, err := mnist.New()
	if err != nil {
		panic(err)
	}
	out, err := m.Predict(x)
	if err != nil {
		panic(err)
	}
	fmt.Println(out)
	if len(os.Args) < 4 {
		return
	}
	const n = 500
	start := time.Now()
	for range n {
		if err := m.PredictTo(out, x); err != nil {
			panic(err)
		}
	}
	fmt.Printf("steady %.1f µs per call\n", float64(time.Since(start).Microseconds())/n)
}
`

// startupInterp predicts with the Func API: compile the .nn file, load
// the safetensors, run.
const startupInterp = `package main

import (
	"fmt"
	"os"
	"time"

	"github.com/nnclang/nnc"
)

func main() {
	vals := make([]float64, 784)
	for i := range vals {
		vals[i] = float64(float32(i%17) / 16)
	}
	p, err := nnc.CompileFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	f, err := p.Func("MnistMLP.forward")
	if err != nil {
		panic(err)
	}
	if err := f.LoadParams(os.Args[2]); err != nil {
		panic(err)
	}
	x, err := nnc.TensorOf(nnc.F32, []int{1, 784}, vals)
	if err != nil {
		panic(err)
	}
	in := map[string]*nnc.Tensor{"x": x}
	res, err := f.Run(in)
	if err != nil {
		panic(err)
	}
	fmt.Println(res[0].F32)
	if len(os.Args) < 4 {
		return
	}
	const n = 500
	start := time.Now()
	for range n {
		if _, err := f.Run(in); err != nil {
			panic(err)
		}
	}
	fmt.Printf("steady %.1f µs per call\n", float64(time.Since(start).Microseconds())/n)
}
`
