package editors

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/lang"
)

// The names the grammars must know, each read from nnc itself, so that a
// new keyword, built-in, std/nn layer or train-block setting fails these
// tests until both grammars highlight it.

// parserKeywords are the words of lang's participle grammar
// (lang/grammar.go): the quoted identifiers of its struct tags.
func parserKeywords(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../lang/grammar.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	word := regexp.MustCompile(`["']([A-Za-z_][A-Za-z0-9_]*)["']`)
	set := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		field, ok := n.(*ast.Field)
		if !ok || field.Tag == nil {
			return true
		}
		tag, err := strconv.Unquote(field.Tag.Value)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range word.FindAllStringSubmatch(reflect.StructTag(tag).Get("parser"), -1) {
			set[m[1]] = true
		}
		return true
	})
	if len(set) < 10 {
		t.Fatalf("only %d keywords in lang/grammar.go: %v", len(set), set)
	}
	return sortedSet(set)
}

func sortedSet(set map[string]bool) []string {
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// completions are the names lang offers at the start of a statement, by
// kind ("keyword", "built-in", "element type").
func completions(t *testing.T) map[string][]string {
	t.Helper()
	a := lang.Analyze("c.nn", []byte("fn f(x: f32[N]) -> f32[N] {\n    return x\n}\n"))
	by := map[string][]string{}
	for _, c := range a.Completions("c.nn", 2, 5, "    ") {
		by[c.Kind] = append(by[c.Kind], c.Label)
	}
	for _, k := range []string{"keyword", "built-in", "element type"} {
		if len(by[k]) == 0 {
			t.Fatalf("lang offers no %s", k)
		}
	}
	return by
}

// keywordSamples place each keyword in a line where it is one; $ marks it.
var keywordSamples = map[string]string{
	"import":   `$import "std/nn"`,
	"as":       `import "layers.nn" $as layers`,
	"const":    `$const N = 4`,
	"fn":       "$fn f(x: f32[N]) -> f32[N] {\n    return x\n}",
	"grad":     "fn f(x: f32[N]) -> f32[N] {\n    return x\n} $grad(x, y, g) {\n    return g\n}",
	"model":    "$model M {\n}",
	"param":    "model M {\n    $param w: f32[2] = zeros()\n}",
	"state":    "model M {\n    $state s: f32[2] = zeros()\n}",
	"sparse":   "fn f(A: $sparse f32[N, N]) -> f32 {\n    return sum(A)\n}",
	"train":    "$train M {\n    epochs = 1\n}",
	"return":   "fn f(x: f32) -> f32 {\n    $return x\n}",
	"if":       "fn f(x: f32) -> f32 {\n    $if x > 0.0 {\n        return x\n    }\n    return -x\n}",
	"else":     "fn f(x: f32) -> f32 {\n    if x > 0.0 {\n        return x\n    } $else {\n        return -x\n    }\n}",
	"for":      "fn f(x: f32) -> f32 {\n    $for i in 0..3 {\n        x = x * 2.0\n    }\n    return x\n}",
	"in":       "fn f(x: f32) -> f32 {\n    for i $in 0..3 {\n        x = x * 2.0\n    }\n    return x\n}",
	"true":     "fn f(x: f32[N]) -> f32[1] {\n    return sum(x, keepdims = $true)\n}",
	"false":    "fn f(x: f32[N]) -> f32 {\n    return sum(x, keepdims = $false)\n}",
	"training": "fn f(x: f32) -> f32 {\n    return where($training, x, 0.0)\n}",
	"params":   "model M {\n    param w: f32[2] = zeros()\n    fn loss() -> f32 {\n        return l2($params)\n    }\n}",
}

// sampleSet writes samples (each with one $ marking the token of its
// kind) to files in dir and returns the tokens placed.
type sample struct{ kind, src string }

func writeSamples(t *testing.T, dir, prefix string, samples []sample) []placed {
	t.Helper()
	var out []placed
	for i, s := range samples {
		at := strings.Index(s.src, "$")
		if at < 0 {
			t.Fatalf("sample %q has no $", s.src)
		}
		src := s.src[:at] + s.src[at+1:]
		before := src[:at]
		line := strings.Count(before, "\n") + 1
		col := len([]rune(before[strings.LastIndex(before, "\n")+1:])) + 1
		word := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`).FindString(src[at:])
		file := filepath.Join(dir, prefix+strconv.Itoa(i)+".nn")
		if err := os.WriteFile(file, []byte(src+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, placed{s.kind, query{file, line, col}, word})
	}
	return out
}

// lines builds one sample file's worth of lines, one a name: format has
// %s where the name goes, with $ before it.
func lines(kind, head, format, tail string, names []string) []sample {
	var out []sample
	for _, n := range names {
		out = append(out, sample{kind, head + strings.ReplaceAll(format, "%s", n) + tail})
	}
	return out
}

// trainNames are the train-block settings and the optimizers nnc knows,
// read from CheckTrainBlocks' errors on a block that gives neither.
func trainNames(t *testing.T) (keys, optimizers []string) {
	t.Helper()
	src := "model M {\n    param w: f32[2] = zeros()\n    fn loss(x: f32[B, 2]) -> f32 {\n        return sum(x * w)\n    }\n}\n\n" +
		"train M {\n    no_such_setting = 1\n    optimizer = no_such_optimizer()\n}\n"
	p, err := nnc.Compile("k.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	msg := p.CheckTrainBlocks()
	if msg == nil {
		t.Fatal("CheckTrainBlocks took an unknown setting")
	}
	k := regexp.MustCompile(`unknown setting \(known: ([a-z_0-9, ]+)\)`).FindStringSubmatch(msg.Error())
	o := regexp.MustCompile(`unknown optimizer "no_such_optimizer" \(([a-z_0-9, ]+)\)`).FindStringSubmatch(msg.Error())
	if k == nil || o == nil {
		t.Fatalf("CheckTrainBlocks' errors do not list the settings and optimizers: %v", msg)
	}
	return strings.Split(k[1], ", "), strings.Split(o[1], ", ")
}

// stdNames are the models and functions of std/nn.
func stdNames(t *testing.T) (models, fns []string) {
	t.Helper()
	src, ok := lang.StdSource("std/nn.nn")
	if !ok {
		t.Fatal("no std/nn")
	}
	for _, m := range regexp.MustCompile(`(?m)^(model|fn)\s+([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(string(src), -1) {
		if m[1] == "model" {
			models = append(models, m[2])
		} else {
			fns = append(fns, m[2])
		}
	}
	if len(models) < 5 {
		t.Fatalf("only %d models in std/nn", len(models))
	}
	return models, fns
}

// TestNames checks that each keyword of the parser and of lang's
// completions, each element type, built-in, std/nn model and function,
// train-block setting and optimizer is highlighted as one by both grammars.
func TestNames(t *testing.T) {
	comp := completions(t)
	kws := map[string]bool{}
	for _, k := range append(parserKeywords(t), comp["keyword"]...) {
		kws[k] = true
	}
	var samples []sample
	for _, k := range sortedSet(kws) {
		s, ok := keywordSamples[k]
		if !ok {
			t.Errorf("keyword %q is new: highlight it in editors/vscode/syntaxes/nn.tmLanguage.json and editors/vim/syntax/nn.vim, and add it to keywordSamples", k)
			continue
		}
		samples = append(samples, sample{"keyword", s})
	}
	samples = append(samples, lines("type", "", "fn f(x: $%s) -> %s = x", "", comp["element type"])...)
	fn := "fn f(x: f32[N]) -> f32[N] {\n    "
	samples = append(samples, lines("builtin", fn, "y = $%s(x)", "\n    return y\n}", comp["built-in"])...)
	models, fns := stdNames(t)
	samples = append(samples, lines("std-model", "import \"std/nn\"\n\nmodel M {\n    ", "layer = nn.$%s(4, 4)", "\n}", models)...)
	samples = append(samples, lines("std-fn", "import \"std/nn\"\n\n"+fn, "y = nn.$%s(x)", "\n    return y\n}", fns)...)
	keys, opts := trainNames(t)
	samples = append(samples, lines("train-key", "train M {\n", "    $%s = 1", "\n}", keys)...)
	samples = append(samples, lines("train-func", "train M {\n", "    optimizer = $%s(lr = 1e-3)", "\n}", opts)...)
	if !slices.Contains(keys, "optimizer") || !slices.Contains(opts, "adam") {
		t.Fatalf("settings %v, optimizers %v", keys, opts)
	}
	toks := writeSamples(t, t.TempDir(), "name", samples)
	for _, h := range highlighters {
		t.Run(h.name, func(t *testing.T) { check(t, h, toks) })
	}
}
