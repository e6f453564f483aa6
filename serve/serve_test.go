package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nnclang/nnc/tensor"
)

// rowModel is a model whose rows are independent: out[r] = [x0+x1+x2,
// x0*x2] for x: FP32[B, 3]. Each run waits delay (so that requests
// arrive while one runs) and records its batch size.
type rowModel struct {
	delay time.Duration
	mu    sync.Mutex
	sizes []int
	gate  chan struct{} // when not nil, each run waits for a value
}

func (rm *rowModel) model() *Model {
	return &Model{
		Name:    "rows",
		Inputs:  []Spec{{Name: "x", DType: tensor.F32, Shape: []int64{-1, 3}}},
		Outputs: []Spec{{Name: "out", DType: tensor.F32, Shape: []int64{-1, 2}}},
		Batched: true,
		Run: func(ctx context.Context, in map[string]*tensor.Tensor) ([]*tensor.Tensor, error) {
			x := in["x"]
			rm.mu.Lock()
			rm.sizes = append(rm.sizes, x.Shape[0])
			rm.mu.Unlock()
			if rm.gate != nil {
				<-rm.gate
			}
			time.Sleep(rm.delay)
			out := tensor.New(tensor.F32, x.Shape[0], 2)
			for r := 0; r < x.Shape[0]; r++ {
				row := x.F32[3*r : 3*r+3]
				out.F32[2*r] = row[0] + row[1] + row[2]
				out.F32[2*r+1] = row[0] * row[2]
			}
			return []*tensor.Tensor{out}, nil
		},
	}
}

func newTestServer(t *testing.T, rm *rowModel, o Options) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(rm.model(), o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	return s, hs
}

// post sends body to path and returns the status and the decoded answer.
func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Error(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Errorf("answer %q is not a JSON object: %v", b, err)
	}
	return resp.StatusCode, v
}

func rowsRequest(rows [][3]float32) string {
	var data []float32
	for _, r := range rows {
		data = append(data, r[:]...)
	}
	d, _ := json.Marshal(data)
	return fmt.Sprintf(`{"inputs":[{"name":"x","shape":[%d,3],"datatype":"FP32","data":%s}]}`, len(rows), d)
}

// checkRows checks an infer answer against the row function.
func checkRows(t *testing.T, v map[string]any, rows [][3]float32) {
	t.Helper()
	outs, _ := v["outputs"].([]any)
	if len(outs) != 1 {
		t.Fatalf("outputs %v", v)
	}
	o := outs[0].(map[string]any)
	data, _ := o["data"].([]any)
	if o["name"] != "out" || o["datatype"] != "FP32" || fmt.Sprint(o["shape"]) != fmt.Sprintf("[%d 2]", len(rows)) || len(data) != 2*len(rows) {
		t.Fatalf("output %v", o)
	}
	for r, x := range rows {
		want := []float32{x[0] + x[1] + x[2], x[0] * x[2]}
		for j, w := range want {
			if got := float32(data[2*r+j].(float64)); got != w {
				t.Fatalf("row %d: out[%d] = %v, want %v", r, j, got, w)
			}
		}
	}
}

func TestEndpoints(t *testing.T) {
	_, hs := newTestServer(t, &rowModel{}, Options{MaxDelay: time.Millisecond})
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/v2/health/live", 200, `{}`},
		{"/v2/health/ready", 200, `{}`},
		{"/v2/models/rows/ready", 200, `{}`},
		{"/v2/models/rows", 200, `{"name":"rows","versions":["1"],"platform":"nnc","inputs":[{"name":"x","datatype":"FP32","shape":[-1,3]}],"outputs":[{"name":"out","datatype":"FP32","shape":[-1,2]}]}`},
		{"/v2/models/other", 404, `{"error":"unknown model \"other\" (this server has \"rows\")"}`},
		{"/v2/nothing", 404, ""},
		{"/v2/models/rows/infer", 405, `{"error":"GET /v2/models/rows/infer: use POST"}`},
	} {
		resp, err := http.Get(hs.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || (c.want != "" && strings.TrimSpace(string(b)) != c.want) {
			t.Errorf("GET %s: %d %s, want %d %s", c.path, resp.StatusCode, b, c.code, c.want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", c.path, ct)
		}
	}
	rows := [][3]float32{{1, 2, 3}, {0.1, -4, 1e-3}}
	code, v := post(t, hs.URL+"/v2/models/rows/infer", rowsRequest(rows))
	if code != 200 || v["model_name"] != "rows" {
		t.Fatalf("infer: %d %v", code, v)
	}
	checkRows(t, v, rows)
	// Nested data, an id and a named output.
	code, v = post(t, hs.URL+"/v2/models/rows/infer", `{"id":"a1","inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[[1,2,3],[0.1,-4,1e-3]]}],"outputs":[{"name":"out"}]}`)
	if code != 200 || v["id"] != "a1" {
		t.Fatalf("nested infer: %d %v", code, v)
	}
	checkRows(t, v, rows)
}

// TestMalformed: each bad request gets its 4xx and a JSON error naming the
// fault, while good requests sent at the same time all get right answers.
func TestMalformed(t *testing.T) {
	s, hs := newTestServer(t, &rowModel{delay: time.Millisecond}, Options{MaxBatch: 8, MaxDelay: 2 * time.Millisecond, MaxBody: 4096})
	url := hs.URL + "/v2/models/rows/infer"
	bad := []struct {
		url, body string
		code      int
		msg       string
	}{
		{url, `{"inputs":[`, 400, "not a v2 infer request"},
		{url, `[1,2]`, 400, "not a v2 infer request"},
		{url, `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],}`, 400, "not a v2 infer request"},
		{url, `{"inputs":[]}`, 400, "missing input x"},
		{url, `{"inputs":[{"name":"y","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`, 400, `unknown input "y"`},
		{url, `{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}`, 400, "dimension 1 is 4, the model takes 3"},
		{url, `{"inputs":[{"name":"x","shape":[3],"datatype":"FP32","data":[1,2,3]}]}`, 400, "has 1 dimensions, the model takes 2"},
		{url, `{"inputs":[{"name":"x","shape":[1,3],"datatype":"INT32","data":[1,2,3]}]}`, 400, `datatype "INT32", the model takes FP32`},
		{url, `{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3]}]}`, 400, "data holds 3 elements"},
		{url, `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3,4]}]}`, 400, "more elements than the shape holds"},
		{url, `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,"a",3]}]}`, 400, `element 1: "a" is not a number`},
		{url, `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,1e39,3]}]}`, 400, "out of range for FP32"},
		{url, `{"inputs":[{"name":"x","shape":[-1,3],"datatype":"FP32","data":[1,2,3]}]}`, 400, "dimension 0 is -1"},
		{url, `{"inputs":[{"name":"x","shape":[1,1000000000],"datatype":"FP32","data":[1]}]}`, 400, "dimension 1 is 1000000000, the model takes 3"},
		{url, `{"inputs":[{"name":"x","shape":[1000000000,3],"datatype":"FP32","data":[1]}]}`, 400, "more elements than its data"},
		{url, `{"inputs":[{"name":"x","shape":[0,3],"datatype":"FP32","data":[]}]}`, 400, "batch axis"},
		{url, `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]},{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`, 400, "given twice"},
		{url, `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],"outputs":[{"name":"z"}]}`, 400, `unknown output "z"`},
		{url, `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[` + strings.Repeat("1,", 3000) + `1]}]}`, 413, "larger than 4096 bytes"},
		{hs.URL + "/v2/models/nope/infer", rowsRequest([][3]float32{{1, 2, 3}}), 404, `unknown model "nope"`},
	}
	const good = 40
	var wg sync.WaitGroup
	for i := range good {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := [][3]float32{{float32(i), 1, 2}, {3, float32(-i), 0.5}}[:1+i%2]
			code, v := post(t, url, rowsRequest(rows))
			if code != 200 {
				t.Errorf("good request %d: %d %v", i, code, v)
				return
			}
			checkRows(t, v, rows)
		}()
	}
	for _, c := range bad {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, v := post(t, c.url, c.body)
			msg, _ := v["error"].(string)
			if code != c.code || !strings.Contains(msg, c.msg) {
				t.Errorf("%.80s: %d %q, want %d and %q", c.body, code, msg, c.code, c.msg)
			}
		}()
	}
	wg.Wait()
	var m bytes.Buffer
	s.metrics.write(&m, "rows")
	for _, want := range []string{
		fmt.Sprintf(`nnc_requests_total{model="rows",endpoint="infer",code="200"} %d`, good),
		fmt.Sprintf(`nnc_requests_total{model="rows",endpoint="infer",code="400"} %d`, len(bad)-2),
		`nnc_requests_total{model="rows",endpoint="infer",code="404"} 1`,
		`nnc_requests_total{model="rows",endpoint="infer",code="413"} 1`,
	} {
		if !strings.Contains(m.String(), want+"\n") {
			t.Errorf("metrics lack %s:\n%s", want, m.String())
		}
	}
}

// TestShutdownDrains: once Serve's context is done, a request in progress
// is still answered, new connections are refused and Serve returns nil.
func TestShutdownDrains(t *testing.T) {
	rm := &rowModel{gate: make(chan struct{})}
	s, err := New(rm.model(), Options{MaxBatch: 1, DrainTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String() + "/v2/models/rows/infer"
	rows := [][3]float32{{1, 2, 3}}
	answered := make(chan bool, 1)
	go func() {
		code, v := post(t, url, rowsRequest(rows))
		if code == 200 {
			checkRows(t, v, rows)
		}
		answered <- code == 200
	}()
	// Wait until the request runs, then shut down.
	for {
		rm.mu.Lock()
		n := len(rm.sizes)
		rm.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	// Serve must wait for the request in progress.
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v before the request in progress was answered", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("a new connection was accepted during shutdown")
	}
	rm.gate <- struct{}{}
	if !<-answered {
		t.Error("the request in progress was not answered with 200")
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestInferTimeout: a request the model does not answer within
// InferTimeout gets 503, and so does one that finds the queue full until
// then; the server answers again once the model does.
func TestInferTimeout(t *testing.T) {
	rm := &rowModel{gate: make(chan struct{})}
	_, hs := newTestServer(t, rm, Options{MaxBatch: 1, Workers: 1, MaxQueue: 1, InferTimeout: 100 * time.Millisecond})
	url := hs.URL + "/v2/models/rows/infer"
	rows := [][3]float32{{1, 2, 3}}
	var wg sync.WaitGroup
	codes := make([]int, 3)
	msgs := make([]string, 3)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, v := post(t, url, rowsRequest(rows))
			codes[i] = code
			msgs[i], _ = v["error"].(string)
		}()
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusServiceUnavailable || !strings.Contains(msgs[i], "no answer within 100ms") && !strings.Contains(msgs[i], "was not run") {
			t.Errorf("request %d: %d %q, want 503", i, code, msgs[i])
		}
	}
	close(rm.gate) // the model answers from now on
	code, v := post(t, url, rowsRequest(rows))
	if code != 200 {
		t.Fatalf("after the model answers: %d %v", code, v)
	}
	checkRows(t, v, rows)
}

// TestMaxPending: a body that would take the bytes held past MaxPending
// gets 503 while another request holds its bytes, and is taken once that
// request is answered.
func TestMaxPending(t *testing.T) {
	rm := &rowModel{gate: make(chan struct{})}
	_, hs := newTestServer(t, rm, Options{MaxBatch: 1, MaxBody: 4096, MaxPending: 5000})
	url := hs.URL + "/v2/models/rows/infer"
	rows := [][3]float32{{1, 2, 3}}
	padded := rowsRequest(rows) + strings.Repeat(" ", 3000) // valid JSON of 3 KB
	held := make(chan int, 1)
	go func() {
		code, _ := post(t, url, padded)
		held <- code
	}()
	for {
		rm.mu.Lock()
		n := len(rm.sizes)
		rm.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	code, v := post(t, url, padded)
	if msg, _ := v["error"].(string); code != http.StatusServiceUnavailable || !strings.Contains(msg, "holds 5000 bytes of requests") {
		t.Errorf("a second 3 KB body: %d %v", code, v)
	}
	close(rm.gate)
	if code := <-held; code != 200 {
		t.Errorf("the held request: %d", code)
	}
	code, v = post(t, url, padded)
	if code != 200 {
		t.Fatalf("after the held request was answered: %d %v", code, v)
	}
	checkRows(t, v, rows)
}

// TestModelPanics: a model that panics gives 500 with an internal error,
// and the server keeps answering.
func TestModelPanics(t *testing.T) {
	rm := &rowModel{}
	m := rm.model()
	run := m.Run
	m.Run = func(ctx context.Context, in map[string]*tensor.Tensor) ([]*tensor.Tensor, error) {
		if in["x"].F32[0] == 666 {
			panic("the number of the beast")
		}
		return run(ctx, in)
	}
	s, err := New(m, Options{MaxBatch: 1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer s.Close()
	defer hs.Close()
	url := hs.URL + "/v2/models/rows/infer"
	code, v := post(t, url, rowsRequest([][3]float32{{666, 0, 0}}))
	if msg, _ := v["error"].(string); code != 500 || !strings.Contains(msg, "internal error: the number of the beast") {
		t.Errorf("panicking run: %d %v", code, v)
	}
	rows := [][3]float32{{1, 2, 3}}
	code, v = post(t, url, rowsRequest(rows))
	if code != 200 {
		t.Fatalf("after a panic: %d %v", code, v)
	}
	checkRows(t, v, rows)
}

// TestShutdownUnderLoad: clients post while the server shuts down; every
// request that gets an answer gets a right 200 (the ones in progress are
// drained, batched or not), the others fail to connect, and Serve returns
// nil.
func TestShutdownUnderLoad(t *testing.T) {
	rm := &rowModel{delay: time.Millisecond}
	s, err := New(rm.model(), Options{MaxBatch: 8, MaxDelay: 2 * time.Millisecond, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String() + "/v2/models/rows/infer"
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered, failed := 0, 0
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 20 * time.Second}
			for i := 0; ; i++ {
				rows := [][3]float32{{float32(c), float32(i), 1}}
				resp, err := client.Post(url, "application/json", strings.NewReader(rowsRequest(rows)))
				if err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
					return // the server is gone
				}
				var v map[string]any
				err = json.NewDecoder(resp.Body).Decode(&v)
				resp.Body.Close()
				if resp.StatusCode != 200 || err != nil {
					t.Errorf("client %d request %d: %d %v %v", c, i, resp.StatusCode, err, v)
					return
				}
				checkRows(t, v, rows)
				mu.Lock()
				answered++
				mu.Unlock()
			}
		}()
	}
	time.Sleep(150 * time.Millisecond)
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	wg.Wait()
	if answered == 0 || failed != 8 {
		t.Errorf("%d answered, %d clients stopped by the shutdown", answered, failed)
	}
	t.Logf("%d requests answered before and during the shutdown", answered)
}
