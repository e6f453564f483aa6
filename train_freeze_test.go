package nnc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/tensor"
)

// freezeSrc is a model with two sub-models of the same kind; the train
// block's settings (line 25 on) are filled in by each test.
const freezeSrc = `import "std/nn"

model Part() {
    l = nn.Dense(64, 10)

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        return l(x)
    }
}

model Both() {
    teacher = Part()
    student = Part()

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        return student(x)
    }

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(student(x) + teacher(x), y)
    }
}

train Both {
%s
    data      = "digits"
    epochs    = 1
    optimizer = adamw(lr = 1e-2, weight_decay = 0.5)
}
`

// writeTeacher writes a parameters file of Part (l.W, l.b) with values
// that training would not make (W[i] = i/1000 - 0.3, b[i] = -i) and
// returns them.
func writeTeacher(t *testing.T, path string, extra map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	w, b := tensor.New(tensor.F32, 64, 10), tensor.New(tensor.F32, 10)
	for i := range w.F32 {
		w.F32[i] = float32(i)/1000 - 0.3
	}
	for i := range b.F32 {
		b.F32[i] = -float32(i)
	}
	m := map[string]*tensor.Tensor{"l.W": w, "l.b": b}
	for k, v := range extra {
		m[k] = v
	}
	if err := data.SaveSafetensors(path, m); err != nil {
		t.Fatal(err)
	}
	return m
}

// compileFreeze writes freezeSrc with the block lines settings to a
// folder with a teacher file and compiles it.
func compileFreeze(t *testing.T, settings string) (*Program, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "m.nn")
	if err := os.WriteFile(file, []byte(fmt.Sprintf(freezeSrc, settings)), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := CompileFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return p, dir
}

// TestFreezeTrains trains Both with the teacher loaded from its file and
// frozen, under weight decay and pruning of every matrix: the written
// teacher is the file's, bit for bit, and the student was trained and
// pruned. Without freeze, the loaded teacher trains too.
func TestFreezeTrains(t *testing.T) {
	p, dir := compileFreeze(t, `    init_from = {teacher: "teacher.safetensors"}
    freeze    = [teacher]
    prune     = prune(sparsity = 0.5, start = 0, end = 10, every = 5)`)
	want := writeTeacher(t, filepath.Join(dir, "teacher.safetensors"), nil)
	out := filepath.Join(dir, "out.safetensors")
	if _, err := p.Train(TrainOptions{Output: out}); err != nil {
		t.Fatal(err)
	}
	got, err := data.LoadSafetensors(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"l.W", "l.b"} {
		if !slices.Equal(got["teacher."+k].F32, want[k].F32) {
			t.Errorf("teacher.%s changed in training: frozen parameters must be written as loaded", k)
		}
	}
	zeros := func(x []float32) (n int) {
		for _, v := range x {
			if v == 0 {
				n++
			}
		}
		return n
	}
	if n := zeros(got["student.l.W"].F32); n != 320 {
		t.Errorf("student.l.W has %d zeros, want 320 (pruned to 0.5 of 640)", n)
	}
	if n := zeros(got["teacher.l.W"].F32); n != zeros(want["l.W"].F32) {
		t.Errorf("teacher.l.W has %d zeros, the file %d: a frozen parameter is not pruned", n, zeros(want["l.W"].F32))
	}

	p, dir = compileFreeze(t, `    init_from = {teacher: "teacher.safetensors"}`)
	want = writeTeacher(t, filepath.Join(dir, "teacher.safetensors"), nil)
	out = filepath.Join(dir, "out.safetensors")
	if _, err := p.Train(TrainOptions{Output: out}); err != nil {
		t.Fatal(err)
	}
	if got, err = data.LoadSafetensors(out); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(got["teacher.l.W"].F32, want["l.W"].F32) {
		t.Error("init_from without freeze: the teacher did not train")
	}

	// TrainOptions.Freeze (nnc train --freeze) freezes it instead of the
	// block; an empty list undoes the block's freeze.
	for _, c := range []struct {
		block  string
		freeze []string
		frozen bool
	}{
		{"", []string{"teacher"}, true},
		{"\n    freeze    = [teacher]", []string{}, false},
	} {
		p, dir = compileFreeze(t, `    init_from = {teacher: "teacher.safetensors"}`+c.block)
		want = writeTeacher(t, filepath.Join(dir, "teacher.safetensors"), nil)
		if _, err := p.Train(TrainOptions{Output: out, Freeze: c.freeze}); err != nil {
			t.Fatal(err)
		}
		if got, err = data.LoadSafetensors(out); err != nil {
			t.Fatal(err)
		}
		if same := slices.Equal(got["teacher.l.W"].F32, want["l.W"].F32); same != c.frozen {
			t.Errorf("block %q, Freeze %q: teacher unchanged %v, want %v", c.block, c.freeze, same, c.frozen)
		}
	}
	p, _ = compileFreeze(t, "")
	_, err = p.Train(TrainOptions{Freeze: []string{"techer"}})
	var le *lang.Error
	if !errors.As(err, &le) && !errorsAsList(err, &le) || le.Pos.File != "TrainOptions.Freeze" || le.Code != lang.CodeUndefined {
		t.Errorf("Freeze [techer]: %v, want E201 at TrainOptions.Freeze", err)
	}
}

// errorsAsList sets *le to the only error of a lang.ErrorList err.
func errorsAsList(err error, le **lang.Error) bool {
	var list lang.ErrorList
	if errors.As(err, &list) && len(list) == 1 {
		*le = list[0]
		return true
	}
	return false
}

// TestFreezeStep checks the step graph: no gradient, optimizer state or
// update of a frozen parameter, an update of the others, and fewer ops
// than the step without freeze (the teacher's backward pass is gone).
func TestFreezeStep(t *testing.T) {
	p, _ := compileFreeze(t, `    freeze    = [teacher]`)
	tr, err := p.prepareTraining(&TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := compileFreeze(t, "")
	all, err := whole.prepareTraining(&TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n, m := len(tr.step.Nodes), len(all.step.Nodes); n >= m {
		t.Errorf("the step has %d ops with the teacher frozen, %d without", n, m)
	}
	if n, m := len(tr.step.Updates), len(all.step.Updates); n >= m {
		t.Errorf("the step has %d updates with the teacher frozen, %d without", n, m)
	}
	var updated []string
	for _, u := range tr.step.Updates {
		updated = append(updated, u.Target.Name())
	}
	for _, name := range updated {
		if strings.Contains(name, "teacher") {
			t.Errorf("the step updates %s (updates: %v)", name, updated)
		}
	}
	if !slices.Contains(updated, "student.l.W") {
		t.Errorf("the step does not update student.l.W (updates: %v)", updated)
	}
}

// TestFreezeErrors: every wrong freeze or init_from is an error at its
// place in the block, with its code, from Train and, where it needs no
// file, from CheckTrainBlocks (nnc check).
func TestFreezeErrors(t *testing.T) {
	bigW := tensor.New(tensor.F32, 64, 12)
	cases := []struct {
		settings string
		extra    map[string]*tensor.Tensor // more tensors in the teacher file; "l.W" replaces it
		check    bool                      // CheckTrainBlocks finds it too
		pos      string                    // line:col
		code     string
		msg      string
	}{
		{`    freeze    = [techer]`, nil, true, "25:18", lang.CodeUndefined, "model Both has no sub-model or parameter techer (its sub-models: student, teacher)"},
		{`    freeze    = ["student.l.X"]`, nil, true, "25:18", lang.CodeUndefined, "no sub-model or parameter student.l.X"},
		{`    freeze    = [student, teacher]`, nil, false, "25:17", lang.CodeValue, "every parameter of Both is frozen"},
		{`    freeze    = [1]`, nil, true, "25:18", lang.CodeArgType, "want a sub-model or parameter"},
		{`    freeze    = []`, nil, true, "25:17", lang.CodeValue, "want the sub-models or parameters to freeze"},
		{`    init_from = {teachr: "teacher.safetensors"}`, nil, true, "25:18", lang.CodeUndefined, "no sub-model or parameter teachr"},
		{`    init_from = {teacher: 3}`, nil, true, "25:27", lang.CodeArgType, "teacher: want a parameters file in quotes"},
		{`    init_from = "teacher.safetensors"`, nil, true, "25:17", lang.CodeArgType, "want {sub_model: \"file.safetensors\", ...}"},
		{`    init_from = {teacher: "none.safetensors"}`, nil, false, "25:27", lang.CodeValue, `teacher: "none.safetensors": no such file`},
		{`    init_from = {teacher: "teacher.safetensors"}`, map[string]*tensor.Tensor{"l.W": bigW}, false, "25:27", lang.CodeValue, "tensor l.W is f32[64, 12], but the model declares f32[64, 10]"},
		{`    init_from = {teacher: "teacher.safetensors"}`, map[string]*tensor.Tensor{"l2.W": bigW}, false, "25:27", lang.CodeValue, "the file holds 1 tensor that teacher does not have: l2.W"},
		{`    init_from = {teacher: "teacher.safetensors"}
    ema       = 0.99`, nil, false, "25:5", lang.CodeUnsupported, "does not work with ema yet"},
	}
	for _, c := range cases {
		p, dir := compileFreeze(t, c.settings)
		writeTeacher(t, filepath.Join(dir, "teacher.safetensors"), c.extra)
		_, err := p.Train(TrainOptions{})
		checkErr := p.CheckTrainBlocks()
		var le *lang.Error
		var list lang.ErrorList
		if errors.As(err, &list) && len(list) == 1 {
			le = list[0]
		}
		if le == nil && !errors.As(err, &le) {
			t.Errorf("%s: Train: %v, want a *lang.Error", c.settings, err)
			continue
		}
		at := fmt.Sprintf("%d:%d", le.Pos.Line, le.Pos.Col)
		if at != c.pos || le.Code != c.code || !strings.Contains(le.Msg, c.msg) || filepath.Base(le.Pos.File) != "m.nn" {
			t.Errorf("%s: Train: %s %s: %s, want m.nn:%s %s ... %s", c.settings, le.Pos, le.Code, le.Msg, c.pos, c.code, c.msg)
		}
		if c.check != (checkErr != nil) {
			t.Errorf("%s: CheckTrainBlocks: %v (want an error: %v)", c.settings, checkErr, c.check)
		} else if c.check && !strings.Contains(checkErr.Error(), ":"+c.pos+": ") {
			t.Errorf("%s: CheckTrainBlocks: %v, want it at %s", c.settings, checkErr, c.pos)
		}
	}
}
