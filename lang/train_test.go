package lang

import (
	"reflect"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
)

const trainMapModel = "model M() {\n    fn loss(x: f32[B]) -> f32 { return sum(x) }\n}\n"

func TestTrainMapValue(t *testing.T) {
	src := trainMapModel + "train M {\n    inputs = {ids: \"x\", next: \"y\"}\n    data   = graph(\"g.npz\", features = \"attr\",\n        split = planetoid(20, 5, seed = 1))\n}\n"
	m, err := Load("t.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := m.TrainBlock("M")
	in, ok := spec.Fields["inputs"].(Map)
	if !ok {
		t.Fatalf("inputs = %#v, want a Map", spec.Fields["inputs"])
	}
	if !reflect.DeepEqual(in.Keys, []string{"ids", "next"}) || in.Values["ids"] != "x" || in.Values["next"] != "y" {
		t.Errorf("inputs = %#v", in)
	}
	if p := spec.NestedKeyPos("inputs", "next"); p.Line != 5 || p.Col != 25 {
		t.Errorf("key next at %v, want 5:25", p)
	}
	if p := spec.NestedPos("inputs", "next"); p.Line != 5 || p.Col != 31 {
		t.Errorf("value of next at %v, want 5:31", p)
	}
	c, ok := spec.Fields["data"].(Call)
	if !ok || c.Name != "graph" {
		t.Fatalf("data = %#v", spec.Fields["data"])
	}
	if p := spec.NestedPos("data", "0"); p.Line != 6 || p.Col != 20 {
		t.Errorf("graph's first argument at %v, want 6:20", p)
	}
	if p := spec.NestedPos("data", "features"); p.Line != 6 || p.Col != 40 {
		t.Errorf("features at %v, want 6:40", p)
	}
	if p := spec.NestedKeyPos("data", "features"); p.Line != 6 || p.Col != 29 {
		t.Errorf("the name features at %v, want 6:29", p)
	}
	sp, ok := c.Kwargs["split"].(Call)
	if !ok || sp.Name != "planetoid" || !reflect.DeepEqual(sp.Args, []Value{int64(20), int64(5)}) || sp.Kwargs["seed"] != int64(1) {
		t.Errorf("split = %#v", c.Kwargs["split"])
	}
	if p := spec.NestedPos("data", "split"); p.Line != 7 || p.Col != 17 {
		t.Errorf("split at %v, want 7:17", p)
	}
	if p := spec.NestedPos("data", "split", "1"); p.Line != 7 || p.Col != 31 {
		t.Errorf("planetoid's second argument at %v, want 7:31", p)
	}
	if p := spec.NestedPos("data", "split", "seed"); p.Line != 7 || p.Col != 41 {
		t.Errorf("planetoid's seed at %v, want 7:41", p)
	}
	// A path not found answers its longest known prefix.
	if p := spec.NestedPos("data", "split", "nothing", "deeper"); p.Line != 7 || p.Col != 17 {
		t.Errorf("unknown path at %v, want 7:17 (split)", p)
	}
	if p := spec.NestedPos("inputs"); p.Line != 5 || p.Col != 14 {
		t.Errorf("the whole map at %v, want 5:14", p)
	}
	if p := (&TrainSpec{Pos: ops.Pos{Line: 3}}).NestedPos("data", "0"); p.Line != 3 {
		t.Errorf("a hand-made spec answers %v, want its Pos", p)
	}
}

func TestTrainMapErrors(t *testing.T) {
	src := trainMapModel + "train M {\n    inputs = {x: \"a\", x: \"b\"}\n    data   = csv(\"f.csv\", label = \"y\", label = \"z\")\n    more   = {a: x + 1, b: f(y = 2, y = 3)}\n}\n"
	_, err := Load("t.nn", []byte(src))
	list, ok := err.(ErrorList)
	if !ok {
		t.Fatalf("err = %v, want an ErrorList", err)
	}
	want := []string{
		"t.nn:5:23: key x given twice",
		"t.nn:6:48: csv: argument label given twice",
		"t.nn:7:18: train block values are numbers",
		"t.nn:7:41: f: argument y given twice",
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, w := range want {
		if got := list[i].Error(); !strings.HasPrefix(got, w) {
			t.Errorf("error %d = %q, want %q...", i, got, w)
		}
	}
	if list[0].Code != CodeDuplicate || list[1].Code != CodeDuplicate || list[2].Code != CodeNotConst {
		t.Errorf("codes %s %s %s, want %s %s %s", list[0].Code, list[1].Code, list[2].Code, CodeDuplicate, CodeDuplicate, CodeNotConst)
	}
}

func TestFormatTrainMap(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"one line", "train M {\n  inputs={ids:\"x\",next :\"y\",}\n  batch=4\n}\n",
			"train M {\n    inputs = {ids: \"x\", next: \"y\"}\n    batch  = 4\n}\n"},
		{"empty", "train M {\n  inputs = { }\n}\n", "train M {\n    inputs = {}\n}\n"},
		{"over several lines, comments kept",
			"train M {\n    inputs = { // a\n        ids: \"x\", // b\n        next: \"y\"\n    } // c\n    batch = 4\n}\n",
			"train M {\n    // a\n    // b\n    inputs = {ids: \"x\", next: \"y\"} // c\n    batch  = 4\n}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Format("t.nn", []byte(trainMapModel+tc.in))
			if err != nil {
				t.Fatal(err)
			}
			want := "model M() {\n    fn loss(x: f32[B]) -> f32 {\n        return sum(x)\n    }\n}\n" + tc.want
			if string(got) != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			again, err := Format("t.nn", got)
			if err != nil || string(again) != string(got) {
				t.Errorf("formatting twice differs (%v):\n%s", err, again)
			}
		})
	}
}
