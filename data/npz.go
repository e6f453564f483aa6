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
	return tensorsOf(readNPZ(f, fi.Size(), path, limit, names))
}

// tensorsOf converts the byte arrays of an archive to tensors and merges
// them with its other arrays.
func tensorsOf(ts map[string]*tensor.Tensor, bs map[string]*ByteArray, err error) (map[string]*tensor.Tensor, error) {
	if err != nil {
		return nil, err
	}
	for k, b := range bs {
		ts[k] = b.Tensor()
	}
	return ts, nil
}

// ParseNPZ is LoadNPZ on an archive held in memory; name is used in errors.
func ParseNPZ(b []byte, name string, names ...string) (map[string]*tensor.Tensor, error) {
	return tensorsOf(readNPZ(bytes.NewReader(b), int64(len(b)), name, DefaultMaxBytes(), names))
}

// readNPZ reads the members of an archive: int8 and uint8 arrays as byte
// arrays, the others as tensors.
func readNPZ(ra io.ReaderAt, size int64, name string, limit int64, names []string) (map[string]*tensor.Tensor, map[string]*ByteArray, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, nil, fileErr(name, "not a .npz archive: %v", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]*tensor.Tensor{}
	outB := map[string]*ByteArray{}
	var total int64
	for _, f := range zr.File {
		key := strings.TrimSuffix(f.Name, ".npy")
		if len(names) > 0 && !want[key] {
			continue
		}
		member := name + "[" + f.Name + "]"
		if out[key] != nil || outB[key] != nil {
			return nil, nil, fileErr(member, "the archive holds two arrays named %q", key)
		}
		t, b, err := readNPZMember(f, size, member, limit-total)
		if err != nil {
			return nil, nil, err
		}
		if b != nil {
			total += int64(len(b.Data))
			outB[key] = b
		} else {
			total += int64(t.Len()) * int64(t.DType.Size())
			out[key] = t
		}
	}
	var missing []string
	for n := range want {
		if out[n] == nil && outB[n] == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, nil, fileErr(name, "no array named %s in the archive", strings.Join(missing, ", "))
	}
	return out, outB, nil
}

// readNPZMember reads one member of an archive of size bytes; member names
// it in errors. Its declared size is checked against the archive and the
// limit before it is read, and it is read to the end so that zip checks
// its size and checksum.
func readNPZMember(f *zip.File, size int64, member string, limit int64) (*tensor.Tensor, *ByteArray, error) {
	if f.UncompressedSize64 > uint64(size)*maxInflateRatio+1<<20 {
		return nil, nil, fileErr(member, "declared size %d is impossible for the archive", f.UncompressedSize64)
	}
	if f.UncompressedSize64 > uint64(limit) {
		return nil, nil, fileErr(member, "declared size %d bytes is more than the limit of %d bytes", f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, fileErr(member, "%v", err)
	}
	defer rc.Close()
	lr := &limitedReader{r: rc, limit: int64(f.UncompressedSize64)}
	in := &input{name: member, r: lr, size: int64(f.UncompressedSize64), bound: int64(f.UncompressedSize64)}
	t, b, err := readNPY(in, limit, true)
	if err != nil {
		return nil, nil, err
	}
	if _, err := io.Copy(io.Discard, lr); err != nil {
		return nil, nil, fileErr(member, "%v", err)
	}
	return t, b, nil
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
