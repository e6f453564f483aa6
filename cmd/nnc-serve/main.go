// Command nnc-serve answers KServe/Triton v2 inference requests over HTTP
// for one entry of a .nn program (package serve):
//
//	nnc-serve FILE [--params P.safetensors] [--entry M.forward] [--addr :8080]
//	          [--name NAME] [--max-batch 32] [--max-delay 2ms] [--workers N]
//	          [--max-body 64MB] [--max-pending 256MB] [--infer-timeout 30s]
//	          [--drain-timeout 30s] [--max-queue N] [--max-plans 64]
//	          [--max-dim T=512,...] [--max-memory SIZE]
//
// "nnc serve ARGS" runs it (see docs/deploy.md, "Serving over HTTP"). It
// is a program of its own so that the nnc command does not link net/http,
// whose resolver links the C library when cgo is on. It prints the
// address it listens on to stderr and runs until SIGINT or SIGTERM, then
// stops accepting connections and answers the requests in progress
// before it exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/serve"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a bad command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run serves as the command line says until ctx is done and returns the
// exit status: 0 after a graceful shutdown, 1 for an error, 2 for a usage
// error.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	err := serveMain(ctx, args, stderr)
	var ue *usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "nnc serve: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "nnc serve: %v\n", err)
		return 1
	}
}

// config is the command line.
type config struct {
	file, entry, params, from, addr, maxBody, maxPending, maxMemory, maxDim string
	seed                                                                    uint64
	model                                                                   nnc.ServeOptions
	o                                                                       serve.Options
}

// flags defines the command's flags, storing into c.
func flags(c *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.entry, "entry", "", "the function or method to serve (default: the program's only M.forward)")
	fs.StringVar(&c.params, "params", "", "the trained parameters (.safetensors); without it, parameters are initialized from --seed")
	fs.StringVar(&c.from, "from", "", "the naming of the parameters file: torch for a PyTorch state_dict (docs/interop.md)")
	fs.Uint64Var(&c.seed, "seed", 0, "seed for initializing parameters when --params is not given")
	fs.StringVar(&c.addr, "addr", ":8080", "the address to listen on, host:port (port 0: any free port)")
	fs.StringVar(&c.model.Name, "name", "", "the model's name in the URLs, /v2/models/NAME/infer (default: the entry)")
	fs.IntVar(&c.o.MaxBatch, "max-batch", 32, "the most rows of the batch axis joined into one run (1: no batching)")
	fs.DurationVar(&c.o.MaxDelay, "max-delay", 2*time.Millisecond, "how long a request waits for others to join its batch")
	fs.IntVar(&c.o.Workers, "workers", 0, "runs of the model at once (default: the number of CPUs)")
	fs.IntVar(&c.o.MaxQueue, "max-queue", 0, "the most requests waiting for a worker; past it new ones wait for room, within --infer-timeout (default: 64 per worker)")
	fs.StringVar(&c.maxBody, "max-body", "64MB", "the largest request body (B, KB, MB, GB); larger ones get 413")
	fs.StringVar(&c.maxPending, "max-pending", "256MB", "the most bytes of request bodies held at once; past it requests get 503")
	fs.DurationVar(&c.o.ReadTimeout, "read-timeout", 30*time.Second, "the longest time to read a request")
	fs.DurationVar(&c.o.WriteTimeout, "write-timeout", 60*time.Second, "the longest time from reading a request's headers to writing its answer")
	fs.DurationVar(&c.o.InferTimeout, "infer-timeout", 30*time.Second, "the longest time an infer request waits and runs; past it the answer is 503")
	fs.DurationVar(&c.o.DrainTimeout, "drain-timeout", 30*time.Second, "on SIGINT or SIGTERM, how long requests in progress may take before they are cancelled")
	fs.IntVar(&c.o.MaxPlans, "max-plans", 64, "the most input shapes kept compiled; a new shape past it drops the least recently used one's plan")
	fs.StringVar(&c.maxDim, "max-dim", "", "bounds on the inputs' shape variables, NAME=N,... (e.g. T=512); a request past one gets 400")
	fs.StringVar(&c.maxMemory, "max-memory", "", "the most memory one plan may take, e.g. 2GB (default: $NNC_MAX_MEMORY, else the memory available)")
	return fs
}

func parseArgs(args []string, stderr io.Writer) (*config, error) {
	var c config
	fs := flags(&c, stderr)
	// Flags may come before or after FILE, as for the nnc command.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != 1 {
		return nil, usagef("want one .nn file, got %d arguments", len(pos))
	}
	c.file = pos[0]
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return &c, c.check(given)
}

// check validates the flags' values.
func (c *config) check(given map[string]bool) error {
	for _, name := range []string{"entry", "params", "addr", "name", "from"} {
		if given[name] && map[string]string{"entry": c.entry, "params": c.params, "addr": c.addr, "name": c.model.Name, "from": c.from}[name] == "" {
			return usagef("--%s: an empty value", name)
		}
	}
	if c.from != "" && c.from != "torch" {
		return usagef("--from %q: the only foreign naming is torch", c.from)
	}
	n, err := parseSize(c.maxBody)
	if err != nil {
		return usagef("--max-body: %v", err)
	}
	c.o.MaxBody = n
	if c.o.MaxPending, err = parseSize(c.maxPending); err != nil {
		return usagef("--max-pending: %v", err)
	}
	if c.o.MaxPending < c.o.MaxBody {
		return usagef("--max-pending %s is less than --max-body %s", c.maxPending, c.maxBody)
	}
	if c.o.MaxPlans < 1 || c.o.MaxPlans > 1<<20 {
		return usagef("--max-plans: want 1 to 1048576 shapes, got %d", c.o.MaxPlans)
	}
	if c.maxDim != "" || given["max-dim"] {
		if c.model.MaxDims, err = parseDims(c.maxDim); err != nil {
			return usagef("--max-dim: %v", err)
		}
	}
	if c.o.MaxBatch < 1 || c.o.MaxBatch > 1<<20 {
		return usagef("--max-batch: want 1 to 1048576 rows, got %d", c.o.MaxBatch)
	}
	if given["workers"] && (c.o.Workers < 1 || c.o.Workers > 4096) {
		return usagef("--workers: want 1 to 4096, got %d", c.o.Workers)
	}
	if given["max-queue"] && (c.o.MaxQueue < 1 || c.o.MaxQueue > 1<<20) {
		return usagef("--max-queue: want 1 to 1048576 requests, got %d", c.o.MaxQueue)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"max-delay", c.o.MaxDelay}, {"read-timeout", c.o.ReadTimeout}, {"write-timeout", c.o.WriteTimeout}, {"infer-timeout", c.o.InferTimeout}, {"drain-timeout", c.o.DrainTimeout}} {
		if d.v <= 0 {
			return usagef("--%s: want a positive duration, got %v", d.name, d.v)
		}
	}
	return nil
}

// parseSize reads a size: a whole number with an optional unit B, KB, MB
// or GB (powers of 1024), at most 1 TiB.
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.size
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 1 || n > (1<<40)/mult {
		return 0, fmt.Errorf("bad size %q: want a whole number of bytes from 1 to 1TB, such as 4096, 512KB or 64MB", s)
	}
	return n * mult, nil
}

// parseDims reads --max-dim: NAME=N pairs separated by commas, each name
// once, each N from 1 to 2^40.
func parseDims(s string) (map[string]int64, error) {
	dims := map[string]int64{}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("%q: want NAME=N, such as T=512", part)
		}
		if _, dup := dims[name]; dup {
			return nil, fmt.Errorf("%s is bounded twice", name)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if err != nil || n < 1 || n > 1<<40 {
			return nil, fmt.Errorf("%s=%s: want a whole number from 1 to %d", name, val, int64(1)<<40)
		}
		dims[name] = n
	}
	return dims, nil
}

// setMemory applies --max-memory, else $NNC_MAX_MEMORY.
func (c *config) setMemory() error {
	src, val := "--max-memory", c.maxMemory
	if val == "" {
		src, val = "NNC_MAX_MEMORY", os.Getenv("NNC_MAX_MEMORY")
		if val == "" {
			return nil
		}
	}
	n, err := parseSize(val)
	if err != nil {
		return usagef("%s: %v", src, err)
	}
	return nnc.SetMemoryLimit(n)
}

// load compiles FILE and prepares the entry with its parameters.
func (c *config) load() (*nnc.Func, error) {
	p, err := nnc.CompileFile(c.file)
	if err != nil {
		return nil, err
	}
	if c.entry == "" {
		var fwd []string
		for _, e := range p.Entries() {
			if strings.HasSuffix(e, ".forward") {
				fwd = append(fwd, e)
			}
		}
		if len(fwd) != 1 {
			return nil, usagef("--entry is required: %s has %d forward methods (entries: %s)", c.file, len(fwd), strings.Join(p.Entries(), ", "))
		}
		c.entry = fwd[0]
	}
	f, err := p.Func(c.entry)
	if err != nil {
		return nil, err
	}
	if c.seed != 0 {
		if err := f.InitParams(c.seed); err != nil {
			return nil, err
		}
	}
	if c.params != "" {
		if c.from != "" {
			err = f.LoadParamsWith(c.params, nnc.ParamsOptions{From: c.from})
		} else {
			err = f.LoadParams(c.params)
		}
		if err != nil {
			return nil, err
		}
	}
	c.model.Params = c.params
	return f, nil
}

func serveMain(ctx context.Context, args []string, stderr io.Writer) error {
	c, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	if err := c.setMemory(); err != nil {
		return err
	}
	f, err := c.load()
	if err != nil {
		return err
	}
	srv, err := serve.ForFunc(f, c.model, c.o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		srv.Close()
		return fmt.Errorf("--addr %s: %v", c.addr, err)
	}
	name := c.model.Name
	if name == "" {
		name = c.entry
	}
	so := srv.Options()
	fmt.Fprintf(stderr, "nnc serve: %s on http://%s (POST /v2/models/%s/infer; batches of up to %d rows, %d workers; metrics at /metrics)\n",
		c.entry, ln.Addr(), name, so.MaxBatch, so.Workers)
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "nnc serve: shut down")
	return nil
}
