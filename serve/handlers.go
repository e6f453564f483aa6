package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/nnclang/nnc/tensor"
)

// httpError is an answer other than 200: a status and a message, sent as
// {"error": message}.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func errorf(code int, format string, args ...any) *httpError {
	return &httpError{code, fmt.Sprintf(format, args...)}
}

// routes registers the endpoints, each counted in the metrics under a
// short name.
func (s *Server) routes() {
	s.mux = http.NewServeMux()
	get := func(h func(*http.Request) (any, *httpError)) func(w http.ResponseWriter, r *http.Request) *httpError {
		return func(w http.ResponseWriter, r *http.Request) *httpError {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				return errorf(http.StatusMethodNotAllowed, "%s %s: use GET", r.Method, r.URL.Path)
			}
			v, herr := h(r)
			if herr != nil {
				return herr
			}
			return writeJSON(w, http.StatusOK, v)
		}
	}
	ok := func(*http.Request) (any, *httpError) { return struct{}{}, nil }
	s.handle("/v2/health/live", "live", get(ok))
	s.handle("/v2/health/ready", "ready", get(ok))
	s.handle("/v2", "server", get(func(*http.Request) (any, *httpError) {
		return map[string]any{"name": "nnc", "version": "1", "extensions": []string{}}, nil
	}))
	s.handle("/v2/models/{name}", "metadata", get(func(r *http.Request) (any, *httpError) {
		if herr := s.checkName(r); herr != nil {
			return nil, herr
		}
		return s.meta(), nil
	}))
	s.handle("/v2/models/{name}/ready", "model_ready", get(func(r *http.Request) (any, *httpError) {
		return struct{}{}, s.checkName(r)
	}))
	s.handle("/v2/models/{name}/infer", "infer", s.infer)
	s.handle("/metrics", "metrics", func(w http.ResponseWriter, r *http.Request) *httpError {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return errorf(http.StatusMethodNotAllowed, "%s %s: use GET", r.Method, r.URL.Path)
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.metrics.write(w, s.m.Name)
		return nil
	})
	s.handle("/", "other", func(w http.ResponseWriter, r *http.Request) *httpError {
		return errorf(http.StatusNotFound, "no endpoint %s (the v2 protocol's: /v2/health/live, /v2/health/ready, /v2/models/%s, /v2/models/%s/infer; and /metrics)", r.URL.Path, s.m.Name, s.m.Name)
	})
}

// statusWriter remembers the status an answer was sent with.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// handle registers h at pattern; an error it returns is written as JSON,
// and every answer is counted under endpoint.
func (s *Server) handle(pattern, endpoint string, h func(http.ResponseWriter, *http.Request) *httpError) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		if herr := h(sw, r); herr != nil {
			writeJSON(sw, herr.code, map[string]string{"error": herr.msg})
		}
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		s.metrics.request(endpoint, sw.code, time.Since(start))
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) *httpError {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	writeBody(w, code, append(b, '\n'))
	return nil
}

func writeBody(w http.ResponseWriter, code int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

func (s *Server) checkName(r *http.Request) *httpError {
	if name := r.PathValue("name"); name != s.m.Name {
		return errorf(http.StatusNotFound, "unknown model %q (this server has %q)", name, s.m.Name)
	}
	return nil
}

func (s *Server) meta() modelMeta {
	specs := func(ss []Spec) []tensorMeta {
		out := make([]tensorMeta, len(ss))
		for i, sp := range ss {
			out[i] = tensorMeta{Name: sp.Name, Datatype: Datatype(sp.DType), Shape: sp.Shape}
		}
		return out
	}
	return modelMeta{Name: s.m.Name, Versions: []string{"1"}, Platform: "nnc", Inputs: specs(s.m.Inputs), Outputs: specs(s.m.Outputs)}
}

// infer answers POST /v2/models/{name}/infer.
func (s *Server) infer(w http.ResponseWriter, r *http.Request) *httpError {
	if r.Method != http.MethodPost {
		return errorf(http.StatusMethodNotAllowed, "%s %s: use POST", r.Method, r.URL.Path)
	}
	if herr := s.checkName(r); herr != nil {
		return herr
	}
	s.metrics.addInflight(1)
	defer s.metrics.addInflight(-1)
	ctx, cancel := context.WithTimeout(r.Context(), s.o.InferTimeout)
	defer cancel()
	br := &budgetReader{r: http.MaxBytesReader(w, r.Body, s.o.MaxBody), s: s}
	defer br.release()
	body, err := io.ReadAll(br)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errorf(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", s.o.MaxBody)
	} else if errors.Is(err, errBusy) {
		return errorf(http.StatusServiceUnavailable, "the server holds %d bytes of requests, its limit: try again later", s.o.MaxPending)
	} else if err != nil {
		return errorf(http.StatusBadRequest, "reading the request body: %v", err)
	}
	var req inferRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return errorf(http.StatusBadRequest, "the request body is not a v2 infer request: %v", err)
	}
	body = nil
	in, outs, herr := s.decode(&req)
	if herr != nil {
		return herr
	}
	rq := &request{ctx: ctx, in: in, done: make(chan result, 1)}
	if s.m.Batched {
		rq.key, rq.rows = shapeKey(s.m, in)
		if rq.rows == 0 {
			return errorf(http.StatusBadRequest, "the batch axis (the first of every input) is empty")
		}
	}
	if err := s.b.submit(rq); err != nil {
		return errorf(http.StatusServiceUnavailable, "the request was not run: %v", err)
	}
	var res result
	select {
	case res = <-rq.done:
	case <-ctx.Done():
		return errorf(http.StatusServiceUnavailable, "no answer within %v: %v", s.o.InferTimeout, ctx.Err())
	}
	if res.err != nil {
		if ctx.Err() != nil {
			return errorf(http.StatusServiceUnavailable, "no answer within %v: %v", s.o.InferTimeout, ctx.Err())
		}
		return errorf(http.StatusInternalServerError, "running %s: %v", s.m.Name, res.err)
	}
	if len(res.out) != len(s.m.Outputs) {
		return errorf(http.StatusInternalServerError, "running %s gave %d results, not %d", s.m.Name, len(res.out), len(s.m.Outputs))
	}
	b := []byte(`{"model_name":`)
	b = strconv.AppendQuote(b, s.m.Name)
	b = append(b, `,"model_version":"1"`...)
	if req.ID != "" {
		b = append(b, `,"id":`...)
		b = strconv.AppendQuote(b, req.ID)
	}
	b = append(b, `,"outputs":[`...)
	for i, k := range outs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOutput(b, s.m.Outputs[k].Name, res.out[k])
	}
	b = append(b, "]}\n"...)
	writeBody(w, http.StatusOK, b)
	return nil
}

// errBusy stops reading a body that would pass MaxPending.
var errBusy = errors.New("too many bytes of requests held")

// budgetReader counts the bytes read in the server's pending total until
// release, failing once the total passes MaxPending.
type budgetReader struct {
	r io.Reader
	s *Server
	n int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.n += int64(n)
		if b.s.pending.Add(int64(n)) > b.s.o.MaxPending {
			return n, errBusy
		}
	}
	return n, err
}

func (b *budgetReader) release() { b.s.pending.Add(-b.n) }

// decode reads the request's inputs (each of the model's, once) and the
// indices of the outputs it asks for (all when it names none).
func (s *Server) decode(req *inferRequest) (map[string]*tensor.Tensor, []int, *httpError) {
	in := make(map[string]*tensor.Tensor, len(s.m.Inputs))
	for i := range req.Inputs {
		ri := &req.Inputs[i]
		k := specIndex(s.m.Inputs, ri.Name)
		if k < 0 {
			return nil, nil, errorf(http.StatusBadRequest, "unknown input %q (%s takes %s)", ri.Name, s.m.Name, names(s.m.Inputs))
		}
		if in[ri.Name] != nil {
			return nil, nil, errorf(http.StatusBadRequest, "input %s is given twice", ri.Name)
		}
		t, err := decodeInput(ri, &s.m.Inputs[k])
		if err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "%v", err)
		}
		in[ri.Name] = t
	}
	for _, sp := range s.m.Inputs {
		if in[sp.Name] == nil {
			return nil, nil, errorf(http.StatusBadRequest, "missing input %s (%s takes %s)", sp.Name, s.m.Name, names(s.m.Inputs))
		}
	}
	if s.m.Check != nil {
		if err := s.m.Check(in); err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "%v", err)
		}
	}
	var outs []int
	for _, ro := range req.Outputs {
		k := specIndex(s.m.Outputs, ro.Name)
		if k < 0 {
			return nil, nil, errorf(http.StatusBadRequest, "unknown output %q (%s gives %s)", ro.Name, s.m.Name, names(s.m.Outputs))
		}
		for _, j := range outs {
			if j == k {
				return nil, nil, errorf(http.StatusBadRequest, "output %s is asked for twice", ro.Name)
			}
		}
		outs = append(outs, k)
	}
	if len(outs) == 0 {
		for k := range s.m.Outputs {
			outs = append(outs, k)
		}
	}
	return in, outs, nil
}

func specIndex(ss []Spec, name string) int {
	for i, s := range ss {
		if s.Name == name {
			return i
		}
	}
	return -1
}

func names(ss []Spec) string {
	b := []byte{}
	for i, s := range ss {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, s.Name...)
	}
	return string(b)
}
