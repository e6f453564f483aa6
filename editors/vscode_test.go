package editors

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// vscodeManifest is the part of editors/vscode/package.json checked here.
type vscodeManifest struct {
	Name         string
	Main         string
	Engines      map[string]string
	Dependencies map[string]string
	Contributes  struct {
		Languages []struct {
			ID            string
			Extensions    []string
			Configuration string
		}
		Grammars []struct {
			Language, ScopeName, Path string
		}
		Configuration struct {
			Properties map[string]json.RawMessage
		}
		Commands []struct{ Command string }
		Snippets []struct{ Language, Path string }
	}
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// TestVSCodePackage checks that the extension's files agree: the
// manifest's language, grammar, configuration and main file exist and name
// each other, the settings the manifest declares are those extension.js
// reads, the lock file pins the client the manifest asks for (with the
// same VS Code engine) and names no registry, and the language
// configuration's patterns compile.
func TestVSCodePackage(t *testing.T) {
	var m vscodeManifest
	readJSON(t, "vscode/package.json", &m)
	c := m.Contributes
	if len(c.Languages) != 1 || c.Languages[0].ID != "nn" || !slices.Equal(c.Languages[0].Extensions, []string{".nn"}) {
		t.Fatalf("languages: %+v", c.Languages)
	}
	if len(c.Grammars) != 1 || c.Grammars[0].Language != "nn" {
		t.Fatalf("grammars: %+v", c.Grammars)
	}
	var grammar struct{ ScopeName string }
	readJSON(t, filepath.Join("vscode", c.Grammars[0].Path), &grammar)
	if grammar.ScopeName != c.Grammars[0].ScopeName || grammar.ScopeName != "source.nn" {
		t.Errorf("grammar scope %q, manifest %q", grammar.ScopeName, c.Grammars[0].ScopeName)
	}
	if len(c.Snippets) != 1 || c.Snippets[0].Language != "nn" || c.Snippets[0].Path != "./snippets/nn.json" {
		t.Errorf("snippets: %+v (TestVSCodeSnippets reads snippets/nn.json)", c.Snippets)
	}
	var conf struct {
		Comments          struct{ LineComment string }
		WordPattern       string
		IndentationRules  map[string]string
		OnEnterRules      []struct{ BeforeText, AfterText string }
		AutoClosingPairs  []struct{ Open, Close string }
		ColorizedBrackets [][2]string `json:"colorizedBracketPairs"`
	}
	readJSON(t, filepath.Join("vscode", c.Languages[0].Configuration), &conf)
	if conf.Comments.LineComment != "//" || len(conf.AutoClosingPairs) != 4 || len(conf.ColorizedBrackets) != 3 {
		t.Errorf("language configuration: %+v", conf)
	}
	patterns := []string{conf.WordPattern, conf.IndentationRules["increaseIndentPattern"], conf.IndentationRules["decreaseIndentPattern"]}
	for _, r := range conf.OnEnterRules {
		patterns = append(patterns, r.BeforeText, r.AfterText)
	}
	for _, p := range patterns {
		if _, err := regexp.Compile(p); err != nil || p == "" {
			t.Errorf("language configuration pattern %q: %v", p, err)
		}
	}
	js, err := os.ReadFile(filepath.Join("vscode", m.Main))
	if err != nil {
		t.Fatal(err)
	}
	for key := range c.Configuration.Properties {
		if k, ok := strings.CutPrefix(key, "nnc."); !ok || !strings.Contains(string(js), `"`+k+`"`) && !strings.HasPrefix(k, "trace.") {
			t.Errorf("setting %s is not read by %s", key, m.Main)
		}
	}
	for _, cmd := range c.Commands {
		if !strings.Contains(string(js), `"`+cmd.Command+`"`) {
			t.Errorf("command %s is not registered by %s", cmd.Command, m.Main)
		}
	}
	var lock struct {
		Packages map[string]struct {
			Version  string
			Engines  map[string]string
			Resolved string
		}
	}
	readJSON(t, "vscode/package-lock.json", &lock)
	client := lock.Packages["node_modules/vscode-languageclient"]
	if client.Version == "" || client.Version != m.Dependencies["vscode-languageclient"] {
		t.Errorf("vscode-languageclient: package.json asks for %q, the lock has %q", m.Dependencies["vscode-languageclient"], client.Version)
	}
	if client.Engines["vscode"] != m.Engines["vscode"] {
		t.Errorf("engines.vscode is %q, vscode-languageclient %s needs %q", m.Engines["vscode"], client.Version, client.Engines["vscode"])
	}
	for name, p := range lock.Packages {
		if p.Resolved != "" {
			t.Errorf("package-lock.json names where %s comes from (%s): write it with --omit-lockfile-registry-resolved", name, p.Resolved)
		}
	}
}
