package safefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// leftovers lists the files of dir other than keep.
func leftovers(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
outer:
	for _, e := range ents {
		for _, k := range keep {
			if e.Name() == k {
				continue outer
			}
		}
		out = append(out, e.Name())
	}
	return out
}

func TestWriteNewAndReplace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.bin")
	if err := WriteBytes(p, []byte("first"), 0o640); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	if err := WriteBytes(p, []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "second" {
		t.Errorf("content %q, want %q", b, "second")
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Errorf("replacing changed the mode to %v, want 0640 kept", fi.Mode().Perm())
	}
	if l := leftovers(t, dir, "out.bin"); len(l) != 0 {
		t.Errorf("files left behind: %v", l)
	}
}

// A symbolic link planted at the old fixed temporary name (OUT.tmp) must not
// be followed: the file it points to stays as it was.
func TestLinkAtOldTempName(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	p := filepath.Join(dir, "out.npy")
	if err := os.Symlink(victim, p+".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(p, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the file behind the planted link now holds %q", b)
	}
	if b, _ := os.ReadFile(p); string(b) != "data" {
		t.Errorf("target holds %q, want %q", b, "data")
	}
}

// A symbolic link at the target is refused: nothing is written through it
// and the link stays.
func TestLinkAtTarget(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	p := filepath.Join(dir, "out")
	os.Symlink(victim, p)
	err := WriteBytes(p, []byte("data"), 0o644)
	if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("err = %v, want a refusal naming a symbolic link", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("victim holds %q", b)
	}
	if fi, _ := os.Lstat(p); fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced")
	}
	if l := leftovers(t, dir, "victim", "out"); len(l) != 0 {
		t.Errorf("files left behind: %v", l)
	}
}

func TestDirectoryTarget(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub")
	os.Mkdir(p, 0o755)
	err := WriteBytes(p, []byte("data"), 0o644)
	if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "a directory") {
		t.Fatalf("err = %v, want a refusal naming a directory", err)
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		t.Errorf("the directory is gone: %v", err)
	}
}

func TestDeviceTarget(t *testing.T) {
	fi, err := os.Stat("/dev/null")
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("this test needs /dev/null as a character device: %v %v", fi, err)
	}
	err = WriteBytes("/dev/null", []byte("data"), 0o644)
	if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "a device") {
		t.Fatalf("err = %v, want a refusal naming a device", err)
	}
	if fi, _ := os.Stat("/dev/null"); fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a character device: %v", fi.Mode())
	}
}

func TestFailingWriterLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	os.WriteFile(p, []byte("old"), 0o644)
	boom := errors.New("boom")
	err := WriteFile(p, func(w io.Writer) error {
		w.Write([]byte("half"))
		if len(Temps()) != 1 {
			t.Errorf("in flight: %v, want one temporary file", Temps())
		}
		return boom
	}, 0o644)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("target holds %q, want %q", b, "old")
	}
	if l := leftovers(t, dir, "out"); len(l) != 0 {
		t.Errorf("files left behind: %v", l)
	}
	if len(Temps()) != 0 {
		t.Errorf("registry still holds %v", Temps())
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	err := WriteFile(p, func(w io.Writer) error {
		w.Write([]byte("half"))
		if n := RemoveTemps(); n != 1 {
			t.Errorf("RemoveTemps removed %d, want 1", n)
		}
		return nil
	}, 0o644)
	if err == nil {
		t.Fatal("a write whose temporary file was removed succeeded")
	}
	if l := leftovers(t, dir); len(l) != 0 {
		t.Errorf("files left behind: %v", l)
	}
}

// Concurrent writers to one target leave one complete file, one of theirs.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	const n = 8
	payload := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 1<<16+i) }
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = WriteFile(p, func(w io.Writer) error {
				b := payload(i)
				for len(b) > 0 {
					k := min(len(b), 4096)
					if _, err := w.Write(b[:k]); err != nil {
						return err
					}
					b = b[k:]
				}
				return nil
			}, 0o644)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got, _ := os.ReadFile(p)
	ok := false
	for i := range n {
		if bytes.Equal(got, payload(i)) {
			ok = true
		}
	}
	if !ok {
		t.Errorf("the file (%d bytes, starting %q) is none of the writers' payloads", len(got), fmt.Sprintf("%.8s", got))
	}
	if l := leftovers(t, dir, "out"); len(l) != 0 {
		t.Errorf("files left behind: %v", l)
	}
}

// TestCheckWritable: a new file in an existing directory and an existing
// regular file pass and leave nothing behind; a missing directory, a
// directory and a symbolic link as the target are refused.
func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "new.bin")); err != nil {
		t.Errorf("a new file: %v", err)
	}
	old := filepath.Join(dir, "old.bin")
	if err := os.WriteFile(old, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckWritable(old); err != nil {
		t.Errorf("an existing file: %v", err)
	}
	if got := leftovers(t, dir, "old.bin"); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
	err := CheckWritable(filepath.Join(dir, "missing", "x.bin"))
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a missing directory: %v", err)
	}
	if err := CheckWritable(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a directory: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(old, link); err != nil {
		t.Fatal(err)
	}
	if err := CheckWritable(link); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a symbolic link: %v", err)
	}
}
