package editors

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nnclang/nnc/lang"
)

// query is a position to classify: a file's line and column, both from
// 1, the column in runes.
type query struct {
	file      string
	line, col int
}

// highlighter returns the highlight of each query: the scopes (TextMate)
// or syntax groups (Vim) at that position, separated by spaces.
type highlighter struct {
	name string
	run  func(t *testing.T, qs []query) []string
	// want are the patterns a highlight must match, by kind of token.
	want map[string]*regexp.Regexp
}

// tokenKinds are the kinds of tokens the tests place, with the TextMate
// scope and the Vim group each must get.
var tokenKinds = map[string][2]string{
	"keyword":    {`(^| )(keyword|storage)\.|(^| )constant\.language\.|(^| )variable\.language\.`, `(^| )nn(Include|Storage|Statement|Conditional|Repeat|Boolean|BuiltinVar|GradKeyword|Sparse)( |$)`},
	"type":       {`(^| )support\.type\.primitive\.nn( |$)`, `(^| )nnType( |$)`},
	"number":     {`(^| )constant\.numeric\.(integer|float)\.nn( |$)`, `(^| )nn(Number|Float)( |$)`},
	"string":     {`(^| )string\.quoted\.double\.nn( |$)`, `(^| )nnString( |$)`},
	"comment":    {`(^| )comment\.line\.double-slash\.nn( |$)`, `(^| )nnComment( |$)`},
	"shape":      {`(^| )entity\.name\.type\.parameter\.shape\.nn( |$)`, `(^| )nnShapeVar( |$)`},
	"builtin":    {`(^| )support\.function\.(builtin|initializer)\.nn( |$)`, `(^| )nnBuiltin( |$)`},
	"std-model":  {`(^| )support\.class\.nn( |$)`, `(^| )nnStd( |$)`},
	"std-fn":     {`(^| )support\.function\.nn( |$)`, `(^| )nnStd( |$)`},
	"train-key":  {`(^| )support\.type\.property-name\.train\.nn( |$)`, `(^| )nnTrainKey( |$)`},
	"train-func": {`(^| )support\.function\.train\.nn( |$)`, `(^| )nnTrainFunc( |$)`},
	"kwarg":      {`(^| )variable\.parameter\.keyword\.nn( |$)`, `(^| )nnKwarg( |$)`},
	"fn-name":    {`(^| )entity\.name\.function\.nn( |$)`, `(^| )nnFuncName( |$)`},
	"model-name": {`(^| )entity\.name\.type\.class\.nn( |$)`, `(^| )nnModelName( |$)`},
	"other-key":  {`(^| )variable\.other\.property\.nn( |$)`, `^((nnTrain|nnMap|nnParen) ?)*$`},
	"plain":      {`^source\.nn( meta\.[a-z.-]+)*$`, `^((nnTrain|nnMap|nnParen) ?)*$`},
}

func wants(k int) map[string]*regexp.Regexp {
	m := map[string]*regexp.Regexp{}
	for kind, re := range tokenKinds {
		m[kind] = regexp.MustCompile(re[k])
	}
	return m
}

// matches reports whether highlight g is one of kinds ("keyword|kwarg":
// either).
func (h highlighter) matches(kinds, g string) bool {
	for _, k := range strings.Split(kinds, "|") {
		if h.want[k].MatchString(g) {
			return true
		}
	}
	return false
}

// need returns the path of a tool, skipping the test without it unless
// NNC_EDITORS=1.
func need(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		missing(t, tool+" is not installed")
	}
	return p
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("NNC_EDITORS") == "1" {
		t.Fatalf("%s (NNC_EDITORS=1 needs it)", why)
	}
	t.Skipf("%s (NNC_EDITORS=1 makes this a failure)", why)
}

// track reads files that a tool run by the test reads, so that go test's
// cache of the result depends on them.
func track(t *testing.T, files ...string) {
	t.Helper()
	for _, f := range files {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
}

// placed is a token placed for a test: its kind, position and text.
type placed struct {
	kind string
	q    query
	text string
}

// check classifies the first and last rune of each token with h and
// reports those whose highlight is not their kind's.
func check(t *testing.T, h highlighter, toks []placed) {
	t.Helper()
	var qs []query
	for _, p := range toks {
		last := p.q
		last.col += utf8.RuneCountInString(p.text) - 1
		qs = append(qs, p.q, last)
	}
	got := h.run(t, qs)
	bad := 0
	for i, p := range toks {
		for _, g := range got[2*i : 2*i+2] {
			if !h.matches(p.kind, g) {
				if bad++; bad <= 40 {
					t.Errorf("%s: %s:%d:%d %q is a %s, highlighted %q", h.name, p.q.file, p.q.line, p.q.col, p.text, p.kind, g)
				}
				break
			}
		}
	}
	if bad > 40 {
		t.Errorf("%s: %d tokens in all", h.name, bad)
	}
}

// textMate tokenizes files with the extension's grammar in vscode-textmate
// (editors/vscode/test/tokenize.js) and returns, for each file, each
// line's tokens.
// The files are tokenized once in the package's run (tmCache): the tests
// that share the sample files start node once.
func textMate(t *testing.T, files []string) map[string]*tmFile {
	t.Helper()
	res := map[string]*tmFile{}
	var todo []string
	for _, f := range files {
		if tf, ok := tmCache[f]; ok {
			res[f] = tf
		} else {
			todo = append(todo, f)
		}
	}
	if len(todo) > 0 {
		for f, tf := range tokenizeTM(t, todo) {
			tmCache[f], res[f] = tf, tf
		}
	}
	return res
}

// tmCache holds the files tokenized by textMate, by name (the tests do not
// run in parallel).
var tmCache = map[string]*tmFile{}

// tokenizeTM runs editors/vscode/test/tokenize.js over files.
func tokenizeTM(t *testing.T, files []string) map[string]*tmFile {
	t.Helper()
	node := need(t, "node")
	if _, err := os.Stat("vscode/node_modules/vscode-textmate/package.json"); err != nil {
		missing(t, "editors/vscode/node_modules is not installed (npm ci --ignore-scripts in editors/vscode)")
	}
	track(t, "vscode/syntaxes/nn.tmLanguage.json", "vscode/test/tokenize.js", "vscode/test/grammar.js")
	var abs []string
	for _, f := range files {
		a, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		abs = append(abs, a)
	}
	cmd := exec.Command(node, append([]string{"test/tokenize.js"}, abs...)...)
	cmd.Dir = "vscode"
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tokenize.js: %v", err)
	}
	var raw map[string]struct {
		Tokens [][3]json.RawMessage
		Depth  int
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	res := map[string]*tmFile{}
	for i, f := range files {
		r, ok := raw[abs[i]]
		if !ok {
			t.Fatalf("tokenize.js left out %s", f)
		}
		tf := &tmFile{lines: map[int][]tmToken{}, depth: r.Depth}
		for _, tok := range r.Tokens {
			var line int
			var text string
			var scopes []string
			if json.Unmarshal(tok[0], &line) != nil || json.Unmarshal(tok[1], &text) != nil || json.Unmarshal(tok[2], &scopes) != nil {
				t.Fatalf("tokenize.js: bad token %s", tok)
			}
			tf.lines[line] = append(tf.lines[line], tmToken{text, strings.Join(scopes, " ")})
		}
		res[f] = tf
	}
	return res
}

// tmFile is a file's tokens by line, and the rule stack's depth at its end.
type tmFile struct {
	lines map[int][]tmToken
	depth int
}

type tmToken struct{ text, scopes string }

// at is the scopes at a line's rune column (from 1).
func (f *tmFile) at(line, col int) string {
	c := 1
	for _, tok := range f.lines[line] {
		n := utf8.RuneCountInString(tok.text)
		if col < c+n {
			return tok.scopes
		}
		c += n
	}
	return "(past the end of the line)"
}

var tmHighlighter = highlighter{
	name: "TextMate",
	want: wants(0),
	run: func(t *testing.T, qs []query) []string {
		files := map[string]bool{}
		var list []string
		for _, q := range qs {
			if !files[q.file] {
				files[q.file] = true
				list = append(list, q.file)
			}
		}
		tm := textMate(t, list)
		out := make([]string, len(qs))
		for i, q := range qs {
			out[i] = tm[q.file].at(q.line, q.col)
		}
		return out
	},
}

// vimHighlighter asks vim (with editors/vim first on its runtimepath, the
// filetype detected from the name) for the syntax groups at each query
// (synstack), through testdata/probe.vim.
var vimHighlighter = highlighter{
	name: "Vim",
	want: wants(1),
	run: func(t *testing.T, qs []query) []string {
		vim := need(t, "vim")
		track(t, "testdata/probe.vim", "vim/syntax/nn.vim", "vim/ftdetect/nn.vim", "vim/ftplugin/nn.vim", "vim/indent/nn.vim")
		dir := t.TempDir()
		var b strings.Builder
		src := map[string][]string{}
		for _, q := range qs {
			if src[q.file] == nil {
				data, err := os.ReadFile(q.file)
				if err != nil {
					t.Fatal(err)
				}
				src[q.file] = strings.Split(string(data), "\n")
			}
			abs, err := filepath.Abs(q.file)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(abs + "\t" + strconv.Itoa(q.line) + "\t" + strconv.Itoa(byteCol(src[q.file][q.line-1], q.col)) + "\n")
		}
		pos, out := filepath.Join(dir, "pos"), filepath.Join(dir, "out")
		if err := os.WriteFile(pos, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		rtp, err := filepath.Abs("vim")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(vim, "-N", "-u", "NONE", "-i", "NONE", "-n", "-es", "-S", "testdata/probe.vim")
		cmd.Env = append(os.Environ(), "NN_RTP="+rtp, "NN_POS="+pos, "NN_OUT="+out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("vim: %v\n%s", err, msg)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(qs) == 0 {
			lines = nil
		}
		if len(lines) != len(qs) {
			t.Fatalf("vim answered %d of %d positions", len(lines), len(qs))
		}
		return lines
	},
}

// byteCol is the byte column (from 1) of a line's rune column.
func byteCol(line string, col int) int {
	b := 0
	for i := 1; i < col && b < len(line); i++ {
		_, n := utf8.DecodeRuneInString(line[b:])
		b += n
	}
	return b + 1
}

var highlighters = []highlighter{tmHighlighter, vimHighlighter}

// sampleFiles are the files whose tokens are checked: the model zoo, the
// standard library, the spec cases and the sample of testdata.
func sampleFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, g := range []string{"../models/*.nn", "../lang/std/*.nn", "../spec_tests/cases/*.nn", "../lang/testdata/customgrad/*.nn", "testdata/*.nn"} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 15 {
		t.Fatalf("only %d sample files: %v", len(files), files)
	}
	return files
}

// TestLexedTokens checks that each keyword, element type, number, string
// and comment that lang's lexer finds in the sample files (lang.LexTokens)
// is highlighted as one by both grammars.
func TestLexedTokens(t *testing.T) {
	var toks []placed
	for _, f := range sampleFiles(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(src), "\n")
		lexed := lang.LexTokens(f, src)
		if lexed == nil {
			t.Fatalf("%s does not lex", f)
		}
		for _, tok := range lexed {
			line := lines[tok.Pos.Line-1]
			text := runeSlice(line, tok.Pos.Col, tok.Len)
			kind := tok.Kind
			if kind == "keyword" && kwargAfter.MatchString(string([]rune(line)[tok.Pos.Col-1+tok.Len:])) {
				// A keyword argument named like a keyword (idx(train = ...)):
				// lang's lexer calls it a keyword, a grammar may call it either.
				kind = "keyword|kwarg"
			}
			toks = append(toks, placed{kind, query{f, tok.Pos.Line, tok.Pos.Col}, text})
		}
	}
	kinds := map[string]int{}
	for _, p := range toks {
		kinds[p.kind]++
	}
	for _, k := range []string{"keyword", "type", "number", "string", "comment"} {
		if kinds[k] < 10 {
			t.Errorf("only %d %s tokens in the samples", kinds[k], k)
		}
	}
	for _, h := range highlighters {
		t.Run(h.name, func(t *testing.T) { check(t, h, toks) })
	}
}

// kwargAfter matches the rest of a line after a keyword argument's name.
var kwargAfter = regexp.MustCompile(`^\s*=($|[^=])`)

// runeSlice is n runes of s from rune column col (from 1).
func runeSlice(s string, col, n int) string {
	r := []rune(s)
	if col-1+n > len(r) {
		return string(r[col-1:])
	}
	return string(r[col-1 : col-1+n])
}
