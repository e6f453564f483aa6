package main

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeLog writes a small training log: 3 epochs of 10 steps, with
// validation loss and accuracy per epoch.
func writeLog(t *testing.T, path string) {
	t.Helper()
	var b strings.Builder
	step := 0
	for e := 1; e <= 3; e++ {
		for s := 0; s < 10; s++ {
			step++
			fmt.Fprintf(&b, "{\"kind\":\"step\",\"epoch\":%d,\"step\":%d,\"time\":%g,\"loss\":%g,\"lr\":0.1}\n", e, step, 0.1*float64(step), 2.0/float64(step))
		}
		fmt.Fprintf(&b, "{\"kind\":\"epoch\",\"epoch\":%d,\"step\":%d,\"loss\":%g,\"lr\":0.1,\"metrics\":{\"val_loss\":%g,\"val_accuracy\":%g}}\n",
			e, step, 1.0/float64(e), 1.2/float64(e), 0.5+0.1*float64(e))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPlotCommand draws two logs into a PNG (8 by 9 inches at 96 pixels
// per inch: three panels) and an SVG with the names given and the epoch
// axis.
func TestPlotCommand(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	writeLog(t, a)
	writeLog(t, b)
	out := filepath.Join(dir, "curves.png")
	stdout, stderr, code := nncCmd(t, "plot", a, b, "-o", out)
	if code != 0 || stdout != "wrote "+out+"\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Bounds().Size(); s.X != 768 || s.Y != 864 {
		t.Errorf("image %v, want 768x864", s)
	}
	svg := filepath.Join(dir, "curves.svg")
	if _, stderr, code := nncCmd(t, "plot", "--x", "epoch", "--name", "small", "--name", "large", a, b, "-o", svg, "--width", "6", "--height", "4"); code != 0 {
		t.Fatalf("svg: exit %d: %s", code, stderr)
	}
	text, _ := os.ReadFile(svg)
	for _, want := range []string{">epoch<", ">small train<", ">large val_accuracy<", ">learning rate<", `width="432pt" height="288pt"`} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the SVG has no %s", want)
		}
	}
}

// TestPlotCommandErrors checks the usage errors (exit 2) and the errors
// of bad logs (exit 1, with the file and line).
func TestPlotCommandErrors(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.jsonl")
	writeLog(t, a)
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"kind\":\"step\",\"epoch\":1,\"step\":1,\"loss\":1}\nnot json\n"), 0o644)
	png := filepath.Join(dir, "x.png")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plot", "-o", png}, 2, "at least one"},
		{[]string{"plot", a}, 2, "-o"},
		{[]string{"plot", a, "-o", filepath.Join(dir, "x.gif")}, 2, ".png or .svg"},
		{[]string{"plot", a, "-o", png, "--x", "time"}, 2, "step or epoch"},
		{[]string{"plot", a, "-o", png, "--name", "x", "--name", "y"}, 2, "2 names for 1 logs"},
		{[]string{"plot", a, "-o", png, "--width", "0"}, 2, "--width"},
		{[]string{"plot", a, "-o", png, "--height", "1000"}, 2, "--height"},
		{[]string{"plot", bad, "-o", png}, 1, "bad.jsonl:2: not a log record"},
		{[]string{"plot", filepath.Join(dir, "none.jsonl"), "-o", png}, 1, "none.jsonl"},
	} {
		_, stderr, code := nncCmd(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if _, err := os.Stat(png); err == nil {
		t.Error("an image was written despite the errors")
	}
}
