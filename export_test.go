package nnc

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
)

// ortDir holds the ONNX Runtime runner (npm ci --ignore-scripts there).
var ortDir = filepath.Join("interop", "onnx", "testdata", "ort")

// ortAvailable reports whether ONNX Runtime's npm package is installed; when
// it is not, the ONNX Runtime checks skip, unless NNC_ORT=1 (as .ci/run
// sets) makes its absence a failure.
func ortAvailable(t *testing.T) bool {
	t.Helper()
	if _, err := os.Stat(filepath.Join(ortDir, "node_modules", "onnxruntime-node")); err == nil {
		if _, err := exec.LookPath("node"); err == nil {
			return true
		}
	}
	if os.Getenv("NNC_ORT") == "1" {
		t.Fatalf("NNC_ORT=1 but ONNX Runtime is not installed: cd %s && npm ci --ignore-scripts", ortDir)
	}
	return false
}

// exportCase is one entry exported and checked.
type exportCase struct {
	file, entry string
	model       string // the file's path for the ONNX model
	inputs      map[string]*Tensor
	want        []*Tensor
}

// ortJob is a request to run.js.
type ortJob struct {
	Model  string             `json:"model"`
	Inputs map[string]ortJSON `json:"inputs"`
}

type ortJSON struct {
	DType string    `json:"dtype,omitempty"`
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type ortResult struct {
	Outputs map[string]ortJSON `json:"outputs"`
	Error   string             `json:"error"`
}

// exportFiles are the programs whose forward methods are exported: every
// model of models/, the design's examples and the PyTorch mirrors.
func exportFiles(t *testing.T) []string {
	var files []string
	for _, pat := range []string{"models/*.nn", "lang/testdata/examples/*.nn", "testdata/torch_weights/models.nn", "testdata/onnx/volumes.nn", "testdata/onnx/gelu_grads.nn"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.HasPrefix(filepath.Base(f), "_") { // scratch files
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	return files
}

// sampleInputs draws inputs for the entry's signature: floats normal,
// integers (ids, labels) 0 or 1, which every vocabulary and class count
// admits; shape variables take small values (T 5, N 7, the others 2).
func sampleInputs(t *testing.T, f *Func, rng *rand.Rand) (map[string]*Tensor, map[string]int64) {
	var sig []lang.Arg
	if f.perShape { // lowered with the variables at 1: read the signature
		var err error
		if sig, err = f.prog.signature(f.entry); err != nil {
			t.Fatal(err)
		}
	} else {
		for _, n := range f.low.Inputs {
			sig = append(sig, lang.Arg{Name: n.Name(), Type: n.Type})
		}
	}
	env := map[string]int64{}
	for _, a := range sig {
		for _, d := range a.Type.Shape {
			for _, v := range d.Vars() {
				if _, ok := env[v]; !ok {
					env[v] = map[string]int64{"T": 5, "N": 7}[v]
					if env[v] == 0 {
						env[v] = 2
					}
				}
			}
		}
	}
	in := map[string]*Tensor{}
	for _, a := range sig {
		ty := a.Type
		var shape []int
		for _, d := range ty.Shape {
			n, err := d.Eval(env)
			if err != nil {
				t.Fatal(err)
			}
			shape = append(shape, int(n))
		}
		x := NewTensorMust(ty.DType, shape)
		for k := range x.Len() {
			if ty.DType.IsFloat() {
				x.Set(k, rng.NormFloat64())
			} else {
				x.Set(k, float64(rng.IntN(2)))
			}
		}
		in[a.Name] = x
	}
	return in, env
}

// validCSR replaces the random parts of each sparse input (X.indptr,
// X.indices, X.values) with a valid CSR matrix of the same row count: up
// to two entries a row at random columns (empty rows, and repeats, which
// add up).
func validCSR(in map[string]*Tensor, rng *rand.Rand) {
	for name, ptr := range in {
		base, ok := strings.CutSuffix(name, ".indptr")
		if !ok {
			continue
		}
		rows := ptr.Len() - 1
		var ptrs, cols []int32
		var vals []float32
		ptrs = append(ptrs, 0)
		for range rows {
			for range rng.IntN(3) { // empty rows too
				cols = append(cols, int32(rng.IntN(rows)))
				vals = append(vals, float32(rng.NormFloat64()))
			}
			ptrs = append(ptrs, int32(len(cols)))
		}
		in[name] = &Tensor{DType: ptr.DType, Shape: []int{len(ptrs)}, I32: ptrs}
		in[base+".indices"] = &Tensor{DType: ptr.DType, Shape: []int{len(cols)}, I32: cols}
		in[base+".values"] = &Tensor{DType: in[base+".values"].DType, Shape: []int{len(vals)}, F32: vals}
	}
}

// NewTensorMust is tensor.New for the test's shapes.
func NewTensorMust(dt ops.DType, shape []int) *Tensor {
	t, err := NewTensor(dt, shape...)
	if err != nil {
		panic(err)
	}
	return t
}

// TestExportONNX exports the forward method of every model in models/,
// of the design's examples and of the PyTorch mirrors, runs each in ONNX
// Runtime on random inputs and requires nnc's outputs to 1e-5 relative.
// The batch stays symbolic where the entry allows; entries that unroll a
// loop over T are exported with T fixed; sparse inputs get a valid random
// CSR matrix.
func TestExportONNX(t *testing.T) {
	if !ortAvailable(t) {
		t.Skip("ONNX Runtime is not installed (cd " + ortDir + " && npm ci --ignore-scripts)")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var cases []*exportCase
	for _, file := range exportFiles(t) {
		p, err := CompileFile(file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if strings.Contains(file, "matrix_factorization") {
			p.SetModelArgs(map[string]any{"users": 5, "items": 7})
		}
		for _, entry := range p.Entries() {
			if !strings.HasSuffix(entry, ".forward") {
				continue
			}
			c := exportOne(t, p, file, entry, dir, rng, false)
			if c != nil {
				cases = append(cases, c)
			}
		}
	}
	if len(cases) < 10 {
		t.Fatalf("only %d entries exported", len(cases))
	}
	results := runORT(t, cases)
	for i, c := range cases {
		r := results[i]
		if r.Error != "" {
			t.Errorf("%s %s: ONNX Runtime: %s", c.file, c.entry, r.Error)
			continue
		}
		for j, w := range c.want {
			name := outName(j, len(c.want))
			got, ok := r.Outputs[name]
			if !ok || len(got.Data) != w.Len() {
				t.Errorf("%s %s: output %s: ONNX Runtime gave %d values, nnc %d", c.file, c.entry, name, len(got.Data), w.Len())
				continue
			}
			worst := 0.0
			for k := range w.Len() {
				worst = math.Max(worst, math.Abs(got.Data[k]-w.At(k))/math.Max(1, math.Abs(w.At(k))))
			}
			if worst > 1e-5 {
				t.Errorf("%s %s: output %s differs from nnc's by %.3g (relative) > 1e-5", c.file, c.entry, name, worst)
			}
			t.Logf("%s %s: %s %v matches to %.2g", c.file, c.entry, name, w.Shape, worst)
		}
	}
	t.Logf("%d entries exported and matched in ONNX Runtime", len(cases))
}

// exportOne exports one entry and computes nnc's outputs; nil for GCN,
// whose refusal it checks.
func exportOne(t *testing.T, p *Program, file, entry, dir string, rng *rand.Rand, fixAll bool) *exportCase {
	f, err := p.Func(entry)
	if err != nil && strings.Contains(err.Error(), "not known when the model is built") {
		t.Logf("%s %s: a sub-model whose sizes come from its arguments, not an entry", file, entry)
		return nil
	}
	if err != nil {
		t.Fatalf("%s %s: %v", file, entry, err)
	}
	in, env := sampleInputs(t, f, rng)
	validCSR(in, rng)
	want, err := f.Run(in)
	if err != nil {
		t.Fatalf("%s %s: %v", file, entry, err)
	}
	shapes := map[string]int64{}
	if f.perShape || fixAll { // a loop over T: fix every variable but the batch
		for v, n := range env {
			if v != "B" || fixAll {
				shapes[v] = n
			}
		}
	}
	model, err := f.ExportONNX(ExportOptions{Shapes: shapes})
	if err != nil {
		t.Errorf("%s %s: %v", file, entry, err)
		return nil
	}
	path := filepath.Join(dir, strings.NewReplacer("/", "_", ".", "_").Replace(file+"_"+entry)+".onnx")
	if err := os.WriteFile(path, model, 0o644); err != nil {
		t.Fatal(err)
	}
	return &exportCase{file: file, entry: entry, model: path, inputs: in, want: want}
}

// runORT runs every case's model in one node process.
func runORT(t *testing.T, cases []*exportCase) []ortResult {
	var jobs []ortJob
	for _, c := range cases {
		j := ortJob{Model: c.model, Inputs: map[string]ortJSON{}}
		for name, v := range c.inputs {
			j.Inputs[name] = ortJSON{DType: v.DType.String(), Shape: v.Shape, Data: v.Float64s()}
		}
		jobs = append(jobs, j)
	}
	req, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(ortDir, "run.js"))
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node run.js: %v\n%s", err, stderr.String())
	}
	var res []ortResult
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(cases) {
		t.Fatalf("run.js answered %d results for %d jobs: %v", len(res), len(cases), err)
	}
	return res
}

// TestExportImportRoundTrip exports models, imports the ONNX files back
// to .nn and requires the imported programs to give the same outputs (no
// ONNX Runtime needed). The shapes are fixed: the importer needs concrete
// dimensions where the exporter reads a symbolic batch from an input.
func TestExportImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ file, entry string }{
		{"models/digits.nn", "Classifier.forward"},
		{"testdata/torch_weights/models.nn", "CNN.forward"},
		{"testdata/torch_weights/models.nn", "LSTM.forward"},
		{"testdata/torch_weights/models.nn", "Block.forward"},
		{"testdata/onnx/volumes.nn", "Volumes.forward"},
		{"testdata/onnx/gru.nn", "Recurrent.forward"},
	} {
		p, err := CompileFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		ec := exportOne(t, p, c.file, c.entry, dir, rng, true)
		if ec == nil {
			t.Fatalf("%s %s: not exported", c.file, c.entry)
		}
		imp, err := ImportONNX(ec.model, ImportOptions{})
		if err != nil {
			t.Fatalf("%s %s: import: %v", c.file, c.entry, err)
		}
		q, err := Compile("imported.nn", imp.Source)
		if err != nil {
			t.Fatalf("%s %s: the imported program: %v\n%s", c.file, c.entry, err, imp.Source)
		}
		g, err := q.Func(imp.Entry)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range imp.Params {
			if err := g.SetParam(name, v); err != nil {
				t.Fatal(err)
			}
		}
		in := map[string]*Tensor{}
		for i, name := range imp.ONNXInputs {
			in[imp.Inputs[i]] = ec.inputs[name]
		}
		got, err := g.Run(in)
		if err != nil {
			t.Fatalf("%s %s: running the imported program: %v", c.file, c.entry, err)
		}
		w := ec.want[0]
		if got[0].Len() != w.Len() {
			t.Fatalf("%s %s: %d values, want %d", c.file, c.entry, got[0].Len(), w.Len())
		}
		worst := 0.0
		for k := range w.Len() {
			worst = math.Max(worst, math.Abs(got[0].At(k)-w.At(k))/math.Max(1, math.Abs(w.At(k))))
		}
		if worst > 1e-5 {
			t.Errorf("%s %s: the round trip differs by %.3g", c.file, c.entry, worst)
		}
		t.Logf("%s %s: exported, imported (%d lines) and run: outputs agree to %.2g", c.file, c.entry, bytes.Count(imp.Source, []byte("\n")), worst)
	}
}
