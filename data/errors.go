package data

import (
	"fmt"
	"strconv"
)

// FormatError is a malformed-input error from a loader. It names the file
// and either the line (CSV; Line > 0) or the byte offset (binary formats;
// Offset >= 0 when Line == 0).
type FormatError struct {
	File   string
	Line   int
	Col    int // column of the field, when known (with Line)
	Offset int64
	Msg    string
}

// Error prints "file:line:col: msg", "file:line: msg" or "file: offset N: msg".
func (e *FormatError) Error() string {
	name := e.File
	if name == "" {
		name = "<input>"
	}
	if e.Line > 0 && e.Col > 0 {
		return name + ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col) + ": " + e.Msg
	}
	if e.Line > 0 {
		return name + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	if e.Offset >= 0 {
		return name + ": offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Msg
	}
	return name + ": " + e.Msg
}

func lineErr(file string, line int, format string, args ...any) error {
	return &FormatError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func colErr(file string, line, col int, format string, args ...any) error {
	return &FormatError{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func offErr(file string, off int64, format string, args ...any) error {
	return &FormatError{File: file, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func fileErr(file string, format string, args ...any) error {
	return &FormatError{File: file, Offset: -1, Msg: fmt.Sprintf(format, args...)}
}
