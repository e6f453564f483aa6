package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"hash/crc32"
	"os"
	"strconv"
	"strings"
)

// Generators make the hostile inputs that are too large to commit. Each takes
// the output path and its arguments (the first is a size or a count).
var generators = map[string]func(path string, n int64, rest []string) error{
	// parens N: a function returning x inside N nested parentheses.
	"parens": func(path string, n int64, _ []string) error {
		return writeProgram(path, "fn f(x: f32[2]) -> f32[2] {\n    return ", "x", n, "(", ")", "\n}\n")
	},
	// sumterms N: one line, x + x + ... with N terms.
	"sumterms": func(path string, n int64, _ []string) error {
		return writeRepeat(path, "fn f(x: f32[2]) -> f32[2] {\n    return x", " + x", n-1, "\n}\n")
	},
	// negs N: N unary minus signs before x.
	"negs": func(path string, n int64, _ []string) error {
		return writeProgram(path, "fn f(x: f32[2]) -> f32[2] {\n    return ", "x", n, "- ", "", "\n}\n")
	},
	// slices N: x[0:4] chained N times.
	"slices": func(path string, n int64, _ []string) error {
		return writeRepeat(path, "fn f(x: f32[4]) -> f32[4] {\n    return x", "[0:4]", n, "\n}\n")
	},
	// gzipcsv N: a .csv.gz of a header and rows "0,0,0" that inflates to
	// about N bytes (many gzip members, each a compressed copy of one block).
	"gzipcsv": genGzipCSV,
	// npzbomb N: an .npz whose member x.npy truly declares and holds N bytes
	// of f32 zeros (deflated).
	"npzbomb": func(path string, n int64, _ []string) error { return genNPZ(path, n, false) },
	// npzlie N: the same member, but the zip directory claims it inflates to
	// 1 KiB, and the NPY header claims only 16 elements.
	"npzlie": func(path string, n int64, _ []string) error { return genNPZ(path, n, true) },
}

// generate runs one gen: directive.
func generate(path, kind string, args []string) error {
	g, ok := generators[kind]
	if !ok {
		return fmt.Errorf("unknown generator %q", kind)
	}
	if len(args) == 0 {
		return fmt.Errorf("%s: want a size", kind)
	}
	n, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || n < 1 {
		return fmt.Errorf("%s: bad size %q", kind, args[0])
	}
	return g(path, n, args[1:])
}

// writeProgram writes head, n copies of open, inner, n copies of close, tail.
func writeProgram(path, head, inner string, n int64, open, close, tail string) error {
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(strings.Repeat(open, int(n)))
	b.WriteString(inner)
	b.WriteString(strings.Repeat(close, int(n)))
	b.WriteString(tail)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// writeRepeat writes head, n copies of unit, tail.
func writeRepeat(path, head, unit string, n int64, tail string) error {
	return os.WriteFile(path, []byte(head+strings.Repeat(unit, int(n))+tail), 0o644)
}

const bombBlock = 1 << 20

func genGzipCSV(path string, n int64, _ []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	head := "x0,x1,y\n"
	row := "0,0,0\n"
	block := strings.Repeat(row, bombBlock/len(row))
	member := func(s string) ([]byte, error) {
		var b bytes.Buffer
		z, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		if _, err := z.Write([]byte(s)); err != nil {
			return nil, err
		}
		err := z.Close()
		return b.Bytes(), err
	}
	first, err := member(head + block)
	if err != nil {
		return err
	}
	rest, err := member(block)
	if err != nil {
		return err
	}
	w.Write(first)
	for done := int64(len(head) + len(block)); done < n; done += int64(len(block)) {
		w.Write(rest)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// genNPZ writes an .npz with one member, x.npy: an NPY header for f32 zeros
// followed by zeros, n bytes in all, deflated as one stream built from a
// repeated, byte-aligned compressed block of zeros.
func genNPZ(path string, n int64, lie bool) error {
	elems := (n - 128) / 4
	if elems < 16 {
		elems = 16
	}
	shape := elems
	if lie {
		shape = 16
	}
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }", shape)
	header := dict + strings.Repeat(" ", 128-10-len(dict)-1) + "\n"
	npyHead := append([]byte("\x93NUMPY\x01\x00\x76\x00"), header...)
	total := int64(len(npyHead)) + elems*4

	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(npyHead)
	fw.Flush()
	headPart := append([]byte(nil), comp.Bytes()...)
	comp.Reset()
	zeros := make([]byte, bombBlock)
	fw.Write(zeros)
	fw.Flush()
	zeroPart := append([]byte(nil), comp.Bytes()...)
	comp.Reset()

	crc := crc32.Update(0, crc32.IEEETable, npyHead)
	left := elems * 4
	var body bytes.Buffer
	body.Write(headPart)
	for left >= bombBlock {
		body.Write(zeroPart)
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
		left -= bombBlock
	}
	// The remainder comes from a fresh writer: flushed, its blocks need no
	// history, so they may follow any byte-aligned blocks.
	if left > 0 {
		fw2, _ := flate.NewWriter(&comp, flate.BestCompression)
		fw2.Write(zeros[:left])
		fw2.Flush()
		body.Write(comp.Bytes())
		comp.Reset()
		crc = crc32.Update(crc, crc32.IEEETable, zeros[:left])
	}
	fw3, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw3.Close()
	body.Write(comp.Bytes())

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	hdr := &zip.FileHeader{Name: "x.npy", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(body.Len()), UncompressedSize64: uint64(total)}
	if lie {
		hdr.UncompressedSize64 = 1024
	}
	w, err := zw.CreateRaw(hdr)
	if err != nil {
		return err
	}
	if _, err := w.Write(body.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
