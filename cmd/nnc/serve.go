package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// serveProgram is the program nnc serve runs: package serve's HTTP server
// is a command of its own (cmd/nnc-serve), so that nnc does not link
// net/http, whose resolver links the C library when cgo is on (dynamic
// linking and its thread arenas take hundreds of MB of address space, which
// the memory-limited hostile tests measure).
const serveProgram = "nnc-serve"

// cmdServe runs nnc-serve with the command line (docs/cli.md, "serve"):
//
//	nnc serve FILE [--params P.safetensors] [--entry M.forward] [--addr :8080] ...
//
// It looks for nnc-serve beside the nnc executable, then on $PATH, and
// replaces this process with it, so that SIGINT and SIGTERM reach the
// server directly.
func cmdServe(args []string, stdout, stderr io.Writer) error {
	path, err := servePath()
	if err != nil {
		return err
	}
	argv := append([]string{path}, args...)
	err = syscall.Exec(path, argv, os.Environ())
	// Exec returns only when it failed (or where it does not exist, as on
	// Windows): run the server as a child instead.
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	if cerr := cmd.Run(); cerr != nil {
		var ee *exec.ExitError
		if errors.As(cerr, &ee) {
			return errReported
		}
		return fmt.Errorf("running %s: %v (exec: %v)", path, cerr, err)
	}
	return nil
}

// servePath finds nnc-serve beside the running nnc, else on $PATH.
func servePath() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), serveProgram)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(serveProgram); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("nnc serve runs the program %s, which is neither beside nnc nor on $PATH: install it with go install github.com/nnclang/nnc/cmd/nnc-serve (or go install ./cmd/... in the repository)", serveProgram)
}
