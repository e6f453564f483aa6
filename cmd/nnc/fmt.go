package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/nnclang/nnc"
)

// cmdFmt formats .nn files canonically: to stdout, or in place with -w.
func cmdFmt(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fmt", flag.ContinueOnError)
	write := fs.Bool("w", false, "write the result to the file instead of stdout")
	list := fs.Bool("l", false, "list the files whose formatting differs")
	files, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("want at least one FILE")
	}
	var firstErr error
	for _, file := range files {
		if err := formatFile(file, *write, *list, stdout); err != nil {
			printError(stderr, err)
			if firstErr == nil {
				firstErr = errReported
			}
		}
	}
	return firstErr
}

func formatFile(file string, write, list bool, stdout io.Writer) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	out, err := nnc.Format(file, src)
	if err != nil {
		return err
	}
	changed := !bytes.Equal(src, out)
	switch {
	case list:
		if changed {
			fmt.Fprintln(stdout, file)
		}
	case write:
		if changed {
			return nnc.WriteFile(file, out)
		}
	default:
		_, err = stdout.Write(out)
	}
	return err
}
