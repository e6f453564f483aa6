package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nnclang/nnc"
)

// serveContext is the context nnc serve stops at: SIGINT or SIGTERM.
var serveContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// cmdServe answers KServe/Triton v2 inference requests over HTTP:
//
//	nnc serve FILE --params P.safetensors [--entry M.forward] [--addr :8080]
//	          [--name NAME] [--max-batch 32] [--max-delay 2ms] [--workers N]
//	          [--max-body 64MB] [--infer-timeout 30s] [--drain-timeout 30s]
//
// It prints the address it listens on to stderr and runs until SIGINT or
// SIGTERM, then stops accepting connections and answers the requests in
// progress before it exits (see docs/deploy.md, "Serving over HTTP").
func cmdServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve")
	var o nnc.ServeOptions
	entry := fs.String("entry", "", "the function or method to serve (default: the program's only M.forward)")
	params := fs.String("params", "", "the trained parameters (.safetensors); without it, parameters are initialized from --seed")
	seed := fs.Uint64("seed", 0, "seed for initializing parameters when --params is not given")
	var pf paramFlags
	pf.define(fs)
	addr := fs.String("addr", ":8080", "the address to listen on, host:port (port 0: any free port)")
	fs.StringVar(&o.Name, "name", "", "the model's name in the URLs, /v2/models/NAME/infer (default: the entry)")
	fs.IntVar(&o.Server.MaxBatch, "max-batch", 32, "the most rows of the batch axis joined into one run (1: no batching)")
	fs.DurationVar(&o.Server.MaxDelay, "max-delay", 2*time.Millisecond, "how long a request waits for others to join its batch")
	fs.IntVar(&o.Server.Workers, "workers", 0, "runs of the model at once (default: the number of CPUs)")
	maxBody := fs.String("max-body", "64MB", "the largest request body; larger ones get 413")
	fs.DurationVar(&o.Server.ReadTimeout, "read-timeout", 30*time.Second, "the longest time to read a request")
	fs.DurationVar(&o.Server.WriteTimeout, "write-timeout", 60*time.Second, "the longest time from reading a request's headers to writing its answer")
	fs.DurationVar(&o.Server.InferTimeout, "infer-timeout", 30*time.Second, "the longest time an infer request waits and runs; past it the answer is 503")
	fs.DurationVar(&o.Server.DrainTimeout, "drain-timeout", 30*time.Second, "on SIGINT or SIGTERM, how long requests in progress may take before they are cancelled")
	memoryFlag(fs, memoryHelp)
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	file, err := oneFile(pos)
	if err != nil {
		return err
	}
	if err := nonEmpty(fs, "entry", "params", "addr", "name"); err != nil {
		return err
	}
	if err := serveFlags(fs, &o, *maxBody); err != nil {
		return err
	}
	if _, err := setMemoryLimit(fs); err != nil {
		return err
	}
	if *entry == "" {
		if *entry, err = forwardEntry(file); err != nil {
			return err
		}
	}
	f, err := loadFuncWith(file, *entry, *params, *seed, &pf)
	if err != nil {
		return err
	}
	o.Params = *params
	srv, err := nnc.NewServer(f, o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		srv.Close()
		return err
	}
	name := o.Name
	if name == "" {
		name = *entry
	}
	so := srv.Options()
	fmt.Fprintf(stderr, "nnc serve: %s on http://%s (POST /v2/models/%s/infer; batches of up to %d rows, %d workers; metrics at /metrics)\n",
		*entry, ln.Addr(), name, so.MaxBatch, so.Workers)
	ctx, stop := serveContext()
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "nnc serve: shut down")
	return nil
}

// serveFlags checks the numeric flags of serve.
func serveFlags(fs *flag.FlagSet, o *nnc.ServeOptions, maxBody string) error {
	n, err := parseBytes(maxBody)
	if err != nil {
		return usagef("--max-body: %v", err)
	}
	o.Server.MaxBody = n
	if o.Server.MaxBatch < 1 || o.Server.MaxBatch > 1<<20 {
		return usagef("--max-batch: want 1 to 1048576 rows, got %d", o.Server.MaxBatch)
	}
	if given(fs)["workers"] && (o.Server.Workers < 1 || o.Server.Workers > 4096) {
		return usagef("--workers: want 1 to 4096, got %d", o.Server.Workers)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"max-delay", o.Server.MaxDelay}, {"read-timeout", o.Server.ReadTimeout}, {"write-timeout", o.Server.WriteTimeout}, {"infer-timeout", o.Server.InferTimeout}, {"drain-timeout", o.Server.DrainTimeout}} {
		if d.v <= 0 {
			return usagef("--%s: want a positive duration, got %v", d.name, d.v)
		}
	}
	return nil
}

// forwardEntry is the program's only forward method, the default entry of
// serve.
func forwardEntry(file string) (string, error) {
	p, err := compileFile(file)
	if err != nil {
		return "", err
	}
	var fwd []string
	for _, e := range p.Entries() {
		if strings.HasSuffix(e, ".forward") {
			fwd = append(fwd, e)
		}
	}
	if len(fwd) != 1 {
		return "", usagef("--entry is required: %s has %d forward methods (entries: %s)", file, len(fwd), strings.Join(p.Entries(), ", "))
	}
	return fwd[0], nil
}
