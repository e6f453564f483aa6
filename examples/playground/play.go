// Command playground is nnc's browser playground: the checker, the
// formatter and the graph printer compiled to WebAssembly, behind a page
// with a CodeMirror editor (docs/playground.md).
//
// Built with GOOS=js GOARCH=wasm (build.sh), it registers a global object
// nnc whose functions take the editor's text and return JSON:
//
//	nnc.check(src)                    {diagnostics, entries}
//	nnc.summary(src, shapes)          {summary, error}: nnc check's table
//	nnc.hover(src, line, col)         {found, name, type, kind, detail, line, col, endCol}
//	nnc.format(src)                   {text, diagnostics}
//	nnc.graph(src, entry, optimized)  {svg, nodes, edges, error}
//
// Lines are 1-based, columns 1-based in UTF-16 code units (JavaScript's
// string indices). The page runs it in a Web Worker (web/worker.js), so
// that a long check never stops the editor. Built for any other system,
// it serves a built playground folder on a loopback address
// (main_serve.go).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/lang"
)

// fileName is the name the playground's text has in positions.
const fileName = "playground.nn"

// maxSource bounds the text the playground checks (a page can paste
// anything).
const maxSource = 1 << 20

// Diagnostic is one error at a range of the text.
type Diagnostic struct {
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	EndLine int    `json:"endLine"`
	EndCol  int    `json:"endCol"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// CheckResult is check's answer: the errors, or the entries of a program
// that checks.
type CheckResult struct {
	Diagnostics []Diagnostic `json:"diagnostics"`
	Entries     []string     `json:"entries"`
}

// SummaryResult is nnc check's summary of a program that checks, or why
// there is none (errors in the text, shapes that do not parse, a program
// that cannot be planned).
type SummaryResult struct {
	Summary *nnc.Summary `json:"summary,omitempty"`
	Error   string       `json:"error,omitempty"`
}

// HoverResult is what the checker knows of the token at a position.
type HoverResult struct {
	Found  bool     `json:"found"`
	Name   string   `json:"name,omitempty"`
	Type   string   `json:"type,omitempty"`
	Kind   string   `json:"kind,omitempty"`
	Detail []string `json:"detail,omitempty"`
	Line   int      `json:"line,omitempty"`
	Col    int      `json:"col,omitempty"`
	EndCol int      `json:"endCol,omitempty"`
}

// FormatResult is the formatted text, or the syntax errors.
type FormatResult struct {
	Text        string       `json:"text"`
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// GraphResult is an entry's graph drawn as SVG.
type GraphResult struct {
	SVG   string `json:"svg,omitempty"`
	Nodes int    `json:"nodes"`
	Edges int    `json:"edges"`
	Error string `json:"error,omitempty"`
}

// cache keeps the analysis and the compiled program of the latest text:
// check, summary, graph and hovers over the same text analyze and compile
// it once.
var cache struct {
	sync.Mutex
	src     string
	a       *lang.Analysis
	psrc    string
	p       *nnc.Program
	pErr    error
	checked bool
}

// program returns the (cached) program of src, compiled and its train
// blocks checked, or its errors.
func program(src string) (*nnc.Program, error) {
	cache.Lock()
	defer cache.Unlock()
	if !cache.checked || cache.psrc != src {
		p, err := nnc.Compile(fileName, []byte(src))
		if err == nil {
			err = p.CheckTrainBlocks()
		}
		cache.psrc, cache.p, cache.pErr, cache.checked = src, p, err, true
	}
	return cache.p, cache.pErr
}

// analysis returns the (cached) analysis of src.
func analysis(src string) *lang.Analysis {
	cache.Lock()
	defer cache.Unlock()
	if cache.a == nil || cache.src != src {
		cache.src, cache.a = src, safeAnalyze(src)
	}
	return cache.a
}

// safeAnalyze is lang.Analyze with a panic (a bug in nnc) turned into an
// analysis whose only error says so.
func safeAnalyze(src string) (a *lang.Analysis) {
	defer func() {
		if r := recover(); r != nil {
			a = lang.Analyze(fileName, nil)
			a.Errors = lang.ErrorList{{Code: lang.CodeInternal, Msg: fmt.Sprintf("internal error (a bug in nnc): %v", r)}}
		}
	}()
	return lang.Analyze(fileName, []byte(src))
}

// tooLong is the diagnostic of a text over maxSource.
func tooLong(src string) []Diagnostic {
	return []Diagnostic{{Line: 1, Col: 1, EndLine: 1, EndCol: 1, Code: lang.CodeSyntax,
		Message: fmt.Sprintf("the text is %d bytes; the playground checks at most %d", len(src), maxSource)}}
}

// check returns src's errors or, when it checks, its entries.
func check(src string) *CheckResult {
	r := &CheckResult{Diagnostics: []Diagnostic{}, Entries: []string{}}
	if len(src) > maxSource {
		r.Diagnostics = tooLong(src)
		return r
	}
	if a := analysis(src); len(a.Errors) > 0 {
		r.Diagnostics = diagnostics(src, a.Errors)
		return r
	}
	p, err := program(src)
	if err != nil {
		r.Diagnostics = diagnosticsOf(src, err)
		return r
	}
	r.Entries = p.Entries()
	return r
}

// summary is `nnc check`'s summary of src for the shape values in shapes
// ("B=32, T=16").
func summary(src, shapes string) *SummaryResult {
	if len(src) > maxSource {
		return &SummaryResult{Error: tooLong(src)[0].Message}
	}
	p, err := program(src)
	if err != nil {
		return &SummaryResult{Error: "the program has errors"}
	}
	env, err := parseShapes(shapes)
	if err != nil {
		return &SummaryResult{Error: err.Error()}
	}
	s, err := p.Summary(env)
	if err != nil {
		return &SummaryResult{Error: err.Error()}
	}
	return &SummaryResult{Summary: s}
}

// parseShapes reads "B=32, T=16" (commas or spaces between).
func parseShapes(s string) (map[string]int, error) {
	env := map[string]int{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		k, v, ok := strings.Cut(f, "=")
		var n int
		if _, err := fmt.Sscanf(v, "%d", &n); !ok || err != nil || n <= 0 || n > 1<<30 || k == "" || fmt.Sprint(n) != v {
			return nil, fmt.Errorf("shapes: %q is not NAME=N with N a positive integer", f)
		}
		env[k] = n
	}
	return env, nil
}

// diagnosticsOf turns an error of nnc into diagnostics: an ErrorList's
// entries at their positions, anything else at the top (with the code
// E901 for a bug in nnc, none otherwise).
func diagnosticsOf(src string, err error) []Diagnostic {
	var l nnc.ErrorList
	if errors.As(err, &l) {
		return diagnostics(src, l)
	}
	var e *nnc.Error
	if errors.As(err, &e) {
		return diagnostics(src, nnc.ErrorList{e})
	}
	code := ""
	var ie *nnc.InternalError
	if errors.As(err, &ie) {
		code = lang.CodeInternal
	}
	return []Diagnostic{{Line: 1, Col: 1, EndLine: 1, EndCol: 1, Code: code, Message: err.Error()}}
}

// diagnostics places each error on the word at its position; an error of
// another file (std/nn) goes to the top, naming its position.
func diagnostics(src string, errs lang.ErrorList) []Diagnostic {
	lines := strings.Split(src, "\n")
	out := []Diagnostic{}
	for _, e := range errs {
		d := Diagnostic{Line: 1, Col: 1, Code: e.Code, Message: e.Msg}
		if e.Pos.File == fileName && e.Pos.Line >= 1 && e.Pos.Line <= len(lines) {
			d.Line = e.Pos.Line
			d.Col, d.EndCol = wordRange(lines[e.Pos.Line-1], e.Pos.Col)
		} else {
			if p := e.Pos.String(); p != "" {
				d.Message = p + ": " + e.Msg
			}
			d.Col, d.EndCol = 1, 1+utf16Len(firstLine(lines))
		}
		d.EndLine = d.Line
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Col < out[j].Col
	})
	return out
}

func firstLine(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return lines[0]
}

// wordRange returns the UTF-16 columns [col, end) of the name or number at
// rune column runeCol of line, or of the one character there (the last
// one when the position is at the end of the line).
func wordRange(line string, runeCol int) (col, end int) {
	rs := []rune(line)
	i := min(max(runeCol-1, 0), len(rs))
	if i == len(rs) && i > 0 && !isWord(rs[i-1]) {
		i--
	}
	j := i
	for j < len(rs) && isWord(rs[j]) {
		j++
	}
	if j == i && j < len(rs) {
		j++
	}
	return 1 + utf16Len(string(rs[:i])), 1 + utf16Len(string(rs[:j]))
}

func isWord(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > utf8.RuneSelf
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += len(utf16.Encode([]rune{r}))
	}
	return n
}

// runeCol converts a 1-based UTF-16 column of line to a 1-based rune
// column.
func runeCol(line string, col16 int) int {
	units, runes := 0, 0
	for _, r := range line {
		if units >= col16-1 {
			break
		}
		units += len(utf16.Encode([]rune{r}))
		runes++
	}
	return runes + 1
}

// hover describes the token at line:col (UTF-16 column) of src.
func hover(src string, line, col int) *HoverResult {
	lines := strings.Split(src, "\n")
	if len(src) > maxSource || line < 1 || line > len(lines) || col < 1 {
		return &HoverResult{}
	}
	text := lines[line-1]
	info, ok := analysis(src).Info(fileName, line, runeCol(text, col))
	if !ok || info.Pos.Line != line {
		return &HoverResult{}
	}
	rs := []rune(text)
	start, end := min(max(info.Pos.Col-1, 0), len(rs)), min(max(info.End.Col-1, 0), len(rs))
	return &HoverResult{Found: true, Name: info.Name, Type: info.Type, Kind: info.Kind, Detail: info.Detail, Line: line,
		Col: 1 + utf16Len(string(rs[:start])), EndCol: 1 + utf16Len(string(rs[:max(start, end)]))}
}

// format returns nnc fmt's formatting of src, or its syntax errors.
func format(src string) *FormatResult {
	if len(src) > maxSource {
		return &FormatResult{Text: src, Diagnostics: tooLong(src)}
	}
	out, err := nnc.Format(fileName, []byte(src))
	if err != nil {
		return &FormatResult{Text: src, Diagnostics: diagnosticsOf(src, err)}
	}
	return &FormatResult{Text: string(out), Diagnostics: []Diagnostic{}}
}

// graph draws entry's graph, after the optimizer's passes when optimized.
func graph(src, entry string, optimized bool) *GraphResult {
	if len(src) > maxSource {
		return &GraphResult{Error: "the text is too long"}
	}
	p, err := program(src)
	if err != nil {
		return &GraphResult{Error: err.Error()}
	}
	dot, err := p.Graph(entry, nnc.GraphOptions{Opt: optimized, Format: "dot"})
	if err != nil {
		return &GraphResult{Error: err.Error()}
	}
	g, err := parseDot(dot)
	if err != nil {
		return &GraphResult{Error: err.Error()}
	}
	l, err := layoutGraph(g)
	if err != nil {
		return &GraphResult{Error: err.Error()}
	}
	return &GraphResult{SVG: l.svg(), Nodes: len(g.nodes), Edges: len(g.edges)}
}

// toJSON encodes v; the results above always encode.
func toJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	return string(b)
}
