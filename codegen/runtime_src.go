package codegen

// modelRuntime is the part of model.go that is the same for every plan:
// the Model, its pool of instances, and the decoding of the weights.
const modelRuntime = `
// Model is the compiled model with its weights. It is safe for concurrent
// use by many goroutines.
type Model struct {
	nodes  []*ops.Node
	params []*tensor.Tensor // by node; nil for nodes that are not params

	mu   sync.Mutex
	free {{if .Dynamic}}map[int][]*instance // by value of {{.Dynamic}}{{else}}[]*instance{{end}}
}

// instance is what one call uses: the arenas' views (v, by node: the
// inputs' tensors, the shared params, the computed values), the prepared
// kernels and their operands (k and a, by step), and the packed forms of
// the params that products multiply by (packs, as nnc's runtime keeps
// them: the params never change, so they are packed at the first call
// and reused).
type instance struct {
	ctx   ops.Ctx
	packs kernels.PackCache
	v     []*tensor.Tensor
	k   []ops.KernelFunc
	a   [][]*tensor.Tensor
{{- if .Dynamic}}

	dyn           int   // the value of {{.Dynamic}} planned
	inLen, outLen []int // the inputs' and outputs' elements
{{- end}}
}

// Load reads the weights from a file written by nnc build (` + "`{{.WeightsFile}}`" + `) and
// returns the Model.
func Load(path string) (*Model, error) {
	w, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return NewFromWeights(w)
}

// NewFromWeights returns the Model with the weights w, the contents of the
// file nnc build wrote with this package. w is copied, not kept.
func NewFromWeights(w []byte) (*Model, error) {
	if len(w) != weightsLen {
		return nil, fmt.Errorf("weights: %d bytes, this package needs %d (a weights file of another build?)", len(w), weightsLen)
	}
	h := fnv.New64a()
	h.Write(w)
	if h.Sum64() != weightsHash {
		return nil, fmt.Errorf("weights: the checksum differs from this package's (a weights file of another build?)")
	}
	m := &Model{nodes: make([]*ops.Node, len(nodeDefs)), params: make([]*tensor.Tensor, len(nodeDefs))}
	for i, d := range nodeDefs {
		op, ok := ops.Lookup(d.op)
		if !ok {
			return nil, fmt.Errorf("op %s is not in this version of nnc: rebuild the package with nnc build", d.op)
		}
		in := make([]*ops.Node, len(d.in))
		for k, j := range d.in {
			in[k] = m.nodes[j]
		}
		n := &ops.Node{ID: d.id, Op: op, In: in, Attrs: d.attrs,
			Type: ops.Type{DType: d.dtype, Shape: {{if .Dynamic}}d.sym{{else}}ops.ShapeOf(d.shape...){{end}}}, Pos: d.pos}
		if err := checkType(n); err != nil {
			return nil, err
		}
		m.nodes[i] = n
	}
	for _, p := range paramDefs {
		d := nodeDefs[p.node]
		t := tensor.New(d.dtype, d.shape...)
		if err := decode(t, w[p.off:p.off+p.size]); err != nil {
			return nil, fmt.Errorf("weights: %s: %v", p.name, err)
		}
		m.params[p.node] = t
	}
	r, err := m.newInstance({{if .Dynamic}}{{.DynamicValue}}{{end}})
	if err != nil {
		return nil, err
	}
{{- if .Dynamic}}
	m.free = map[int][]*instance{r.dyn: {r}}
{{- else}}
	m.free = append(m.free, r)
{{- end}}
	return m, nil
}

// checkType checks that this version of nnc gives node n the type the
// package was built for, so that a package built by another version
// fails here instead of running kernels on buffers of other sizes.
func checkType(n *ops.Node) error {
	if n.Op.Leaf {
		return nil
	}
	in := make([]ops.Type, len(n.In))
	for k, x := range n.In {
		in[k] = x.Type
	}
	t, err := n.Op.Infer(in, n.Attrs)
	if err == nil && !t.Equal(n.Type) {
		err = fmt.Errorf("this version of nnc gives %v, the package was built for %v", t, n.Type)
	}
	if err != nil {
		return fmt.Errorf("%v: %s: %v (rebuild the package with nnc build)", n.Pos, n.Op.Name, err)
	}
	return nil
}

// decode reads t's values, little-endian, from b.
func decode(t *tensor.Tensor, b []byte) error {
	le := binary.LittleEndian
	if len(b) != tensor.NumElems(t.Shape)*t.DType.Size() {
		return fmt.Errorf("%d bytes for %v%v", len(b), t.DType, t.Shape)
	}
	switch t.DType {
	case tensor.F32:
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case tensor.F64:
		for i := range t.F64 {
			t.F64[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
	case tensor.I32:
		for i := range t.I32 {
			t.I32[i] = int32(le.Uint32(b[4*i:]))
		}
	case tensor.I64:
		for i := range t.I64 {
			t.I64[i] = int64(le.Uint64(b[8*i:]))
		}
	case tensor.Bool:
		for i := range t.Bool {
			t.Bool[i] = b[i] != 0
		}
	}
	return nil
}

{{if .Dynamic}}` + dynamicRuntime + `{{else}}
// newInstance makes the arenas, points every value at its buffer and
// prepares every step's kernel.
func (m *Model) newInstance() (*instance, error) {
	r := &instance{v: make([]*tensor.Tensor, len(nodeDefs)), k: make([]ops.KernelFunc, len(stepDefs)),
		a: make([][]*tensor.Tensor, len(stepDefs))}
	r.ctx.Packs = &r.packs
	size := map[tensor.DType]int{}
	for _, b := range bufDefs {
		size[b.dtype] = max(size[b.dtype], b.off+b.cap)
	}
	arena := map[tensor.DType]*tensor.Tensor{}
	for dt, n := range size {
		arena[dt] = tensor.New(dt, n)
	}
	for _, i := range inputNodes {
		r.v[i] = &tensor.Tensor{DType: nodeDefs[i].dtype, Shape: nodeDefs[i].shape}
	}
	for i, t := range m.params {
		if t != nil {
			r.v[i] = t
		}
	}
	for _, s := range stepDefs {
		b, d := bufDefs[s.buf], nodeDefs[s.node]
		r.v[s.node] = tensor.View(arena[b.dtype], b.off+s.off, d.shape)
	}
	for i, s := range stepDefs {
		if s.alias {
			continue
		}
		d, n := nodeDefs[s.node], m.nodes[s.node]
		if n.Op.Kernel == nil {
			return nil, fmt.Errorf("op %s has no kernel in this version of nnc", d.op)
		}
		shapes := make([][]int, len(d.in))
		r.a[i] = make([]*tensor.Tensor, len(d.in))
		for k, j := range d.in {
			shapes[k], r.a[i][k] = nodeDefs[j].shape, r.v[j]
		}
		k, err := n.Op.Kernel(n, shapes, d.shape)
		if err != nil {
			return nil, fmt.Errorf("%v: %s: %v", d.pos, d.op, err)
		}
		r.k[i] = k
	}
	return r, nil
}

// get takes an idle instance, or makes one.
func (m *Model) get() (*instance, error) {
	m.mu.Lock()
	if n := len(m.free); n > 0 {
		r := m.free[n-1]
		m.free = m.free[:n-1]
		m.mu.Unlock()
		return r, nil
	}
	m.mu.Unlock()
	return m.newInstance()
}

// put returns an instance to the pool.
func (m *Model) put(r *instance) {
	m.mu.Lock()
	m.free = append(m.free, r)
	m.mu.Unlock()
}
{{end}}
`
