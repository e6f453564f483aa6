package nnc

import (
	"context"
	"fmt"
	"go/format"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nnclang/nnc/tensor"
)

// buildCase is one entry built into a package of the test module.
type buildCase struct {
	file, entry, pkg string
	shapes           map[string]int
	external         bool // --external-weights
	standalone       bool // --standalone: a module of its own, built in its own folder
	dynamic          bool // --dynamic B=8: buildDynamic
}

// buildCases lists the forward entries of models/*.nn and of the design's
// examples (a model added there joins without a change here), every shape
// variable 2 and matrix_factorization's arguments without defaults 8.
func buildCases(t *testing.T) []buildCase {
	files, _ := filepath.Glob("models/*.nn")
	ex, _ := filepath.Glob("/work/shared/design/examples/*.nn")
	var cases []buildCase
	for i, f := range append(files, ex...) {
		if b := filepath.Base(f); strings.HasPrefix(b, "_") || strings.HasPrefix(b, ".") {
			continue // a scratch file of another test
		}
		p, err := CompileFile(f)
		if err != nil {
			t.Fatal(err)
		}
		args := map[string]any{}
		for _, a := range p.ModelArgNames() {
			if a == "users" || a == "items" {
				args[a] = 8
			}
		}
		p.SetModelArgs(args)
		var forwards []string
		shapes := map[string]map[string]int{}
		for _, e := range p.Entries() {
			if !strings.HasSuffix(e, ".forward") {
				continue
			}
			types, err := p.inputTypes(e)
			if err != nil {
				continue // a submodel whose arguments have no defaults (deep_mlp's Layer)
			}
			forwards = append(forwards, e)
			shapes[e] = map[string]int{}
			for _, ty := range types {
				for _, d := range ty.Shape {
					for _, v := range d.Vars() {
						shapes[e][v] = 2
					}
				}
			}
		}
		for _, e := range forwards {
			pkg := defaultPackage(f)
			if len(forwards) > 1 {
				pkg += "_" + strings.ToLower(strings.TrimSuffix(e, ".forward"))
			}
			if i >= len(files) {
				pkg = "design_" + pkg
			}
			cases = append(cases, buildCase{f, e, pkg, shapes[e], false, false, false})
			switch pkg {
			case "digits":
				cases = append(cases, buildCase{f, e, "digits_external", shapes[e], true, false, false},
					buildCase{f, e, "digits_dynamic", nil, false, false, true})
			case "lenet":
				cases = append(cases, buildCase{f, e, "lenet_dynamic", nil, false, false, true})
			}
			switch pkg {
			case "lenet", "design_char_lstm":
				cases = append(cases, buildCase{f, e, pkg + "_standalone", shapes[e], false, true, false})
			}
		}
	}
	// A slice that is a view at the build's B = 1 and a copy at other B.
	cases = append(cases, buildCase{"testdata/slice_view.nn", "SliceView.forward", "slice_view_dynamic", nil, false, false, true})
	return cases
}

// TestBuildModels: nnc build writes a package for every forward entry of
// models/ and of the design's examples; one go vet and one go test in a
// temporary module (nnc replaced by this checkout) compile them all, each
// package's results match Func.Run bitwise on the same inputs (random
// floats, integer inputs 0: valid ids and an empty sparse matrix), a
// steady PredictTo allocates nothing, concurrent calls agree, and the
// Example runs; their Go files are gofmt-clean. lenet.nn and the design's
// char_lstm.nn are also built --standalone (buildStandalone), digits.nn and
// lenet.nn with B dynamic (buildDynamic). go test ./... builds four
// packages, lenet's standalone one and the two dynamic ones; NNC_FULL=1
// (CI) builds every entry and also builds the packages with -tags noasm.
func TestBuildModels(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	repo, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	gomod := fmt.Sprintf("module example.com/built\n\ngo 1.26.0\n\nrequire github.com/nnclang/nnc v0.0.0\n\nreplace github.com/nnclang/nnc => %s\n", repo)
	writeTestFile(t, filepath.Join(mod, "go.mod"), []byte(gomod))
	writeTestFile(t, filepath.Join(mod, "go.sum"), sum)
	cases := buildCases(t)
	if len(cases) < 5 {
		t.Fatalf("only %d forward entries found", len(cases))
	}
	full := os.Getenv("NNC_FULL") != "" || os.Getenv("NNC_BUILD_ONLY") != ""
	if !full {
		// go test ./... builds four packages that cover dense layers, a
		// sparse matrix with integer inputs, a convolution and an entry
		// lowered per shape (an LSTM over T); NNC_FULL=1 builds them all.
		quick := map[string]bool{"digits": true, "digits_external": true, "gcn": true, "lenet": true, "design_char_lstm": true,
			"lenet_standalone": true, "digits_dynamic": true, "lenet_dynamic": true, "slice_view_dynamic": true}
		cases = slices.DeleteFunc(cases, func(c buildCase) bool { return !quick[c.pkg] })
	}
	if only := os.Getenv("NNC_BUILD_ONLY"); only != "" {
		// NNC_BUILD_ONLY=tiny_gpt,lenet_dynamic: these packages alone (to
		// look into a failure).
		keep := strings.Split(only, ",")
		cases = slices.DeleteFunc(cases, func(c buildCase) bool { return !slices.Contains(keep, c.pkg) })
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var standalone []buildCase
	for _, c := range cases {
		if c.standalone {
			standalone = append(standalone, c)
			continue
		}
		if c.dynamic {
			buildDynamic(t, c, filepath.Join(mod, c.pkg), rng)
			continue
		}
		buildOne(t, c, filepath.Join(mod, c.pkg), rng)
	}
	cases = slices.DeleteFunc(cases, func(c buildCase) bool { return c.standalone })
	for _, c := range standalone {
		buildStandalone(t, c, gobin, rng)
	}
	start := time.Now()
	goCmd(t, mod, gobin, "vet", "./...")
	t.Logf("go vet: %v", time.Since(start))
	start = time.Now()
	out := goCmd(t, mod, gobin, "test", "-count=1", "./...")
	t.Logf("go test: %v", time.Since(start))
	for _, c := range cases {
		if !strings.Contains(out, "ok  \texample.com/built/"+c.pkg) {
			t.Errorf("%s %s: go test did not pass its package:\n%s", c.file, c.entry, out)
		}
	}
	if os.Getenv("NNC_FULL") != "" {
		// Recompiling nnc's packages with the tag takes half a minute
		// here; the generated code calls the same API either way.
		start = time.Now()
		goCmd(t, mod, gobin, "build", "-tags", "noasm", "./...")
		t.Logf("go build -tags noasm: %v", time.Since(start))
	}
	t.Logf("%d packages built and tested: %s", len(cases), strings.Join(caseNames(cases), ", "))
}

// buildStandalone builds c as a standalone module in a folder of its own,
// outside the test module and without nnc's module: go vet and go test
// (the built package's tests and run_test.go, which compares its results
// with Func.Run's bitwise: the copied kernels are nnc's) pass; NNC_FULL=1
// also tests it with -tags noasm (its own tests: with the pure-Go kernels
// the bits may differ from Run's assembly ones). The generated files
// import nothing of nnc.
func buildStandalone(t *testing.T, c buildCase, gobin string, rng *rand.Rand) {
	dir := filepath.Join(t.TempDir(), c.pkg)
	buildOne(t, c, dir, rng)
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !strings.Contains(string(gomod), "module "+c.pkg+"\n") || strings.Contains(string(gomod), "require") {
		t.Fatalf("%s: go.mod %q (%v): want module %s and no requirement", c.pkg, gomod, err, c.pkg)
	}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
			b, err := os.ReadFile(path)
			if err == nil && strings.Contains(string(b), "\""+"github.com/nnclang/nnc") {
				t.Errorf("%s: %s imports nnc", c.pkg, path)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	goCmd(t, dir, gobin, "vet", "./...")
	out := goCmd(t, dir, gobin, "test", "-count=1", "./...")
	if !strings.Contains(out, "ok  \t"+c.pkg+"\t") {
		t.Errorf("%s: go test did not pass the standalone package:\n%s", c.pkg, out)
	}
	if os.Getenv("NNC_FULL") != "" {
		goCmd(t, dir, gobin, "test", "-count=1", "-tags", "noasm", "-skip", "TestMatchesRun", ".")
	}
	t.Logf("%s: standalone module vetted and tested in %v", c.pkg, time.Since(start))
}

func caseNames(cases []buildCase) []string {
	var s []string
	for _, c := range cases {
		s = append(s, c.pkg)
	}
	sort.Strings(s)
	return s
}

// buildOne runs the entry with Func.Run and writes the built package with
// the inputs and Run's outputs (testdata) and a test comparing them.
func buildOne(t *testing.T, c buildCase, dir string, rng *rand.Rand) {
	p, err := CompileFile(c.file)
	if err != nil {
		t.Fatal(err)
	}
	p.SetModelArgs(map[string]any{"users": 8, "items": 8})
	f, err := p.Func(c.entry)
	if err != nil {
		t.Fatalf("%s %s: %v", c.file, c.entry, err)
	}
	pkg, err := f.Build(BuildOptions{Shapes: c.shapes, Package: c.pkg, ExternalWeights: c.external, Standalone: c.standalone})
	if err != nil {
		t.Fatalf("%s %s: Build: %v", c.file, c.entry, err)
	}
	if embeds := strings.Contains(string(pkg.Files["model.go"]), "//go:embed"); embeds == c.external {
		t.Errorf("%s: external weights %v, model.go embeds them: %v", c.pkg, c.external, embeds)
	}
	for name, src := range pkg.Files {
		if strings.HasSuffix(name, ".go") {
			if fm, err := format.Source(src); err != nil || string(fm) != string(src) {
				t.Errorf("%s: %s is not gofmt-clean (%v)", c.pkg, name, err)
			}
		}
	}
	if err := pkg.Write(dir); err != nil {
		t.Fatal(err)
	}
	in := map[string]*Tensor{}
	for i, x := range pkg.sample {
		x = x.Clone()
		for k := range x.F32 {
			x.F32[k] = rng.Float32()*2 - 1
		}
		in[pkg.sampleNames[i]] = x
		writeTestFile(t, filepath.Join(dir, "testdata", fmt.Sprintf("in%d.bin", i)), tensor.AppendLE(nil, x))
	}
	res, err := f.Run(in)
	if err != nil {
		t.Fatalf("%s %s: Run: %v", c.file, c.entry, err)
	}
	for i, r := range res {
		writeTestFile(t, filepath.Join(dir, "testdata", fmt.Sprintf("out%d.bin", i)), tensor.AppendLE(nil, r))
	}
	writeTestFile(t, filepath.Join(dir, "run_test.go"), []byte(strings.ReplaceAll(matchTest, "PKG", c.pkg)))
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// goCmd runs the go command in dir, offline, and returns its output.
func goCmd(t *testing.T, dir, gobin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(gobin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off",
		"GOMAXPROCS="+fmt.Sprint(runtime.GOMAXPROCS(0)))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// matchTest is run_test.go, written into each built package: Predict on
// the inputs of testdata gives, byte for byte, the outputs Func.Run gave.
const matchTest = `package PKG

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"reflect"
	"testing"
)

func TestMatchesRun(t *testing.T) {
	m := newTestModel(t)
	var args []reflect.Value
	for i, a := range Inputs {
		b, err := os.ReadFile(fmt.Sprintf("testdata/in%d.bin", i))
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, reflect.ValueOf(decodeLE(a.DType, b)))
	}
	for round := 0; round < 2; round++ {
		res := reflect.ValueOf(m.Predict).Call(args)
		if err, _ := res[len(res)-1].Interface().(error); err != nil {
			t.Fatal(err)
		}
		for i, o := range Outputs {
			want, err := os.ReadFile(fmt.Sprintf("testdata/out%d.bin", i))
			if err != nil {
				t.Fatal(err)
			}
			if got := encodeLE(res[i].Interface()); !bytes.Equal(got, want) {
				t.Fatalf("round %d: output %s differs from nnc run's (%d bytes, want %d)", round, o.Name, len(got), len(want))
			}
		}
	}
}

func decodeLE(dt string, b []byte) any {
	le := binary.LittleEndian
	switch dt {
	case "f32":
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return v
	case "f64":
		v := make([]float64, len(b)/8)
		for i := range v {
			v[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return v
	case "i32":
		v := make([]int32, len(b)/4)
		for i := range v {
			v[i] = int32(le.Uint32(b[4*i:]))
		}
		return v
	case "i64":
		v := make([]int64, len(b)/8)
		for i := range v {
			v[i] = int64(le.Uint64(b[8*i:]))
		}
		return v
	}
	v := make([]bool, len(b))
	for i := range v {
		v[i] = b[i] != 0
	}
	return v
}

func encodeLE(x any) []byte {
	var b []byte
	le := binary.LittleEndian
	switch v := x.(type) {
	case []float32:
		for _, e := range v {
			b = le.AppendUint32(b, math.Float32bits(e))
		}
	case []float64:
		for _, e := range v {
			b = le.AppendUint64(b, math.Float64bits(e))
		}
	case []int32:
		for _, e := range v {
			b = le.AppendUint32(b, uint32(e))
		}
	case []int64:
		for _, e := range v {
			b = le.AppendUint64(b, uint64(e))
		}
	case []bool:
		for _, e := range v {
			if e {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	}
	return b
}
`

// TestGoPackageNil: a nil package's Write and WriteWasm are errors, and
// WriteWasm refuses a package built for Go.
func TestGoPackageNil(t *testing.T) {
	var g *GoPackage
	if g.Write(t.TempDir()) == nil || g.WriteWasm(context.Background(), t.TempDir()) == nil {
		t.Error("a nil *GoPackage wrote")
	}
	if err := (&GoPackage{}).WriteWasm(context.Background(), t.TempDir()); err == nil || !strings.Contains(err.Error(), "Target wasm") {
		t.Errorf("WriteWasm of a Go package: %v", err)
	}
}
