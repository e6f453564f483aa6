package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/tensor"
)

const model = `model M {
    param W1: f32[4, 8] = normal(std = 0.5)
    param b1: f32[8] = normal(std = 0.1)
    param W2: f32[8, 3] = normal(std = 0.5)

    fn forward(x: f32[B, 4]) -> f32[B, 3] {
        return tanh(x @ W1 + b1) @ W2
    }
}

fn g(x: f32[2]) -> f32[2] {
    return x
}
`

func writeModel(t *testing.T) string {
	t.Helper()
	m := filepath.Join(t.TempDir(), "m.nn")
	if err := os.WriteFile(m, []byte(model), 0o644); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFlags(t *testing.T) {
	m := writeModel(t)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--max-batch", "0"}, 2, "--max-batch: want 1 to 1048576 rows, got 0"},
		{[]string{"--workers", "0"}, 2, "--workers: want 1 to 4096, got 0"},
		{[]string{"--max-delay", "-1ms"}, 2, "--max-delay: want a positive duration"},
		{[]string{"--infer-timeout", "0s"}, 2, "--infer-timeout: want a positive duration"},
		{[]string{"--max-body", "-1"}, 2, "--max-body: bad size"},
		{[]string{"--max-body", "2TB"}, 2, "--max-body: bad size"},
		{[]string{"--max-memory", "lots"}, 2, "--max-memory: bad size"},
		{[]string{"--max-pending", "1MB"}, 2, "--max-pending 1MB is less than --max-body 64MB"},
		{[]string{"--entry", ""}, 2, "--entry: an empty value"},
		{[]string{"--max-queue", "0"}, 2, "--max-queue: want 1 to 1048576 requests, got 0"},
		{[]string{"--max-plans", "0"}, 2, "--max-plans: want 1 to 1048576 shapes, got 0"},
		{[]string{"--max-dim", "B"}, 2, `--max-dim: "B": want NAME=N`},
		{[]string{"--max-dim", "B=0"}, 2, "--max-dim: B=0: want a whole number from 1"},
		{[]string{"--max-dim", "B=2,B=3"}, 2, "--max-dim: B is bounded twice"},
		{[]string{"--max-dim", "T=4"}, 1, "a bound on T, which is not a shape variable of the inputs (they have B)"},
		{[]string{"--from", "keras"}, 2, `--from "keras"`},
		{[]string{"--nope"}, 2, "flag provided but not defined: -nope"},
		{[]string{"--entry", "nope"}, 1, "nope"},
		{[]string{"--params", "/nonexistent/p.safetensors"}, 1, "/nonexistent/p.safetensors"},
		{[]string{"--addr", "256.0.0.1:99999"}, 1, "--addr 256.0.0.1:99999"},
	} {
		var stderr strings.Builder
		code := run(context.Background(), append([]string{m}, c.args...), &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("%v: status %d, stderr %q; want %d and %q", c.args, code, stderr.String(), c.code, c.msg)
		}
	}
	var stderr strings.Builder
	if code := run(context.Background(), nil, &stderr); code != 2 || !strings.Contains(stderr.String(), "want one .nn file") {
		t.Errorf("no file: %d %q", code, stderr.String())
	}
}

// TestServe runs the command in-process on a loopback port: the default
// entry is the only forward method, the answer is Func.Run's bit for bit,
// and cancelling the context shuts the server down with status 0.
func TestServe(t *testing.T) {
	m := writeModel(t)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{m, "--seed", "3", "--addr", "127.0.0.1:0", "--max-body", "1KB"}, pw)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatal("nothing printed")
	}
	addr := regexp.MustCompile(`^nnc serve: M\.forward on (http://127\.0\.0\.1:\d+) `).FindStringSubmatch(sc.Text())
	if addr == nil {
		t.Fatalf("first line %q", sc.Text())
	}
	go io.Copy(io.Discard, pr)
	x := [][]float32{{1, 2, 3, 4}, {0.5, -1, 0, 2}}
	data, _ := json.Marshal(x)
	resp, err := http.Post(addr[1]+"/v2/models/M.forward/infer", "application/json",
		strings.NewReader(`{"inputs":[{"name":"x","shape":[2,4],"datatype":"FP32","data":`+string(data)+`}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Outputs []struct{ Data []float32 }
	}
	err = json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(ans.Outputs) != 1 {
		t.Fatalf("infer: %d %v %+v", resp.StatusCode, err, ans)
	}
	p, err := nnc.CompileFile(m)
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("M.forward")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.InitParams(3); err != nil {
		t.Fatal(err)
	}
	xt := tensor.New(tensor.F32, 2, 4)
	copy(xt.F32, append(x[0], x[1]...))
	want, err := f.Run(map[string]*nnc.Tensor{"x": xt})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want[0].F32 {
		if i >= len(ans.Outputs[0].Data) || math.Float32bits(ans.Outputs[0].Data[i]) != math.Float32bits(w) {
			t.Fatalf("served %v, Func.Run %v", ans.Outputs[0].Data, want[0].F32)
		}
	}
	// --max-body 1KB: a larger body is refused.
	resp, err = http.Post(addr[1]+"/v2/models/M.forward/infer", "application/json", strings.NewReader(strings.Repeat(" ", 2048)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 KB body: %d", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("status %d after the context was cancelled", code)
	}
}

// TestFlagsDocumented checks that docs/cli.md (its synopsis and its serve
// section) and docs/deploy.md name every flag of the server, and that
// docs/limits.md's table of the server's limits names every limit flag
// with its default.
func TestFlagsDocumented(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cli, deploy, limits := read("cli.md"), read("deploy.md"), read("limits.md")
	section := func(doc, heading string) string {
		_, s, ok := strings.Cut(doc, heading)
		if !ok {
			t.Fatalf("no %q", heading)
		}
		if i := strings.Index(s, "\n## "); i >= 0 {
			s = s[:i]
		}
		return s
	}
	synopsis := section(cli, "nnc serve FILE")
	if i := strings.Index(synopsis, "```"); i >= 0 {
		synopsis = synopsis[:i]
	}
	serveCLI, serveDeploy, serveLimits := section(cli, "\n## serve\n"), section(deploy, "## Serving over HTTP"), section(limits, "## The server's limits")
	var c config
	flags(&c, io.Discard).VisitAll(func(f *flag.Flag) {
		name := "--" + f.Name
		for _, d := range []struct{ where, text string }{{"cli.md's synopsis", synopsis}, {"cli.md's serve section", serveCLI}, {"deploy.md", serveDeploy}} {
			if !strings.Contains(d.text, name) {
				t.Errorf("%s does not name %s", d.where, name)
			}
		}
		limit := strings.HasPrefix(f.Name, "max-") || strings.HasSuffix(f.Name, "-timeout") || f.Name == "workers"
		if !limit {
			return
		}
		row := ""
		for _, l := range strings.Split(serveLimits, "\n") {
			cells := strings.Split(l, "|")
			if row == "" && len(cells) > 3 && (strings.Contains(cells[2], "`"+name+"`") || strings.Contains(cells[2], "`"+name+" ")) {
				row = cells[2] // the flags' column
			}
		}
		def := f.DefValue
		if d, err := time.ParseDuration(def); err == nil && d >= time.Second {
			def = fmt.Sprintf("%gs", d.Seconds()) // 60s, not 1m0s
		}
		switch {
		case row == "":
			t.Errorf("limits.md's server table has no row for %s", name)
		case def != "" && def != "0" && !strings.Contains(row, "("+def):
			t.Errorf("limits.md's row for %s does not give its default %s: %s", name, def, row)
		}
	})
}
