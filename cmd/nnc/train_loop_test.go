//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// loopModel is a digits classifier with batch norm and dropout, trained
// 3 epochs of 20 steps with a schedule.
const loopModel = `import "std/nn"

model Net {
    l1   = nn.Dense(64, 32)
    bn   = nn.BatchNorm(32)
    head = nn.Dense(32, 10)

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        return head(dropout(relu(bn(l1(x))), 0.2))
    }

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train Net {
    data      = "digits"
    batch     = 64
    epochs    = 3
    optimizer = adam(lr = 3e-3)
    schedule  = cosine(warmup = 5)
    metrics   = ["accuracy", "f1"]
}
`

// TestTrainSIGINTResume sends SIGINT to a training nnc: it stops at the
// next step, writes a checkpoint and says how to resume; nnc train
// --resume then ends with parameters bitwise those of a run never
// interrupted. A checkpoint of other settings is refused, naming them.
func TestTrainSIGINTResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildNNC(t)
	m := writeFile(t, "net.nn", loopModel)
	dir := filepath.Dir(m)
	want := filepath.Join(dir, "want.safetensors")
	if out, errOut, code := nncCmd(t, "train", m, "-o", want, "--quiet"); code != 0 {
		t.Fatalf("train: exit %d: %s %s", code, out, errOut)
	}
	cmd := exec.Command(bin, "train", m, "--progress-every", "1", "--checkpoint", `every = "4 steps", keep = 2`,
		"--checkpoint-dir", filepath.Join(dir, "ck"))
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
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "epoch 2/3  step 3/20") {
	}
	cmd.Process.Signal(syscall.SIGINT)
	go io.Copy(io.Discard, stdout)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 60 s after SIGINT; stderr %q", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v; stderr %q", werr, stderr.String())
	}
	re := regexp.MustCompile(`checkpoint written to (\S+): continue with --resume (\S+)\n`)
	found := re.FindStringSubmatch(stderr.String())
	if found == nil || found[1] != found[2] {
		t.Fatalf("stderr %q names no checkpoint", stderr.String())
	}
	ck := found[1]
	got := filepath.Join(dir, "got.safetensors")
	out, errOut, code := nncCmd(t, "train", m, "--resume", ck, "-o", got, "--json")
	if code != 0 {
		t.Fatalf("train --resume: exit %d: %s %s", code, out, errOut)
	}
	a, _ := os.ReadFile(want)
	b, _ := os.ReadFile(got)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("after SIGINT (%s) and --resume %s, the parameters differ from an uninterrupted run's", strings.TrimSpace(stderr.String()), filepath.Base(ck))
	}
	_, errOut, code = nncCmd(t, "train", m, "--resume", ck, "--batch", "32")
	if code != 1 || !strings.Contains(errOut, "--resume "+ck+": cannot resume: batch was 64 in the checkpoint, 32 now") {
		t.Errorf("--resume with another batch: exit %d, %q", code, errOut)
	}
	_, errOut, code = nncCmd(t, "train", m, "--resume", ck, "--init-from", ck)
	if code != 2 || !strings.Contains(errOut, "give one") {
		t.Errorf("--resume with --init-from: exit %d, %q", code, errOut)
	}
}

// TestTrainLogPlot: --log writes step and epoch records (the rate, the
// gradients' norms, update ratios, metrics), which nnc plot draws.
func TestTrainLogPlot(t *testing.T) {
	m := writeFile(t, "net.nn", loopModel)
	dir := filepath.Dir(m)
	log := filepath.Join(dir, "run.jsonl")
	if out, errOut, code := nncCmd(t, "train", m, "--epochs", "2", "--log", log, "--log-every", "5", "--quiet"); code != 0 {
		t.Fatalf("train --log: exit %d: %s %s", code, out, errOut)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var steps, epochs int
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch r["kind"] {
		case "step":
			steps++
			for _, k := range []string{"lr", "grad_norm", "grad_norms", "update_ratios", "step_seconds", "memory_bytes"} {
				if _, ok := r[k]; !ok {
					t.Errorf("step record without %s: %s", k, line)
				}
			}
		case "epoch":
			epochs++
			if m, _ := r["metrics"].(map[string]any); m["val_f1_macro"] == nil {
				t.Errorf("epoch record %s", line)
			}
		}
	}
	if steps != 8 || epochs != 2 { // 40 steps, one record every 5
		t.Errorf("%d step and %d epoch records, want 8 and 2", steps, epochs)
	}
	png := filepath.Join(dir, "curves.png")
	if _, errOut, code := nncCmd(t, "plot", log, "-o", png); code != 0 {
		t.Fatalf("plot: exit %d: %s", code, errOut)
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() < 1000 {
		t.Errorf("plot wrote %v, %v", fi, err)
	}
}

// TestTrainBarOnTerminal runs nnc train on a pseudo-terminal: it draws
// the bar, redrawn in place, with steps/s, the running loss and the rate,
// and each epoch's summary.
func TestTrainBarOnTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildNNC(t)
	m := writeFile(t, "net.nn", loopModel)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	cmd := exec.Command(bin, "train", m, "--epochs", "2")
	cmd.Stdout, cmd.Stderr = tty, tty
	cmd.Env = append(os.Environ(), "TERM=xterm", "COLUMNS=120")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx)
		got <- string(b)
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	var out string
	select {
	case out = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("nothing read from the pseudo-terminal")
	}
	for _, want := range []string{"\repoch 1/2 ▕", "▏ 20/20  ", " steps/s  ", " samples/s", "  lr ", "\x1b[K", "epoch 2/2  loss ", "val_accuracy", "test accuracy "} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal got no %q in %q", want, out)
		}
	}
}

// TestEveryTrainKeyHasAFlag: every key of docs/language.md's table of
// train block keys has a flag of nnc train.
func TestEveryTrainKeyHasAFlag(t *testing.T) {
	doc, err := os.ReadFile("../../docs/language.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "\n## Training blocks\n")
	section, _, _ = strings.Cut(section, "\n## ")
	_, help, _ := nncCmd(t, "train", "--help")
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -(\S+)`).FindAllStringSubmatch(help, -1) {
		flags[m[1]] = true
	}
	special := map[string]string{"groups": "group", "augment": "no-augment"}
	keys := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(section, -1)
	if len(keys) < 25 {
		t.Fatalf("%d keys in the table", len(keys))
	}
	for _, k := range keys {
		flag := strings.ReplaceAll(k[1], "_", "-")
		if s, ok := special[k[1]]; ok {
			flag = s
		}
		if !flags[flag] {
			t.Errorf("train key %s has no flag --%s", k[1], flag)
		}
	}
}
