package lang

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/nnclang/nnc/ops"
)

// oneError loads src and checks that it fails with exactly one error, of
// code code, rendering as want.
func oneError(t *testing.T, name, src, code, want string) {
	t.Helper()
	_, err := Load(name, []byte(src))
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("got %v, want one %s error: %s", err, code, want)
	}
	if list[0].Code != code || list[0].Error() != want {
		t.Errorf("got %s %q\nwant %s %q", list[0].Code, list[0].Error(), code, want)
	}
}

// TestShapeTooLarge: shapes whose size overflows int64 or exceeds
// MaxTensorBytes (2^48 bytes) are E310 at the expression, not a graph that
// runs with an empty or wrapped-around tensor (issue 9, item 1).
func TestShapeTooLarge(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"zeros of 2^64 elements",
			"fn f() -> f32[4294967296, 4294967296] { return zeros([4294967296, 4294967296]) }\n",
			"s.nn:1:48: zeros: the result f32[4294967296, 4294967296] is too large: the shape [4294967296, 4294967296] has more elements than int64 can count (the limit is 281474976710656 bytes)"},
		{"broadcast_to of 2^65 elements",
			"fn g(x: f32) -> f32 { return sum(broadcast_to(x, [4294967296, 4294967296, 2])) }\n",
			"s.nn:1:34: broadcast_to: the result f32[4294967296, 4294967296, 2] is too large: the shape [4294967296, 4294967296, 2] has more elements than int64 can count (the limit is 281474976710656 bytes)"},
		{"an input of 10^18 elements (4 * 10^18 bytes)",
			"fn g(x: f32[1000000000, 1000000000]) -> f32 { return sum(x) }\n",
			"s.nn:1:9: g: parameter x: f32[1000000000, 1000000000] is too large: 1000000000000000000 elements of 4 bytes, more than the limit of 281474976710656 bytes (2^48)"},
		{"an input too large whatever its shape variable",
			"fn g(x: f32[B, 4294967296, 4294967296]) -> f32 { return sum(x) }\n",
			"s.nn:1:9: g: parameter x: f32[B, 4294967296, 4294967296] is too large for any value of its shape variables: f32[4294967296, 4294967296] is too large: the shape [4294967296, 4294967296] has more elements than int64 can count (the limit is 281474976710656 bytes)"},
		{"one byte over the limit",
			"fn g(x: f32) -> f32 { return sum(zeros([70368744177665])) }\n",
			"s.nn:1:34: zeros: the result f32[70368744177665] is too large: 70368744177665 elements of 4 bytes, more than the limit of 281474976710656 bytes (2^48)"},
		{"f64 halves the element count",
			"fn g(x: f32) -> f64 { return sum(ones([35184372088833], dtype = f64)) }\n",
			"s.nn:1:34: ones: the result f64[35184372088833] is too large: 35184372088833 elements of 8 bytes, more than the limit of 281474976710656 bytes (2^48)"},
		{"pads that would wrap around",
			"fn g(x: f32[2]) -> f32 { return sum(pad(x, [9223372036854775807, 9223372036854775807])) }\n",
			"s.nn:1:37: pad: pads [9223372036854775807 9223372036854775807] are more than the limit of 281474976710656"},
		{"reshape growing past the limit from a symbolic shape",
			"fn g(x: f32[B]) -> f32 { return sum(reshape(unsqueeze(x, axis = 1) * ones([1, 4294967296]), [B, 4294967296, 1]) * ones([65536])) }\n",
			"s.nn:1:113: mul: the result f32[B, 4294967296, 65536] is too large for any value of its shape variables: f32[4294967296, 65536] is too large: 281474976710656 elements of 4 bytes, more than the limit of 281474976710656 bytes (2^48)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { oneError(t, "s.nn", c.src, CodeTooLarge, c.want) })
	}
	// At the limit exactly: 2^46 f32 elements are 2^48 bytes, accepted by
	// the checker (whether the machine has the memory is the planner's
	// question).
	if _, err := Load("s.nn", []byte("fn g(x: f32) -> f32 { return sum(zeros([70368744177664])) }\n")); err != nil {
		t.Errorf("2^48 bytes: %v", err)
	}
}

// TestIntOverflow: compile-time integer arithmetic that overflows int64 is
// an error at the operator (it used to wrap around).
func TestIntOverflow(t *testing.T) {
	cases := []struct{ src, want string }{
		{"fn g(x: f32) -> f32 {\n    n = 4294967296 * 4294967296\n    return sum(zeros([n]))\n}\n",
			"o.nn:2:20: integer overflow: 4294967296 * 4294967296 does not fit in int64"},
		{"fn g(x: f32) -> f32 {\n    n = 2 ** 63\n    return x\n}\n",
			"o.nn:2:11: integer overflow: 2 ** 63 does not fit in int64"},
		{"fn g(x: f32) -> f32 {\n    n = 9223372036854775807 + 1\n    return x\n}\n",
			"o.nn:2:29: integer overflow: 9223372036854775807 + 1 does not fit in int64"},
		{"fn g(x: f32) -> f32 {\n    n = (-9223372036854775807 - 1) / -1\n    return x\n}\n",
			"o.nn:2:36: integer overflow: (-9223372036854775807 - 1) / -1 does not fit in int64"},
	}
	for _, c := range cases {
		oneError(t, "o.nn", c.src, CodeTooLarge, c.want)
	}
	// Powers that fit still work: 2 ** 62, (-1) ** 63, 0 ** 100.
	src := "fn g() -> f32[3] {\n    return [2 ** 62 / 2 ** 61, (-1) ** 63 + 0 ** 100, 1 ** 1000]\n}\n"
	m, err := Load("o.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := evalModule(t, m, "g", nil)
	near(t, "powers", out[0], []float64{2, -1, 1}, 0)
}

// TestNestingLimit: nesting deeper than maxNesting (256) is one E104 at the
// token that goes past it, found before the parser recurses (100,000
// parentheses used to overflow the stack after 12 s).
func TestNestingLimit(t *testing.T) {
	const head = "fn f(x: f32) -> f32 { return " // 29 bytes: the expression starts at column 30
	msg := ": the source is nested too deeply here: more than 256 levels of brackets, blocks, prefix operators and ** chains"
	cases := []struct{ name, expr, col string }{
		{"100,000 parentheses", strings.Repeat("(", 100000) + "x" + strings.Repeat(")", 100000), "285"},
		{"20,000 unary minus", strings.Repeat("-", 20000) + "x", "285"},
		{"20,000 not", strings.Repeat("!", 20000) + "x", "285"},
		{"a chain of 20,000 **", strings.Repeat("x ** ", 20000) + "x", "1307"},
		{"** chains behind attributes", strings.Repeat("x.y ** -", 20000) + "x", "1053"},
		{"nested lists", strings.Repeat("[", 300) + "x" + strings.Repeat("]", 300), "285"},
		{"brackets mixed with minus", strings.Repeat("-(", 200) + "x" + strings.Repeat(")", 200), "285"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			oneError(t, "n.nn", head+c.expr+" }\n", CodeNesting, "n.nn:1:"+c.col+msg)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	// Just within the limit: 255 parentheses or minus signs (with the
	// body's brace, 256 levels).
	for _, expr := range []string{strings.Repeat("(", 255) + "x" + strings.Repeat(")", 255), strings.Repeat("-", 255) + "x"} {
		if _, err := Load("n.nn", []byte(head+expr+" }\n")); err != nil {
			t.Errorf("%.20s...: %v", expr, err)
		}
	}
	// The formatter parses with the same limit.
	if _, err := Format("n.nn", []byte(head+strings.Repeat("-", 20000)+"x }\n")); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("Format: got %v, want the nesting error", err)
	}
}

// TestLongChains: long but flat expressions check quickly and correctly
// (a 10,000-term sum took over 60 s, 5,000 chained slices 47 s: each
// binary node built its operand labels from the whole subtree).
func TestLongChains(t *testing.T) {
	sum := "fn f(x: f32) -> f32 { return " + strings.TrimSuffix(strings.Repeat("x + ", 10000), " + ") + " }\n"
	m, err := Load("c.nn", []byte(sum))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := evalModule(t, m, "f", map[string]in{"x": {ops.F32, nil, []float64{0.5}}})
	near(t, "10,000 terms", out[0], []float64{5000}, 0)

	slices := "fn f(x: f32[4]) -> f32[4] { return x" + strings.Repeat("[1:]", 3) + strings.Repeat("[:]", 5000) + " }\n"
	// x[1:][1:][1:] has one element; the result type [4] is wrong, and the
	// message labels the operand with a shortened text.
	_, err = Load("c.nn", []byte(slices))
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 || list[0].Code != CodeReturn {
		t.Fatalf("5,000 slices: got %v, want one E302", err)
	}
	if len(list[0].Msg) > 400 {
		t.Errorf("the message is %d bytes long: %.200s", len(list[0].Msg), list[0].Msg)
	}

	// A shape error deep in a long sum labels its operands briefly.
	bad := "fn f(x: f32[2], y: f32[3]) -> f32[2] { return " + strings.Repeat("x + ", 3000) + "y }\n"
	oneError(t, "c.nn", bad, CodeShape,
		"c.nn:1:12045: add: shapes do not broadcast: … + … + x + x + x + x + x + x + x + x + x + x + x is f32[2], y is f32[3] (cannot broadcast [2] with [3]: axis 0 is 2 against 3)")
}

// TestWideLabels: the label of a wide expression (a list, tuple, call or
// index of many items) stops at the label's length instead of writing "…"
// for every remaining item: concat of a 6,000-item list built a label of
// the whole list for each item and took 8 s of CPU; 20,000 items, 71 s.
func TestWideLabels(t *testing.T) {
	const n = 100000
	items := make([]expr, n)
	for k := range items {
		items[k] = &ident{Name: "x"}
	}
	idx := make([]*indexItem, n)
	kws := make([]*kwarg, n)
	for k := range idx {
		idx[k] = &indexItem{Lo: &intLit{Value: int64(k)}}
		kws[k] = &kwarg{Name: "k", Value: &ident{Name: "y"}}
	}
	x := &ident{Name: "x"}
	for _, c := range []struct {
		what, prefix string
		e            expr
	}{
		{"list", "[x, x, x", &listLit{Elems: items}},
		{"tuple", "(x, x, x", &tupleLit{Elems: items}},
		{"call", "f(x, x, x", &callExpr{Fn: &ident{Name: "f"}, Args: items}},
		{"keywords", "f(k = y, k = y", &callExpr{Fn: &ident{Name: "f"}, Kwargs: kws}},
		{"index", "x[0, 1, 2, 3", &indexExpr{X: x, Indices: idx}},
	} {
		w := &exprWriter{maxDepth: maxLabelDepth, maxLen: maxLabelLen}
		writeExpr(w, c.e, 0)
		if w.Len() > maxLabelLen+20 {
			t.Errorf("%s of %d items: the writer wrote %d bytes for a label of %d", c.what, n, w.Len(), maxLabelLen)
		}
		l := exprLabel(c.e)
		if !strings.HasPrefix(l, c.prefix) || !strings.HasSuffix(l, "…") || len(l) > maxLabelLen+len("…") {
			t.Errorf("%s: label %q", c.what, l)
		}
	}
	// Through the checker: the error of one bad item among many names it
	// with the list's label (cut at 100 bytes: "[" and 33 "x, ") and the
	// item's index.
	src := "fn f(x: f32[2]) -> f32[40002] {\n    return concat([" + strings.Repeat("x, ", 20000) + "1.5, x])\n}\n"
	oneError(t, "w.nn", src, CodeArgType, "w.nn:2:19: concat: ["+strings.Repeat("x, ", 33)+"…[20000] must be a tensor, got a float")
}

// TestCheckLinear: checking is linear in the size of the source. A
// generated program of about 1 MB must check within 25 times the time of
// one of about 100 KB (10 times smaller): a quadratic checker takes 100
// times. Ratios of CPU time, not absolute times, so that a slow or busy
// machine passes.
func TestCheckLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("checks 1 MB of source")
	}
	gen := func(fns int) []byte {
		var sb strings.Builder
		sb.WriteString("model M(n: int = 8) {\n    param W: f32[n, n] = glorot_uniform()\n    fn forward(x: f32[B, n]) -> f32[B, n] {\n        return relu(x @ W)\n    }\n}\n")
		for k := 0; k < fns; k++ {
			fmt.Fprintf(&sb, "fn f%d(x: f32[B, 8], y: f32[8]) -> f32[B] {\n", k)
			fmt.Fprintf(&sb, "    h = tanh(x * y + %d.5) - -x / (1.0 + exp(-x))\n", k%10)
			sb.WriteString("    s = sum(h * h + x[:, 1:3].T.T[:, 0:1], axis = 1) + mean(h, axis = 1)\n")
			sb.WriteString("    for i in 0..3 {\n        s = s + (s * 0.5 + " + strings.TrimSuffix(strings.Repeat("s + ", 20), " + ") + ")\n    }\n")
			sb.WriteString("    return s\n}\n")
		}
		return []byte(sb.String())
	}
	small, large := gen(320), gen(3200)
	// The fastest of two runs, each after a collection, so that a stall or
	// the previous run's garbage on a busy machine does not count.
	time1 := func(src []byte) time.Duration {
		var best time.Duration
		for r := 0; r < 2; r++ {
			goruntime.GC()
			start := cpuTime()
			if _, err := Load("lin.nn", src); err != nil {
				t.Fatal(err)
			}
			if d := cpuTime() - start; r == 0 || d < best {
				best = d
			}
		}
		return best
	}
	time1(small) // warm up (the standard library is parsed once per process)
	ts, tl := time1(small), time1(large)
	t.Logf("%d bytes: %v; %d bytes: %v of CPU time (%.1fx)", len(small), ts, len(large), tl, float64(tl)/float64(ts))
	if tl > 25*ts {
		t.Errorf("checking 10x the source took %.1fx the time (%v vs %v): not linear", float64(tl)/float64(ts), tl, ts)
	}
}

// TestImportErrors: an import cycle names its files in order, and an
// absolute import path is refused (issue 9, item 15).
func TestImportErrors(t *testing.T) {
	d := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	body := "fn f(x: f32) -> f32 { return x }\n"
	write("b.nn", "import \"a.nn\" as a\n"+body)
	a := write("a.nn", "import \"b.nn\" as b\n"+body)
	write("q.nn", "import \"r.nn\" as r\n"+body)
	write("r.nn", "import \"sub/s.nn\" as s\n"+body)
	if err := os.Mkdir(filepath.Join(d, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("sub/s.nn", "import \"../q.nn\" as q\n"+body)
	q := filepath.Join(d, "q.nn")
	abs := write("abs.nn", "import \"/etc/passwd\" as p\n"+body)
	cases := []struct{ file, want string }{
		{a, filepath.Join(d, "b.nn") + ":1:1: import cycle: a.nn imports b.nn, which imports a.nn"},
		{q, filepath.Join(d, "sub/s.nn") + ":1:1: import cycle: q.nn imports r.nn, which imports sub/s.nn, which imports q.nn"},
		{abs, abs + `:1:1: cannot import "/etc/passwd": an import path must be relative to the folder of the importing file (absolute paths are not allowed)`},
	}
	for _, c := range cases {
		src, _ := os.ReadFile(c.file)
		oneError(t, c.file, string(src), CodeImport, c.want)
	}
}

// TestHugeCompileTimeInts: ints near the int64 limits as slice bounds and
// steps follow NumPy's clamping (no wrap-around), and a huge arange is E310.
func TestHugeCompileTimeInts(t *testing.T) {
	src := "fn g(x: f32[3]) -> (f32[1], f32[1], f32[2]) {\n" +
		"    return x[-9223372036854775807:9223372036854775807:9223372036854775807], x[::-9223372036854775807 - 1], x[9223372036854775807:-9223372036854775807:-2]\n}\n"
	m, err := Load("h.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := evalModule(t, m, "g", map[string]in{"x": {ops.F32, []int{3}, []float64{1, 2, 3}}})
	// NumPy: x[-big:big:big] = [1], x[::-2**63] = [3], x[big:-big:-2] = [3, 1].
	near(t, "huge step", out[0], []float64{1}, 0)
	near(t, "most negative step", out[1], []float64{3}, 0)
	near(t, "reversed huge bounds", out[2], []float64{3, 1}, 0)
	oneError(t, "h.nn", "fn g(x: f32[2]) -> f32 { return sum(arange(9223372036854775807)) }\n", CodeTooLarge,
		"h.nn:1:37: arange: the result has 9.223372036854776e+18 elements, more than the limit of 281474976710656 bytes (2^48)")
}
