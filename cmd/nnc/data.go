package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/nnclang/nnc"
)

// cmdData describes a data file:
//
//	nnc data FILE [PROGRAM.nn [--model M | --entry M.fn]] [--json] [--max-data SIZE]
//	         [--pad F1,F2 [--pad-value V] [--max-len N [--truncate]]]
//
// FILE is anything --data takes: a .csv, .npz, .npy, .safetensors, .jsonl
// or IDX file (gzipped or not), a folder (images, or the four MNIST files),
// a text file, or a set's name (digits, mnist, fashion-mnist). It prints
// the arrays with their types and shapes, value ranges, NaN and infinite
// counts and label distributions; given a program, how the arrays bind by
// name to the entry's inputs (the train block's entry by default). --pad
// pads ragged 1-D fields of a JSON Lines file, with their masks, as a train
// block's jsonl(pad = [...]) does.
func cmdData(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data")
	entry := fs.String("entry", "", "bind the arrays to this entry's inputs: f or Model.fn (needs PROGRAM.nn)")
	model := fs.String("model", "", "bind the arrays to the inputs of this model's train block entry (needs PROGRAM.nn)")
	asJSON := fs.Bool("json", false, "print the description as JSON")
	maxData := fs.String("max-data", "", "the most a data file may decode to, e.g. 2GB (default: a quarter of the memory available, at most 16 GiB)")
	pad := fs.String("pad", "", "pad these ragged 1-D fields of a JSON Lines file (comma-separated), each with a mask <field>_mask")
	padValue := fs.Float64("pad-value", 0, "the value that pads (with --pad)")
	maxLen := fs.Int("max-len", 0, "pad to this length, a longer record an error (with --pad; default: the longest record)")
	truncate := fs.Bool("truncate", false, "cut records longer than --max-len")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if err := nonEmpty(fs, "entry", "model", "max-data", "pad"); err != nil {
		return err
	}
	padOpts, err := padFlags(fs, *pad, *padValue, *maxLen, *truncate)
	if err != nil {
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
		padOpts.MaxBytes = limit
		info, err = nnc.DescribeDataWith(file, padOpts)
	} else {
		p, cerr := compileFile(program)
		if cerr != nil {
			return cerr
		}
		padOpts.Entry, padOpts.Model, padOpts.MaxBytes = *entry, *model, limit
		info, err = p.DescribeData(file, padOpts)
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

// padFlags checks nnc data's padding flags: --pad-value, --max-len and
// --truncate need --pad, --truncate needs --max-len.
func padFlags(fs *flag.FlagSet, pad string, value float64, maxLen int, truncate bool) (nnc.DataInfoOptions, error) {
	var o nnc.DataInfoOptions
	if pad == "" {
		set := given(fs)
		for _, f := range []string{"pad-value", "max-len", "truncate"} {
			if set[f] {
				return o, usagef("--%s needs --pad FIELD", f)
			}
		}
		return o, nil
	}
	for _, f := range strings.Split(pad, ",") {
		if f = strings.TrimSpace(f); f == "" {
			return o, usagef("--pad: want field names separated by commas, got %q", pad)
		}
		o.Pad = append(o.Pad, strings.TrimSpace(f))
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return o, usagef("--pad-value: want a finite number, got %v", value)
	}
	if maxLen < 0 || maxLen > math.MaxInt32 {
		return o, usagef("--max-len: want a positive length, got %d", maxLen)
	}
	if truncate && maxLen == 0 {
		return o, usagef("--truncate needs --max-len")
	}
	o.PadValue, o.MaxLen, o.Truncate = value, maxLen, truncate
	return o, nil
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
