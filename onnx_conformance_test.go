package nnc

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/nnclang/nnc/interop/onnx"
)

// The ONNX backend tests' default tolerances (onnx/backend/test/runner):
// |got - want| <= atol + rtol * |want|.
const (
	onnxRtol = 1e-3
	onnxAtol = 1e-7
	// onnxMinPassRate is the share of supported cases that must pass.
	onnxMinPassRate = 0.95
)

// onnxTestsDir is the ONNX backend test data beside the checkout
// (../shared/onnx-backend-tests), or $NNC_ONNX_TESTS.
func onnxTestsDir() string {
	if d := os.Getenv("NNC_ONNX_TESTS"); d != "" {
		return d
	}
	return filepath.Join("..", "shared", "onnx-backend-tests")
}

// readPB decodes one TensorProto file into a tensor.
func readPB(path string) (*Tensor, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	pt, err := onnx.DecodeTensor(b, onnx.Limits{})
	if err != nil {
		return nil, "", err
	}
	v, err := pt.Values()
	return v, pt.Name, err
}

// onnxCaseSupported reports whether a model imports an opset in the
// importer's range and every node uses an op it supports.
func onnxCaseSupported(model string) (bool, error) {
	m, err := onnx.ReadFile(model, onnx.Limits{})
	if err != nil {
		return false, err
	}
	if v := m.Opset(); v < onnx.MinOpset || v > onnx.MaxOpset {
		return false, nil
	}
	ok := map[string]bool{}
	for _, op := range ONNXOps() {
		ok[op] = true
	}
	for _, n := range m.Graph.Nodes {
		if !ok[n.OpType] || n.Domain != "" && n.Domain != "ai.onnx" {
			return false, nil
		}
	}
	return true, nil
}

// runONNXCase imports dir/model.onnx, runs every test_data_set_* through
// the root API and compares the outputs with the expected ones. A graph
// that takes axes or shapes as inputs is imported once per data set, with
// those inputs fixed to the set's values.
func runONNXCase(t *testing.T, model string, sets []string) error {
	imp, err := ImportONNX(model, ImportOptions{})
	var ue *UnsupportedONNXError
	if errors.As(err, &ue) && len(ue.NeedFixed) > 0 {
		for _, set := range sets {
			fixed := map[string]*Tensor{}
			ins, _ := filepath.Glob(filepath.Join(set, "input_*.pb"))
			for _, path := range ins {
				v, name, err := readPB(path)
				if err != nil {
					return err
				}
				if slices.Contains(ue.NeedFixed, name) {
					fixed[name] = v
				}
			}
			imp, err := ImportONNX(model, ImportOptions{Fixed: fixed})
			if err != nil {
				return err
			}
			if err := runImported(t, imp, []string{set}); err != nil {
				return err
			}
		}
		return nil
	}
	if err != nil {
		return err
	}
	return runImported(t, imp, sets)
}

// runImported compiles an imported model, loads its weights through a
// safetensors file and runs the data sets.
func runImported(t *testing.T, imp *Imported, sets []string) error {
	if out, err := Format("model.nn", imp.Source); err != nil || string(out) != string(imp.Source) {
		return fmt.Errorf("nnc fmt changes the imported source (%v)", err)
	}
	p, err := Compile("model.nn", imp.Source)
	if err != nil {
		return fmt.Errorf("compile: %v", err)
	}
	f, err := p.Func(imp.Entry)
	if err != nil {
		return fmt.Errorf("func: %v", err)
	}
	if len(imp.Params) > 0 {
		pp := filepath.Join(t.TempDir(), "p.safetensors")
		if err := imp.Write(filepath.Join(filepath.Dir(pp), "m.nn"), pp); err != nil {
			return err
		}
		if err := f.LoadParams(pp); err != nil {
			return fmt.Errorf("load params: %v", err)
		}
	}
	for _, set := range sets {
		if err := runONNXSet(f, imp, set); err != nil {
			return fmt.Errorf("%s: %v", filepath.Base(set), err)
		}
	}
	return nil
}

// runONNXSet runs one data set: input_K.pb are the inputs in order,
// output_K.pb or a model's expected file the outputs.
func runONNXSet(f *Func, imp *Imported, set string) error {
	ins, _ := filepath.Glob(filepath.Join(set, "input_*.pb"))
	outs, _ := filepath.Glob(filepath.Join(set, "output_*.pb"))
	if strings.HasSuffix(set, ".pb") {
		ins, outs = nil, []string{set}
	}
	sort.Strings(ins)
	sort.Strings(outs)
	inputs := map[string]*Tensor{}
	for k, path := range ins {
		v, name, err := readPB(path)
		if err != nil {
			return err
		}
		idx := k
		if name != "" {
			idx = slices.Index(imp.ONNXInputs, name)
			if idx < 0 {
				continue // fixed at import
			}
		}
		if idx >= len(imp.Inputs) {
			return fmt.Errorf("input %d of %d", idx, len(imp.Inputs))
		}
		inputs[imp.Inputs[idx]] = v
	}
	if len(imp.Inputs) > len(inputs) && len(ins) > 0 {
		return fmt.Errorf("%d inputs for %d arguments", len(inputs), len(imp.Inputs))
	}
	if len(ins) == 0 {
		for _, a := range f.Inputs() {
			return fmt.Errorf("no input for %s", a.Name)
		}
	}
	got, err := f.Run(inputs)
	if err != nil {
		return fmt.Errorf("run: %v", err)
	}
	if len(got) != len(outs) {
		return fmt.Errorf("%d results, %d expected", len(got), len(outs))
	}
	for k, path := range outs {
		want, _, err := readPB(path)
		if err != nil {
			return err
		}
		if err := compareONNX(got[k], want); err != nil {
			return fmt.Errorf("output %d: %v", k, err)
		}
	}
	return nil
}

// compareONNX compares values to the backend tests' tolerance; NaN
// matches NaN, and booleans compare as 0 and 1.
func compareONNX(got, want *Tensor) error {
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	worst, at := 0.0, -1
	for i := 0; i < want.Len(); i++ {
		g, w := got.At(i), want.At(i)
		if math.IsNaN(w) && math.IsNaN(g) || g == w {
			continue
		}
		d := math.Abs(g - w)
		if math.IsNaN(d) || d > onnxAtol+onnxRtol*math.Abs(w) {
			if at < 0 || d > worst || math.IsNaN(d) {
				worst, at = d, i
			}
		}
	}
	if at >= 0 {
		return fmt.Errorf("element %d is %g, want %g (|diff| %.3g beyond rtol %g, atol %g)", at, got.At(at), want.At(at), worst, onnxRtol, onnxAtol)
	}
	return nil
}

// TestONNXNodeConformance runs every node/ case of the ONNX backend tests
// whose operators the importer supports: ../shared's full set when it is
// there, and always the copies in testdata/onnx/node.
func TestONNXNodeConformance(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "onnx", "node", "*"))
	shared, _ := filepath.Glob(filepath.Join(onnxTestsDir(), "node", "*"))
	if len(shared) == 0 {
		t.Logf("%s is absent: running only the %d cases in testdata/onnx/node", onnxTestsDir(), len(dirs))
	}
	if len(shared) > 0 {
		dirs = shared // the copies are among them
	}
	if len(dirs) == 0 {
		t.Fatal("no ONNX node cases found")
	}
	rate := runONNXCases(t, "node", dirs, os.Getenv("NNC_ONNX_TABLE"))
	if rate < onnxMinPassRate {
		t.Errorf("pass rate %.1f%% is below %.0f%%", 100*rate, 100*onnxMinPassRate)
	}
}

// TestONNXModuleConformance runs the cases of ../shared's
// pytorch-converted, pytorch-operator and simple folders (modules and
// small graphs) whose operators the importer supports, and reports their
// pass rates; it fails when a case that passes now stops passing
// (onnxModuleMinPass).
func TestONNXModuleConformance(t *testing.T) {
	for _, folder := range []string{"pytorch-converted", "pytorch-operator", "simple"} {
		dirs, _ := filepath.Glob(filepath.Join(onnxTestsDir(), folder, "*"))
		if len(dirs) == 0 {
			t.Skipf("%s is absent", filepath.Join(onnxTestsDir(), folder))
		}
		rate := runONNXCases(t, folder, dirs, "")
		if rate < onnxModuleMinPass[folder] {
			t.Errorf("%s: pass rate %.1f%% is below %.1f%%", folder, 100*rate, 100*onnxModuleMinPass[folder])
		}
	}
}

// onnxModuleMinPass are the pass rates TestONNXModuleConformance holds.
var onnxModuleMinPass = map[string]float64{"pytorch-converted": 1, "pytorch-operator": 1, "simple": 1}

// runONNXCases runs the supported cases among dirs, logs the pass rate and
// each failure, writes per-op counts to table when it is not "", and
// returns the pass rate.
func runONNXCases(t *testing.T, folder string, dirs []string, table string) float64 {
	pass, total := 0, 0
	var failures []string
	perOp := map[string][]int{} // the cases of each op set: 1 passed, 0 failed
	for _, dir := range dirs {
		model := filepath.Join(dir, "model.onnx")
		ok, err := onnxCaseSupported(model)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		if !ok {
			continue
		}
		total++
		sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
		op := onnxCaseOps(model)
		perOp[op] = append(perOp[op], 0)
		if err := runONNXCase(t, model, sets); err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", filepath.Base(dir), oneLine(err)))
			continue
		}
		perOp[op][len(perOp[op])-1] = 1
		pass++
	}
	if table != "" {
		writeOpTable(t, table, perOp)
	}
	rate := float64(pass) / float64(max(total, 1))
	t.Logf("ONNX %s cases of supported ops: %d of %d pass (%.1f%%)", folder, pass, total, 100*rate)
	for _, f := range failures {
		t.Logf("FAIL %s", f)
	}
	return rate
}

func oneLine(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// onnxCaseOps names a case's operators, sorted and joined with "+".
func onnxCaseOps(model string) string {
	m, err := onnx.ReadFile(model, onnx.Limits{})
	if err != nil {
		return "?"
	}
	seen := map[string]bool{}
	var ops []string
	for _, n := range m.Graph.Nodes {
		if !seen[n.OpType] {
			seen[n.OpType] = true
			ops = append(ops, n.OpType)
		}
	}
	sort.Strings(ops)
	return strings.Join(ops, "+")
}

// writeOpTable writes "ops passed total" lines (NNC_ONNX_TABLE, for
// docs/interop.md's table).
func writeOpTable(t *testing.T, path string, perOp map[string][]int) {
	var b strings.Builder
	keys := make([]string, 0, len(perOp))
	for k := range perOp {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n := 0
		for _, v := range perOp[k] {
			n += v
		}
		fmt.Fprintf(&b, "%s %d %d\n", k, n, len(perOp[k]))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Error(err)
	}
}
