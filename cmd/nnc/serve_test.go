package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const serveModel = `model M {
    param W1: f32[4, 8] = normal(std = 0.5)
    param b1: f32[8] = normal(std = 0.1)
    param W2: f32[8, 3] = normal(std = 0.5)

    fn forward(x: f32[B, 4]) -> f32[B, 3] {
        return tanh(x @ W1 + b1) @ W2
    }
}
`

// TestServeCommand runs nnc serve (which runs nnc-serve, built beside nnc):
// its infer answer is nnc run's output for the same input, and SIGTERM
// shuts it down with status 0.
func TestServeCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildNNC(t)
	if out, err := exec.Command("go", "build", "-o", filepath.Join(filepath.Dir(bin), "nnc-serve"), "../nnc-serve").CombinedOutput(); err != nil {
		t.Fatalf("go build nnc-serve: %v\n%s", err, out)
	}
	m := filepath.Join(t.TempDir(), "m.nn")
	if err := os.WriteFile(m, []byte(serveModel), 0o644); err != nil {
		t.Fatal(err)
	}
	x := `[[1,2,3,4],[0.5,-1,0,2],[0,0,0,-3]]`
	runOut, errOut, code := nncCmd(t, "run", m, "--entry", "M.forward", "--seed", "3", "--in", "x="+x)
	if code != 0 {
		t.Fatalf("nnc run: %d %s", code, errOut)
	}
	var ran struct{ Out printedTensor }
	if err := json.Unmarshal([]byte(runOut), &ran); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", m, "--seed", "3", "--addr", "127.0.0.1:0", "--name", "mlp")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	if !sc.Scan() {
		t.Fatal("nnc serve printed nothing")
	}
	addr := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+) `).FindStringSubmatch(sc.Text())
	if addr == nil {
		t.Fatalf("first line %q", sc.Text())
	}
	resp, err := http.Post(addr[1]+"/v2/models/mlp/infer", "application/json",
		strings.NewReader(`{"inputs":[{"name":"x","shape":[3,4],"datatype":"FP32","data":`+x+`}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var ans struct {
		Outputs []struct {
			Shape []int
			Data  []any
		}
	}
	if err := json.Unmarshal(body, &ans); err != nil || resp.StatusCode != 200 || len(ans.Outputs) != 1 {
		t.Fatalf("infer: %d %s %v", resp.StatusCode, body, err)
	}
	got, _ := json.Marshal(ans.Outputs[0].Data)
	want, _ := json.Marshal(ran.Out.Data)
	if string(got) != string(want) || len(ans.Outputs[0].Shape) != 2 || ans.Outputs[0].Shape[0] != 3 {
		t.Errorf("nnc serve gave %s %v, nnc run %s %v", got, ans.Outputs[0].Shape, want, ran.Out.Shape)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := io.ReadAll(stderr)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(string(rest), "nnc serve: shut down") {
			t.Errorf("after SIGTERM: %v, stderr %q", err, rest)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("nnc serve did not stop within 30 s of SIGTERM")
	}
}

// TestServeWithoutProgram: without nnc-serve beside nnc or on $PATH,
// nnc serve says how to install it.
func TestServeWithoutProgram(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(exe), "nnc-serve")); err == nil {
		t.Skip("nnc-serve is beside the test binary")
	}
	t.Setenv("PATH", t.TempDir())
	_, errOut, code := nncCmd(t, "serve", "m.nn")
	if code != 1 || !strings.Contains(errOut, "go install github.com/nnclang/nnc/cmd/nnc-serve") {
		t.Errorf("status %d, stderr %q", code, errOut)
	}
}
