package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
)

// maxInflateRatio bounds what deflate can expand to: at most about 1032
// bytes per compressed byte (a gzipped file of C bytes holds at most
// C·1032 + 1 MiB).
const maxInflateRatio = 1032

// input is an opened data file: a reader of its content (inflated when the
// file is gzipped), with what is known of the content's length.
type input struct {
	name string
	r    io.Reader
	// size is the exact length of the content, or -1 when unknown.
	size int64
	// bound is the most bytes the content can hold, or -1 when unknown
	// (a gzipped regular file: its size times maxInflateRatio).
	bound int64
	// file is the file itself when it is regular and not compressed, so
	// that its arrays can be memory-mapped; nil otherwise.
	file *os.File
	// closer closes what was opened.
	closer io.Closer
}

// Close closes the file.
func (in *input) Close() error {
	if in.closer == nil {
		return nil
	}
	return in.closer.Close()
}

// openInput opens path, detecting gzip by its first two bytes.
func openInput(path string) (*input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, fileErr(path, "is a directory, not a file")
	}
	in := &input{name: path, size: -1, bound: -1, closer: f}
	br := bufio.NewReaderSize(f, 1<<16)
	magic, _ := br.Peek(2)
	gz := bytes.Equal(magic, []byte{0x1f, 0x8b})
	switch {
	case gz:
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fileErr(path, "gzip: %v", err)
		}
		in.r = zr
		if fi.Mode().IsRegular() {
			in.bound = fi.Size()*maxInflateRatio + 1<<20
		}
	case fi.Mode().IsRegular():
		in.r, in.size, in.bound, in.file = br, fi.Size(), fi.Size(), f
	default:
		in.r = br
	}
	return in, nil
}

// memInput is an input over bytes held in memory (gzipped or not).
func memInput(b []byte, name string) (*input, error) {
	if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fileErr(name, "gzip: %v", err)
		}
		return &input{name: name, r: zr, size: -1, bound: int64(len(b))*maxInflateRatio + 1<<20}, nil
	}
	n := int64(len(b))
	return &input{name: name, r: bytes.NewReader(b), size: n, bound: n}, nil
}

// streamInput is an input over a reader of unknown length (gzipped or not).
func streamInput(r io.Reader, name string) (*input, error) {
	r, err := maybeGunzip(r, name)
	if err != nil {
		return nil, err
	}
	return &input{name: name, r: r, size: -1, bound: -1}, nil
}

// canHold checks, before nbytes of data are allocated for what a header
// declares from offset off on, that the content can hold them: exactly when
// its size is known, at most its bound otherwise.
func (in *input) canHold(off, nbytes int64, what string) error {
	switch {
	case in.size >= 0 && in.size-off != nbytes:
		return offErr(in.name, off, "%s needs %d bytes of data, the file has %d", what, nbytes, in.size-off)
	case in.bound >= 0 && in.bound-off < nbytes:
		return offErr(in.name, off, "%s needs %d bytes of data, more than the file can hold", what, nbytes)
	}
	return nil
}

// readData reads exactly nbytes of data from in (starting at offset off of
// the content) into a new slice, then checks that nothing follows. When the
// content's length is unknown the slice grows as data arrives, so that a
// short stream cannot claim the memory its header declares.
func (in *input) readData(off, nbytes int64, what string) ([]byte, error) {
	var b []byte
	if in.bound >= 0 {
		b = make([]byte, nbytes)
		k, err := io.ReadFull(in.r, b)
		if err != nil {
			return nil, in.shortErr(off, nbytes, int64(k), what, err)
		}
	} else {
		var err error
		b, err = io.ReadAll(io.LimitReader(in.r, nbytes))
		if err != nil || int64(len(b)) < nbytes {
			return nil, in.shortErr(off, nbytes, int64(len(b)), what, err)
		}
	}
	return b, in.atEnd(off+nbytes, what, nbytes)
}

// shortErr reports data that ended after got of nbytes bytes.
func (in *input) shortErr(off, nbytes, got int64, what string, err error) error {
	if le, ok := err.(*limitError); ok {
		return fileErr(in.name, "%v", le)
	}
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return offErr(in.name, off+got, "%s: %v", what, err)
	}
	return offErr(in.name, off, "%s needs %d bytes of data, the file has %d", what, nbytes, got)
}

// atEnd checks that the content ends at offset end.
func (in *input) atEnd(end int64, what string, nbytes int64) error {
	var one [1]byte
	k, err := io.ReadFull(in.r, one[:])
	if k > 0 {
		return offErr(in.name, end, "%s needs %d bytes of data, the file has more", what, nbytes)
	}
	if err != nil && err != io.EOF {
		return offErr(in.name, end, "%s: %v", what, err)
	}
	return nil
}

// mapThreshold is the size from which arrays of an uncompressed file are
// memory-mapped rather than read (4 MiB); tests lower it.
var mapThreshold int64 = 4 << 20

// mapData returns nbytes of the file from offset off, memory-mapped, or
// nil when the input is not a plain regular file, the data is smaller than
// mapThreshold, mapping is turned off or fails.
func (in *input) mapData(off, nbytes int64, noMap bool) []byte {
	if in.file == nil || noMap || nbytes < mapThreshold || off+nbytes > in.size {
		return nil
	}
	m := mapFile(in.file, in.size)
	if m == nil {
		return nil
	}
	return m[off : off+nbytes : off+nbytes]
}
