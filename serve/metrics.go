package serve

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"
)

// metrics are the server's counters, written at /metrics in Prometheus's
// text exposition format (version 0.0.4). A few families, so nnc writes
// the format itself rather than linking the Prometheus client library
// and its dependencies into a compiler's binary (docs/deploy.md).
type metrics struct {
	mu       sync.Mutex
	requests map[reqKey]uint64 // by endpoint and status code
	latency  histogram         // infer requests, seconds
	batch    histogram         // rows per model run
	batchReq histogram         // requests per model run
	inflight int64
	// evictions counts the plans the model dropped (Model.PlanEvictions);
	// nil: 0.
	evictions func() uint64
}

type reqKey struct {
	endpoint string
	code     int
}

// histogram is a Prometheus histogram: cumulative counts per upper bound.
type histogram struct {
	bounds []float64
	counts []uint64 // counts[i]: observations ≤ bounds[i]; the last is +Inf
	sum    float64
	n      uint64
}

func newHistogram(bounds []float64) histogram {
	return histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // the first bound ≥ v
	h.counts[i]++
	h.sum += v
	h.n++
}

func newMetrics(maxBatch int) *metrics {
	var rows []float64
	for b := 1; b < maxBatch; b *= 2 {
		rows = append(rows, float64(b))
	}
	rows = append(rows, float64(maxBatch))
	return &metrics{
		requests: map[reqKey]uint64{},
		latency:  newHistogram([]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
		batch:    newHistogram(rows),
		batchReq: newHistogram(rows),
	}
}

// request counts a finished request; infer requests add to the latency
// histogram.
func (m *metrics) request(endpoint string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{endpoint, code}]++
	if endpoint == "infer" {
		m.latency.observe(d.Seconds())
	}
}

// run records one model run of rows rows joining requests requests.
func (m *metrics) run(rows, requests int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batch.observe(float64(rows))
	m.batchReq.observe(float64(requests))
}

func (m *metrics) addInflight(d int64) {
	m.mu.Lock()
	m.inflight += d
	m.mu.Unlock()
}

// write prints every family in the text format.
func (m *metrics) write(w io.Writer, model string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b []byte
	b = append(b, "# HELP nnc_requests_total HTTP requests answered, by endpoint and status code.\n# TYPE nnc_requests_total counter\n"...)
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].endpoint != keys[j].endpoint {
			return keys[i].endpoint < keys[j].endpoint
		}
		return keys[i].code < keys[j].code
	})
	for _, k := range keys {
		b = fmt.Appendf(b, "nnc_requests_total{model=%s,endpoint=%q,code=\"%d\"} %d\n", quoteLabel(model), k.endpoint, k.code, m.requests[k])
	}
	b = append(b, "# HELP nnc_inflight_requests Infer requests being answered.\n# TYPE nnc_inflight_requests gauge\n"...)
	b = fmt.Appendf(b, "nnc_inflight_requests{model=%s} %d\n", quoteLabel(model), m.inflight)
	var ev uint64
	if m.evictions != nil {
		ev = m.evictions()
	}
	b = append(b, "# HELP nnc_plan_evictions_total Plans of input shapes dropped to keep at most --max-plans.\n# TYPE nnc_plan_evictions_total counter\n"...)
	b = fmt.Appendf(b, "nnc_plan_evictions_total{model=%s} %d\n", quoteLabel(model), ev)
	b = m.latency.append(b, "nnc_request_duration_seconds", "Time to answer an infer request, from its headers read to its answer written.", model)
	b = m.batch.append(b, "nnc_batch_size", "Rows of the batch axis in one run of the model (requests joined by dynamic batching).", model)
	b = m.batchReq.append(b, "nnc_batch_requests", "Requests joined into one run of the model.", model)
	_, err := w.Write(b)
	return err
}

func (h *histogram) append(b []byte, name, help, model string) []byte {
	b = fmt.Appendf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum uint64
	for i, c := range h.counts {
		cum += c
		le := "+Inf"
		if i < len(h.bounds) {
			le = strconv.FormatFloat(h.bounds[i], 'g', -1, 64)
		}
		b = fmt.Appendf(b, "%s_bucket{model=%s,le=%q} %d\n", name, quoteLabel(model), le, cum)
	}
	sum := strconv.FormatFloat(h.sum, 'g', -1, 64)
	if math.IsInf(h.sum, 0) || math.IsNaN(h.sum) {
		sum = "NaN"
	}
	b = fmt.Appendf(b, "%s_sum{model=%s} %s\n%s_count{model=%s} %d\n", name, quoteLabel(model), sum, name, quoteLabel(model), h.n)
	return b
}

// quoteLabel quotes a label value as the text format escapes it: \\, \"
// and \n.
func quoteLabel(s string) string {
	b := []byte{'"'}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}
