package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/nnclang/nnc"
)

// cmdPlot draws training logs:
//
//	nnc plot RUN.jsonl... -o curves.png|curves.svg [--x step|epoch]
//	         [--title T] [--log-loss] [--name NAME ...] [--width IN] [--height IN]
//
// Each RUN.jsonl is a log written by nnc train --log. The image has a
// panel for the loss (steps, epochs, validation), one for the other
// metrics and one for the learning rate, the runs overlaid.
func cmdPlot(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	out := fs.String("o", "", "the image to write: a .png or .svg file (required)")
	x := fs.String("x", "step", "the horizontal axis: step or epoch")
	title := fs.String("title", "", "a title above the curves")
	logLoss := fs.Bool("log-loss", false, "draw the loss on a logarithmic scale")
	var names listFlag
	fs.Var(&names, "name", "the legend's name of each log, in order (repeatable; default: the run's name, else the file name)")
	width := fs.Float64("width", 0, "the image's width in inches (default 8; PNG: 96 pixels per inch)")
	height := fs.Float64("height", 0, "the image's height in inches (default 3 per panel)")
	logs, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(logs) == 0 {
		return usagef("want at least one RUN.jsonl log")
	}
	if *out == "" {
		return usagef("-o: want the image to write (.png or .svg)")
	}
	if ext := strings.ToLower(filepath.Ext(*out)); ext != ".png" && ext != ".svg" {
		return usagef("-o %s: the image must be a .png or .svg file", *out)
	}
	if *x != "step" && *x != "epoch" {
		return usagef("--x: want step or epoch, got %q", *x)
	}
	if len(names) != 0 && len(names) != len(logs) {
		return usagef("--name: %d names for %d logs", len(names), len(logs))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"width", *width}, {"height", *height}} {
		if math.IsNaN(f.v) || f.v < 0 || f.v > 100 || given(fs)[f.name] && f.v == 0 {
			return usagef("--%s: want a size in inches, more than 0 and at most 100, got %v", f.name, f.v)
		}
	}
	o := nnc.PlotOptions{Width: *width, Height: *height, X: *x, Title: *title, LogLoss: *logLoss, Names: names}
	if err := nnc.PlotLogs(*out, logs, o); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}
