package lang

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoad checks that no input makes Load, Lower or Signature panic: every
// failure is an ErrorList of positioned errors.
func FuzzLoad(f *testing.F) {
	var seeds []string
	for _, pat := range []string{"testdata/*.nn", "testdata/examples/*.nn", "testdata/customgrad/*.nn", "std/*.nn"} {
		files, _ := filepath.Glob(pat)
		seeds = append(seeds, files...)
	}
	for _, s := range seeds {
		src, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, c := range errorCases {
		f.Add([]byte(c.src))
	}
	for _, src := range fuzzConstructSeeds {
		f.Add([]byte(src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			loadAll(t, src)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("Load, Lower and Signature took more than 20s")
		}
	})
}

// loadAll loads src and lowers and signs every entry, failing on a panic
// or an internal error. It runs on its own goroutine, so it reports with
// Errorf.
func loadAll(t *testing.T, src []byte) {
	{
		m, err := Load("fuzz.nn", src)
		if err != nil {
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 {
				t.Errorf("error %T %v is not a non-empty ErrorList", err, err)
				return
			}
			for _, e := range list {
				if e.Code == CodeInternal {
					t.Errorf("internal error: %v", e)
					return
				}
				if e.Pos.Line == 0 {
					t.Errorf("error without a position: %v", e)
					return
				}
			}
			return
		}
		for _, entry := range m.Entries() {
			for _, training := range []bool{false, true} {
				if _, err := m.Lower(entry, LowerOptions{Training: training, Shapes: map[string]int64{"B": 2, "T": 3}}); err != nil {
					if list, ok := err.(ErrorList); ok {
						for _, e := range list {
							if e.Code == CodeInternal {
								t.Errorf("internal error: %v", e)
								return
							}
						}
					}
				}
			}
			_, _, _ = m.Signature(entry)
		}
	}
}

// fuzzConstructSeeds exercise indexing, literals, scan, loops over shape
// variables, tuples, sub-model lists and the network built-ins.
var fuzzConstructSeeds = []string{
	"fn sq(x: f32[...]) -> f32[...] = x * x\nmodel M(k: int = 2) {\n    fn forward(x: f32[B, 3]) -> f32[B, 3] = sq(x) * k\n}\n",
	"fn f(x: f32[B, T, 4], p: f32[8, 4]) -> f32[B, T] {\n    y = x + p[:T]\n    return y[..., -1] + y[:, ::-1, 0] + x[:, :, 1:3][..., 0]\n}\n",
	"fn f(x: f32[2, 2]) -> f32[2, 2] {\n    return x * [[1, 2], [3, 4]] + [1.5, 2].T\n}\n",
	"fn step(c: (f32[B, 2], f32[B, 2]), x: f32[B, 2]) -> ((f32[B, 2], f32[B, 2]), f32[B, 2]) {\n    a, b = c\n    return (b, a + b * x), a\n}\nfn f(xs: f32[T, B, 2]) -> f32[T, B, 2] {\n    last, ys = scan(step, (xs[0], xs[0]), xs)\n    return ys\n}\n",
	"fn f(x: f32[T, 2]) -> f32[2] {\n    s = x[0]\n    for t in 1..T {\n        s = s * x[t] + (x[t] > 0.5) * !(x[t] < 0.1)\n    }\n    return s\n}\n",
	"import \"std/nn\"\nmodel M(n: int = 2) {\n    blocks = [nn.TransformerBlock(8, 2) for i in 0..n]\n    bn = nn.BatchNorm(3)\n    rnn = nn.GRU(8, 4)\n    fn forward(x: f32[B, T, 8]) -> f32[B, T, 4] {\n        for i in 0..n {\n            x = blocks[i](x, causal = true)\n        }\n        return rnn(x)\n    }\n    fn norm(x: f32[B, 3, 4, 4]) -> f32[B, 3, 4, 4] {\n        return bn(x)\n    }\n}\n",
	"fn f(x: f32[1, 2, 6, 6], k: f32[4, 2, 3, 3]) -> f32[1, 4] {\n    h = max_pool2d(relu(conv2d(x, k, stride = 1, pad = [1, 1])), 2)\n    return mean(avg_pool2d(h, 3), axis = [2, 3])\n}\n",
	"fn f(x: f32[4, 3], y: i32[4]) -> f32 {\n    a, b = split(x, [1, 2], axis = 1)\n    return cross_entropy(concat(a, b, axis = 1), y, label_smoothing = 0.1) + var(x, ddof = 1) + mse(x, x * 0.0) + sum(where(x > 0.0, x, -x))\n}\n",
}
