package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nnclang/nnc"
)

// screen plays terminal output onto lines as a terminal shows them: "\r"
// returns to the line's start, ESC [K clears to its end, "\n" starts the
// next line.
func screen(out string) []string {
	lines := []string{""}
	col := 0
	rs := []rune(out)
	for i := 0; i < len(rs); i++ {
		cur := []rune(lines[len(lines)-1])
		switch {
		case rs[i] == '\r':
			col = 0
		case rs[i] == '\n':
			lines = append(lines, "")
			col = 0
		case rs[i] == 0x1b && i+2 < len(rs) && rs[i+1] == '[' && rs[i+2] == 'K':
			lines[len(lines)-1] = string(cur[:col])
			i += 2
		default:
			if col < len(cur) {
				cur[col] = rs[i]
			} else {
				cur = append(cur, rs[i])
			}
			lines[len(lines)-1] = string(cur)
			col++
		}
	}
	return lines
}

// fakeClock returns a clock the test moves.
func fakeClock(t0 time.Time, now *time.Duration) func() time.Time {
	return func() time.Time { return t0.Add(*now) }
}

// stepEvent is step k of 10 in epoch 1 of 3, 30 ms per step, 32 examples
// per step, running loss 0.5, rate 0.1.
func stepEvent(k int) nnc.StepEvent {
	return nnc.StepEvent{Epoch: 1, Epochs: 3, Step: k, Steps: 10, GlobalStep: int64(k), Samples: 32, EpochSamples: int64(32 * k),
		Loss: 0.5, RunningLoss: 0.5, LR: 0.1, Elapsed: time.Duration(k) * 30 * time.Millisecond}
}

// TestProgressTerminal renders an epoch to a fake terminal: the bar is
// redrawn at most every 100 ms and at the last step (steps 1, 5, 9 and
// 10 at 30 ms a step), its text is exact at step 5 (half the 40-cell bar,
// 33.3 steps/s, 1067 samples/s), and when the epoch ends the screen shows
// the summary line alone.
func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	var now time.Duration
	p := &progress{w: &buf, tty: true, width: 200, now: fakeClock(time.Unix(0, 0), &now)}
	var at5 string
	for k := 1; k <= 10; k++ {
		now = time.Duration(k) * 30 * time.Millisecond
		before := buf.Len()
		p.Step(stepEvent(k))
		if k == 5 {
			at5 = buf.String()[before:]
		}
	}
	if n := strings.Count(buf.String(), "\r"); n != 4 {
		t.Errorf("%d redraws, want 4 (steps 1, 5, 9, 10): %q", n, buf.String())
	}
	want5 := "\repoch 1/3 ▕" + strings.Repeat("█", 20) + strings.Repeat(" ", 20) +
		"▏ 5/10  33.3 steps/s  1067 samples/s  ETA 0:00  loss 0.5  lr 0.1\x1b[K"
	if at5 != want5 {
		t.Errorf("step 5 drew\n%q\nwant\n%q", at5, want5)
	}
	p.Epoch(nnc.EpochEvent{Epoch: 1, Epochs: 3, Steps: 10, Samples: 320, Loss: 0.5,
		Metrics: map[string]float64{"val_loss": 0.4, "val_accuracy": 0.91234}, LR: 0.1, Duration: 1234 * time.Millisecond})
	got := screen(buf.String())
	want := []string{"epoch 1/3  loss 0.5  val_accuracy 0.9123  val_loss 0.4  lr 0.1  1.2s", ""}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("screen %q, want %q", got, want)
	}
	// A run stopped inside an epoch leaves no bar behind.
	p.Step(stepEvent(1))
	p.Close()
	if got := screen(buf.String()); got[len(got)-1] != "" {
		t.Errorf("after Close the last line is %q", got[len(got)-1])
	}
}

// TestProgressBarShapes checks the bar's partial cells, a narrow
// terminal (no bar) and an unknown number of steps.
func TestProgressBarShapes(t *testing.T) {
	p := &progress{width: 200}
	e := stepEvent(1)
	e.Steps = 7 // 1/7 of 320 eighths: 45 = 5 cells and 5 eighths
	if got := p.bar(e); !strings.HasPrefix(got, "epoch 1/3 ▕█████▋"+strings.Repeat(" ", 34)+"▏ 1/7 ") {
		t.Errorf("1/7: %q", got)
	}
	e.Step = 7
	if got := p.bar(e); !strings.HasPrefix(got, "epoch 1/3 ▕"+strings.Repeat("█", 40)+"▏ 7/7 ") {
		t.Errorf("7/7: %q", got)
	}
	narrow := &progress{width: 60}
	if got := narrow.bar(stepEvent(3)); strings.ContainsRune(got, '▕') || len([]rune(got)) > 59 || !strings.HasPrefix(got, "epoch 1/3  step 3/10") {
		t.Errorf("narrow: %q", got)
	}
	e = stepEvent(3)
	e.Steps = 0
	if got := p.bar(e); got != "epoch 1/3  step 3  33.3 steps/s  1067 samples/s  loss 0.5  lr 0.1" {
		t.Errorf("unknown steps: %q", got)
	}
}

// TestProgressPlain checks the lines off a terminal: one every 4 steps,
// then the epoch's summary; no escapes, no carriage returns.
func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, every: 4, width: 80, now: time.Now}
	for k := 1; k <= 10; k++ {
		p.Step(stepEvent(k))
	}
	p.Epoch(nnc.EpochEvent{Epoch: 1, Epochs: 3, Loss: 0.25, Duration: 2 * time.Second})
	want := "epoch 1/3  step 4/10  33.3 steps/s  1067 samples/s  ETA 0:00  loss 0.5  lr 0.1\n" +
		"epoch 1/3  step 8/10  33.3 steps/s  1067 samples/s  ETA 0:00  loss 0.5  lr 0.1\n" +
		"epoch 1/3  loss 0.25  2.0s\n"
	if buf.String() != want {
		t.Errorf("plain output\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	quiet := &progress{w: &buf, now: time.Now}
	quiet.Step(stepEvent(4))
	if buf.Len() != 0 {
		t.Errorf("every 0 wrote %q", buf.String())
	}
}

// TestProgressFormats checks the clock and the rates.
func TestProgressFormats(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 59499 * time.Millisecond: "0:59", 61 * time.Second: "1:01", 3723 * time.Second: "1:02:03"} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %s, want %s", d, got, want)
		}
	}
	e := stepEvent(2)
	e.Elapsed = 0
	if _, _, eta := rates(e); eta != -1 {
		t.Errorf("eta with no time elapsed: %v", eta)
	}
	e.Elapsed, e.Steps, e.Step = 10*time.Second, 1000, 10 // 1 step/s: 990 s left
	if _, _, eta := rates(e); eta != 990*time.Second {
		t.Errorf("eta %v, want 16m30s", eta)
	}
}

// TestIsTerminal checks that files, pipes, the null device and TERM=dumb
// are not terminals.
func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w) {
		t.Error("a pipe is a terminal")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Error("the null device is a terminal")
	}
	t.Setenv("COLUMNS", "132")
	if columns() != 132 {
		t.Errorf("columns %d with COLUMNS=132", columns())
	}
	t.Setenv("COLUMNS", "x")
	if columns() != 100 {
		t.Errorf("columns %d with a bad COLUMNS", columns())
	}
}
