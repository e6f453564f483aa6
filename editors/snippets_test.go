package editors

import (
	"regexp"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/lang"
)

// expandSnippet is a snippet's text as VS Code inserts it when every
// placeholder keeps its default: ${n:default} is default, $n the default
// of placeholder n, $0 nothing, a tab four spaces; over, by placeholder
// number, replaces defaults.
func expandSnippet(t *testing.T, body []string, over map[string]string) string {
	t.Helper()
	s := strings.ReplaceAll(strings.Join(body, "\n"), "\t", "    ")
	defaults := map[string]string{}
	inner := regexp.MustCompile(`\$\{([0-9]+):([^${}]*)\}`)
	mirror := regexp.MustCompile(`\$([0-9]+)`)
	for i := 0; i < 10 && strings.Contains(s, "$"); i++ {
		s = inner.ReplaceAllStringFunc(s, func(m string) string {
			p := inner.FindStringSubmatch(m)
			if v, ok := over[p[1]]; ok {
				p[2] = v
			}
			defaults[p[1]] = p[2]
			return p[2]
		})
		s = mirror.ReplaceAllStringFunc(s, func(m string) string {
			n := m[1:]
			if v, ok := defaults[n]; ok || n == "0" {
				return v
			}
			return m
		})
	}
	if strings.Contains(s, "$") {
		t.Fatalf("snippet left a placeholder: %s", s)
	}
	return s
}

// TestVSCodeSnippets checks that the extension's snippets, with their
// defaults, make a program that checks: the import, a function, a layer, a
// model using it with the loss snippet, and a train block of that model.
func TestVSCodeSnippets(t *testing.T) {
	var snippets map[string]struct {
		Prefix string
		Body   []string
	}
	readJSON(t, "vscode/snippets/nn.json", &snippets)
	for _, name := range []string{"import std/nn", "fn", "model", "loss", "train"} {
		if len(snippets[name].Body) == 0 {
			t.Fatalf("no snippet %q", name)
		}
	}
	body := func(name string, over map[string]string) string {
		return expandSnippet(t, snippets[name].Body, over)
	}
	loss := "    " + strings.ReplaceAll(body("loss", map[string]string{"1": "64"}), "\n", "\n    ")
	src := body("import std/nn", nil) + "\n" + body("fn", nil) + "\n\n" + body("model", nil) + "\n\n" +
		"model Net {\n    layer = Layer(64, 10)\n\n    fn forward(x: f32[B, 64]) -> f32[B, 10] {\n        return layer(x)\n    }\n\n" +
		loss + "\n}\n\n" + body("train", map[string]string{"1": "Net"}) + "\n"
	a := lang.Analyze("snippets.nn", []byte(src))
	if len(a.Errors) > 0 {
		t.Fatalf("%v\n%s", a.Errors, src)
	}
	p, err := nnc.Compile("snippets.nn", []byte(src))
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	if err := p.CheckTrainBlocks(); err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
}
