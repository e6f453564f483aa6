package spectests

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// inlineTensor reads an inline JSON value (a number, a bool or nested arrays)
// as a tensor of element type dtype.
func inlineTensor(text, dtype string) (*tensor.Tensor, error) {
	dt, ok := tensor.ParseDType(dtype)
	if !ok {
		return nil, fmt.Errorf("unknown element type %q", dtype)
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	var shape []int
	var flat []float64
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		if arr, ok := v.([]any); ok {
			if depth == len(shape) && len(flat) == 0 {
				shape = append(shape, len(arr))
			} else if depth >= len(shape) || shape[depth] != len(arr) {
				return fmt.Errorf("ragged array at depth %d", depth)
			}
			for _, e := range arr {
				if err := walk(e, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		if depth != len(shape) {
			return fmt.Errorf("ragged array: a number at depth %d of %d", depth, len(shape))
		}
		switch x := v.(type) {
		case float64:
			if dt.IsInt() && x != math.Trunc(x) {
				return fmt.Errorf("%v is not an integer, but the value is %v", x, dt)
			}
			flat = append(flat, x)
		case bool:
			flat = append(flat, map[bool]float64{false: 0, true: 1}[x])
		default:
			return fmt.Errorf("unexpected JSON value %v", v)
		}
		return nil
	}
	if err := walk(v, 0); err != nil {
		return nil, err
	}
	if len(flat) != tensor.NumElems(shape) {
		return nil, fmt.Errorf("ragged array: %d values for shape %v", len(flat), shape)
	}
	return tensor.FromFloat64s(dt, shape, flat), nil
}

// dtypeOf takes the element type from a type as spelled in .nn ("f32[B, 3]").
func dtypeOf(typ string) string {
	if i := strings.IndexByte(typ, '['); i >= 0 {
		return typ[:i]
	}
	return strings.TrimSpace(typ)
}

// compareTensor checks got against want within tol; the error lists the
// worst mismatching elements with their indices.
func compareTensor(got *tensor.Tensor, want *expected, tol tolerance) error {
	if got == nil {
		return fmt.Errorf("%s: got no tensor", want.file)
	}
	if got.DType.String() != want.dtype || !equalInts(got.Shape, want.shape) {
		return fmt.Errorf("%s: got %v%v, want %s%v", want.file, got.DType, got.Shape, want.dtype, want.shape)
	}
	type bad struct {
		i         int
		got, want float64
	}
	var bads []bad
	worst := 0.0
	for i, w := range want.data {
		g := got.At(i)
		ok := false
		switch {
		case math.IsNaN(w):
			ok = math.IsNaN(g)
		case math.IsInf(w, 0):
			ok = g == w
		default:
			d := math.Abs(g - w)
			ok = d <= tol.abs+tol.rel*math.Abs(w)
			if !math.IsNaN(d) {
				worst = max(worst, d)
			}
		}
		if !ok {
			bads = append(bads, bad{i, g, w})
		}
	}
	if len(bads) == 0 {
		return nil
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %d of %d elements differ (rel %g, abs %g; largest |got-want| %.3g):", want.file, len(bads), len(want.data), tol.rel, tol.abs, worst)
	for k, b := range bads {
		if k == 10 {
			fmt.Fprintf(&sb, "\n\t... and %d more", len(bads)-10)
			break
		}
		fmt.Fprintf(&sb, "\n\t%v: got %.9g, want %.9g (diff %.3g)", unflatten(b.i, want.shape), b.got, b.want, b.got-b.want)
	}
	return fmt.Errorf("%s", sb.String())
}

// unflatten turns a flat row-major index into a multi-index.
func unflatten(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		if shape[k] > 0 {
			idx[k] = i % shape[k]
			i /= shape[k]
		}
	}
	return idx
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// gotError is one line of an actual error.
type gotError struct {
	file      string
	line, col int
	msg, text string
}

var posRE = regexp.MustCompile(`^(.+?):(\d+):(\d+): (.*)$`)

// splitError breaks an error into its lines, reading "file:line:col: msg".
func splitError(err error) []gotError {
	var out []gotError
	for _, l := range strings.Split(err.Error(), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		g := gotError{msg: l, text: l}
		if m := posRE.FindStringSubmatch(l); m != nil {
			g.file, g.msg = m[1], m[4]
			g.line, _ = strconv.Atoi(m[2])
			g.col, _ = strconv.Atoi(m[3])
		}
		out = append(out, g)
	}
	return out
}

// matchErrors checks an actual error against the expected lines. With
// positions, the lines must correspond one to one, in order: same position,
// every fragment in the message. Without, each expected line's fragments must
// all appear in one line of the error.
func matchErrors(err error, want []wantError) error {
	got := splitError(err)
	positioned := false
	for _, w := range want {
		positioned = positioned || w.hasPos
	}
	report := func(format string, args ...any) error {
		var sb strings.Builder
		fmt.Fprintf(&sb, format, args...)
		sb.WriteString("\ngot errors:")
		for _, g := range got {
			sb.WriteString("\n\t" + g.text)
		}
		sb.WriteString("\nwant:")
		for _, w := range want {
			sb.WriteString("\n\t" + w.text)
		}
		return fmt.Errorf("%s", sb.String())
	}
	if !positioned {
	next:
		for _, w := range want {
			for _, g := range got {
				if hasAll(g.text, w.fragments) {
					continue next
				}
			}
			return report("no error line has all of %q", w.fragments)
		}
		return nil
	}
	if len(got) != len(want) {
		return report("got %d error lines, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if w.hasPos {
			if g.file != "main.nn" || g.line != w.line || (w.col != 0 && g.col != w.col) {
				return report("error %d is at %s:%d:%d, want %s", i+1, g.file, g.line, g.col, posString(w))
			}
		}
		if !hasAll(g.msg, w.fragments) {
			return report("error %d lacks some of %q", i+1, w.fragments)
		}
	}
	return nil
}

func posString(w wantError) string {
	if w.col == 0 {
		return fmt.Sprintf("main.nn:%d (any column)", w.line)
	}
	return fmt.Sprintf("main.nn:%d:%d", w.line, w.col)
}

func hasAll(s string, frags []string) bool {
	for _, f := range frags {
		if !strings.Contains(s, f) {
			return false
		}
	}
	return true
}
