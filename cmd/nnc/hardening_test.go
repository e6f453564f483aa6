package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nnclang/nnc"
)

// tinyModel writes a linear classifier with a train block and a 100-row
// CSV into a temporary directory and returns the model's path.
func tinyModel(t *testing.T, block string) string {
	t.Helper()
	dir := t.TempDir()
	var csv strings.Builder
	for i := range 100 {
		a, b := float64(i%7)/7, float64(i%5)/5
		csv.WriteString(strings.Join([]string{ftoa(a), ftoa(b), ftoa(a * b), ftoa(1 - a), map[bool]string{true: "1", false: "0"}[i%2 == 1]}, ",") + "\n")
	}
	src := "model M(h: int = 2) {\n    param W: f32[4, h] = glorot_uniform()\n\n" +
		"    fn forward(x: f32[B, 4]) -> f32[B, h] {\n        return x @ W\n    }\n\n" +
		"    fn loss(x: f32[B, 4], y: i32[B]) -> f32 {\n        return cross_entropy(forward(x), y)\n    }\n}\n\n" +
		"train M {\n    data = \"d.csv\"\n" + block + "}\n"
	for name, text := range map[string]string{"m.nn": src, "d.csv": csv.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "m.nn")
}

func ftoa(f float64) string { b, _ := json.Marshal(f); return string(b) }

// TestInputOutOfRange: --in values that do not fit the input's type are
// errors naming the input, not wrapped (issue 9, item 4).
func TestInputOutOfRange(t *testing.T) {
	p := writeFile(t, "i.nn", "fn f(i: i32[2]) -> i32[2] {\n    return i\n}\n")
	for _, c := range []struct{ in, want string }{
		{"i=[2147483648, 0]", "--in i: element 0: 2147483648 is out of the range of i32 (-2147483648 to 2147483647)"},
		{"i=[4294967297, 0]", "--in i: element 0: 4294967297 is out of the range of i32"},
		{"i=[1, 2.5]", "--in i: element 1: 2.5 is not an integer, but the input is i32"},
		{"i=[1, 2] [3]", "--in i: unexpected text after the value"},
	} {
		out, errOut, code := nncCmd(t, "run", p, "--entry", "f", "--in", c.in)
		if code != 1 || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("--in %s: exit %d, stdout %q, stderr %q; want %q", c.in, code, out, errOut, c.want)
		}
	}
	out, errOut, code := nncCmd(t, "run", p, "--entry", "f", "--in", "i=[2147483647, -2147483648]")
	if code != 0 || !strings.Contains(out, `"data":[2147483647,-2147483648]`) {
		t.Errorf("in range: exit %d, %s %s", code, out, errOut)
	}
}

// TestFlagErrors: a flag value that cannot be used is a usage error (exit
// 2) naming the flag, never a silent default (issue 9, item 5).
func TestFlagErrors(t *testing.T) {
	m := tinyModel(t, "    epochs = 1\n")
	g := writeFile(t, "g.nn", "fn f(x: f32[B, 3], y: f32[B, 3]) -> f32 {\n    return sum(x * y)\n}\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", m, "--epochs", "0"}, "--epochs must be a positive integer, got 0"},
		{[]string{"train", m, "--epochs", "-1"}, "--epochs must be a positive integer, got -1"},
		{[]string{"train", m, "--batch", "0"}, "--batch must be a positive integer, got 0"},
		{[]string{"train", m, "--lr", "NaN"}, "--lr must be a positive, finite number, got NaN"},
		{[]string{"train", m, "--lr", "0"}, "--lr must be a positive, finite number, got 0"},
		{[]string{"train", m, "--lr", "-1"}, "got -1"},
		{[]string{"train", m, "--lr", "Inf"}, "got +Inf"},
		{[]string{"train", m, "--optimizer", "adadelta"}, `--optimizer is sgd, adam, adamw, rmsprop, adagrad or lion, or a call such as 'sgd(lr = 0.1)', not "adadelta"`},
		{[]string{"train", m, "--seed", "-1"}, `invalid value "-1" for flag -seed`},
		{[]string{"train", m, "--data", ""}, "--data: want a value, got an empty string"},
		{[]string{"train", m, "-o", ""}, "-o: want a value, got an empty string"},
		{[]string{"eval", m, "--params", "p.safetensors", "--batch", "0"}, "--batch must be a positive integer, got 0"},
		{[]string{"train", m, "--arg", "hidden=3"}, "--arg hidden: no model of " + m + " has such an argument (arguments: h)"},
		{[]string{"train", m, "--arg", "h=3", "--arg", "h=4"}, "h is given twice"},
		{[]string{"check", m, "--arg", "h=NaN"}, "h: NaN is not a finite number"},
		{[]string{"check", m, "--shapes", "C=3"}, "--shapes C: no such shape variable (known: B)"},
		{[]string{"check", m, "--shapes", "B=3,B=4"}, "B is given twice"},
		{[]string{"check", m, "--shapes", "=3"}, `want NAME=SIZE`},
		{[]string{"grad", g, "--entry", "f", "--wrt", "x,x", "--in", "x=[[1,2,3]]", "--in", "y=[[1,2,3]]"}, `--wrt "x,x": x is given twice`},
		{[]string{"grad", g, "--entry", "f", "--wrt", "x,", "--in", "x=[[1,2,3]]", "--in", "y=[[1,2,3]]"}, `--wrt "x,": an empty name`},
		{[]string{"run", g, "--entry", "f", "--in", "x=[[1,2,3]]", "--in", "x=[[1,2,3]]", "--in", "y=[[1,2,3]]"}, "--in x is given twice"},
		{[]string{"run", g, "--entry", "f", "--in", "z=[1]", "--in", "x=[[1,2,3]]", "--in", "y=[[1,2,3]]"}, `f has no parameter "z" (known: x, y)`},
		{[]string{"gradcheck", g, "--entry", "f", "--eps", "NaN"}, "--eps and --tol must be positive, finite numbers, got NaN and 1e-05"},
		{[]string{"gradcheck", g, "--entry", "f", "--tol", "Inf"}, "got 1e-05 and +Inf"},
		{[]string{"gradcheck", g, "--entry", "f", "--samples", "-2"}, "--samples is -1 (every element) or a count from 1, got -2"},
		{[]string{"gradcheck", g, "--entry", "f", "--shapes", "T=3"}, "--shapes T: no such shape variable (known: B)"},
		{[]string{"gradcheck", g, "--entry", "f", "--in", "q=[1]"}, `f has no parameter "q"`},
	} {
		out, errOut, code := nncCmd(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("nnc %q: exit %d, stderr %q; want exit 2 and %q", c.args, code, errOut, c.want)
		}
		if out != "" {
			t.Errorf("nnc %q printed %q on stdout", c.args, out)
		}
	}
}

// TestTrainBlockErrors: bad train-block settings are reported with their
// codes, every one of them, in the order of the block, each at its own
// position: a bad value where the value starts, an unknown key at the key.
// The block (train M on line 13) holds, each line indented by 4 spaces:
//
//	data = "d.csv"
//	epochs = -1        line 15, the value at column 14
//	batch = 0          line 16, column 13
//	bogus = 3          line 17, the key at column 5
//	optimizer = sgd(lr = -1, momentum = 0.5)   line 18, column 17
func TestTrainBlockErrors(t *testing.T) {
	m := tinyModel(t, "    epochs = -1\n    batch = 0\n    bogus = 3\n    optimizer = sgd(lr = -1, momentum = 0.5)\n")
	_, errOut, code := nncCmd(t, "train", m)
	wants := []string{
		m + ":15:14: E308: train M: epochs: want a positive integer, got -1",
		m + ":16:13: E308: train M: batch: want a positive integer, got 0",
		m + ":17:5: E204: train M: bogus: unknown setting (known: accumulate, augment, batch, ",
		m + ":18:17: E308: train M: optimizer: ",
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != len(wants) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(wants), errOut)
	}
	for i, w := range wants {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want the prefix %q", i+1, lines[i], w)
		}
	}
}

// TestJSONNonFinite: NaN and infinities print as "NaN", "Inf", "-Inf" in
// every command's JSON (issue 9, item 6), and read back as inputs.
func TestJSONNonFinite(t *testing.T) {
	p := writeFile(t, "l.nn", "fn f(x: f32[4]) -> f32[4] {\n    return log(x)\n}\n")
	out, errOut, code := nncCmd(t, "run", p, "--entry", "f", "--in", `x=[-1, 0, "Inf", "NaN"]`)
	if code != 0 || strings.TrimSpace(out) != `{"out": {"dtype":"f32","shape":[4],"data":["NaN","-Inf","Inf","NaN"]}}` {
		t.Errorf("run: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// eval with NaN parameters.
	m := tinyModel(t, "    epochs = 1\n")
	prog, err := nnc.CompileFile(m)
	if err != nil {
		t.Fatal(err)
	}
	f, err := prog.Func("M.loss")
	if err != nil {
		t.Fatal(err)
	}
	w, err := parseValue(`[["NaN","NaN"],["NaN","NaN"],["NaN","NaN"],["NaN","NaN"]]`, "f32")
	if err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(filepath.Dir(m), "nan.safetensors")
	if err := f.SetParam("W", w); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveParams(params); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = nncCmd(t, "eval", m, "--params", params)
	var met map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &met) != nil || met["test_loss"] != "NaN" {
		t.Errorf("eval with NaN parameters: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// train --json and gradcheck print through the same encoder.
	var buf strings.Builder
	if err := writeJSON(&buf, map[string]float64{"val_loss": math.NaN(), "test_loss": math.Inf(1), "acc": 0.5}); err != nil || buf.String() != `{"acc":0.5,"test_loss":"Inf","val_loss":"NaN"}`+"\n" {
		t.Errorf("writeJSON: %q, %v", buf.String(), err)
	}
	s := writeFile(t, "s.nn", "fn f(x: f32[1]) -> f32 {\n    return sum(sqrt(x))\n}\n")
	out, errOut, _ = nncCmd(t, "gradcheck", s, "--entry", "f", "--in", "x=[-1]", "--quiet")
	if !strings.Contains(out, `"analytic":"NaN"`) || json.Unmarshal([]byte(out), &met) != nil {
		t.Errorf("gradcheck with a NaN gradient: stdout %q, stderr %q", out, errOut)
	}
}

// TestErrorCodes: errors print with their codes, and check --json prints
// them as JSON objects (issue 9, item 15).
func TestErrorCodes(t *testing.T) {
	p := writeFile(t, "e.nn", "fn f(x: f32[3]) -> f32 {\n    return sum(y) + sum(z)\n}\n")
	_, errOut, code := nncCmd(t, "check", p)
	if code != 1 || !strings.Contains(errOut, "e.nn:2:16: E201: ") || !strings.Contains(errOut, "e.nn:2:25: E201: ") {
		t.Errorf("check: exit %d, stderr %q", code, errOut)
	}
	out, _, code := nncCmd(t, "check", p, "--json")
	var got struct {
		Errors []struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			Column  int    `json:"column"`
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if code != 1 || json.Unmarshal([]byte(out), &got) != nil || len(got.Errors) != 2 {
		t.Fatalf("check --json: exit %d, stdout %q", code, out)
	}
	e := got.Errors[0]
	if e.File != p || e.Line != 2 || e.Column != 16 || e.Code != "E201" || !strings.Contains(e.Message, `"y"`) {
		t.Errorf("first error %+v", e)
	}
	bad := writeFile(t, "bad.nn", "fn f(x: f32[3] -> f32 {\n}\n")
	if _, errOut, code := nncCmd(t, "fmt", bad); code != 1 || !strings.Contains(errOut, "bad.nn:1:16: E101: ") {
		t.Errorf("fmt of a bad file: exit %d, stderr %q", code, errOut)
	}
	out, _, code = nncCmd(t, "check", "no/such.nn", "--json")
	if code != 1 || !strings.Contains(out, `"file":"no/such.nn"`) || !strings.Contains(out, `"code":""`) {
		t.Errorf("check --json of a missing file: exit %d, %q", code, out)
	}
}

// TestTrainInterrupt sends SIGINT to a training nnc: it stops at the next
// step, writes -o with the parameters reached and says so (exit 1).
func TestTrainInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildNNC(t)
	m := tinyModel(t, "    epochs = 100000\n    batch = 10\n")
	out := filepath.Join(filepath.Dir(m), "p.safetensors")
	cmd := exec.Command(bin, "train", m, "-o", out)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "epoch 1/100000") {
		t.Fatalf("first line %q", sc.Text())
	}
	cmd.Process.Signal(syscall.SIGINT)
	go func() {
		for sc.Scan() {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 30 s after SIGINT; stderr %q", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(werr, &ee) {
		t.Fatalf("exit: %v", werr)
	}
	if ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "nnc train: interrupted: training stopped ") ||
		!strings.Contains(stderr.String(), "written to "+out) {
		t.Errorf("SIGINT: exit %d, stderr %q", ee.ExitCode(), stderr.String())
	}
	prog, err := nnc.CompileFile(m)
	if err != nil {
		t.Fatal(err)
	}
	f, err := prog.Func("M.forward")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.LoadParams(out); err != nil {
		t.Errorf("the parameters written after SIGINT do not load: %v", err)
	}
}

// TestSecondInterruptAborts sends this process two real SIGINTs while
// interruptible handles them: the first cancels the context, the second
// removes temporary files and exits with status 130.
func TestSecondInterruptAborts(t *testing.T) {
	exited := make(chan int, 1)
	exitProcess = func(code int) { exited <- code }
	defer func() { exitProcess = os.Exit }()
	var stderr syncBuffer
	ctx, stop := interruptible(&stderr)
	defer stop()
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the first SIGINT did not cancel the context")
	}
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case code := <-exited:
		if code != 130 || !strings.Contains(stderr.String(), "stopping after the current step") || !strings.Contains(stderr.String(), "nnc: aborted (") {
			t.Errorf("exit %d, stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second SIGINT did not abort")
	}
}

// syncBuffer is a strings.Builder safe for the signal goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
