// Package safefile writes files so that a reader never sees a half-written
// file and a planted link or special file is never written through.
//
// WriteFile creates a fresh temporary file exclusively (os.CreateTemp) in the
// target's directory, writes it, syncs it, closes it, renames it over the
// target and syncs the directory. The target must not exist or be a regular
// file: a directory, a device, a pipe, a socket and a symbolic link (even one
// that points to a regular file) are refused, so nothing is ever written
// through a link and /dev/null stays a device. The temporary file is removed
// on every error; while it exists it is recorded, so that a signal handler
// can call RemoveTemps before the process exits.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// temps holds the temporary files being written now.
var temps struct {
	sync.Mutex
	names map[string]bool
}

func addTemp(name string) {
	temps.Lock()
	defer temps.Unlock()
	if temps.names == nil {
		temps.names = map[string]bool{}
	}
	temps.names[name] = true
}

func dropTemp(name string) {
	temps.Lock()
	defer temps.Unlock()
	delete(temps.names, name)
}

// RemoveTemps removes every temporary file that a WriteFile in progress has
// created and not yet renamed, and returns how many it removed. It is meant
// for a SIGINT/SIGTERM handler that then exits; a WriteFile still running
// will fail.
func RemoveTemps() int {
	temps.Lock()
	defer temps.Unlock()
	n := 0
	for name := range temps.names {
		if os.Remove(name) == nil {
			n++
		}
		delete(temps.names, name)
	}
	return n
}

// Temps lists the temporary files in flight (for tests and diagnostics).
func Temps() []string {
	temps.Lock()
	defer temps.Unlock()
	out := make([]string, 0, len(temps.names))
	for name := range temps.names {
		out = append(out, name)
	}
	return out
}

// ErrNotRegular is wrapped by the error WriteFile returns for a target that
// exists and is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// CheckTarget returns an error when path exists and is not a regular file
// (symbolic links included). A path that does not exist is fine.
func CheckTarget(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().IsRegular() {
		return nil
	}
	kind := "a special file"
	switch m := fi.Mode(); {
	case m&os.ModeSymlink != 0:
		kind = "a symbolic link"
	case m.IsDir():
		kind = "a directory"
	case m&os.ModeDevice != 0:
		kind = "a device"
	case m&os.ModeNamedPipe != 0:
		kind = "a named pipe"
	case m&os.ModeSocket != 0:
		kind = "a socket"
	}
	return fmt.Errorf("%s: refusing to write: it is %s, %w", path, kind, ErrNotRegular)
}

// CheckWritable returns an error when path could not be written now: it
// exists and is not a regular file (CheckTarget), or no file can be
// created in its directory (a missing directory, no permission, a full or
// read-only file system). It creates and removes an empty temporary file
// there to find out, so that a command can refuse an output before hours
// of work rather than after.
func CheckWritable(path string) error {
	if err := CheckTarget(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".check-*")
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: cannot write it: the directory %s does not exist: %w", path, dir, err)
	}
	if err != nil {
		return fmt.Errorf("%s: cannot write it: %w", path, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// WriteFile writes the file path with the bytes write produces, through a
// temporary file and a rename. perm is the mode of a new file (set exactly,
// whatever the umask); an existing file keeps its mode. On any error the target is left
// as it was and the temporary file is removed.
func WriteFile(path string, write func(io.Writer) error, perm os.FileMode) (err error) {
	if write == nil {
		return errors.New("safefile: WriteFile needs a write function")
	}
	if path == "" {
		return errors.New("safefile: empty file name")
	}
	if err := CheckTarget(path); err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil {
		perm = fi.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	addTemp(tmp)
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
		dropTemp(tmp)
	}()
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	// The target may have changed since the first check.
	if err = CheckTarget(path); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// WriteBytes is WriteFile writing b.
func WriteBytes(path string, b []byte, perm os.FileMode) error {
	return WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}, perm)
}

// syncDir syncs a directory so that a rename in it is durable. Errors are
// ignored: some systems cannot sync a directory, and the data itself is
// already on disk.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
