package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// sampleCheckpoint has a parameter of each float type with awkward values
// (NaN, -0, the smallest subnormal, the largest float), states of every
// type, a schedule state with an infinite best, 64-bit RNG states and
// settings.
func sampleCheckpoint() *Checkpoint {
	w := tensor.FromFloat64s(tensor.F32, []int{2, 3}, []float64{1.5, -0.0, math.NaN(), math.SmallestNonzeroFloat32, math.MaxFloat32, -7})
	b := tensor.FromFloat64s(tensor.F64, []int{3}, []float64{math.SmallestNonzeroFloat64, 0.1, -math.MaxFloat64})
	return &Checkpoint{
		Params: map[string]*tensor.Tensor{"l1.W": w, "l1.b": b},
		States: map[string]*tensor.Tensor{
			"l1.W/adam.m":    tensor.FromFloat64s(tensor.F32, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}),
			"l1.W/adam.step": tensor.FromFloat64s(tensor.F64, nil, []float64{17}),
			LRState:          tensor.FromFloat64s(tensor.F64, nil, []float64{0.1 / 3}),
			"bn.count":       tensor.FromFloat64s(tensor.I64, []int{2}, []float64{-5, 1 << 40}),
			"bn.flag":        tensor.FromFloat64s(tensor.Bool, []int{2}, []float64{1, 0}),
			"empty":          tensor.New(tensor.F32, 0, 4),
		},
		Step: 1234, Epoch: 3, Batch: 17, Seed: math.MaxUint64,
		RNG:      map[string]uint64{"shuffle": 1<<64 - 2, "noise": 0},
		Schedule: &ScheduleState{Steps: 1234, Epochs: 3, Rate: 0.025, Best: math.Inf(1), BadEpochs: 2},
		Extra:    map[string]string{"best_val_loss": "0.3125", "note": `quotes " and \ backslash`},
		Meta: CheckpointMeta{SourceHash: SourceHash([]byte("model M { }")), Version: "test",
			Settings: map[string]string{"optimizer": "adam(lr = 0.001)", "batch": "32", "epochs": "5"}},
	}
}

func sameTensor(a, b *tensor.Tensor) bool {
	if a.DType != b.DType || !sameDims(a.Shape, b.Shape) {
		return false
	}
	for i := 0; i < a.Len(); i++ {
		switch a.DType {
		case tensor.F32:
			if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
				return false
			}
		case tensor.F64:
			if math.Float64bits(a.F64[i]) != math.Float64bits(b.F64[i]) {
				return false
			}
		default:
			if a.At(i) != b.At(i) {
				return false
			}
		}
	}
	return true
}

func checkSameCheckpoint(t *testing.T, got, want *Checkpoint) {
	t.Helper()
	for _, set := range []struct {
		what      string
		got, want map[string]*tensor.Tensor
	}{{"param", got.Params, want.Params}, {"state", got.States, want.States}} {
		if len(set.got) != len(set.want) {
			t.Errorf("%d %ss read, %d written", len(set.got), set.what, len(set.want))
		}
		for n, w := range set.want {
			if g := set.got[n]; g == nil || !sameTensor(g, w) {
				t.Errorf("%s %s: read %v, wrote %v", set.what, n, g, w)
			}
		}
	}
	if got.Step != want.Step || got.Epoch != want.Epoch || got.Batch != want.Batch || got.Seed != want.Seed {
		t.Errorf("counters %d %d %d %d, wrote %d %d %d %d", got.Step, got.Epoch, got.Batch, got.Seed, want.Step, want.Epoch, want.Batch, want.Seed)
	}
	if !reflect.DeepEqual(got.RNG, want.RNG) || !reflect.DeepEqual(got.Extra, want.Extra) || !reflect.DeepEqual(got.Meta, want.Meta) {
		t.Errorf("read %v %v %+v, wrote %v %v %+v", got.RNG, got.Extra, got.Meta, want.RNG, want.Extra, want.Meta)
	}
	if (got.Schedule == nil) != (want.Schedule == nil) || got.Schedule != nil && *got.Schedule != *want.Schedule {
		t.Errorf("schedule %+v, wrote %+v", got.Schedule, want.Schedule)
	}
}

// TestCheckpointRoundTrip writes a checkpoint and reads it back: every
// tensor bit for bit (NaN, -0, subnormals, integers beyond 2^53 as i64),
// the counters, the RNG states (the full 64 bits), the schedule state and
// the metadata. The file is a valid safetensors file whose data hashes to
// data_sha256.
func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.safetensors")
	want := sampleCheckpoint()
	if err := WriteCheckpoint(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCheckpoint(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkSameCheckpoint(t, got, want)
	// Without a schedule or maps, nothing is invented.
	bare := &Checkpoint{Params: map[string]*tensor.Tensor{"p": tensor.New(tensor.F32, 2)}}
	b, err := bare.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeCheckpoint(b, "bare")
	if err != nil {
		t.Fatal(err)
	}
	if back.Schedule != nil || len(back.RNG) != 0 || len(back.States) != 0 || len(back.Params) != 1 {
		t.Errorf("bare checkpoint read back as %+v", back)
	}
	// The same checkpoint encodes to the same bytes.
	b1, _ := want.Encode()
	b2, _ := want.Encode()
	if !bytes.Equal(b1, b2) {
		t.Error("two encodings of one checkpoint differ")
	}
}

// TestCheckpointCorruption flips every byte of the data section in turn
// (each is reported as a SHA-256 mismatch), truncates the file at many
// lengths, damages the header length and the format, and flips each
// header byte (reported or read, never a panic).
func TestCheckpointCorruption(t *testing.T) {
	b, err := sampleCheckpoint().Encode()
	if err != nil {
		t.Fatal(err)
	}
	hlen := int(binary.LittleEndian.Uint64(b))
	for i := 8 + hlen; i < len(b); i++ {
		c := append([]byte(nil), b...)
		c[i] ^= 0x20
		if _, err := DecodeCheckpoint(c, "flip"); err == nil || !strings.Contains(err.Error(), "SHA-256") {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	for n := 0; n < len(b); n += 7 {
		if _, err := DecodeCheckpoint(b[:n], "cut"); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	for i := 8; i < 8+hlen; i++ {
		c := append([]byte(nil), b...)
		c[i] ^= 0x01
		DecodeCheckpoint(c, "header") // must not panic
	}
	huge := append([]byte(nil), b...)
	binary.LittleEndian.PutUint64(huge, 1<<62)
	if _, err := DecodeCheckpoint(huge, "huge"); err == nil || !strings.Contains(err.Error(), "header length") {
		t.Errorf("huge header length: %v", err)
	}
	other := bytes.Replace(b, []byte(CheckpointFormat), []byte("nnc-checkpoint-9"), 1)
	if _, err := DecodeCheckpoint(other, "other"); err == nil || !strings.Contains(err.Error(), "not an nnc checkpoint") {
		t.Errorf("another format: %v", err)
	}
	step := bytes.Replace(b, []byte(`"step":"1234"`), []byte(`"step":"-123"`), 1)
	if _, err := DecodeCheckpoint(step, "step"); err == nil || !strings.Contains(err.Error(), "step") {
		t.Errorf("negative step: %v", err)
	}
	// A plain safetensors file is not a checkpoint.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big"), make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCheckpoint(filepath.Join(dir, "big"), 99); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("a file over the limit: %v", err)
	}
	if _, err := ReadCheckpoint(dir, 0); err == nil {
		t.Error("a directory read as a checkpoint")
	}
}

// TestCheckpointAtomic checks that a checkpoint replaces the old one
// whole, that a failed write leaves the old file as it was and no
// temporary file behind, and that a symbolic link is not written through.
func TestCheckpointAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ck.safetensors")
	first := sampleCheckpoint()
	if err := WriteCheckpoint(path, first); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	bad := sampleCheckpoint()
	bad.States["broken"] = nil
	if err := WriteCheckpoint(path, bad); err == nil {
		t.Fatal("a nil tensor was written")
	}
	neg := sampleCheckpoint()
	neg.Batch = -1
	if err := WriteCheckpoint(path, neg); err == nil {
		t.Fatal("a negative batch was written")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed write changed the file")
	}
	second := sampleCheckpoint()
	second.Step = 99
	if err := WriteCheckpoint(path, second); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCheckpoint(path, 0)
	if err != nil || got.Step != 99 {
		t.Fatalf("after replacing: step %v, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link.safetensors")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here")
	}
	if err := WriteCheckpoint(link, first); err == nil {
		t.Error("written through a symbolic link")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Error("the link's target changed")
	}
}

// TestCheckpointRotation saves steps 1 to 6 keeping 3 and checks which
// files remain; files of other runs, other suffixes and directories are
// left alone.
func TestCheckpointRotation(t *testing.T) {
	dir := t.TempDir()
	r := Rotation{Dir: dir, Name: "run", Keep: 3}
	others := []string{"run2-step000000001.safetensors", "run-step000000002.txt", "run-stepx.safetensors", "notes"}
	for _, n := range others {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "run-step000000000.safetensors"), 0o755)
	if got, err := r.Latest(); err != nil || got != "" {
		t.Errorf("Latest before any: %q, %v", got, err)
	}
	for step := int64(1); step <= 6; step++ {
		c := sampleCheckpoint()
		c.Step = step * 10
		p, err := r.Save(c)
		if err != nil {
			t.Fatal(err)
		}
		if p != r.Path(step*10) {
			t.Errorf("saved at %s", p)
		}
	}
	list, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{r.Path(40), r.Path(50), r.Path(60)}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("kept %v, want %v", list, want)
	}
	if latest, _ := r.Latest(); latest != r.Path(60) {
		t.Errorf("Latest %s", latest)
	}
	for _, n := range append(others, "run-step000000000.safetensors") {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed", n)
		}
	}
	if _, err := (Rotation{Dir: dir, Name: "run", Keep: -1}).Save(sampleCheckpoint()); err == nil {
		t.Error("keep -1 accepted")
	}
	all := Rotation{Dir: dir, Name: "all"}
	for step := int64(1); step <= 4; step++ {
		c := sampleCheckpoint()
		c.Step = step
		all.Save(c)
	}
	if l, _ := all.List(); len(l) != 4 {
		t.Errorf("keep 0 kept %d", len(l))
	}
}

// TestCheckpointCompatible checks the message of a resume with another
// model or other settings, and that named settings may differ.
func TestCheckpointCompatible(t *testing.T) {
	c := sampleCheckpoint()
	if err := c.Compatible(c.Meta.SourceHash, c.Meta.Settings); err != nil {
		t.Errorf("same run: %v", err)
	}
	other := map[string]string{"optimizer": "sgd(lr = 0.1)", "batch": "32", "epochs": "10", "seed": "3"}
	err := c.Compatible(SourceHash([]byte("model N { }")), other)
	if err == nil {
		t.Fatal("another model and settings: no error")
	}
	for _, want := range []string{"model source differs", "optimizer was adam(lr = 0.001) in the checkpoint, sgd(lr = 0.1) now",
		"epochs was 5 in the checkpoint, 10 now", "seed is 3 now, unset in the checkpoint"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v: does not say %q", err, want)
		}
	}
	more := map[string]string{"optimizer": "adam(lr = 0.001)", "batch": "32", "epochs": "10"}
	if err := c.Compatible(c.Meta.SourceHash, more, "epochs"); err != nil {
		t.Errorf("epochs may differ: %v", err)
	}
	if err := c.Compatible(c.Meta.SourceHash, map[string]string{"batch": "32", "epochs": "5"}); err == nil || !strings.Contains(err.Error(), "optimizer was adam(lr = 0.001) in the checkpoint, unset now") {
		t.Errorf("a setting dropped: %v", err)
	}
}

// TestCheckpointCaptureRestore captures a store, changes it, and restores
// it in place (the tensors sessions hold see the values); a checkpoint of
// another shape changes nothing; paramsOnly leaves the states alone.
func TestCheckpointCaptureRestore(t *testing.T) {
	store := runtime.NewStore()
	w := tensor.FromFloat64s(tensor.F32, []int{2}, []float64{1, 2})
	m := tensor.FromFloat64s(tensor.F32, []int{2}, []float64{3, 4})
	store.Set("w", w)
	store.Set("w/adam.m", m)
	c, err := Capture(store, []string{"w"}, []string{"w/adam.m"})
	if err != nil {
		t.Fatal(err)
	}
	w.Set(0, 9)
	m.Set(0, 9)
	if c.Params["w"].At(0) != 1 {
		t.Fatal("Capture did not copy")
	}
	if err := c.Restore(store, true); err != nil {
		t.Fatal(err)
	}
	if store.Get("w") != w || w.At(0) != 1 || m.At(0) != 9 {
		t.Errorf("paramsOnly restore: w %v, m %v", w, m)
	}
	if err := c.Restore(store, false); err != nil {
		t.Fatal(err)
	}
	if m.At(0) != 3 {
		t.Errorf("restore: m %v", m)
	}
	w.Set(1, 7)
	wrong := &Checkpoint{Params: map[string]*tensor.Tensor{"w": tensor.New(tensor.F32, 3)},
		States: map[string]*tensor.Tensor{"new": tensor.New(tensor.F64)}}
	if err := wrong.Restore(store, false); err == nil || !strings.Contains(err.Error(), "w is f32[3] in the checkpoint, f32[2] in the model") {
		t.Errorf("a wrong shape: %v", err)
	}
	if w.At(1) != 7 || store.Get("new") != nil {
		t.Error("a refused restore changed the store")
	}
	if _, err := Capture(store, []string{"missing"}, nil); err == nil {
		t.Error("capturing a missing tensor: no error")
	}
}

// FuzzReadCheckpoint decodes arbitrary bytes: an error or a checkpoint,
// never a panic; a checkpoint read encodes and reads back the same.
func FuzzReadCheckpoint(f *testing.F) {
	b, err := sampleCheckpoint().Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	bare, _ := (&Checkpoint{Params: map[string]*tensor.Tensor{"p": tensor.New(tensor.F32, 1)}}).Encode()
	f.Add(bare)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCheckpoint(b, "fuzz")
		if err != nil && strings.Contains(err.Error(), "SHA-256") {
			// Reach past the hash: write the data's true hash in its place.
			c, err = DecodeCheckpoint(rehash(b), "fuzz")
		}
		if err != nil {
			return
		}
		again, err := c.Encode()
		if err != nil {
			return // e.g. a negative count in the extra maps cannot happen; names may be refused
		}
		c2, err := DecodeCheckpoint(again, "again")
		if err != nil {
			t.Fatalf("re-encoded checkpoint unreadable: %v", err)
		}
		if c2.Step != c.Step || c2.Seed != c.Seed || len(c2.Params) != len(c.Params) || len(c2.States) != len(c.States) {
			t.Fatalf("re-encoded checkpoint differs")
		}
	})
}

// rehash returns b with its data_sha256 replaced by the SHA-256 of its
// data section (b itself when there is no such place).
func rehash(b []byte) []byte {
	if len(b) < 8 {
		return b
	}
	hlen := binary.LittleEndian.Uint64(b)
	if hlen > uint64(len(b)-8) {
		return b
	}
	key := []byte(`"data_sha256":"`)
	at := bytes.Index(b[8:8+hlen], key)
	if at < 0 || 8+uint64(at+len(key)+64) > 8+hlen {
		return b
	}
	c := append([]byte(nil), b...)
	sum := sha256.Sum256(c[8+hlen:])
	copy(c[8+at+len(key):], hex.EncodeToString(sum[:]))
	return c
}
