//go:build linux

package nnc

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nnclang/nnc/kernels"
)

// chromiumFlags run Chromium headless, offline and without a profile of
// its own (a temporary --user-data-dir is added).
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"}

// TestWebPage: nnc build --target wasm compiles examples/web/mnist_web.nn
// with its committed weights into a web module; examples/web/index.html,
// served from a loopback httptest server, loads it in headless Chromium,
// draws a fixed "7" on its canvas, prepares the 28x28 input, predicts in
// WebAssembly and posts the input and the ten scores (each float32's bits)
// back. The scores must be those Func.Run gives for the same input: the
// same bits when nnc's kernels run in pure Go here too (-tags noasm, or no
// amd64), else within 1e-5 of the largest score (the amd64 assembly
// kernels add the 784 products in another order than the pure-Go ones
// WebAssembly runs); the prediction must be 7; and predict with 3 values
// must throw an Error naming the input. The test skips when no
// Chromium is found, unless NNC_BROWSER=1 (CI), which makes that a
// failure. It compiles one wasm module (about 10 s here, more when the
// machine is loaded) and starts Chromium once.
func TestWebPage(t *testing.T) {
	browser := os.Getenv("NNC_CHROMIUM")
	if browser == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				browser = p
				break
			}
		}
	}
	_, goErr := exec.LookPath("go")
	if browser == "" || goErr != nil {
		if os.Getenv("NNC_BROWSER") != "" {
			t.Fatalf("NNC_BROWSER is set but Chromium (%q) or the go command (%v) is missing", browser, goErr)
		}
		t.Skip("no Chromium or no go command (NNC_BROWSER=1 makes this a failure)")
	}
	p, err := CompileFile("examples/web/mnist_web.nn")
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("MnistWeb.forward")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.LoadParams("examples/web/mnist_web.safetensors"); err != nil {
		t.Fatal(err)
	}
	pkg, err := f.Build(BuildOptions{Shapes: map[string]int{"B": 1}, Target: "wasm"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := t.TempDir()
	start := time.Now()
	if err := pkg.WriteWasm(ctx, dir); err != nil {
		t.Fatal(err)
	}
	t.Logf("wasm module built in %v", time.Since(start))

	results := make(chan []byte, 1)
	mux := http.NewServeMux()
	mux.Handle("/model/", http.StripPrefix("/model/", http.FileServer(http.Dir(dir))))
	mux.Handle("/", http.FileServer(http.Dir("examples/web")))
	mux.HandleFunc("POST /result", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil {
			select {
			case results <- b:
			default:
			}
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var out bytes.Buffer
	args := append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir(), srv.URL+"/index.html?test")
	cmd := exec.CommandContext(ctx, browser, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // Chromium and the processes it started
		cmd.Wait()
	}()
	var body []byte
	start = time.Now()
	select {
	case body = <-results:
	case <-ctx.Done():
		t.Fatalf("no result from the page: %v\nChromium's output:\n%s", ctx.Err(), out.String())
	}
	t.Logf("the page answered %v after Chromium started", time.Since(start))
	var res struct {
		Input, Output []string
		Digit         int
		Error         string
		MsPerPredict  float64 `json:"ms_per_predict"`
		LengthError   string  `json:"length_error"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("the page's result %q: %v", body, err)
	}
	if res.Error != "" {
		t.Fatalf("the page: %s", res.Error)
	}
	t.Logf("a steady predict in the page: %.4g ms (200 calls, performance.now)", res.MsPerPredict)
	if want := "nnc: input x: want f32[1 784], 3136 bytes, got 12"; res.LengthError != want {
		t.Errorf("predict with 3 values: %q, want the error %q", res.LengthError, want)
	}
	x, scores := hexFloats(t, res.Input), hexFloats(t, res.Output)
	if len(x) != 784 || len(scores) != 10 {
		t.Fatalf("the page gave %d inputs and %d scores, want 784 and 10", len(x), len(scores))
	}
	ink := 0
	for _, v := range x {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("input value %v outside [0, 1]", v)
		}
		if v > 0 {
			ink++
		}
	}
	if ink < 40 {
		t.Fatalf("the drawing covers %d of 784 pixels", ink)
	}
	in, err := NewTensor(F32, 1, 784)
	if err != nil {
		t.Fatal(err)
	}
	copy(in.F32, x)
	want, err := f.Run(map[string]*Tensor{"x": in})
	if err != nil {
		t.Fatal(err)
	}
	scale, maxDiff, same := 0.0, 0.0, 0
	for i, w := range want[0].F32 {
		scale = max(scale, math.Abs(float64(w)))
		maxDiff = max(maxDiff, math.Abs(float64(w)-float64(scores[i])))
		if math.Float32bits(w) == math.Float32bits(scores[i]) {
			same++
		}
	}
	t.Logf("scores: %v; nnc run: %v; %d of 10 the same bits, largest difference %.3g", scores, want[0].F32, same, maxDiff)
	pureGo := !kernels.X86.HasAVX2
	switch {
	case pureGo && same != 10:
		t.Errorf("with the pure-Go kernels on both sides, %d of 10 scores differ from nnc run's bits", 10-same)
	case maxDiff > 1e-5*scale:
		t.Errorf("the scores differ from nnc run's by %.3g (the largest is %.3g)", maxDiff, scale)
	}
	best := 0
	for i, w := range want[0].F32 {
		if w > want[0].F32[best] {
			best = i
		}
	}
	if res.Digit != best || best != 7 {
		t.Errorf("the page shows %d, nnc run predicts %d, the drawing is a 7", res.Digit, best)
	}
}

// hexFloats reads float32s written as the hex of their bits.
func hexFloats(t *testing.T, hex []string) []float32 {
	t.Helper()
	v := make([]float32, len(hex))
	for i, h := range hex {
		u, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			t.Fatalf("value %d: %q: %v", i, h, err)
		}
		v[i] = math.Float32frombits(uint32(u))
	}
	return v
}
