package editors

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
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
	files := sampleFiles(t)
	var list strings.Builder
	for i, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(dir, "in"+strconv.Itoa(i)+".nn")
		if err := os.WriteFile(in, lead.ReplaceAll(src, nil), 0o644); err != nil {
			t.Fatal(err)
		}
		list.WriteString(in + "\t" + filepath.Join(dir, "out"+strconv.Itoa(i)+".nn") + "\n")
	}
	listFile := filepath.Join(dir, "list")
	if err := os.WriteFile(listFile, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(vim, "-N", "-u", "NONE", "-i", "NONE", "-n", "-es", "-S", "testdata/indent.vim")
	cmd.Env = append(os.Environ(), "NN_RTP="+rtp, "NN_LIST="+listFile)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vim: %v\n%s", err, msg)
	}
	for i, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, "out"+strconv.Itoa(i)+".nn"))
		if err != nil {
			t.Fatal(err)
		}
		g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		if len(g) != len(w) {
			t.Errorf("%s: %d lines indented, want %d", f, len(g), len(w))
			continue
		}
		for k := range w {
			if g[k] != w[k] {
				t.Errorf("%s:%d: indented %q, want %q", f, k+1, g[k], w[k])
				break
			}
		}
	}
}
