package data

import (
	"fmt"
	"io"

	"github.com/nnclang/nnc/internal/sysmem"
)

// FallbackMaxBytes is the memory assumed available when the machine's
// memory cannot be read (4 GiB); four times it caps DefaultMaxBytes.
const FallbackMaxBytes = sysmem.Fallback

// MaxLineBytes bounds one line of a CSV file (64 MiB): a longer line is an
// error, not an unbounded buffer.
const MaxLineBytes = 64 << 20

// maxLine is MaxLineBytes, lowered by tests.
var maxLine int64 = MaxLineBytes

// maxNPYHeader bounds a .npy header (NumPy's own reader stops at 10000
// bytes by default).
const maxNPYHeader = 1 << 20

// Options configures the loaders that take them (LoadDataset, the ...With
// readers). The zero value is the default.
type Options struct {
	// MaxBytes bounds what one file may decode to: the bytes of the arrays
	// it produces and, for compressed files, the bytes it inflates to. The
	// sizes a header declares are checked against it before anything is
	// allocated. 0 means DefaultMaxBytes(); a negative value is an error.
	MaxBytes int64
	// AllowNonFinite lets a dataset hold NaN and infinite feature values.
	// By default LoadDataset and ReadCSV reject them, naming the file, the
	// row (line) and the column. The array readers (NPY, NPZ, IDX,
	// safetensors) return values as they are and do not consult it.
	AllowNonFinite bool
	// NoMap reads arrays of uncompressed files into memory instead of
	// memory-mapping them. By default (on Linux, macOS and the BSDs) an
	// array of at least 4 MiB that an uncompressed .npy or IDX file holds
	// in the layout nnc keeps — bytes for u8 and i8, little-endian C-order
	// f32, f64, i32, i64 and bool on a little-endian machine — is mapped
	// copy-on-write: its pages are read when used and can be dropped by
	// the system, and writes to it never reach the file. A mapped file
	// must not be truncated while its arrays are in use. Mapped arrays
	// count against MaxBytes like the others.
	NoMap bool
}

// DefaultMaxBytes is the limit used when Options.MaxBytes is 0: a quarter
// of the memory available to the process (a dataset is copied when it is
// split and batched), as the runtime measures it (on Linux the smallest of
// MemAvailable, the room under the cgroup limit and the address space left
// under ulimit -v; FallbackMaxBytes elsewhere), and never more than 16 GiB.
func DefaultMaxBytes() int64 {
	return min(sysmem.Available()/4, 4*FallbackMaxBytes)
}

// limit returns the effective MaxBytes.
func (o Options) limit() (int64, error) {
	switch {
	case o.MaxBytes < 0:
		return 0, fmt.Errorf("data: MaxBytes is %d, not positive (0 means the default)", o.MaxBytes)
	case o.MaxBytes == 0:
		return DefaultMaxBytes(), nil
	}
	return o.MaxBytes, nil
}

// sizeOf multiplies the dimensions and the element size, failing when a
// dimension is negative or the product exceeds limit bytes. It returns the
// element count and the byte count.
func sizeOf(dims []int, elemSize int, limit int64) (int, int64, error) {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, 0, fmt.Errorf("negative dimension %d", d)
		}
		if d == 0 {
			return 0, 0, nil
		}
	}
	for _, d := range dims {
		if n > limit/int64(elemSize)/int64(d) {
			return 0, 0, fmt.Errorf("shape %v of %d-byte elements is more than the limit of %d bytes", dims, elemSize, limit)
		}
		n *= int64(d)
	}
	return int(n), n * int64(elemSize), nil
}

// limitError is returned by a limitedReader past its limit.
type limitError struct{ limit int64 }

func (e *limitError) Error() string {
	return fmt.Sprintf("the input (decompressed) is more than the limit of %d bytes", e.limit)
}

// limitedReader fails once more than limit bytes have been read.
type limitedReader struct {
	r     io.Reader
	n     int64 // bytes read so far
	limit int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n > l.limit {
		return 0, &limitError{l.limit}
	}
	if rest := l.limit + 1 - l.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := l.r.Read(p)
	l.n += int64(k)
	if l.n > l.limit {
		return k, &limitError{l.limit}
	}
	return k, err
}
