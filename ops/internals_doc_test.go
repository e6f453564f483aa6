package ops

import (
	"os"
	"strings"
	"testing"
)

// TestInternalsWalkthroughIsTheCode: the code blocks of "How to add an op"
// in docs/internals.md are the code of the op they walk through: each
// block appears, line for line (indentation aside), in ops/unary.go or
// kernels/unary.go.
func TestInternalsWalkthroughIsTheCode(t *testing.T) {
	doc, err := os.ReadFile("../docs/internals.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "### How to add an op")
	if !ok {
		t.Fatal("docs/internals.md has no section \"How to add an op\"")
	}
	section, _, _ = strings.Cut(section, "\n### ")
	var code []string
	for _, f := range []string{"unary.go", "../kernels/unary.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code = append(code, trimLines(string(src)))
	}
	blocks := 0
	for _, part := range strings.Split(section, "```go\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatalf("an unterminated code block: %.40q", part)
		}
		blocks++
		want := trimLines(block)
		if !strings.Contains(code[0], want) && !strings.Contains(code[1], want) {
			t.Errorf("this block of docs/internals.md is not in ops/unary.go or kernels/unary.go:\n%s", block)
		}
	}
	if blocks != 2 {
		t.Errorf("%d code blocks in \"How to add an op\", want 2 (the kernel row and the op)", blocks)
	}
}

// trimLines is text with each line's leading and trailing blanks removed.
func trimLines(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}
