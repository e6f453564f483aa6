package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/tensor"
)

// BenchmarkServe measures the server's answers for models/mnist_mlp.nn
// (784-512-512-10) and models/lenet.nn (two convolutions), parameters from
// seed 1: 16 clients on loopback each post one-image requests back to
// back, b.N requests in all. It reports requests/s, the p50 and p99
// latency and the mean rows per model run, with dynamic batching
// (batch32: up to 32 rows, 2ms delay) and without (batch1), beside
// Func.Run called by 16 goroutines on the same images without HTTP
// (direct). cpu-ms/req is the CPU time of the process (clients, server
// and model) per request, which the machine's load changes less than the
// rates:
//
//	go test -run '^$' -bench BenchmarkServe -benchtime 2000x ./serve
func BenchmarkServe(b *testing.B) {
	for _, m := range []struct {
		name, file, entry string
		shape             []int
	}{
		{"mlp", "../models/mnist_mlp.nn", "MnistMLP.forward", []int{1, 784}},
		{"lenet", "../models/lenet.nn", "LeNet.forward", []int{1, 1, 28, 28}},
	} {
		b.Run(m.name, func(b *testing.B) { benchServe(b, m.file, m.entry, m.shape) })
	}
}

func benchServe(b *testing.B, file, entry string, shape []int) {
	p, err := nnc.CompileFile(file)
	if err != nil {
		b.Fatal(err)
	}
	f, err := p.Func(entry)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.InitParams(1); err != nil {
		b.Fatal(err)
	}
	const clients = 16
	rng := rand.New(rand.NewPCG(1, 1))
	images := make([]*nnc.Tensor, 64)
	bodies := make([]string, len(images))
	shapeJSON, _ := json.Marshal(shape)
	for i := range images {
		images[i] = tensor.New(tensor.F32, shape...)
		for k := range images[i].F32 {
			images[i].F32[k] = float32(rng.IntN(256)) / 255
		}
		data, _ := json.Marshal(images[i].F32)
		bodies[i] = `{"inputs":[{"name":"x","shape":` + string(shapeJSON) + `,"datatype":"FP32","data":` + string(data) + `}]}`
	}
	b.Run("direct", func(b *testing.B) {
		lat := load(b, clients, func(i int) error {
			_, err := f.Run(map[string]*nnc.Tensor{"x": images[i%len(images)]})
			return err
		})
		report(b, lat, 0)
	})
	for _, maxBatch := range []int{32, 1} {
		b.Run(fmt.Sprintf("batch%d", maxBatch), func(b *testing.B) {
			srv, err := ForFunc(f, nnc.ServeOptions{Name: "mnist"}, Options{MaxBatch: maxBatch, MaxDelay: 2 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			hs := httptest.NewServer(srv.Handler())
			defer srv.Close()
			defer hs.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			url := hs.URL + "/v2/models/mnist/infer"
			lat := load(b, clients, func(i int) error {
				resp, err := client.Post(url, "application/json", strings.NewReader(bodies[i%len(bodies)]))
				if err != nil {
					return err
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					return fmt.Errorf("%d %s", resp.StatusCode, body)
				}
				return nil
			})
			report(b, lat, meanRows(b, client, hs.URL))
		})
	}
}

// cpuTime is the process's CPU time so far, user and system (clients and
// server together), 0 where getrusage is missing.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// load makes b.N calls of do from clients goroutines and returns each
// call's latency.
func load(b *testing.B, clients int, do func(i int) error) []time.Duration {
	lat := make([]time.Duration, b.N)
	cpu0 := cpuTime()
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	b.ResetTimer()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= b.N {
					return
				}
				start := time.Now()
				if err := do(i); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(start)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/req")
	return lat
}

func report(b *testing.B, lat []time.Duration, rows float64) {
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	if rows > 0 {
		b.ReportMetric(rows, "rows/run")
	}
	b.ReportMetric(0, "ns/op")
}

// meanRows reads the mean batch size off the server's metrics.
func meanRows(b *testing.B, client *http.Client, url string) float64 {
	resp, err := client.Get(url + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var sum, n float64
	for _, line := range strings.Split(string(text), "\n") {
		fmt.Sscanf(line, `nnc_batch_size_sum{model="mnist"} %g`, &sum)
		fmt.Sscanf(line, `nnc_batch_size_count{model="mnist"} %g`, &n)
	}
	if n == 0 {
		return 0
	}
	return sum / n
}
