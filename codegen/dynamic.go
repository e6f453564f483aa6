package codegen

// dynamicAPI replaces Predict and PredictTo when a shape variable is left
// symbolic (Spec.Dynamic): its value is read off the key input's length,
// and each value gets instances of its own, planned at its first call.
const dynamicAPI = `
// Max{{.Dynamic}} is the largest value of {{.Dynamic}} Predict takes; each value
// used gets its own instances (arenas and prepared kernels), made at its
// first call.
const Max{{.Dynamic}} = {{.MaxDynamic}}

// dynamicOf reads {{.Dynamic}} off the length of input {{.Key.Name}} ({{.Key.Dims}}).
func dynamicOf(n int) (int, error) {
	if n == 0 || n%{{.KeyRow}} != 0 || n/{{.KeyRow}} > Max{{.Dynamic}} {
		return 0, fmt.Errorf("input {{.Key.Name}}: expected {{.Key.DType}}{{.Key.Dims}} with {{.Dynamic}} from 1 to %d, a multiple of {{.KeyRow}} elements, got %d", Max{{.Dynamic}}, n)
	}
	return n / {{.KeyRow}}, nil
}

// Predict runs the model on its inputs ({{range $i, $a := .Inputs}}{{if $i}}, {{end}}{{$a.Go}}: {{$a.DType}}{{$a.Dims}}{{end}}), {{.Dynamic}} read
// off the length of {{.Key.Go}}, and returns new slices holding its outputs
// ({{range $i, $a := .Outputs}}{{if $i}}, {{end}}{{$a.Go}}: {{$a.DType}}{{$a.Dims}}{{end}}).
func (m *Model) Predict({{range $i, $a := .Inputs}}{{if $i}}, {{end}}{{$a.Go}} []{{$a.GoType}}{{end}}) ({{range .Outputs}}{{.Go}} []{{.GoType}}, {{end}}err error) {
	v, err := dynamicOf(len({{.Key.Go}}))
	if err != nil {
		return {{range .Outputs}}nil, {{end}}err
	}
	r, err := m.get(v)
	if err != nil {
		return {{range .Outputs}}nil, {{end}}err
	}
{{- range $i, $a := .Outputs}}
	{{.Go}} = make([]{{.GoType}}, r.outLen[{{$i}}])
{{- end}}
	m.put(r)
	if err = m.PredictTo({{range .Outputs}}{{.Go}}, {{end}}{{range $i, $a := .Inputs}}{{if $i}}, {{end}}{{$a.Go}}{{end}}); err != nil {
		return {{range .Outputs}}nil, {{end}}err
	}
	return {{range .Outputs}}{{.Go}}, {{end}}nil
}

// PredictTo runs the model on its inputs, {{.Dynamic}} read off the length of
// {{.Key.Go}}, and writes its outputs into the slices given first
// ({{range $i, $a := .Outputs}}{{if $i}}, {{end}}{{$a.Go}}: {{$a.DType}}{{$a.Dims}}{{end}}). Once the Model holds an idle instance for
// this value of {{.Dynamic}}, it allocates nothing. The inputs are read in place,
// not kept.
func (m *Model) PredictTo({{range .Outputs}}{{.Go}} []{{.GoType}}, {{end}}{{range $i, $a := .Inputs}}{{if $i}}, {{end}}{{$a.Go}} []{{$a.GoType}}{{end}}) error {
	v, err := dynamicOf(len({{.Key.Go}}))
	if err != nil {
		return err
	}
	r, err := m.get(v)
	if err != nil {
		return err
	}
{{- range $i, $a := .Inputs}}
	if len({{.Go}}) != r.inLen[{{$i}}] {
		m.put(r)
		return fmt.Errorf("input {{.Name}}: expected {{.DType}}{{.Dims}} with {{$.Dynamic}}=%d, %d elements, got %d", v, r.inLen[{{$i}}], len({{.Go}}))
	}
{{- end}}
{{- range $i, $a := .Outputs}}
	if len({{.Go}}) != r.outLen[{{$i}}] {
		m.put(r)
		return fmt.Errorf("output {{.Name}}: expected {{.DType}}{{.Dims}} with {{$.Dynamic}}=%d, %d elements, got a slice of %d", v, r.outLen[{{$i}}], len({{.Go}}))
	}
{{- end}}
{{- range $i, $a := .Inputs}}
	r.v[{{$a.Node}}].{{$a.Field}} = {{$a.Go}}
{{- end}}
	err = r.run()
	if err == nil {
{{- range .Outputs}}
		copy({{.Go}}, r.v[{{.Node}}].{{.Field}})
{{- end}}
	}
{{- range .Inputs}}
	r.v[{{.Node}}].{{.Field}} = nil
{{- end}}
	m.put(r)
	return err
}
`

// dynamicRuntime replaces newInstance, get and put (Spec.Dynamic): an
// instance is planned for one value of the variable, every node's shape
// evaluated from its symbolic one, and every computed value given a
// buffer of its own (a reshape the plan ran as an alias is a view of its
// operand, as in the plan, and so is a slice that selects consecutive
// elements for these shapes too; one that does not is copied by its
// kernel); the kernels are the ops' own, prepared for those shapes.
const dynamicRuntime = `
// newInstance plans the model for {{.Dynamic}} = v: the shapes, one buffer
// for each computed value, and every step's kernel.
func (m *Model) newInstance(v int) (*instance, error) {
	env := map[string]int64{ {{- printf "%q" .Dynamic}}: int64(v)}
	shapes := make([][]int, len(nodeDefs))
	for i, d := range nodeDefs {
		s, err := d.sym.Eval(env)
		if err == nil {
			_, err = ops.CheckedBytes(d.dtype, s)
		}
		if err != nil {
			return nil, fmt.Errorf("%v: %s with {{.Dynamic}}=%d: %v", d.pos, d.op, v, err)
		}
		shapes[i] = s
	}
	r := &instance{v: make([]*tensor.Tensor, len(nodeDefs)), k: make([]ops.KernelFunc, len(stepDefs)),
		a: make([][]*tensor.Tensor, len(stepDefs)), dyn: v}
	r.ctx.Packs = &r.packs
	size := map[tensor.DType]int{}
	off := make([]int, len(stepDefs))
	view := make([]bool, len(stepDefs)) // a view of its operand for these shapes
	for i, s := range stepDefs {
		d := nodeDefs[s.node]
		if s.alias {
			view[i], off[i] = true, 0
			if n := m.nodes[s.node]; n.Op == ops.Slice {
				off[i], view[i] = ops.SliceOffset(n, shapes[d.in[0]], shapes[s.node])
			}
		}
		if !view[i] {
			off[i] = size[d.dtype]
			size[d.dtype] += tensor.NumElems(shapes[s.node])
		}
	}
	arena := map[tensor.DType]*tensor.Tensor{}
	for dt, n := range size {
		arena[dt] = tensor.New(dt, n)
	}
	for _, i := range inputNodes {
		r.v[i] = &tensor.Tensor{DType: nodeDefs[i].dtype, Shape: shapes[i]}
		r.inLen = append(r.inLen, tensor.NumElems(shapes[i]))
	}
	for _, i := range outputNodes {
		r.outLen = append(r.outLen, tensor.NumElems(shapes[i]))
	}
	for i, t := range m.params {
		if t != nil {
			r.v[i] = t
		}
	}
	for i, s := range stepDefs {
		d := nodeDefs[s.node]
		if view[i] {
			r.v[s.node] = tensor.View(r.v[d.in[0]], off[i], shapes[s.node])
		} else {
			r.v[s.node] = tensor.View(arena[d.dtype], off[i], shapes[s.node])
		}
	}
	for i, s := range stepDefs {
		if view[i] {
			continue
		}
		d, n := nodeDefs[s.node], m.nodes[s.node]
		if n.Op.Kernel == nil {
			return nil, fmt.Errorf("op %s has no kernel in this version of nnc", d.op)
		}
		in := make([][]int, len(d.in))
		r.a[i] = make([]*tensor.Tensor, len(d.in))
		for k, j := range d.in {
			in[k], r.a[i][k] = shapes[j], r.v[j]
		}
		k, err := n.Op.Kernel(n, in, shapes[s.node])
		if err != nil {
			return nil, fmt.Errorf("%v: %s: %v", d.pos, d.op, err)
		}
		r.k[i] = k
	}
	return r, nil
}

// get takes an idle instance for {{.Dynamic}} = v, or makes one.
func (m *Model) get(v int) (*instance, error) {
	m.mu.Lock()
	if free := m.free[v]; len(free) > 0 {
		r := free[len(free)-1]
		m.free[v] = free[:len(free)-1]
		m.mu.Unlock()
		return r, nil
	}
	m.mu.Unlock()
	return m.newInstance(v)
}

// put returns an instance to the pool of its value of {{.Dynamic}}.
func (m *Model) put(r *instance) {
	m.mu.Lock()
	m.free[r.dyn] = append(m.free[r.dyn], r)
	m.mu.Unlock()
}

// divDim is d / k as ops computes it: a floor quotient of a symbolic
// dimension.
func divDim(d ops.Dim, k int64) ops.Dim {
	q, err := d.Div(ops.DimConst(k))
	if err != nil {
		return ops.DimOverflow
	}
	return q
}

var outputNodes = []int{ {{- range $i, $a := .Outputs}}{{if $i}}, {{end}}{{$a.Node}}{{end -}} }
`
