package runtime

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// InitParams allocates and initializes every param and state of g that store
// does not hold yet, from the node's attributes: "init" names the
// initializer (zeros when absent) and float64 attributes give its arguments,
// with PyTorch's defaults:
//
//	zeros, ones
//	constant        value (0)
//	normal          mean (0), std (1)
//	uniform         low (0), high (1)
//	glorot_uniform  U(-a, a), a = gain·√(6/(fan_in+fan_out)), gain (1)
//	glorot_normal   N(0, s²), s = gain·√(2/(fan_in+fan_out)), gain (1)
//	he_uniform      U(-a, a), a = gain·√(3/fan_in), gain (√2): √(6/fan_in)
//	he_normal       N(0, s²), s = gain/√fan_in, gain (√2): √(2/fan_in)
//	orthogonal      gain (1) times a (semi-)orthogonal matrix: the tensor as
//	                [shape[0], rest] has orthonormal rows or columns
//	                (whichever are fewer), made by Gram-Schmidt from normal
//	                draws, as PyTorch's orthogonal_ (QR of a normal matrix)
//
// Fan-in and fan-out come from the declared shape: [n] → n, n; [in, out] →
// in, out; [out, in, k...] → in·∏k, out·∏k; a scalar → 1, 1.
//
// The shapes of params and states must be constant, and each tensor within
// MaxBytes and the memory limit (SetMemoryLimit): a larger one is an error,
// before anything is allocated. Values are deterministic:
// each tensor draws from a PCG generator seeded with seed and a hash of its
// path, so adding a parameter leaves the others unchanged.
func InitParams(store *Store, g *ops.Graph, seed uint64) error {
	for _, n := range g.Nodes {
		if n.Op != ops.Param && n.Op != ops.State {
			continue
		}
		name := n.Name()
		if store.Get(name) != nil {
			continue
		}
		t, err := initTensor(n, seed)
		if err != nil {
			return err
		}
		store.Set(name, t)
	}
	return nil
}

func initTensor(n *ops.Node, seed uint64) (*tensor.Tensor, error) {
	name := n.Name()
	shape, ok := n.Type.Shape.Concrete()
	if !ok {
		return nil, fmt.Errorf("%s %s: shape %v must be constant", n.Op.Name, name, n.Type.Shape)
	}
	_, bytes, err := ShapeBytes(n.Type.DType, shape)
	if err != nil {
		return nil, fmt.Errorf("%s%s %s: %v", posPrefix(n), n.Op.Name, name, err)
	}
	if err := checkMemory(fmt.Sprintf("%s %s %s", n.Op.Name, name, shapeString(n.Type.DType, shape)), bytes); err != nil {
		if n.Pos.Line > 0 {
			return nil, fmt.Errorf("%s%w", posPrefix(n), err)
		}
		return nil, err
	}
	a := n.Attrs
	init := a.Str("init", "zeros")
	t := tensor.New(n.Type.DType, shape...)
	fanIn, fanOut := fans(shape)
	h := fnv.New64a()
	h.Write([]byte(name))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	switch init {
	case "zeros", "ones", "constant":
		v := 0.0
		switch init {
		case "ones":
			v = 1
		case "constant":
			v = a.Float("value", 0)
		}
		for i := 0; i < t.Len(); i++ {
			t.Set(i, v)
		}
		return t, nil
	}
	if !t.DType.IsFloat() {
		return nil, fmt.Errorf("%s %s: initializer %s needs a float type, not %v", n.Op.Name, name, init, n.Type)
	}
	var draw func() float64
	normal := func(mean, std float64) func() float64 {
		return func() float64 { return mean + std*rng.NormFloat64() }
	}
	uniform := func(lo, hi float64) func() float64 {
		return func() float64 { return lo + (hi-lo)*rng.Float64() }
	}
	switch init {
	case "normal":
		draw = normal(a.Float("mean", 0), a.Float("std", 1))
	case "uniform":
		draw = uniform(a.Float("low", 0), a.Float("high", 1))
	case "glorot_uniform":
		l := a.Float("gain", 1) * math.Sqrt(6/float64(fanIn+fanOut))
		draw = uniform(-l, l)
	case "glorot_normal":
		draw = normal(0, a.Float("gain", 1)*math.Sqrt(2/float64(fanIn+fanOut)))
	case "he_uniform":
		l := a.Float("gain", math.Sqrt2) * math.Sqrt(3/float64(fanIn))
		draw = uniform(-l, l)
	case "he_normal":
		draw = normal(0, a.Float("gain", math.Sqrt2)/math.Sqrt(float64(fanIn)))
	case "orthogonal":
		orthogonal(t, shape, a.Float("gain", 1), normal(0, 1))
		return t, nil
	default:
		return nil, fmt.Errorf("%s %s: unknown initializer %q", n.Op.Name, name, init)
	}
	for i := 0; i < t.Len(); i++ {
		t.Set(i, draw())
	}
	return t, nil
}

// fans returns the fan-in and fan-out of a declared shape (at least 1 each).
func fans(shape []int) (in, out int) {
	switch len(shape) {
	case 0:
		in, out = 1, 1
	case 1:
		in, out = shape[0], shape[0]
	case 2:
		in, out = shape[0], shape[1]
	default:
		k := 1
		for _, d := range shape[2:] {
			k *= d
		}
		in, out = shape[1]*k, shape[0]*k
	}
	return max(in, 1), max(out, 1)
}

// orthogonal fills t, seen as a [rows, cols] matrix (rows = shape[0]), with
// gain times a matrix whose rows (rows <= cols) or columns (rows > cols)
// are orthonormal: normal draws orthonormalized by modified Gram-Schmidt.
func orthogonal(t *tensor.Tensor, shape []int, gain float64, draw func() float64) {
	if len(shape) == 0 {
		t.Set(0, gain)
		return
	}
	rows := shape[0]
	if rows == 0 {
		return
	}
	cols := t.Len() / rows
	// Vectors to orthonormalize: n of them, of length m.
	n, m := rows, cols
	if rows > cols {
		n, m = cols, rows
	}
	v := make([][]float64, n)
	for i := range v {
		v[i] = make([]float64, m)
		for j := range v[i] {
			v[i][j] = draw()
		}
		for k := 0; k < i; k++ {
			dot := 0.0
			for j := range v[i] {
				dot += v[i][j] * v[k][j]
			}
			for j := range v[i] {
				v[i][j] -= dot * v[k][j]
			}
		}
		norm := 0.0
		for _, x := range v[i] {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for j := range v[i] {
			v[i][j] /= norm
		}
	}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			x := 0.0
			if rows <= cols {
				x = v[r][c]
			} else {
				x = v[c][r]
			}
			t.Set(r*cols+c, gain*x)
		}
	}
}
