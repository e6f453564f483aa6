package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/nnclang/nnc"
)

var errHelp = errors.New("help shown")

// parse parses flags that may come before or after positional arguments
// (nnc grad f.nn --entry f) and returns the positional ones.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, error) {
	fs.SetOutput(stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// listFlag collects a repeated flag (--in x=1 --in y=2).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// shapesFlag parses --shapes B=64,T=10 (repeatable).
type shapesFlag map[string]int

func (s shapesFlag) String() string { return fmt.Sprint(map[string]int(s)) }

func (s shapesFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		name, val, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(val)
		if !ok || err != nil || n < 0 {
			return fmt.Errorf("want NAME=SIZE, got %q", part)
		}
		s[strings.TrimSpace(name)] = n
	}
	return nil
}

// oneFile checks that exactly one positional FILE was given.
func oneFile(pos []string) (string, error) {
	if len(pos) != 1 {
		return "", usagef("want exactly one FILE, got %d arguments", len(pos))
	}
	return pos[0], nil
}

// argsFlag collects --arg NAME=VALUE model arguments.
type argsFlag map[string]any

func (a argsFlag) String() string { return fmt.Sprint(map[string]any(a)) }

func (a argsFlag) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	if n, err := strconv.Atoi(val); err == nil {
		a[name] = n
	} else if f, err := strconv.ParseFloat(val, 64); err == nil {
		a[name] = f
	} else if b, err := strconv.ParseBool(val); err == nil {
		a[name] = b
	} else {
		a[name] = val
	}
	return nil
}

// modelArgs are this command line's --arg values and o0 its -O0 (both
// reset by run).
var (
	modelArgs = argsFlag{}
	o0        bool
)

// newFlagSet starts the flags of a command that compiles a program; every
// such command takes --arg.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Var(modelArgs, "arg", "a model argument, NAME=VALUE, overriding its default (repeatable)")
	fs.BoolVar(&o0, "O0", false, "run the graphs as lowered, without the optimizer's passes")
	return fs
}

// compileFile compiles FILE with the command line's model arguments.
func compileFile(file string) (*nnc.Program, error) {
	p, err := nnc.CompileFile(file)
	if err != nil {
		return nil, err
	}
	p.SetModelArgs(modelArgs)
	if o0 {
		p.SetOptLevel(0)
	}
	return p, nil
}
