// Package docs_test checks the code in the user documentation: every
// ```nn block of language.md loads without errors and is formatted (unless
// marked `unformatted`, to show a layout nnc fmt changes), every
// ```nn-error block fails with the error its `// error:` comment shows, and
// every ```nn-planned block (a construct documented as not implemented yet)
// still fails to load.
package docs_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/lang"
)

// block is one fenced code block of a Markdown file.
type block struct {
	kind string // nn, nn-error or nn-planned
	file string // the name given with file=NAME, or ""
	// unformatted marks a block that shows a layout nnc fmt changes (it
	// must load, and differ from its canonical form).
	unformatted bool
	line        int // line of the block's first code line in the Markdown file
	src         string
}

// nnBlocks extracts the nn blocks of a Markdown file.
func nnBlocks(t *testing.T, path string) []block {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []block
	var cur *block
	var body strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(l, "```"):
			fields := strings.Fields(strings.TrimPrefix(l, "```"))
			if len(fields) == 0 || !strings.HasPrefix(fields[0], "nn") {
				cur = &block{kind: "other"}
				break
			}
			cur = &block{kind: fields[0], line: n + 1}
			for _, f := range fields[1:] {
				if name, ok := strings.CutPrefix(f, "file="); ok {
					cur.file = name
				}
				if f == "unformatted" {
					cur.unformatted = true
				}
			}
			body.Reset()
		case cur != nil && strings.HasPrefix(l, "```"):
			if cur.kind != "other" {
				cur.src = body.String()
				out = append(out, *cur)
			}
			cur = nil
		case cur != nil:
			body.WriteString(l + "\n")
		}
	}
	if cur != nil {
		t.Fatalf("%s: a code block is not closed", path)
	}
	return out
}

// expected is an error an nn-error block shows: `// error: CODE text`
// under the line the error points at (several such comments may follow one
// line); the message must contain text.
type expected struct {
	line int
	code string
	text string
}

func expectedErrors(src string) []expected {
	var out []expected
	last := 0 // the last line that is not an error comment
	for i, l := range strings.Split(src, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(l), "// error: ")
		if !ok {
			last = i + 1
			continue
		}
		code, text, _ := strings.Cut(rest, " ")
		out = append(out, expected{line: last, code: code, text: text})
	}
	return out
}

func TestLanguageDoc(t *testing.T) {
	blocks := nnBlocks(t, "language.md")
	if len(blocks) < 20 {
		t.Fatalf("language.md has only %d nn blocks", len(blocks))
	}
	dir := t.TempDir()
	// Blocks that name a file are written first, so that others import them.
	for _, b := range blocks {
		if b.file != "" {
			if err := os.WriteFile(filepath.Join(dir, b.file), []byte(b.src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	counts := map[string]int{}
	for _, b := range blocks {
		counts[b.kind]++
		name := b.file
		if name == "" {
			name = fmt.Sprintf("block%d.nn", b.line)
		}
		path := filepath.Join(dir, name)
		where := fmt.Sprintf("language.md:%d", b.line)
		_, err := lang.Load(path, []byte(b.src))
		switch b.kind {
		case "nn":
			if err != nil {
				t.Errorf("%s: %v", where, err)
			}
			if !b.unformatted {
				checkFormatted(t, where, b.src)
			} else if got, err := lang.Format("doc.nn", []byte(b.src)); err != nil || string(got) == b.src {
				t.Errorf("%s: a block marked unformatted is canonical (%v)", where, err)
			}
		case "nn-error":
			checkErrors(t, where, b.src, err)
		case "nn-planned":
			if err == nil {
				t.Errorf("%s: this block documented as not implemented yet loads now: make it an nn block and update the text", where)
			} else {
				t.Logf("%s (planned): %v", where, err)
			}
		default:
			t.Errorf("%s: unknown block kind %q (nn, nn-error, nn-planned)", where, b.kind)
		}
	}
	t.Logf("blocks: %v", counts)
}

func checkFormatted(t *testing.T, where, src string) {
	t.Helper()
	got, err := lang.Format("doc.nn", []byte(src))
	if err != nil {
		t.Errorf("%s: %v", where, err)
	} else if string(got) != src {
		t.Errorf("%s: not formatted; canonical form:\n%s", where, got)
	}
}

func checkErrors(t *testing.T, where, src string, err error) {
	t.Helper()
	want := expectedErrors(src)
	if len(want) == 0 {
		t.Errorf("%s: an nn-error block without an `// error: CODE message` comment", where)
		return
	}
	list, ok := err.(lang.ErrorList)
	if !ok {
		t.Errorf("%s: error %v, want an ErrorList", where, err)
		return
	}
	if len(list) != len(want) {
		t.Errorf("%s: %d errors, the block shows %d:\n%s", where, len(list), len(want), withCodes(list))
	}
	for _, w := range want {
		found := false
		for _, e := range list {
			if e.Code == w.code && e.Pos.Line == w.line && strings.Contains(e.Msg, w.text) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no error %s %q on line %d of the block; got:\n%s", where, w.code, w.text, w.line, withCodes(list))
		}
	}
	if list[0].Code != lang.CodeSyntax {
		checkFormatted(t, where, src)
	}
}

// withCodes prints errors one per line with their codes.
func withCodes(list lang.ErrorList) string {
	var sb strings.Builder
	for _, e := range list {
		fmt.Fprintf(&sb, "%d:%d: %s %s\n", e.Pos.Line, e.Pos.Col, e.Code, e.Msg)
	}
	return sb.String()
}
