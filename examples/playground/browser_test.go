package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// selftestReport is what the page's self-test (web/app.js, ?selftest=1)
// writes into <pre id="selftest">.
type selftestReport struct {
	Error  string `json:"error"`
	Broken struct {
		Diagnostics []Diagnostic `json:"diagnostics"`
		Listed      []struct {
			Line int    `json:"line"`
			Code string `json:"code"`
		} `json:"listed"`
		Underlined []int `json:"underlined"`
		Graphs     int   `json:"graphs"`
	} `json:"broken"`
	Good struct {
		Diagnostics []Diagnostic `json:"diagnostics"`
		Entries     []string     `json:"entries"`
		Raw         *svgReport   `json:"raw"`
		Opt         *svgReport   `json:"opt"`
		Hover       *HoverResult `json:"hover"`
		Info        string       `json:"info"`
		Summary     []string     `json:"summary"`
		SummaryRows [][]string   `json:"summaryRows"`
	} `json:"good"`
	Tooltip  *string `json:"tooltip"`
	Format   string  `json:"format"`
	Watchdog struct {
		Spin    string   `json:"spin"`
		Status  string   `json:"status"`
		Entries []string `json:"entries"`
	} `json:"watchdog"`
}

// svgReport describes one drawn graph: the node groups and edge paths in
// the DOM, the count the SVG says it has, the nodes' ops, its width.
type svgReport struct {
	Nodes     int      `json:"nodes"`
	DataNodes int      `json:"dataNodes"`
	Edges     int      `json:"edges"`
	Ops       []string `json:"ops"`
	Width     float64  `json:"width"`
}

// TestBrowser builds the playground (build.sh: the wasm, the worker, the
// CodeMirror bundle), serves it on loopback and runs the page's self-test
// in headless Chromium, driven over the DevTools protocol (cdp_test.go):
// the shape error of the "shape error" sample is listed and underlined on
// line 4; the "tiny" sample checks, its graph is drawn with the 5 nodes
// and 4 edges counted by hand (TestGraph), the optimized one too; the
// cursor on h, and the tooltip of the mouse on it, show f32[B, 3]; the summary table has the FLOPs
// 2·32·4·3 + 32·3 = 864 for B=32; a worker kept busy past the watchdog's
// limit is stopped, and the new one answers. It skips when Chromium or the npm
// packages (npm ci in this folder) are missing, unless NNC_BROWSER=1.
func TestBrowser(t *testing.T) {
	chromium := "/usr/bin/chromium"
	need := func(what string) {
		if os.Getenv("NNC_BROWSER") == "1" {
			t.Fatalf("NNC_BROWSER=1 but %s", what)
		}
		t.Skip(what)
	}
	if _, err := os.Stat(chromium); err != nil {
		need("no " + chromium)
	}
	if _, err := os.Stat("node_modules/.bin/esbuild"); err != nil {
		need("no node_modules/.bin/esbuild: run npm ci --ignore-scripts in examples/playground")
	}
	dist := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "bash", "build.sh", dist).CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, out)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dist)))
	defer srv.Close()
	b, err := startBrowser(ctx, chromium, t.TempDir(), 1400, 820)
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	defer b.close()
	if err := b.open(ctx, srv.URL+"/?selftest=1", `document.title.startsWith("selftest ")`); err != nil {
		status, _ := b.eval(`document.getElementById("status").textContent`)
		t.Fatalf("the self-test did not end: %v (status %q)", err, status)
	}
	report, err := b.eval(`document.getElementById("selftest").textContent`)
	if err != nil {
		t.Fatal(err)
	}
	var r selftestReport
	if err := json.Unmarshal([]byte(report), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, report)
	}
	if r.Error != "" {
		t.Fatalf("the self-test failed: %s", r.Error)
	}
	checkBroken(t, &r)
	checkGood(t, &r)
	if r.Format != "fn g(x: f32[N]) -> f32[N] {\n    return relu(x)\n}\n" {
		t.Errorf("format in the page: %q", r.Format)
	}
	if r.Tooltip == nil {
		t.Error("no hover tooltip on h")
	} else if !strings.HasPrefix(*r.Tooltip, "h: f32[B, 3]") {
		t.Errorf("the hover tooltip on h shows %q, want h: f32[B, 3]", *r.Tooltip)
	}
	if w := r.Watchdog; !strings.HasPrefix(w.Spin, "stopped") || !strings.Contains(w.Status, "restarted") || !slices.Equal(w.Entries, []string{"f"}) {
		t.Errorf("watchdog: %+v, want the busy worker stopped and a new one answering", w)
	}
	if dir := os.Getenv("NNC_PLAYGROUND_SHOTS"); dir != "" {
		screenshots(ctx, t, b, srv.URL, dir)
	}
}

// screenshots writes docs/img's pictures of the playground into dir (run
// with NNC_PLAYGROUND_SHOTS=../../docs/img): the digits classifier with
// the cursor on h, and the shape error.
func screenshots(ctx context.Context, t *testing.T, b *browser, url, dir string) {
	shots := []struct{ file, query, done string }{
		{"playground.png", "?line=9&col=9", `document.querySelector("#graph-opt svg") !== null && document.querySelector("#summary table") !== null && document.getElementById("info").textContent !== ""`},
		{"playground-error.png", "?sample=2&line=4&col=14", `document.querySelectorAll("#diagnostics li").length > 0 && document.querySelector("#graph-opt .note") !== null && document.getElementById("info").textContent !== ""`},
	}
	for _, s := range shots {
		if err := b.open(ctx, url+"/"+s.query, s.done); err != nil {
			t.Fatalf("%s: %v", s.file, err)
		}
		if err := b.screenshot(filepath.Join(dir, s.file)); err != nil {
			t.Fatal(err)
		}
	}
}

func checkBroken(t *testing.T, r *selftestReport) {
	t.Helper()
	b := r.Broken
	if len(b.Diagnostics) != 1 || b.Diagnostics[0].Line != 4 || b.Diagnostics[0].Code != "E301" {
		t.Errorf("shape error: diagnostics %+v, want one E301 on line 4", b.Diagnostics)
	}
	if len(b.Listed) != 1 || b.Listed[0].Line != 4 || b.Listed[0].Code != "E301" {
		t.Errorf("shape error: the list shows %+v", b.Listed)
	}
	if !slices.Equal(b.Underlined, []int{4}) {
		t.Errorf("shape error: CodeMirror underlines lines %v, want [4]", b.Underlined)
	}
	if b.Graphs != 0 {
		t.Errorf("a program with errors shows %d graphs", b.Graphs)
	}
}

func checkGood(t *testing.T, r *selftestReport) {
	t.Helper()
	g := r.Good
	if len(g.Diagnostics) != 0 || !slices.Equal(g.Entries, []string{"f"}) {
		t.Errorf("tiny: diagnostics %+v, entries %v", g.Diagnostics, g.Entries)
	}
	raw, opt := g.Raw, g.Opt
	if raw == nil || opt == nil {
		t.Fatalf("graphs not drawn: raw %v, optimized %v", raw, opt)
	}
	if raw.Nodes != 5 || raw.DataNodes != 5 || raw.Edges != 4 || raw.Width <= 0 {
		t.Errorf("graph before the optimizer: %+v, want 5 nodes and 4 edges drawn", raw)
	}
	if !slices.Equal(raw.Ops, []string{"input", "input", "matmul", "relu", "out"}) {
		t.Errorf("graph before the optimizer has ops %v", raw.Ops)
	}
	if opt.Nodes != opt.DataNodes || opt.Nodes < 3 || opt.Nodes > raw.Nodes || opt.Width <= 0 {
		t.Errorf("graph after the optimizer: %+v", opt)
	}
	if h := g.Hover; h == nil || h.Name != "h" || h.Type != "f32[B, 3]" || h.Line != 3 {
		t.Errorf("hover on h: %+v, want h: f32[B, 3]", h)
	}
	if !strings.HasPrefix(g.Info, "h: f32[B, 3]") {
		t.Errorf("the cursor bar shows %q", g.Info)
	}
	if len(g.SummaryRows) != 1 || len(g.SummaryRows[0]) != 5 || !strings.HasPrefix(g.SummaryRows[0][0], "f(x: f32[B, 4], w: f32[4, 3])") ||
		g.SummaryRows[0][1] != "864" {
		t.Errorf("summary rows %q, want f's with 864 FLOPs", g.SummaryRows)
	}
}
