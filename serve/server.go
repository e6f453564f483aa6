// Package serve answers inference requests for a model over HTTP, following
// the KServe / Triton "v2" REST protocol: health, model metadata and infer
// endpoints with named, typed, shaped tensors in JSON, dynamic batching of
// concurrent requests along the batch axis, limits on request bodies and
// time, graceful shutdown, and Prometheus metrics at /metrics.
//
// A Model is its specs and a Run function; nnc.NewServeModel describes an
// entry of a program so, and ForFunc serves one. The package is apart from
// the root package so that programs that do not serve (the nnc command
// among them) do not link net/http and, through it, the C library.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nnclang/nnc"
)

// Options configure a Server. Zero fields take the defaults below.
type Options struct {
	// MaxBatch is the most rows of the batch axis joined into one run
	// (default 32; 1 turns dynamic batching off).
	MaxBatch int
	// MaxDelay is how long a request waits for others to join its batch
	// (default 2ms).
	MaxDelay time.Duration
	// Workers is how many runs of the model go on at once (default
	// GOMAXPROCS).
	Workers int
	// MaxQueue is how many requests wait for a worker before new ones
	// block (default 64 times Workers).
	MaxQueue int
	// MaxBody is the largest request body in bytes (default 64 MiB);
	// a larger one gets 413.
	MaxBody int64
	// MaxPending bounds the bytes of the infer request bodies held at
	// once, read or being read (default 256 MiB, at least MaxBody); a
	// request that would pass it gets 503. Their decoded tensors take up
	// to four times as much (an 8-byte element from a 2-byte number).
	MaxPending int64
	// ReadTimeout and WriteTimeout bound reading a request and writing its
	// answer (net/http.Server's; default 30s and 60s); InferTimeout bounds
	// an infer request from its headers to its answer, waiting included
	// (default 30s; past it the answer is 503).
	ReadTimeout, WriteTimeout, InferTimeout time.Duration
	// DrainTimeout bounds a graceful shutdown: requests still running past
	// it are cancelled (default 30s).
	DrainTimeout time.Duration
	// MaxPlans bounds the input shapes the model keeps compiled (default
	// 64; Model.SetMaxPlans): a request of a new shape past it drops the
	// least recently used shape's plan, counted in the metrics
	// (nnc_plan_evictions_total), so that clients sending many shapes
	// cannot make the server keep unboundedly many plans. Each worker
	// running a shape holds its own plan of it.
	MaxPlans int
}

func (o *Options) defaults() error {
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 32
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxQueue == 0 {
		o.MaxQueue = 64 * o.Workers
	}
	if o.MaxBody == 0 {
		o.MaxBody = 64 << 20
	}
	if o.MaxPending == 0 {
		o.MaxPending = max(256<<20, o.MaxBody)
	}
	if o.MaxPlans == 0 {
		o.MaxPlans = 64
	}
	set(&o.MaxDelay, 2*time.Millisecond)
	set(&o.ReadTimeout, 30*time.Second)
	set(&o.WriteTimeout, 60*time.Second)
	set(&o.InferTimeout, 30*time.Second)
	set(&o.DrainTimeout, 30*time.Second)
	switch {
	case o.MaxBatch < 1 || o.MaxBatch > 1<<20:
		return fmt.Errorf("the largest batch is %d rows: want 1 to %d", o.MaxBatch, 1<<20)
	case o.Workers < 1 || o.Workers > 4096:
		return fmt.Errorf("%d workers: want 1 to 4096", o.Workers)
	case o.MaxQueue < 1 || o.MaxQueue > 1<<20:
		return fmt.Errorf("a queue of %d requests: want 1 to %d", o.MaxQueue, 1<<20)
	case o.MaxPlans < 1 || o.MaxPlans > 1<<20:
		return fmt.Errorf("a bound of %d plans: want 1 to %d", o.MaxPlans, 1<<20)
	case o.MaxBody < 1:
		return fmt.Errorf("the largest body is %d bytes: want a positive size", o.MaxBody)
	case o.MaxPending < o.MaxBody:
		return fmt.Errorf("the bodies held at once (%d bytes) must hold the largest body (%d)", o.MaxPending, o.MaxBody)
	case o.MaxDelay < 0 || o.ReadTimeout < 0 || o.WriteTimeout < 0 || o.InferTimeout < 0 || o.DrainTimeout < 0:
		return errors.New("a negative delay or timeout")
	}
	return nil
}

// Server answers v2 requests for one model. Make one with New; its
// Handler serves on any http.Server, or Serve runs one with its timeouts
// and graceful shutdown.
type Server struct {
	m       *Model
	o       Options
	metrics *metrics
	b       *batcher
	cancel  context.CancelFunc // cancels the runs in progress
	mux     *http.ServeMux
	once    sync.Once
	// pending counts the bytes of infer bodies held (MaxPending).
	pending atomic.Int64
}

// New starts the workers of a server for m; Close stops them.
func New(m *Model, o Options) (*Server, error) {
	if m == nil || m.Run == nil || m.Name == "" {
		return nil, errors.New("serve: a model needs a name and a Run function")
	}
	if err := o.defaults(); err != nil {
		return nil, fmt.Errorf("serve: %v", err)
	}
	for _, s := range append(append([]Spec(nil), m.Inputs...), m.Outputs...) {
		if Datatype(s.DType) == "" {
			return nil, fmt.Errorf("serve: %s has element type %v, which the v2 protocol cannot carry", s.Name, s.DType)
		}
	}
	if m.SetMaxPlans != nil {
		if err := m.SetMaxPlans(o.MaxPlans); err != nil {
			return nil, fmt.Errorf("serve: %v", err)
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Server{m: m, o: o, cancel: cancel}
	s.metrics = newMetrics(o.MaxBatch)
	s.metrics.evictions = m.PlanEvictions
	s.b = newBatcher(m, &s.o, runCtx, s.metrics.run)
	s.routes()
	return s, nil
}

// Options returns the server's options with the defaults filled in.
func (s *Server) Options() Options { return s.o }

// Handler is the server's HTTP handler: /v2/... and /metrics.
func (s *Server) Handler() http.Handler { return s.mux }

// Close cancels the runs in progress and stops the workers once idle. A
// request still waiting gets an error; call it once no more requests come.
func (s *Server) Close() {
	s.once.Do(func() {
		s.cancel()
		s.b.close()
	})
}

// Serve answers requests on ln until ctx is done, then shuts down
// gracefully: it stops accepting connections, waits up to DrainTimeout for
// the requests in progress to be answered (cancelling them after that),
// and closes the server. It returns nil after a graceful shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: s.o.ReadTimeout,
		ReadTimeout:       s.o.ReadTimeout,
		WriteTimeout:      s.o.WriteTimeout,
		IdleTimeout:       2 * s.o.ReadTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		s.Close()
		return err
	case <-ctx.Done():
	}
	drain, cancel := context.WithTimeout(context.Background(), s.o.DrainTimeout)
	defer cancel()
	err := hs.Shutdown(drain)
	s.Close()
	if err != nil {
		hs.Close()
		return fmt.Errorf("serve: shutdown: requests still running after %v were cancelled: %w", s.o.DrainTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ForFunc is New for an entry of a program: the model nnc.NewServeModel
// describes.
func ForFunc(f *nnc.Func, mo nnc.ServeOptions, o Options) (*Server, error) {
	m, err := nnc.NewServeModel(f, mo)
	if err != nil {
		return nil, err
	}
	return New(m, o)
}
