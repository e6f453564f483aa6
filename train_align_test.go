package nnc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCategoriesAlignedAcrossFiles: a test file given beside the training
// file (test = ...), or in place of it (Eval's Data), that lacks one of the
// training file's classes keeps the training file's ids: "c" is class 2 in
// both, not 1 as the test file's own sorted strings would number it.
func TestCategoriesAlignedAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("train.csv", "1,a\n2,b\n3,c\n4,a\n5,b\n6,c\n")
	write("test.csv", "7,c\n8,a\n9,c\n")
	write("bad.csv", "7,c\n8,d\n")
	src := write("m.nn", `model M {
    param w: f32[1, 3] = zeros()
    fn loss(x: f32[B, 1], y: i32[B]) -> f32 {
        return cross_entropy(x @ w, y)
    }
}

train M {
    data = csv("train.csv", test = "test.csv")
    epochs = 1
}
`)
	p, err := CompileFile(src)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.settings("TrainOptions", "")
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{2, 0, 2}
	check := func(what string, r dataRequest) {
		t.Helper()
		sets, err := p.loadSets(s, r)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got := sets.test.Arrays["y"].I32
		for i, w := range want {
			if got[i] != w {
				t.Fatalf("%s: test labels %v, want %v", what, got, want)
			}
		}
	}
	check("test = file", dataRequest{})
	check("Eval's Data", dataRequest{src: filepath.Join(dir, "test.csv"), whole: true})
	_, err = p.loadSets(s, dataRequest{src: filepath.Join(dir, "bad.csv"), whole: true})
	if err == nil || !strings.Contains(err.Error(), `holds "d", which`) {
		t.Errorf("a class the training file lacks: %v", err)
	}
}
