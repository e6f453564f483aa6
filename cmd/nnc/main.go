// Command nnc compiles, checks, runs, differentiates and trains .nn models.
//
// Usage:
//
//	nnc check FILE [--shapes B=64] [--params P.safetensors]
//	nnc fmt   [-w] [-l] FILE...
//	nnc graph FILE --entry M.fn [--grad] [--format text|dot]
//	nnc run   FILE --entry M.fn [--params P.safetensors] --in x=V ... [--out F]
//	nnc grad  FILE --entry M.fn --wrt x,W [--params P] --in x=V ...
//	nnc train FILE [--model M] [flags overriding the train block: --epochs N --schedule S ...]
//	          [--resume CKPT | --init-from CKPT] [--log run.jsonl] [-o P.safetensors]
//	nnc eval  FILE --params P.safetensors [--data D] [--metrics accuracy,f1]
//	nnc gradcheck FILE --entry M.fn [--in x=V ...] [--shapes B=3]
//	nnc data  DATA [FILE.nn [--model M | --entry M.fn]] [--json]
//	nnc plot  RUN.jsonl... -o curves.png|.svg
//
// check, run, grad, train, eval and gradcheck take --max-memory 2GB, the
// most memory one plan may take (default: the environment variable
// NNC_MAX_MEMORY, else the memory available).
//
// Results are one JSON object on stdout. Exit status: 0 success, 1 an error in
// the program or its data (printed as file:line:col: CODE: message), 2 a
// usage error, 130 training aborted by a second interrupt. See docs/cli.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// errReported means the command already printed its errors (exit status 1).
var errReported = errors.New("errors reported")

// usageError is a mistake in the command line itself (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

const usage = `nnc: a neural-network compiler for Go

Usage:
  nnc check FILE [--shapes B=64] [--params P]
                                         types and shapes; parameters, FLOPs, peak memory;
                                         the zeros and sparsity of P's tensors
  nnc fmt   [-w] [-l] FILE...            canonical formatting, like gofmt
  nnc graph FILE --entry M.fn [--grad] [--format text|dot]
  nnc run   FILE --entry M.fn [--params P.safetensors] --in x=V ... [--out F]
  nnc grad  FILE --entry M.fn --wrt x,W [--params P] --in x=V ...
  nnc train FILE [--model M] [flags overriding the train block] [-o P.safetensors]
            [--resume CKPT | --init-from CKPT] [--log run.jsonl] [--remat] [--allow-nonfinite]
                                         a bar on a terminal; Ctrl-C writes a checkpoint
  nnc eval  FILE --params P.safetensors [--data D] [--metrics m,...] [--allow-nonfinite]
  nnc gradcheck FILE --entry M.fn [--in x=V ...] [--shapes B=3]
                                         check gradients against finite differences
  nnc data  DATA [FILE.nn [--model M | --entry M.fn]] [--json] [--pad F [--max-len N]]
                                         what a data file holds; how it binds to an entry
  nnc plot  RUN.jsonl... -o curves.png|.svg [--x step|epoch]
                                         training curves from nnc train --log
  nnc import MODEL.onnx -o FILE.nn [--params P.safetensors] [--model Net]
                                         an ONNX model as a readable .nn program and its weights
  nnc export FILE --entry M.forward [--params P] [--shapes T=64] -o MODEL.onnx
                                         the entry's inference graph as an ONNX model (opset 17)
  nnc lsp                                the language server for editors (LSP on stdin/stdout)
  nnc bench FILE --entry M.fn [--train] [--shapes B=64] [--threads N] [--json] [--cpuprofile F]
                                         time per call, GFLOP/s, memory, profile by op and .nn line
  nnc build FILE --entry M.forward [--params P] [--shapes B=1] [--package name] -o DIR
                                         a Go package running the entry's plan, weights embedded
  nnc sample FILE --params P [--prompt "ROMEO:"] [--length 500] [--temperature 0.8] [--top-k 40] [--seed 1]
                                         text from a language model's step method, one step per token
  nnc serve FILE [--params P] [--entry M.forward] [--addr :8080] [--max-batch 32] [--max-delay 2ms]
                                         a KServe/Triton v2 HTTP inference server, batching requests

check, run, grad, train, eval and gradcheck take --max-memory 2GB: the most
memory one plan may take (default: $NNC_MAX_MEMORY, else the memory available).

Run 'nnc COMMAND -h' for a command's flags.
`

var commands = map[string]func(args []string, stdout, stderr io.Writer) error{
	"check":     cmdCheck,
	"fmt":       cmdFmt,
	"graph":     cmdGraph,
	"run":       cmdRun,
	"grad":      cmdGrad,
	"train":     cmdTrain,
	"eval":      cmdEval,
	"gradcheck": cmdGradcheck,
	"data":      cmdData,
	"plot":      cmdPlot,
	"import":    cmdImport,
	"export":    cmdExport,
	"lsp":       cmdLsp,
	"bench":     cmdBench,
	"build":     cmdBuild,
	"sample":    cmdSample,
	"serve":     cmdServe,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	modelArgs, o0, maxMemory = argsFlag{}, false, ""
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "nnc: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	err := cmd(args[1:], stdout, stderr)
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errReported):
		return 1
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "nnc %s: %v\n", args[0], err)
		return 2
	default:
		printError(stderr, err)
		return 1
	}
}
