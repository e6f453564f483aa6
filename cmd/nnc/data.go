package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/nnclang/nnc"
)

// cmdData describes a data file:
//
//	nnc data FILE [PROGRAM.nn [--model M | --entry M.fn]] [--json] [--max-data SIZE]
//
// FILE is anything --data takes: a .csv, .npz, .npy, .safetensors, .jsonl
// or IDX file (gzipped or not), a folder (images, or the four MNIST files),
// a text file, or a set's name (digits, mnist, fashion-mnist). It prints
// the arrays with their types and shapes, value ranges, NaN and infinite
// counts and label distributions; given a program, how the arrays bind by
// name to the entry's inputs (the train block's entry by default).
func cmdData(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data")
	entry := fs.String("entry", "", "bind the arrays to this entry's inputs: f or Model.fn (needs PROGRAM.nn)")
	model := fs.String("model", "", "bind the arrays to the inputs of this model's train block entry (needs PROGRAM.nn)")
	asJSON := fs.Bool("json", false, "print the description as JSON")
	maxData := fs.String("max-data", "", "the most a data file may decode to, e.g. 2GB (default: a quarter of the memory available, at most 16 GiB)")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if err := nonEmpty(fs, "entry", "model", "max-data"); err != nil {
		return err
	}
	var file, program string
	switch {
	case len(pos) == 1:
		file = pos[0]
	case len(pos) == 2 && strings.HasSuffix(pos[1], ".nn") && !strings.HasSuffix(pos[0], ".nn"):
		file, program = pos[0], pos[1]
	default:
		return usagef("want a data FILE and optionally a PROGRAM.nn after it, got %d arguments", len(pos))
	}
	if program == "" && (*entry != "" || *model != "") {
		return usagef("--entry and --model need a PROGRAM.nn after the data file")
	}
	if *entry != "" && *model != "" {
		return usagef("give --entry or --model, not both")
	}
	var limit int64
	if *maxData != "" {
		if limit, err = parseBytes(*maxData); err != nil {
			return usagef("--max-data: %v", err)
		}
	}
	var info *nnc.DataInfo
	if program == "" {
		info, err = nnc.DescribeData(file, limit)
	} else {
		p, cerr := compileFile(program)
		if cerr != nil {
			return cerr
		}
		info, err = p.DescribeData(file, nnc.DataInfoOptions{Entry: *entry, Model: *model, MaxBytes: limit})
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, info)
	}
	fmt.Fprint(stdout, dataText(info))
	return nil
}

// dataText prints a description and its binding.
func dataText(info *nnc.DataInfo) string {
	var sb strings.Builder
	sb.WriteString(info.Description.String())
	b := info.Binding
	if b == nil {
		return sb.String()
	}
	part := ""
	if b.Part != "" {
		part = " (the " + b.Part + " set)"
	}
	fmt.Fprintf(&sb, "binding to %s%s:\n", b.Entry, part)
	for _, in := range b.Inputs {
		switch {
		case in.OK:
			fmt.Fprintf(&sb, "  %s: %s  <- %s\n", in.Input, in.Type, in.Array)
		case in.Array == "":
			fmt.Fprintf(&sb, "  %s: %s  MISSING: %s\n", in.Input, in.Type, in.Problem)
		default:
			fmt.Fprintf(&sb, "  %s: %s  <- %s  PROBLEM: %s\n", in.Input, in.Type, in.Array, in.Problem)
		}
	}
	if len(b.Extra) > 0 {
		fmt.Fprintf(&sb, "  arrays no input takes: %s\n", strings.Join(b.Extra, ", "))
	}
	return sb.String()
}
