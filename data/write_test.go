package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// The savers write through a fresh temporary file: a symbolic link planted
// at the old fixed name OUT.tmp is not followed, a link at the target and a
// device are refused, and nothing is left behind.
func TestSaversWriteSafely(t *testing.T) {
	x := tensor.FromFloat64s(tensor.F32, []int{2}, []float64{1, 2})
	savers := map[string]func(string) error{
		"a.npy":         func(p string) error { return SaveNPY(p, x) },
		"b.npz":         func(p string) error { return SaveNPZ(p, map[string]*tensor.Tensor{"x": x}) },
		"c.safetensors": func(p string) error { return SaveSafetensors(p, map[string]*tensor.Tensor{"x": x}) },
	}
	for name, save := range savers {
		dir := t.TempDir()
		victim := filepath.Join(dir, "victim")
		os.WriteFile(victim, []byte("precious"), 0o644)
		p := filepath.Join(dir, name)
		os.Symlink(victim, p+".tmp")
		if err := save(p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b, _ := os.ReadFile(victim); string(b) != "precious" {
			t.Errorf("%s: the file behind OUT.tmp now holds %q", name, b)
		}
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s: target is not a regular file: %v", name, err)
		}
		link := filepath.Join(dir, "link"+filepath.Ext(name))
		os.Symlink(victim, link)
		if err := save(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("%s: writing through a link: err = %v", name, err)
		}
		if b, _ := os.ReadFile(victim); string(b) != "precious" {
			t.Errorf("%s: the link's target now holds %q", name, b)
		}
		if err := save("/dev/null"); err == nil || !strings.Contains(err.Error(), "device") {
			t.Errorf("%s: writing to /dev/null: err = %v", name, err)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 4 { // victim, OUT, OUT.tmp (the planted link), link
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("%s: directory holds %v", name, names)
		}
	}
	if fi, _ := os.Stat("/dev/null"); fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a character device")
	}
}
