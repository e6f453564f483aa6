package data

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// LoadNPZ reads the arrays of a NumPy .npz archive (numpy.savez or
// savez_compressed), keyed by name without the ".npy" suffix. With names,
// only those arrays are read (each must exist) and the others, which may be
// of unsupported types such as pickled objects, are ignored; without names,
// every member must be a supported .npy array. Members are decoded as they
// inflate, within the default size limit (see Options).
func LoadNPZ(path string, names ...string) (map[string]*tensor.Tensor, error) {
	return LoadNPZWith(path, Options{}, names...)
}

// LoadNPZWith is LoadNPZ with options (only MaxBytes applies): each
// member's declared size, its actual inflated size and the total of the
// arrays read are checked against MaxBytes.
func LoadNPZWith(path string, o Options, names ...string) (map[string]*tensor.Tensor, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return readNPZ(f, fi.Size(), path, limit, names)
}

// ParseNPZ is LoadNPZ on an archive held in memory; name is used in errors.
func ParseNPZ(b []byte, name string, names ...string) (map[string]*tensor.Tensor, error) {
	return readNPZ(bytes.NewReader(b), int64(len(b)), name, DefaultMaxBytes(), names)
}

func readNPZ(ra io.ReaderAt, size int64, name string, limit int64, names []string) (map[string]*tensor.Tensor, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fileErr(name, "not a .npz archive: %v", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]*tensor.Tensor{}
	var total int64
	for _, f := range zr.File {
		key := strings.TrimSuffix(f.Name, ".npy")
		if len(names) > 0 && !want[key] {
			continue
		}
		member := name + "[" + f.Name + "]"
		if out[key] != nil {
			return nil, fileErr(member, "the archive holds two arrays named %q", key)
		}
		if f.UncompressedSize64 > uint64(size)*1032+1<<20 { // deflate expands at most ~1032x
			return nil, fileErr(member, "declared size %d is impossible for the archive", f.UncompressedSize64)
		}
		if f.UncompressedSize64 > uint64(limit) {
			return nil, fileErr(member, "declared size %d bytes is more than the limit of %d bytes", f.UncompressedSize64, limit)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fileErr(member, "%v", err)
		}
		lr := &limitedReader{r: rc, limit: int64(f.UncompressedSize64)}
		t, err := readNPY(lr, member, limit-total, int64(f.UncompressedSize64))
		if err == nil {
			// Read to the end so that zip checks the size and checksum.
			_, err = io.Copy(io.Discard, lr)
			if err != nil {
				err = fileErr(member, "%v", err)
			}
		}
		rc.Close()
		if err != nil {
			return nil, err
		}
		total += int64(t.Len()) * int64(t.DType.Size())
		out[key] = t
	}
	var missing []string
	for n := range want {
		if out[n] == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fileErr(name, "no array named %s in the archive", strings.Join(missing, ", "))
	}
	return out, nil
}

// SaveNPZ writes the arrays as an uncompressed .npz archive (as
// numpy.savez does), members sorted by name.
func SaveNPZ(path string, arrays map[string]*tensor.Tensor) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range sortedNames(arrays) {
		enc, err := EncodeNPY(arrays[n])
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n + ".npy", Method: zip.Store})
		if err != nil {
			return err
		}
		if _, err := w.Write(enc); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}
