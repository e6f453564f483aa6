package lang

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// freezeSrc is a train block that freezes a sub-model and loads it from a
// file (the root package reads the keys; here they are syntax).
const freezeSrc = `model Half() {
    param W: f32[4, 4] = zeros()

    fn forward(x: f32[B, 4]) -> f32[B, 4] {
        return x @ W
    }
}

model Both() {
    teacher = Half()
    student = Half()

    fn loss(x: f32[B, 4]) -> f32 {
        return sum(student(x) - teacher(x))
    }
}

train Both {
    init_from = {teacher: "teacher.safetensors"}
    freeze    = [teacher, "student.W"]
}
`

// TestFreezeKeysQuery checks that a train block's freeze and init_from
// keep their canonical form through the formatter and that hovering the
// name of a frozen sub-model, in freeze's list or as init_from's key,
// describes the sub-model declared in the model (line 10).
func TestFreezeKeysQuery(t *testing.T) {
	out, err := Format("m.nn", []byte(freezeSrc))
	if err != nil || string(out) != freezeSrc {
		t.Fatalf("Format changed the block (err %v):\n%s", err, out)
	}
	a := Analyze("/x/m.nn", []byte(freezeSrc))
	if len(a.Errors) != 0 {
		t.Fatalf("errors: %v", a.Errors)
	}
	info, ok := a.Info("/x/m.nn", 20, at(t, freezeSrc, 20, "teacher", 1))
	if !ok {
		t.Fatal("no hover for teacher in freeze")
	}
	if info.Def.Line != 10 || info.Kind != "member" || !strings.HasPrefix(info.Type, "model Half") || !slices.Contains(info.Detail, "16 parameters") {
		t.Errorf("hover of teacher: %+v, want the member teacher = Half() of line 10 (16 parameters)", info)
	}
	// The key of init_from's map: the same sub-model.
	info, ok = a.Info("/x/m.nn", 19, at(t, freezeSrc, 19, "teacher", 1))
	if !ok || info.Def.Line != 10 || info.Kind != "member" || !strings.HasPrefix(info.Type, "model Half") {
		t.Errorf("hover of teacher in init_from: %+v (found: %v), want the member teacher = Half() of line 10", info, ok)
	}
}

// TestImportedFileImportsStd: a file imported by a file that imports
// std/nn itself may import std/nn (the standard library module is loaded
// once and shared): distill_mnist.nn imports mnist_mlp.nn so. Both the
// compiler and the query API resolve it.
func TestImportedFileImportsStd(t *testing.T) {
	dir := t.TempDir()
	big := "import \"std/nn\"\n\nmodel Big() {\n    l = nn.Dense(3, 2)\n\n    fn forward(x: f32[B, 3]) -> f32[B, 2] {\n        return l(x)\n    }\n}\n"
	main := "import \"std/nn\"\nimport \"big.nn\" as zoo\n\nmodel Small() {\n    t = zoo.Big()\n    s = nn.Dense(3, 2)\n\n    fn forward(x: f32[B, 3]) -> f32[B, 2] {\n        return s(x) + t(x)\n    }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "big.nn"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "main.nn")
	m, err := Load(name, []byte(main))
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Lower("Small.forward", LowerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range l.Params {
		got = append(got, p.Name())
	}
	if want := []string{"s.W", "s.b", "t.l.W", "t.l.b"}; !slices.Equal(got, want) {
		t.Errorf("params %v, want %v", got, want)
	}
	if a := Analyze(name, []byte(main)); len(a.Errors) != 0 {
		t.Errorf("Analyze: %v", a.Errors)
	}
}
