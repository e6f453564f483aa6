package lang

import (
	"os"
	"path/filepath"
	"testing"
)

func TestQuickParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.nn")
	more, _ := filepath.Glob("testdata/examples/*.nn")
	for _, f := range append(files, more...) {
		src, _ := os.ReadFile(f)
		if _, err := Parse(f, src); err != nil {
			t.Errorf("%v", err)
		}
	}
}
