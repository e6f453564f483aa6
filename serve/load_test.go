package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/tensor"
)

// serveSrc is a small MLP for the server's tests: two matrix products, so
// that joining rows changes the kernels' shapes.
const serveSrc = `model M {
    param W1: f32[24, 40] = normal(std = 0.3)
    param b1: f32[40] = normal(std = 0.1)
    param W2: f32[40, 5] = normal(std = 0.3)

    fn forward(x: f32[B, 24]) -> f32[B, 5] {
        return tanh(x @ W1 + b1) @ W2
    }
}
`

// v2Answer is the part of an infer answer the tests read.
type v2Answer struct {
	Outputs []struct {
		Name, Datatype string
		Shape          []int
		Data           []float32
	}
	Error string
}

// inferOnce posts x to url and decodes the answer.
func inferOnce(client *http.Client, url string, x *nnc.Tensor) (int, v2Answer, error) {
	data, _ := json.Marshal(x.F32)
	body := fmt.Sprintf(`{"inputs":[{"name":"x","shape":[%d,%d],"datatype":"FP32","data":%s}]}`, x.Shape[0], x.Shape[1], data)
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, v2Answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, v2Answer{}, err
	}
	var a v2Answer
	if err := json.Unmarshal(b, &a); err != nil {
		return resp.StatusCode, a, fmt.Errorf("answer %q: %v", b, err)
	}
	return resp.StatusCode, a, nil
}

// TestServeLoad: clients post concurrently to a batching server; every
// answer is bitwise what Func.Run gives for the same request alone, and
// the metrics show runs of more than one request.
func TestServeLoad(t *testing.T) {
	f := compileFunc(t, serveSrc, "M.forward")
	if err := f.InitParams(7); err != nil {
		t.Fatal(err)
	}
	srv, err := ForFunc(f, nnc.ServeOptions{Name: "mlp"}, Options{MaxBatch: 16, MaxDelay: 4 * time.Millisecond, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer srv.Close()
	defer hs.Close()
	url := hs.URL + "/v2/models/mlp/infer"
	const clients, each = 8, 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	mismatches := 0
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			for i := range each {
				x := tensor.New(tensor.F32, 1+rng.IntN(3), 24)
				for k := range x.F32 {
					x.F32[k] = float32(rng.NormFloat64())
				}
				code, a, err := inferOnce(hs.Client(), url, x)
				if err != nil || code != 200 || len(a.Outputs) != 1 {
					t.Errorf("client %d request %d: %d %v %+v", c, i, code, err, a)
					return
				}
				want, err := f.Run(map[string]*nnc.Tensor{"x": x})
				if err != nil {
					t.Error(err)
					return
				}
				got := &nnc.Tensor{DType: tensor.F32, Shape: a.Outputs[0].Shape, F32: a.Outputs[0].Data}
				if !sameBits(got, want[0]) {
					mu.Lock()
					mismatches++
					mu.Unlock()
					t.Errorf("client %d request %d: the server's %v, Func.Run's %v", c, i, got.F32, want[0].F32)
				}
			}
		}()
	}
	// Malformed requests at the same time get 400 and disturb none of the
	// good ones.
	for c := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := []string{`{"inputs":[{"name":"x","shape":[1,23],"datatype":"FP32","data":[0]}]}`, `{"inputs":`, `{"inputs":[{"name":"x","shape":[1,24],"datatype":"FP64","data":[0]}]}`}[(c+i)%3]
				resp, err := hs.Client().Post(url, "application/json", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 400 {
					t.Errorf("malformed request %q: %d", body, resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d mismatches", mismatches)
	resp, err := http.Get(hs.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var runs, single float64
	for _, line := range strings.Split(string(text), "\n") {
		fmt.Sscanf(line, `nnc_batch_requests_count{model="mlp"} %g`, &runs)
		fmt.Sscanf(line, `nnc_batch_requests_bucket{model="mlp",le="1"} %g`, &single)
	}
	if runs == 0 || single >= runs {
		t.Errorf("no run joined two requests (%v runs, %v of one request):\n%s", runs, single, text)
	}
	if !strings.Contains(string(text), fmt.Sprintf(`nnc_requests_total{model="mlp",endpoint="infer",code="200"} %d`, clients*each)) {
		t.Errorf("metrics:\n%s", text)
	}
	t.Logf("%v runs for %d requests", runs, clients*each)
}

// sameBits reports whether two f32 tensors have the same shape and bitwise
// the same values.
func sameBits(a, b *nnc.Tensor) bool {
	if !slices.Equal(a.Shape, b.Shape) || len(a.F32) != len(b.F32) {
		return false
	}
	for i := range a.F32 {
		if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
			return false
		}
	}
	return true
}
