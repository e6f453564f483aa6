package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// nnc runs the command line in-process.
func nncCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

type tensorJSON struct {
	DType string    `json:"dtype"`
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// TestGradMatchesPyTorch is the foundation issue's acceptance check: nnc grad
// on sum(tanh(x @ W) ** 2) against PyTorch's float64 autograd (grad_ref.py).
func TestGradMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/grad_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		X, W  [][]float64
		Out   float64
		GradX []float64 `json:"grad_x"`
		GradW []float64 `json:"grad_W"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	xs, _ := json.Marshal(ref.X)
	ws, _ := json.Marshal(ref.W)
	out, errOut, code := nncCmd(t, "grad", "testdata/f.nn", "--entry", "f", "--wrt", "x,W", "--in", "x="+string(xs), "--in", "W="+string(ws))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]tensorJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	check := func(name string, want []float64, shape []int) {
		g := got[name]
		if g.DType != "f32" || len(g.Data) != len(want) || !slices.Equal(g.Shape, shape) {
			t.Fatalf("%s: got %s%v with %d values", name, g.DType, g.Shape, len(g.Data))
		}
		for i := range want {
			if rel := math.Abs(g.Data[i]-want[i]) / math.Max(math.Abs(want[i]), 1e-3); rel > 1e-5 {
				t.Errorf("%s[%d] = %.9g, PyTorch %.9g (relative error %.2g)", name, i, g.Data[i], want[i], rel)
			}
		}
	}
	check("out", []float64{ref.Out}, []int{})
	check("x", ref.GradX, []int{3, 4})
	check("W", ref.GradW, []int{4, 2})
}

func writeFile(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUserErrors: malformed files, unknown names and wrong shapes give
// "file:line:col: message" on stderr and exit status 1, never a panic.
func TestUserErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"syntax.nn", "fn f(x: f32[3]) -> f32 {\n    return sum(x +)\n}\n", "syntax.nn:2:"},
		{"unknown.nn", "fn f(x: f32[3]) -> f32 {\n    return sum(y)\n}\n", "unknown.nn:2:16: "},
		{"shape.nn", "fn f(x: f32[2, 3], W: f32[4, 5]) -> f32 {\n    return sum(x @ W)\n}\n", "shape.nn:2:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, c.name, c.src)
			_, errOut, code := nncCmd(t, "check", p)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr %q", code, errOut)
			}
			if !strings.Contains(errOut, c.want) || strings.Contains(errOut, "panic") || strings.Contains(errOut, "internal error") {
				t.Fatalf("stderr %q lacks %q", errOut, c.want)
			}
			if !strings.HasPrefix(errOut, filepath.Dir(p)) {
				t.Fatalf("stderr %q does not start with the file's path", errOut)
			}
		})
	}
	if _, errOut, code := nncCmd(t, "check", "no/such/file.nn"); code != 1 {
		t.Errorf("missing file: exit %d (%s)", code, errOut)
	}
}

func TestShapeErrorMessage(t *testing.T) {
	p := writeFile(t, "digits.nn", "fn f(x: f32[B, 64], W: f32[32, 128]) -> f32[B, 128] {\n    return x @ W\n}\n")
	_, errOut, code := nncCmd(t, "check", p)
	want := "digits.nn:2:14: E301: matmul: inner dimensions differ: x is f32[B, 64], W is f32[32, 128]"
	if code != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("exit %d, stderr %q; want %q", code, errOut, want)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"run", "testdata/f.nn"},
		{"grad", "testdata/f.nn", "--entry", "f"},
		{"check", "--no-such-flag", "testdata/f.nn"},
		{"check"},
	} {
		if _, _, code := nncCmd(t, args...); code != 2 {
			t.Errorf("nnc %v: exit %d, want 2", args, code)
		}
	}
}

func TestRunJSON(t *testing.T) {
	p := writeFile(t, "g.nn", "fn g(x: f32[2, 2]) -> f32[2, 2] {\n    return x * 2 + 1\n}\n")
	out, errOut, code := nncCmd(t, "run", p, "--entry", "g", "--in", "x=[[1, 2], [3, 4]]")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]tensorJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	o := got["out"]
	want := []float64{3, 5, 7, 9}
	if o.DType != "f32" || !slices.Equal(o.Shape, []int{2, 2}) {
		t.Fatalf("got %+v", o)
	}
	for i := range want {
		if o.Data[i] != want[i] {
			t.Fatalf("data %v, want %v", o.Data, want)
		}
	}
}

// TestTrainThenEval trains briefly, writes the parameters, and checks that
// eval on them reproduces train's test metrics.
func TestTrainThenEval(t *testing.T) {
	params := filepath.Join(t.TempDir(), "p.safetensors")
	out, errOut, code := nncCmd(t, "train", "../../models/digits.nn", "--epochs", "3", "--json", "-o", params)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	var trained map[string]float64
	if err := json.Unmarshal([]byte(out), &trained); err != nil {
		t.Fatalf("train --json printed %q: %v", out, err)
	}
	if !strings.Contains(errOut, "epoch 3/3") {
		t.Errorf("progress lines missing from stderr: %q", errOut)
	}
	acc, ok := trained["test_accuracy"]
	if !ok || acc < 0.5 || acc > 1 {
		t.Fatalf("test_accuracy %v in %v", acc, trained)
	}
	out, errOut, code = nncCmd(t, "eval", "../../models/digits.nn", "--params", params)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errOut)
	}
	var evaluated map[string]float64
	if err := json.Unmarshal([]byte(out), &evaluated); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"test_accuracy", "test_loss"} {
		if math.Abs(evaluated[k]-trained[k]) > 1e-6 {
			t.Errorf("%s: eval %v, train %v", k, evaluated[k], trained[k])
		}
	}
	// Parameters of the wrong model are refused with the file's name.
	other := writeFile(t, "other.nn", "model M() {\n    param W: f32[3, 3] = zeros()\n    fn forward(x: f32[B, 3]) -> f32[B, 3] {\n        return x @ W\n    }\n    fn loss(x: f32[B, 3], y: i32[B]) -> f32 {\n        return cross_entropy(forward(x), y)\n    }\n}\ntrain M {\n    data = \"digits\"\n}\n")
	_, errOut, code = nncCmd(t, "eval", other, "--params", params)
	if code != 1 || !strings.Contains(errOut, "p.safetensors") {
		t.Errorf("eval with foreign params: exit %d, stderr %q", code, errOut)
	}
}

func TestGraphGrad(t *testing.T) {
	out, errOut, code := nncCmd(t, "graph", "testdata/f.nn", "--entry", "f", "--grad")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"tanh(", "matmul(", "output d/x = ", "output d/W = ", "f.nn:1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("graph --grad lacks %q:\n%s", want, out)
		}
	}
	out, _, code = nncCmd(t, "graph", "testdata/f.nn", "--entry", "f", "--format", "dot")
	if code != 0 || !strings.HasPrefix(out, "digraph nnc {") {
		t.Errorf("dot: exit %d, %q", code, out)
	}
}

// TestGraphShapes: an entry that scans over T prints only with T's value,
// and the graph then holds one recurrent product per step.
func TestGraphShapes(t *testing.T) {
	file := writeFile(t, "rnn.nn", "import \"std/nn\"\n\nmodel R() {\n    rnn = nn.LSTM(3, 4)\n\n    fn loss(x: f32[B, T, 3]) -> f32 {\n        return sum(rnn(x))\n    }\n}\n")
	_, errOut, code := nncCmd(t, "graph", file, "--entry", "R.loss")
	if code != 1 || !strings.Contains(errOut, "E207") || !strings.Contains(errOut, "--shapes") {
		t.Errorf("without --shapes: exit %d, stderr %q", code, errOut)
	}
	out, errOut, code := nncCmd(t, "graph", file, "--entry", "R.loss", "--shapes", "T=3")
	if code != 0 {
		t.Fatalf("--shapes T=3: exit %d: %s", code, errOut)
	}
	if n := strings.Count(out, "lstm_cell("); n != 3 {
		t.Errorf("--shapes T=3: %d lstm_cell nodes, want 3:\n%s", n, out)
	}
	if !strings.Contains(out, "f32[B, 4]") {
		t.Errorf("--shapes T=3: B is not left symbolic:\n%s", out)
	}
	_, errOut, code = nncCmd(t, "graph", file, "--entry", "R.loss", "--shapes", "T=3,Q=2")
	if code != 1 || !strings.Contains(errOut, "--shapes Q: not a shape variable") {
		t.Errorf("--shapes Q=2: exit %d, stderr %q", code, errOut)
	}
}

func TestFmt(t *testing.T) {
	p := writeFile(t, "u.nn", "fn f(x:f32[3])->f32{return sum(x*2)} // doubled\n")
	want := "fn f(x: f32[3]) -> f32 { // doubled\n    return sum(x * 2)\n}\n"
	out, errOut, code := nncCmd(t, "fmt", p)
	if code != 0 || out != want {
		t.Fatalf("fmt: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}
	if out, _, _ := nncCmd(t, "fmt", "-l", p); out != p+"\n" {
		t.Errorf("fmt -l printed %q", out)
	}
	if _, errOut, code := nncCmd(t, "fmt", "-w", p); code != 0 {
		t.Fatalf("fmt -w: exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(p); string(b) != want {
		t.Errorf("after -w the file is %q", b)
	}
	if out, _, _ := nncCmd(t, "fmt", "-l", p); out != "" {
		t.Errorf("formatted file still listed: %q", out)
	}
	bad := writeFile(t, "bad.nn", "fn f(x: f32[3] -> f32 {\n}\n")
	if _, errOut, code := nncCmd(t, "fmt", bad); code != 1 || !strings.Contains(errOut, "bad.nn:1:") {
		t.Errorf("fmt of a bad file: exit %d, stderr %q", code, errOut)
	}
}

func TestCheckFlops(t *testing.T) {
	out, errOut, code := nncCmd(t, "check", "../../models/digits.nn", "--shapes", "B=2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		Entries []struct {
			Name      string `json:"name"`
			Flops     int64  `json:"flops"`
			PeakBytes int64  `json:"peak_bytes"`
		} `json:"entries"`
		Models []struct {
			Count int64 `json:"parameters"`
		} `json:"models"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	// forward at B=2: x@W1 2*2*64*128, +b 2*128, relu 2*128, h@W2 2*2*128*10,
	// +b 2*10 = 32768 + 256 + 256 + 5120 + 20 = 38420 (dropout is off).
	if len(s.Entries) == 0 || s.Entries[0].Name != "Classifier.forward" || s.Entries[0].Flops != 38420 || s.Entries[0].PeakBytes <= 0 {
		t.Errorf("entries %+v", s.Entries)
	}
	if len(s.Models) != 1 || s.Models[0].Count != 64*128+128+128*10+10 {
		t.Errorf("models %+v", s.Models)
	}
}

func TestGraphOpt(t *testing.T) {
	out, errOut, code := nncCmd(t, "graph", "../../models/digits.nn", "--entry", "Classifier.forward", "--opt")
	if code != 0 || !strings.Contains(out, "fused_matmul(") || strings.Contains(out, "= relu(") {
		t.Fatalf("graph --opt: exit %d, stderr %q, graph:\n%s", code, errOut, out)
	}
	out, _, code = nncCmd(t, "graph", "../../models/digits.nn", "--entry", "Classifier.forward", "--dump-after", "dce")
	if code != 0 || !strings.Contains(out, "= relu(") || strings.Contains(out, "fused_") {
		t.Fatalf("--dump-after dce: exit %d:\n%s", code, out)
	}
	if _, errOut, code := nncCmd(t, "graph", "../../models/digits.nn", "--entry", "Classifier.forward", "--dump-after", "nosuch"); code != 1 || !strings.Contains(errOut, "fuse") {
		t.Errorf("unknown pass: exit %d, %q", code, errOut)
	}
	// -O0 and the optimized program give the same results.
	var outs [2]string
	for i, extra := range [][]string{nil, {"-O0"}} {
		args := append([]string{"run", "../../models/digits.nn", "--entry", "Classifier.forward", "--in", "x=[[" + strings.Repeat("0.5, ", 63) + "0.25]]"}, extra...)
		o, e, c := nncCmd(t, args...)
		if c != 0 {
			t.Fatalf("run %v: exit %d: %s", extra, c, e)
		}
		outs[i] = o
	}
	var a, b map[string]tensorJSON
	if json.Unmarshal([]byte(outs[0]), &a) != nil || json.Unmarshal([]byte(outs[1]), &b) != nil {
		t.Fatalf("outputs %q %q", outs[0], outs[1])
	}
	for i := range a["out"].Data {
		if d := math.Abs(a["out"].Data[i] - b["out"].Data[i]); d > 1e-5 {
			t.Errorf("logit %d: optimized %v, -O0 %v", i, a["out"].Data[i], b["out"].Data[i])
		}
	}
}
