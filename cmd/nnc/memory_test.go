package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
)

// bigPlan is a program whose plan needs one f32[1000, 1000] buffer:
// 4,000,000 bytes = 3.81 MiB (the result is written in place).
const bigPlan = "fn f(x: f32[N]) -> f32[1000, 1000] {\n    return zeros([1000, 1000]) + sum(x)\n}\n"

// TestMaxMemoryFlag: --max-memory sets the memory limit of run, grad,
// gradcheck, eval, train and check; a plan above it is refused with its
// peak and the limit (exit 1); a value ParseBytes refuses is a usage error
// naming the flag (exit 2); the next command line starts from the default.
func TestMaxMemoryFlag(t *testing.T) {
	t.Setenv(envMaxMemory, "")
	z := writeFile(t, "z.nn", bigPlan)
	refused := "z.nn:2:12: the plan needs 3.81 MiB of memory, more than the memory limit of 1.00 MiB"
	_, errOut, code := nncCmd(t, "run", z, "--entry", "f", "--in", "x=[1, 2]", "--max-memory", "1MB")
	if code != 1 || !strings.Contains(errOut, refused) {
		t.Errorf("run --max-memory 1MB: exit %d, stderr %q; want 1 and %q", code, errOut, refused)
	}
	if lim, set := nnc.MemoryLimit(); !set || lim != 1<<20 {
		t.Errorf("after --max-memory 1MB the limit is %d (set %v)", lim, set)
	}
	out, errOut, code := nncCmd(t, "run", z, "--entry", "f", "--in", "x=[1, 2]")
	if code != 0 || !strings.HasPrefix(out, `{"out": {"dtype":"f32","shape":[1000,1000],"data":[3,3,3,`) {
		t.Errorf("run without a limit: exit %d, stderr %q, stdout %.80q", code, errOut, out)
	}
	if _, set := nnc.MemoryLimit(); set {
		t.Error("the limit of the previous command line is still set")
	}
	out, errOut, code = nncCmd(t, "run", z, "--entry", "f", "--in", "x=[1, 2]", "--max-memory", "3.9MB")
	if code != 0 || !strings.Contains(out, `"shape":[1000,1000]`) {
		t.Errorf("run --max-memory 3.9MB: exit %d, stderr %q", code, errOut)
	}
	s := writeFile(t, "s.nn", "fn f(x: f32[N]) -> f32 {\n    return sum(zeros([1000, 1000]) + sum(x))\n}\n")
	_, errOut, code = nncCmd(t, "grad", s, "--entry", "f", "--wrt", "x", "--in", "x=[1, 2]", "--max-memory", "1MB")
	if code != 1 || !strings.Contains(errOut, "more than the memory limit of 1.00 MiB") {
		t.Errorf("grad --max-memory 1MB: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = nncCmd(t, "gradcheck", s, "--entry", "f", "--shapes", "N=2", "--max-memory", "1MB", "--quiet")
	if code != 1 || !strings.Contains(errOut, "more than the memory limit of 1.00 MiB") {
		t.Errorf("gradcheck --max-memory 1MB: exit %d, stderr %q", code, errOut)
	}
	out, errOut, code = nncCmd(t, "check", z, "--shapes", "N=2", "--max-memory", "1MB")
	if code != 0 || !strings.Contains(out, "more than the memory limit of 1.0 MiB: running it for these shapes would be refused") {
		t.Errorf("check --max-memory 1MB: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, _, _ = nncCmd(t, "check", z, "--shapes", "N=2", "--max-memory", "4MB")
	if strings.Contains(out, "more than the memory limit") {
		t.Errorf("check --max-memory 4MB: %q", out)
	}

	m := tinyModel(t, "    epochs = 1\n")
	for _, args := range [][]string{
		{"run", z, "--entry", "f", "--in", "x=[1]"},
		{"grad", s, "--entry", "f", "--wrt", "x", "--in", "x=[1]"},
		{"gradcheck", s, "--entry", "f"},
		{"check", z},
		{"train", m},
		{"eval", m, "--params", "p.safetensors"},
	} {
		for _, bad := range []string{"NaNMB", "1e30B", "99999999999GB", "-1MB", "0", ""} {
			_, errOut, code := nncCmd(t, append(args, "--max-memory", bad)...)
			want := "--max-memory: bad memory size " + strconvQuote(bad)
			if code != 2 || !strings.Contains(errOut, want) {
				t.Errorf("nnc %s --max-memory %q: exit %d, stderr %q; want 2 and %q", args[0], bad, code, errOut, want)
			}
		}
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// TestTrainMaxMemory: on train, --max-memory is the memory limit of every
// plan and, with --remat, the budget of rematerialization; NNC_MAX_MEMORY
// is the limit only.
func TestTrainMaxMemory(t *testing.T) {
	m := tinyModel(t, "    epochs = 1\n    batch = 10\n")
	// The step of 10 rows needs a few hundred bytes (remat reports 272 B);
	// 100B is below it, with or without recomputation.
	t.Setenv(envMaxMemory, "")
	_, errOut, code := nncCmd(t, "train", m, "--max-memory", "100B")
	if code != 1 || !strings.Contains(errOut, "epoch 1, step 1: ") || !strings.Contains(errOut, "more than the memory limit of 100 B") {
		t.Errorf("train --max-memory 1KB: exit %d, stderr %q; want the step refused", code, errOut)
	}
	_, errOut, code = nncCmd(t, "train", m, "--max-memory", "100B", "--remat")
	if code != 1 || !strings.Contains(errOut, "--max-memory 100 B: the training step needs at least") {
		t.Errorf("train --remat --max-memory 1KB: exit %d, stderr %q; want the budget refused", code, errOut)
	}
	_, errOut, code = nncCmd(t, "train", m, "--remat", "--check-numerics")
	if code != 2 || !strings.Contains(errOut, "--remat with --check-numerics: every checked step runs unfused and without rematerialization") {
		t.Errorf("train --remat --check-numerics: exit %d, stderr %q; want a usage error", code, errOut)
	}
	t.Setenv(envMaxMemory, "100B")
	out, errOut, code := nncCmd(t, "train", m, "--remat")
	if code != 1 || !strings.Contains(out, "remat: peak ") || !strings.Contains(errOut, "more than the memory limit of 100 B") {
		t.Errorf("NNC_MAX_MEMORY=100B train --remat: exit %d, stdout %q, stderr %q; want remat's smallest peak, then the step refused", code, out, errOut)
	}
	params := filepath.Join(filepath.Dir(m), "p.safetensors")
	out, errOut, code = nncCmd(t, "train", m, "--max-memory", "64MB", "--json", "--quiet", "-o", params)
	if code != 0 || !strings.Contains(out, `"test_accuracy":`) {
		t.Errorf("--max-memory 64MB over NNC_MAX_MEMORY=100B: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	_, errOut, code = nncCmd(t, "eval", m, "--params", params)
	if code != 1 || !strings.Contains(errOut, "more than the memory limit of 100 B") {
		t.Errorf("NNC_MAX_MEMORY=100B eval: exit %d, stderr %q; want the evaluation refused", code, errOut)
	}
	out, errOut, code = nncCmd(t, "eval", m, "--params", params, "--max-memory", "1MB")
	if code != 0 || !strings.Contains(out, `"test_accuracy":`) {
		t.Errorf("eval --max-memory 1MB: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	t.Setenv(envMaxMemory, "lots")
	_, errOut, code = nncCmd(t, "train", m)
	if code != 2 || !strings.Contains(errOut, `nnc train: NNC_MAX_MEMORY: bad memory size "lots"`) {
		t.Errorf("NNC_MAX_MEMORY=lots: exit %d, stderr %q", code, errOut)
	}
}

// TestMaxMemoryEnv runs the binary with NNC_MAX_MEMORY in its environment:
// it is the limit of a plan unless --max-memory gives another, and a value
// that is no size is a usage error naming the variable.
func TestMaxMemoryEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := buildNNC(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "z.nn"), []byte(bigPlan), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env        string
		args       []string
		code       int
		out, errRe string
	}{
		{"1MB", nil, 1, "", "z.nn:2:12: the plan needs 3.81 MiB of memory, more than the memory limit of 1.00 MiB"},
		{"3.5MB", nil, 1, "", "more than the memory limit of 3.50 MiB"},
		{"4MB", nil, 0, `"shape":[1000,1000]`, ""},
		{"", nil, 0, `"shape":[1000,1000]`, ""},
		{"1MB", []string{"--max-memory", "8MB"}, 0, `"shape":[1000,1000]`, ""},
		{"8MB", []string{"--max-memory", "2MB"}, 1, "", "more than the memory limit of 2.00 MiB"},
		{"2XB", nil, 2, "", `nnc run: NNC_MAX_MEMORY: bad memory size "2XB"`},
		{"0", nil, 2, "", `nnc run: NNC_MAX_MEMORY: bad memory size "0": less than one byte`},
		{"bad", []string{"--max-memory", "8MB"}, 0, `"shape":[1000,1000]`, ""},
	} {
		cmd := exec.Command(bin, append([]string{"run", "z.nn", "--entry", "f", "--in", "x=[1, 2]"}, c.args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), envMaxMemory+"="+c.env)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(stdout.String(), c.out) || !strings.Contains(stderr.String(), c.errRe) {
			t.Errorf("NNC_MAX_MEMORY=%q nnc run %q: exit %d, stdout %.60q, stderr %q; want %d, %q, %q",
				c.env, c.args, code, stdout.String(), stderr.String(), c.code, c.out, c.errRe)
		}
	}
}
