package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
)

// pairSrc takes a sequence of any length T and materializes its T x T
// outer product (a matrix product the optimizer cannot fuse away): a plan
// for T holds a T*T buffer per row, so that the plans kept show in the
// heap. out[b] = sum_ij tanh(x[b,i] x[b,j]).
const pairSrc = `fn pairs(x: f32[B, T]) -> f32[B] {
    h = reshape(x, [B, T, 1]) @ reshape(x, [B, 1, T])
    return sum(tanh(h), axis = [1, 2])
}
`

// compileFunc compiles src and prepares its entry.
func compileFunc(t *testing.T, src, entry string) *nnc.Func {
	t.Helper()
	p, err := nnc.Compile("test.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func(entry)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// pairsWant is pairSrc's result for one row, in float64.
func pairsWant(x []float32) float64 {
	s := 0.0
	for _, a := range x {
		for _, b := range x {
			s += math.Tanh(float64(a) * float64(b))
		}
	}
	return s
}

// heapInUse is the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// servePairs serves pairSrc with at most maxPlans plans and posts one
// request of each length in lengths, in order, checking each answer
// against pairsWant; it returns the growth of the heap and the evictions
// the metrics report.
func servePairs(t *testing.T, maxPlans int, lengths []int) (growth int64, evictions int) {
	t.Helper()
	f := compileFunc(t, pairSrc, "pairs")
	s, err := ForFunc(f, nnc.ServeOptions{}, Options{MaxPlans: maxPlans, Workers: 1, MaxBatch: 1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer func() { hs.Close(); s.Close() }()
	url := hs.URL + "/v2/models/pairs/infer"
	rng := rand.New(rand.NewPCG(5, 6))
	before := heapInUse()
	for _, n := range lengths {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		data, _ := json.Marshal(x)
		code, ans := post(t, url, fmt.Sprintf(`{"inputs":[{"name":"x","shape":[1,%d],"datatype":"FP32","data":%s}]}`, n, data))
		if code != http.StatusOK {
			t.Fatalf("T=%d: status %d: %v", n, code, ans)
		}
		got := ans["outputs"].([]any)[0].(map[string]any)["data"].([]any)[0].(float64)
		if want := pairsWant(x); math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Fatalf("T=%d: %v, want %v", n, got, want)
		}
	}
	growth = int64(heapInUse()) - int64(before)
	resp, err := http.Get(hs.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^nnc_plan_evictions_total\{model="pairs"\} (\d+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no nnc_plan_evictions_total in\n%s", b)
	}
	evictions, _ = strconv.Atoi(string(m[1]))
	return growth, evictions
}

// TestMaxPlans sends 40 sequence lengths (each plan holds a T*T buffer of
// about 1 MB), then three of the first again: with --max-plans 4 the
// server keeps 4 plans, evicting 36 + 3 (each length met again was
// dropped), the heap grows by less than 12 MB, and every answer is the
// float64 sum's. Without a bound it keeps all 40 (more than 30 MB), which
// is what the bound prevents.
func TestMaxPlans(t *testing.T) {
	var lengths []int
	for k := range 40 {
		lengths = append(lengths, 500+k)
	}
	lengths = append(lengths, 500, 501, 502)
	growth, ev := servePairs(t, 4, lengths)
	t.Logf("--max-plans 4: heap +%.1f MB, %d evictions", float64(growth)/(1<<20), ev)
	if ev != 39 {
		t.Errorf("%d evictions, want 39", ev)
	}
	if growth > 12<<20 {
		t.Errorf("the heap grew by %d bytes with at most 4 plans of about 1 MB", growth)
	}
	growth, ev = servePairs(t, 1<<20, lengths)
	t.Logf("no bound: heap +%.1f MB, %d evictions", float64(growth)/(1<<20), ev)
	if ev != 0 || growth < 30<<20 {
		t.Errorf("without a bound: %d evictions, heap +%d bytes; want 0 and the 40 plans' 40 MB", ev, growth)
	}
}

// TestMaxDims bounds T: a request past the bound gets 400 naming it,
// before anything is compiled for it (no plan is built, so nothing is
// evicted with room for one plan); a name that is not a shape variable is
// refused when the server is made.
func TestMaxDims(t *testing.T) {
	f := compileFunc(t, pairSrc, "pairs")
	if _, err := ForFunc(f, nnc.ServeOptions{MaxDims: map[string]int64{"N": 4}}, Options{}); err == nil || !strings.Contains(err.Error(), "N, which is not a shape variable of the inputs (they have B, T)") {
		t.Errorf("a bound on N: %v", err)
	}
	if _, err := ForFunc(f, nnc.ServeOptions{MaxDims: map[string]int64{"T": 0}}, Options{}); err == nil || !strings.Contains(err.Error(), "the bound on T is 0") {
		t.Errorf("a bound of 0: %v", err)
	}
	s, err := ForFunc(f, nnc.ServeOptions{MaxDims: map[string]int64{"T": 8}}, Options{MaxPlans: 1, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer func() { hs.Close(); s.Close() }()
	url := hs.URL + "/v2/models/pairs/infer"
	code, ans := post(t, url, `{"inputs":[{"name":"x","shape":[1,8],"datatype":"FP32","data":[1,2,3,4,5,6,7,8]}]}`)
	if code != http.StatusOK {
		t.Fatalf("T=8: %d %v", code, ans)
	}
	want := pairsWant([]float32{1, 2, 3, 4, 5, 6, 7, 8})
	if got := ans["outputs"].([]any)[0].(map[string]any)["data"].([]any)[0].(float64); math.Abs(got-want) > 1e-4*want {
		t.Errorf("T=8: %v, want %v", got, want)
	}
	code, ans = post(t, url, `{"inputs":[{"name":"x","shape":[1,9],"datatype":"FP32","data":[1,2,3,4,5,6,7,8,9]}]}`)
	if code != http.StatusBadRequest || ans["error"] != "shape variable T is 9: this server takes at most 8" {
		t.Errorf("T=9: %d %v", code, ans)
	}
	if n := f.PlanEvictions(); n != 0 {
		t.Errorf("the refused request evicted %d plans", n)
	}
}
