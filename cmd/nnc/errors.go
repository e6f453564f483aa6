package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nnclang/nnc"
)

// codedLines renders a program's errors as docs/cli.md says, one per line:
// "file:line:col: E203: message" (the code left out where an error has none).
func codedLines(l nnc.ErrorList) string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = coded(e)
	}
	return strings.Join(parts, "\n")
}

func coded(e *nnc.Error) string {
	msg := e.Msg
	if e.Code != "" {
		msg = e.Code + ": " + msg
	}
	p := e.Pos.String()
	if flag, ok := optionFlags[e.Pos.File]; ok && e.Pos.Line == 0 {
		p = flag // a setting an option gave ("TrainOptions.Schedule")
	}
	if p != "" {
		return p + ": " + msg
	}
	return msg
}

// errorText is what the command line prints for err: the errors of a
// program with their codes (after the context a wrapper added), a memory
// error naming the flag and variable that set the limit (memoryText),
// anything else as it reads.
func errorText(err error) string {
	return memoryText(err, libraryText(err))
}

// libraryText is err with the errors of a program coded and the options
// named by their flags.
func libraryText(err error) string {
	msg := err.Error()
	var list nnc.ErrorList
	var one *nnc.Error
	var opt *nnc.OptionError
	switch {
	case errors.As(err, &opt):
		if strings.HasSuffix(msg, opt.Error()) {
			return msg[:len(msg)-len(opt.Error())] + optionText(opt)
		}
	case errors.As(err, &list):
		if strings.HasSuffix(msg, list.Error()) {
			return msg[:len(msg)-len(list.Error())] + codedLines(list)
		}
	case errors.As(err, &one):
		if strings.HasSuffix(msg, one.Error()) {
			return msg[:len(msg)-len(one.Error())] + coded(one)
		}
	}
	return msg
}

// errorJSON is one error as check --json prints it.
type errorJSON struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorsJSON lists err as JSON objects: each error of a program with its
// position and code, any other error as one object naming file.
func errorsJSON(file string, err error) []errorJSON {
	var list nnc.ErrorList
	var one *nnc.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = nnc.ErrorList{one}
	default:
		return []errorJSON{{File: file, Message: err.Error()}}
	}
	out := make([]errorJSON, len(list))
	for i, e := range list {
		f := e.Pos.File
		if f == "" {
			f = file
		}
		out[i] = errorJSON{File: f, Line: e.Pos.Line, Column: e.Pos.Col, Code: e.Code, Message: e.Msg}
	}
	return out
}

// writeErrorsJSON prints {"errors": [...]} on w.
func writeErrorsJSON(w io.Writer, file string, err error) error {
	return writeJSON(w, map[string]any{"errors": errorsJSON(file, err)})
}

// printError prints a command's error on stderr.
func printError(stderr io.Writer, err error) {
	fmt.Fprintln(stderr, errorText(err))
}

// optionFlags are the flags that set the fields of the API's options, as
// the messages of the command line name them.
var optionFlags = map[string]string{
	"TrainOptions.MaxMemory":   "--max-memory",
	"TrainOptions.Model":       "--model",
	"EvalOptions.Model":        "--model",
	"TrainOptions.Data":        "--data",
	"EvalOptions.Data":         "--data",
	"TrainOptions.Split":       "--split",
	"EvalOptions.Split":        "--split",
	"TrainOptions.Inputs":      "--inputs",
	"EvalOptions.Inputs":       "--inputs",
	"TrainOptions.Labels":      "--labels",
	"EvalOptions.Labels":       "--labels",
	"TrainOptions.Shapes":      "--shapes",
	"EvalOptions.Shapes":       "--shapes",
	"TrainOptions.Seq":         "--seq",
	"TrainOptions.TextContext": "--context",
	"EvalOptions.TextContext":  "--context",
	"GraphOptions.Grad":        "graph --grad",
	"BenchOptions.Shapes":      "--shapes",
	"GraphOptions.Shapes":      "--shapes",
	"BenchOptions.Entry":       "--entry",
	"BenchOptions.Inputs":      "--in",
	"BuildOptions.Shapes":      "--shapes",
	"BuildOptions.Package":     "--package",
	"BuildOptions.Target":      "--target",
	"BuildOptions.Module":      "--module",
	"BuildOptions.Dynamic":     "--dynamic",

	"TrainOptions.Entry":         "--entry",
	"TrainOptions.Optimizer":     "--optimizer",
	"TrainOptions.Schedule":      "--schedule",
	"TrainOptions.Metrics":       "--metrics",
	"EvalOptions.Metrics":        "--metrics",
	"TrainOptions.EarlyStop":     "--early-stop",
	"TrainOptions.Freeze":        "--freeze",
	"TrainOptions.Checkpoint":    "--checkpoint",
	"TrainOptions.EvalTrain":     "--eval-train",
	"TrainOptions.ValEvery":      "--val-every",
	"TrainOptions.LogEvery":      "--log-every",
	"TrainOptions.CheckpointDir": "--checkpoint-dir",
	"TrainOptions.Resume":        "--resume",
	"TrainOptions.InitFrom":      "--init-from",
	"TrainOptions.Log":           "--log",
	"SampleOptions.Entry":        "--entry",
	"SampleOptions.Prompt":       "--prompt",
	"SampleOptions.Context":      "--context",
}

// optionHints say how a missing option's flag fixes an error.
var optionHints = map[string]string{
	"--model": "; name the model with --model",
	"--data":  ", or pass --data",
}

// optionText is an nnc.OptionError as the command line says it: with the
// flag that sets the option instead of the option's name ("--max-memory
// 100 B: ..."), or, for a missing option, a hint naming the flag.
func optionText(e *nnc.OptionError) string {
	flag, ok := optionFlags[e.Option]
	if !ok {
		return e.Error()
	}
	var s string
	switch {
	case e.Missing:
		hint, ok := optionHints[flag]
		if !ok {
			hint = " (set " + flag + ")"
		}
		s = e.Msg + hint
	case e.Value != "":
		s = flag + " " + e.Value + ": " + e.Msg
	default:
		s = flag + ": " + e.Msg
	}
	if e.Where != "" {
		s = e.Where + ": " + s
	}
	return s
}
