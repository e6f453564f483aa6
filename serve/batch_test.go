package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBatching: concurrent requests are joined into runs of more than one
// row (seen by the model and in the metrics), never more than MaxBatch,
// and every request gets its own rows back.
func TestBatching(t *testing.T) {
	rm := &rowModel{delay: 3 * time.Millisecond}
	_, hs := newTestServer(t, rm, Options{MaxBatch: 8, MaxDelay: 5 * time.Millisecond, Workers: 2})
	url := hs.URL + "/v2/models/rows/infer"
	const clients, each = 16, 6
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				rows := make([][3]float32, 1+(c+i)%3)
				for r := range rows {
					rows[r] = [3]float32{float32(c), float32(i), float32(r) + 0.25}
				}
				code, v := post(t, url, rowsRequest(rows))
				if code != 200 {
					t.Errorf("client %d request %d: %d %v", c, i, code, v)
					return
				}
				checkRows(t, v, rows)
			}
		}()
	}
	wg.Wait()
	rm.mu.Lock()
	largest, total := 0, 0
	for _, n := range rm.sizes {
		largest = max(largest, n)
		total += n
	}
	runs := len(rm.sizes)
	rm.mu.Unlock()
	if largest < 2 || largest > 8 {
		t.Errorf("the largest batch has %d rows; want 2 to 8 (runs %v)", largest, rm.sizes)
	}
	resp, err := http.Get(hs.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fam := parseExposition(t, text)
	if got := fam["nnc_batch_size_count"]; got != float64(runs) {
		t.Errorf("nnc_batch_size_count %v, the model ran %d times", got, runs)
	}
	if got := fam["nnc_batch_size_sum"]; got != float64(total) {
		t.Errorf("nnc_batch_size_sum %v, the model ran %d rows", got, total)
	}
	if one := fam[`nnc_batch_size_bucket{le="1"}`]; one >= float64(runs) {
		t.Errorf("every run had one row: %v of %d", one, runs)
	}
	if got := fam[`nnc_requests_total{endpoint="infer",code="200"}`]; got != clients*each {
		t.Errorf("%v infer requests counted, want %d", got, clients*each)
	}
	if got := fam["nnc_request_duration_seconds_count"]; got != clients*each {
		t.Errorf("%v latencies observed, want %d", got, clients*each)
	}
}

// parseExposition checks text against the Prometheus text format 0.0.4 (a
// HELP and a TYPE line before each family's samples; histogram buckets
// cumulative, ending at +Inf equal to _count) and returns the samples by
// name and labels, the model label left out.
func parseExposition(t *testing.T, text []byte) map[string]float64 {
	t.Helper()
	sample := regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$`)
	out := map[string]float64{}
	types := map[string]string{}
	var lastBucket float64
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(f, " ")
			if typ != "counter" && typ != "gauge" && typ != "histogram" {
				t.Errorf("TYPE line %q", line)
			}
			types[name] = typ
			lastBucket = 0
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sample.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a sample line: %q", line)
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Errorf("%q: value %v", line, err)
		}
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m[1], "_bucket"), "_sum"), "_count")
		if types[m[1]] == "" && types[base] != "histogram" {
			t.Errorf("%q: no TYPE line before it", line)
		}
		labels := strings.NewReplacer(`model="rows",`, "", `model="rows"`, "").Replace(m[2])
		if labels == "{}" {
			labels = ""
		}
		if strings.HasSuffix(m[1], "_bucket") {
			if v < lastBucket {
				t.Errorf("%q: buckets not cumulative", line)
			}
			lastBucket = v
		}
		if strings.HasSuffix(m[1], "_count") && types[base] == "histogram" && out[base+`_bucket{le="+Inf"}`] != v {
			t.Errorf("%s: +Inf bucket %v, count %v", base, out[base+`_bucket{le="+Inf"}`], v)
		}
		out[m[1]+labels] = v
	}
	for _, name := range []string{"nnc_requests_total", "nnc_request_duration_seconds", "nnc_batch_size", "nnc_batch_requests", "nnc_inflight_requests", "nnc_plan_evictions_total"} {
		if types[name] == "" {
			t.Errorf("no family %s", name)
		}
	}
	return out
}

func TestQuoteLabel(t *testing.T) {
	if got, want := quoteLabel("a\"b\\c\nd"), `"a\"b\\c\nd"`; got != want {
		t.Errorf("quoteLabel = %s, want %s", got, want)
	}
	var b bytes.Buffer
	m := newMetrics(5)
	m.run(3, 2)
	m.write(&b, "x")
	if !strings.Contains(b.String(), `nnc_batch_size_bucket{model="x",le="4"} 1`) || !strings.Contains(b.String(), `nnc_batch_size_bucket{model="x",le="2"} 0`) {
		t.Error(fmt.Sprint("buckets of a batch of 3:\n", b.String()))
	}
}
