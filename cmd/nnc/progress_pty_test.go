//go:build unix

package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/nnclang/nnc"
)

// TestProgressPTY runs the renderer on a pseudo-terminal: it is detected
// as a terminal (and not with TERM=dumb), and what the terminal receives
// is the bar, redrawn in place, then the epoch's summary.
func TestProgressPTY(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	t.Setenv("TERM", "dumb")
	if isTerminal(tty) {
		t.Error("TERM=dumb: still a terminal")
	}
	t.Setenv("TERM", "xterm")
	t.Setenv("COLUMNS", "120")
	p := newProgress(tty, 0)
	if !p.tty || p.width != 120 {
		t.Fatalf("on a pseudo-terminal: tty %v, width %d", p.tty, p.width)
	}
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx) // ends with an error once tty is closed
		got <- string(b)
	}()
	for k := 1; k <= 10; k++ {
		p.Step(stepEvent(k)) // the real clock: at least the first and last steps draw
	}
	p.Epoch(nnc.EpochEvent{Epoch: 1, Epochs: 3, Loss: 0.5, Duration: time.Second})
	tty.Close()
	var out string
	select {
	case out = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing read from the pseudo-terminal")
	}
	for _, want := range []string{"\repoch 1/3 ▕", "▏ 1/10  ", "▏ 10/10  ", "\x1b[K", "epoch 1/3  loss 0.5  1.0s\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal got no %q in %q", want, out)
		}
	}
	lines := screen(strings.ReplaceAll(out, "\r\n", "\n"))
	if lines[0] != "epoch 1/3  loss 0.5  1.0s" {
		t.Errorf("the terminal shows %q", lines)
	}
}
