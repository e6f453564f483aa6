package editors

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestVimIndent checks editors/vim/indent/nn.vim: vim's = over a sample
// file with every line's indentation removed gives back the file (the
// samples are formatted by nnc fmt).
func TestVimIndent(t *testing.T) {
	vim := need(t, "vim")
	track(t, "testdata/indent.vim", "vim/indent/nn.vim", "vim/ftdetect/nn.vim", "vim/ftplugin/nn.vim")
	rtp, err := filepath.Abs("vim")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lead := regexp.MustCompile(`(?m)^[ \t]+`)
	for _, f := range sampleFiles(t) {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in, out := filepath.Join(dir, "in.nn"), filepath.Join(dir, "out.nn")
		if err := os.WriteFile(in, lead.ReplaceAll(want, nil), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(vim, "-N", "-u", "NONE", "-i", "NONE", "-n", "-es", "-S", "testdata/indent.vim")
		cmd.Env = append(os.Environ(), "NN_RTP="+rtp, "NN_IN="+in, "NN_OUT="+out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("vim: %v\n%s", err, msg)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		if len(g) != len(w) {
			t.Errorf("%s: %d lines indented, want %d", f, len(g), len(w))
			continue
		}
		for i := range w {
			if g[i] != w[i] {
				t.Errorf("%s:%d: indented %q, want %q", f, i+1, g[i], w[i])
				break
			}
		}
	}
}
