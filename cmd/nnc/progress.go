package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nnclang/nnc"
)

// progress shows a training run's progress from its step and epoch
// events. On a terminal it draws a bar for the current epoch, redrawn in
// place at most every redrawEvery (steps/s, samples/s, ETA, running loss,
// learning rate), and replaces it with the epoch's summary line when the
// epoch ends. Elsewhere (a file, a pipe) it writes plain lines: one every
// `every` steps (none when 0) and one per epoch.
//
// It is a small renderer of its own rather than a progress-bar library:
// it needs one line of fields that change with every step, the same
// fields as plain lines off a terminal, no goroutine and no clock of its
// own (tests drive it with a fake one).
type progress struct {
	w     io.Writer
	tty   bool
	every int
	width int
	now   func() time.Time
	last  time.Time // the last redraw
	drawn bool      // a bar is on the current line
}

// redrawEvery bounds how often the bar is redrawn.
const redrawEvery = 100 * time.Millisecond

// newProgress follows a run on f, a terminal or not (isTerminal).
func newProgress(f *os.File, every int) *progress {
	return &progress{w: f, tty: isTerminal(f), every: every, width: columns(), now: time.Now}
}

// isTerminal reports whether f is a terminal: a character device other
// than the null device, with TERM not "dumb".
func isTerminal(f *os.File) bool {
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return false
	}
	return true
}

// columns is the terminal's width: $COLUMNS, else 100.
func columns() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n >= 20 && n <= 1000 {
		return n
	}
	return 100
}

// Step shows a step.
func (p *progress) Step(e nnc.StepEvent) {
	if !p.tty {
		if p.every > 0 && e.Step%p.every == 0 {
			fmt.Fprintln(p.w, p.stepLine(e))
		}
		return
	}
	now := p.now()
	if p.drawn && now.Sub(p.last) < redrawEvery && e.Step != e.Steps {
		return
	}
	p.last, p.drawn = now, true
	fmt.Fprint(p.w, "\r"+p.bar(e)+"\x1b[K")
}

// Epoch shows an epoch's summary, in place of the bar on a terminal.
func (p *progress) Epoch(e nnc.EpochEvent) {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	fmt.Fprintln(p.w, epochLine(e))
}

// Close clears a bar still drawn (a run stopped inside an epoch).
func (p *progress) Close() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// rates returns steps/s, samples/s and the time left in the epoch (-1
// when unknown).
func rates(e nnc.StepEvent) (steps, samples float64, eta time.Duration) {
	s := e.Elapsed.Seconds()
	if s <= 0 {
		return 0, 0, -1
	}
	steps, samples = float64(e.Step)/s, float64(e.EpochSamples)/s
	eta = -1
	if e.Steps > 0 && steps > 0 {
		left := float64(e.Steps-e.Step) / steps
		if left < 1e9 {
			eta = time.Duration(left * float64(time.Second))
		}
	}
	return steps, samples, eta
}

// fields are the step's figures after the count: "25.6 steps/s  819
// samples/s  ETA 0:14  loss 0.3124  lr 0.001".
func fields(e nnc.StepEvent) string {
	steps, samples, eta := rates(e)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s steps/s  %s samples/s", rate(steps), rate(samples))
	if eta >= 0 {
		fmt.Fprintf(&sb, "  ETA %s", clock(eta))
	}
	fmt.Fprintf(&sb, "  loss %s", number(e.RunningLoss))
	if e.LR != 0 {
		fmt.Fprintf(&sb, "  lr %s", number(e.LR))
	}
	return sb.String()
}

// stepLine is the plain line of a step: "epoch 2/10  step 120/469  ...".
func (p *progress) stepLine(e nnc.StepEvent) string {
	return fmt.Sprintf("epoch %d/%d  step %s  %s", e.Epoch, e.Epochs, count(e), fields(e))
}

func count(e nnc.StepEvent) string {
	if e.Steps > 0 {
		return fmt.Sprintf("%d/%d", e.Step, e.Steps)
	}
	return strconv.Itoa(e.Step)
}

// bar is the terminal line of a step: "epoch 2/10 ▕████▌    ▏ 120/469
// ...", the bar as wide as the terminal leaves room for (none when the
// number of steps is unknown or the terminal is narrow).
func (p *progress) bar(e nnc.StepEvent) string {
	head := fmt.Sprintf("epoch %d/%d ", e.Epoch, e.Epochs)
	tail := " " + count(e) + "  " + fields(e)
	room := p.width - 1 - utf8.RuneCountInString(head) - utf8.RuneCountInString(tail) - 2
	if e.Steps <= 0 || room < 10 {
		line := strings.TrimSpace(head) + "  step" + tail
		return truncate(line, p.width-1)
	}
	room = min(room, 40)
	frac := math.Min(math.Max(float64(e.Step)/float64(e.Steps), 0), 1)
	eighths := int(frac * float64(room*8))
	full, part := eighths/8, eighths%8
	var sb strings.Builder
	sb.WriteString(head)
	sb.WriteString("▕")
	sb.WriteString(strings.Repeat("█", full))
	if full < room {
		if part > 0 {
			sb.WriteRune([]rune("▏▎▍▌▋▊▉")[part-1])
			full++
		}
		sb.WriteString(strings.Repeat(" ", room-full))
	}
	sb.WriteString("▏")
	sb.WriteString(tail)
	return truncate(sb.String(), p.width-1)
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:max(n, 0)])
}

// epochLine is an epoch's summary: "epoch 2/10  loss 0.3124  val_accuracy
// 0.912  val_loss 0.2931  lr 0.001  12.3s".
func epochLine(e nnc.EpochEvent) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "epoch %d/%d  loss %s", e.Epoch, e.Epochs, number(e.Loss))
	keys := make([]string, 0, len(e.Metrics))
	for k := range e.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&sb, "  %s %s", k, number(e.Metrics[k]))
	}
	if e.LR != 0 {
		fmt.Fprintf(&sb, "  lr %s", number(e.LR))
	}
	fmt.Fprintf(&sb, "  %.1fs", e.Duration.Seconds())
	return sb.String()
}

// number prints a loss, metric or rate with 4 significant digits.
func number(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// rate prints a rate: one decimal below 100, none above.
func rate(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// clock prints a duration as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
