package main

import (
	"errors"
	"flag"
	"os"
	"strings"

	"github.com/nnclang/nnc"
)

// envMaxMemory is the environment variable that sets the memory limit of
// the commands that run plans when --max-memory is not given.
const envMaxMemory = "NNC_MAX_MEMORY"

// maxMemory is this command line's --max-memory (reset by run).
var maxMemory string

// memoryFlag adds --max-memory to a command that runs plans (check, run,
// grad, gradcheck, train, eval).
func memoryFlag(fs *flag.FlagSet, help string) {
	fs.StringVar(&maxMemory, "max-memory", "", help)
}

// memoryHelp is the help of --max-memory on the commands that run plans.
const memoryHelp = "the most memory one plan may take, e.g. 2GB (default: $" + envMaxMemory + ", else the memory available)"

// setMemoryLimit sets the process's memory limit (nnc.SetMemoryLimit) from
// --max-memory when the command line gives it, else from NNC_MAX_MEMORY
// when that is set and not empty; otherwise it restores the default, the
// memory available (so that each command line of a process starts
// afresh). A value parseBytes refuses is a usage error naming the flag or
// the variable. It returns the bytes --max-memory gave (0 when it was not
// given).
func setMemoryLimit(fs *flag.FlagSet) (flagBytes int64, err error) {
	src, val := "--max-memory", maxMemory
	if !given(fs)["max-memory"] {
		src, val = envMaxMemory, os.Getenv(envMaxMemory)
		if val == "" {
			return 0, nnc.SetMemoryLimit(0)
		}
	}
	n, err := parseBytes(val)
	if err != nil {
		return 0, usagef("%s: %v", src, err)
	}
	if err := nnc.SetMemoryLimit(n); err != nil {
		return 0, usagef("%s: %v", src, err)
	}
	if src == envMaxMemory {
		return 0, nil
	}
	return n, nil
}

// The note a *nnc.MemoryError adds to the default limit (the memory
// available) speaks of the option; the command line says which flag and
// variable set it.
const (
	libraryLimitNote = "(the default limit; set a larger memory limit)"
	cliLimitNote     = "(the default limit; --max-memory or " + envMaxMemory + " sets another)"
)

// memoryText is text, err as the command line prints it, with the note of
// a memory error refused under the default limit in the command line's
// words.
func memoryText(err error, text string) string {
	var me *nnc.MemoryError
	if !errors.As(err, &me) || me.Set {
		return text
	}
	lib := me.Error()
	return strings.Replace(text, lib, strings.Replace(lib, libraryLimitNote, cliLimitNote, 1), 1)
}
