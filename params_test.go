package nnc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/tensor"
)

func paramsFunc(t *testing.T) *Func {
	t.Helper()
	p, err := Compile("pm.nn", []byte(`model M() {
    param W: f32[8] = ones()
    param V: f32[2, 3] = ones()
    param U: f32 = ones()

    fn forward(x: f32[8]) -> f32 {
        return sum(x * W) + sum(V) + U
    }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("M.forward")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A params file that does not match the model: every missing tensor and
// every mismatched type is reported, sorted, shapes printed alike, and the
// extra names listed; the parameters are left as they were.
func TestLoadParamsMismatch(t *testing.T) {
	f := paramsFunc(t)
	p := filepath.Join(t.TempDir(), "p.safetensors")
	err := data.SaveSafetensors(p, map[string]*tensor.Tensor{
		"W":     tensor.New(tensor.F32, 2, 4),
		"extra": tensor.New(tensor.F32, 1),
		"alpha": tensor.New(tensor.F32, 1),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = f.LoadParams(p)
	want := p + ": 2 tensors missing: U f32, V f32[2, 3]; tensor W is f32[2, 4], but the model declares f32[8]; " +
		"the file also holds 2 tensors the model does not have: alpha, extra"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	out, err := f.Run(map[string]*Tensor{"x": tensor.FromFloat64s(tensor.F32, []int{8}, []float64{1, 1, 1, 1, 1, 1, 1, 1})})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].F32[0] != 8+6+1 { // all parameters still ones
		t.Errorf("after a failed load f = %v, want 15", out[0].F32[0])
	}
}

// Extra tensors alone are not an error: the values load.
func TestLoadParamsExtraOnly(t *testing.T) {
	f := paramsFunc(t)
	p := filepath.Join(t.TempDir(), "p.safetensors")
	w := tensor.New(tensor.F32, 8)
	w.F32[0] = 3
	err := data.SaveSafetensors(p, map[string]*tensor.Tensor{
		"W": w, "V": tensor.New(tensor.F32, 2, 3), "U": tensor.New(tensor.F32), "head.W": tensor.New(tensor.F32, 1),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.LoadParams(p); err != nil {
		t.Fatal(err)
	}
	out, err := f.Run(map[string]*Tensor{"x": tensor.FromFloat64s(tensor.F32, []int{8}, []float64{2, 0, 0, 0, 0, 0, 0, 0})})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].F32[0] != 6 {
		t.Errorf("f = %v, want 2·3 = 6", out[0].F32[0])
	}
}

func TestWriteTensorsValidates(t *testing.T) {
	dir := t.TempDir()
	x := tensor.New(tensor.F32, 2)
	for _, c := range []struct {
		names []string
		ts    []*Tensor
		want  string
	}{
		{[]string{"a", "b"}, []*Tensor{x}, "2 names for 1 tensors"},
		{[]string{"a"}, []*Tensor{nil}, `tensor 0 ("a") is nil`},
		{[]string{"a", "a"}, []*Tensor{x, x}, `the name "a" appears twice`},
		{[]string{""}, []*Tensor{x}, "tensor 0 has an empty name"},
	} {
		for _, ext := range []string{".npy", ".safetensors"} {
			p := filepath.Join(dir, "out"+ext)
			err := WriteTensors(p, c.names, c.ts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v %s: err = %v, want %q", c.names, ext, err, c.want)
			}
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%v %s: a file was written", c.names, ext)
			}
		}
	}
}

// WriteFile writes through a fresh temporary file and refuses links and
// devices; RemoveTempFiles has nothing to remove when no write is running.
func TestWriteFileSafe(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	out := filepath.Join(dir, "out.nn")
	os.Symlink(victim, out+".tmp")
	if err := WriteFile(out, []byte("fn f() -> f32 { return 1 }\n")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("victim holds %q", b)
	}
	link := filepath.Join(dir, "link.nn")
	os.Symlink(victim, link)
	if err := WriteFile(link, []byte("x")); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("writing through a link: err = %v", err)
	}
	if err := WriteFile("/dev/null", []byte("x")); err == nil || !strings.Contains(err.Error(), "device") {
		t.Errorf("writing /dev/null: err = %v", err)
	}
	if n := RemoveTempFiles(); n != 0 {
		t.Errorf("RemoveTempFiles removed %d with no write running", n)
	}
}
