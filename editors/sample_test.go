package editors

import (
	"os"
	"strings"
	"testing"
)

// sampleTable is what testdata/sample.nn's tokens must be: the nth
// occurrence (from 1) of a word in a line, and its kind ("plain": no
// highlight but the enclosing regions').
var sampleTable = []struct {
	line int
	word string
	nth  int
	kind string
}{
	{1, "// sample.nn", 1, "comment"},
	{1, `"quote"`, 1, "comment"},
	{2, "import", 1, "keyword"},
	{2, `"std/nn"`, 1, "string"},
	{3, "as", 1, "keyword"},
	{5, "const", 1, "keyword"},
	{5, "4", 1, "number"},
	{8, "fn", 1, "keyword"},
	{8, "own", 1, "fn-name"},
	{8, "f32", 1, "type"},
	{8, "N", 1, "shape"},
	{8, "N", 2, "shape"},
	{9, "2.0", 1, "number"},
	{10, "grad", 1, "keyword"},
	{14, "sparse", 1, "keyword"},
	{14, "N", 2, "shape"},
	{18, "model", 1, "keyword"},
	{18, "Net", 1, "model-name"},
	{18, "ints", 1, "type"},
	{18, "str", 1, "type"},
	{18, `"a\"b"`, 1, "string"},
	{18, "8", 1, "number"},
	{19, "param", 1, "keyword"},
	{19, "kernel", 1, "shape"},
	{19, "kernel", 2, "shape"},
	{19, "0", 1, "number"},
	{19, "he_uniform", 1, "builtin"},
	{20, "state", 1, "keyword"},
	{20, "zeros", 1, "builtin"},
	{21, "Dense", 1, "std-model"},
	{23, "B", 1, "shape"},
	{23, "c", 2, "shape"},
	{23, "i32", 1, "type"},
	{23, "B", 2, "shape"},
	{24, "c2", 1, "plain"},
	{25, "K", 1, "plain"},
	{26, "sum", 1, "builtin"},
	{26, "axis", 1, "kwarg"},
	{27, "keepdims", 1, "kwarg"},
	{27, "true", 1, "keyword"},
	{28, "for", 1, "keyword"},
	{28, "in", 1, "keyword"},
	{28, "0", 1, "number"},
	{29, "1e-3", 1, "number"},
	{31, "grad", 1, "builtin"},
	{32, "if", 1, "keyword"},
	{32, "training", 1, "keyword"},
	{35, "return", 1, "keyword"},
	{35, "mean", 1, "builtin"},
	{39, "train", 1, "keyword"},
	{39, "Net", 1, "model-name"},
	{40, "optimizer", 1, "train-key"},
	{40, "adamw", 1, "train-func"},
	{40, "weight_decay", 1, "kwarg"},
	{41, "inputs", 1, "train-key"},
	{41, `"x"`, 1, "string"},
	{42, "no_such", 1, "other-key"},
	{43, "data", 1, "train-key"},
	{43, "idx", 1, "train-func"},
	{43, "train", 1, "keyword|kwarg"},
	{43, "test", 1, "kwarg"},
	{44, "batch", 1, "train-key"},
	{44, "32", 1, "number"},
}

// TestSample checks the tokens of sampleTable in both grammars.
func TestSample(t *testing.T) {
	const file = "testdata/sample.nn"
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	var toks []placed
	for _, c := range sampleTable {
		line := lines[c.line-1]
		at := -1
		for k, from := 0, 0; k < c.nth; k++ {
			i := wordIndex(line[from:], c.word)
			if i < 0 {
				t.Fatalf("line %d has no occurrence %d of %q: %s", c.line, c.nth, c.word, line)
			}
			at, from = from+i, from+i+len(c.word)
		}
		col := len([]rune(line[:at])) + 1
		toks = append(toks, placed{c.kind, query{file, c.line, col}, c.word})
	}
	for _, h := range highlighters {
		t.Run(h.name, func(t *testing.T) { check(t, h, toks) })
	}
}

// wordIndex is the index of the first occurrence of w in s that is not
// part of a longer name.
func wordIndex(s, w string) int {
	name := func(b byte) bool {
		return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
	}
	for from := 0; ; {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return -1
		}
		i += from
		end := i + len(w)
		if (i == 0 || !name(s[i-1]) || !name(w[0])) && (end == len(s) || !name(s[end]) || !name(w[len(w)-1])) {
			return i
		}
		from = i + 1
	}
}
