package nnc

import (
	"archive/zip"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/tensor"
)

// The arrays of a graph's sets: each set binds all four whole; mask
// selects the set's nodes.
const (
	graphFeatures  = "features"
	graphAdjacency = "adjacency"
	graphLabels    = "labels"
	graphMask      = "mask"
)

// planetoidStream and graphSplitStream draw the node permutations of a
// graph's splits (data.Permutation's stream), apart from other draws.
const (
	planetoidStream  = 0x706c616e6574
	graphSplitStream = 0x6772617068
)

// graph loads graph("cora.npz", features = "attr", adjacency = "adj",
// labels = "labels", split = ..., normalize = "sym", features_norm =
// "none"): one full batch of N nodes with "features" f32[N, F] (rows
// summing to 1 with features_norm = "row"), "adjacency" f32[N, N] (dense;
// see normalizeSym), "labels" i32[N] and, per set, "mask" f32[N]. Each of
// features and adjacency is a dense array of that name in the archive or
// SciPy's CSR parts NAME_data, NAME_indices, NAME_indptr, NAME_shape. When
// the model takes a sparse input (sparseWanted), the adjacency stays
// sparse: "adjacency.indptr", "adjacency.indices" and "adjacency.values",
// normalized in CSR form (csrNormalizeSym), and no dense N×N array is made.
func (l *loader) graph() (*dataSets, error) {
	file := l.path("file")
	filePath := l.argPath("file")
	members, err := npzMembers(file)
	if err != nil {
		return nil, l.fileError(filePath, err)
	}
	featName, adjName, labName := l.str("features", "attr"), l.str("adjacency", "adj"), l.str("labels", "labels")
	var want []string
	kinds := map[string]bool{} // sparse or not, by argument
	for _, a := range []struct{ arg, name string }{{"features", featName}, {"adjacency", adjName}, {"labels", labName}} {
		switch {
		case members[a.name]:
			want = append(want, a.name)
		case a.arg != "labels" && members[a.name+"_data"] && members[a.name+"_indices"] && members[a.name+"_indptr"] && members[a.name+"_shape"]:
			kinds[a.arg] = true
			want = append(want, a.name+"_data", a.name+"_indices", a.name+"_indptr", a.name+"_shape")
		default:
			return nil, l.errorf(lang.CodeUndefined, l.graphArgPath(a.arg), "%s has no array %q (nor its CSR parts %s_data, %s_indices, %s_indptr, %s_shape); it has %s",
				file, a.name, a.name, a.name, a.name, a.name, strings.Join(sortedMembers(members), ", "))
		}
	}
	for _, k := range sortedKwargs(l.splitCall) {
		if l.form == "masks" || l.form == "indices" {
			name := l.splitCall.Kwargs[k].(string)
			if !members[name] {
				return nil, l.errorf(lang.CodeUndefined, []string{"split", k}, "%s has no array %q", file, name)
			}
			want = append(want, name)
		}
	}
	arrays, err := data.LoadNPZWith(file, l.opts, want...)
	if err != nil {
		return nil, l.fileError(filePath, err)
	}
	limit := l.opts.MaxBytes
	if limit == 0 {
		limit = data.DefaultMaxBytes()
	}
	dense := func(arg, name string) (*tensor.Tensor, error) {
		var t *tensor.Tensor
		var err error
		if kinds[arg] {
			t, err = csrToDense(arrays, name, limit)
		} else {
			t, err = asF32(arrays[name])
		}
		if err != nil {
			return nil, l.errorf(lang.CodeValue, l.graphArgPath(arg), "%s: %s %q: %v", file, arg, name, err)
		}
		return t, nil
	}
	feat, err := dense("features", featName)
	if err != nil {
		return nil, err
	}
	adj := &graphAdj{sparse: l.sparseWanted()}
	if adj.sparse && kinds["adjacency"] {
		adj.csr, err = csrOf(arrays, adjName, limit)
	} else {
		adj.dense, err = dense("adjacency", adjName)
	}
	adjError := func(err error) error {
		if le, ok := err.(*lang.Error); ok {
			return le
		}
		return l.errorf(lang.CodeValue, l.graphArgPath("adjacency"), "%s: adjacency %q: %v", file, adjName, err)
	}
	if err != nil {
		return nil, adjError(err)
	}
	labels, err := graphLabelsOf(arrays[labName])
	if err != nil {
		return nil, l.errorf(lang.CodeValue, l.graphArgPath("labels"), "%s: labels %q: %v", file, labName, err)
	}
	n := labels.Shape[0]
	adjShape := adj.shape()
	if len(feat.Shape) != 2 || feat.Shape[0] != n || len(adjShape) != 2 || adjShape[0] != n || adjShape[1] != n {
		return nil, l.errorf(lang.CodeValue, filePath, "%s: want features [N, F], adjacency [N, N] and labels [N] of one N, got %v, %v and %v", file, feat.Shape, adjShape, labels.Shape)
	}
	if err := adj.finish(l.str("normalize", "sym") == "sym", limit); err != nil {
		return nil, adjError(err)
	}
	if l.str("features_norm", "none") == "row" {
		if feat == arrays[featName] {
			feat = feat.Clone()
		}
		normalizeRows(feat)
	}
	masks, err := l.graphMasks(arrays, labels)
	if err != nil {
		return nil, err
	}
	out := &dataSets{fullBatch: true, labels: graphLabels, mask: graphMask}
	sets := []**data.Dataset{&out.train, &out.val, &out.test}
	for i, m := range masks {
		if m == nil {
			continue
		}
		arrays := map[string]*tensor.Tensor{graphFeatures: feat, graphLabels: labels, graphMask: m}
		adj.bind(arrays)
		*sets[i] = &data.Dataset{Arrays: arrays, Source: &data.Source{File: file}}
	}
	if out.train == nil {
		return nil, l.splitError("the training set has no nodes")
	}
	return out, nil
}

// graphArgPath is the position path of a graph argument (the file's when
// the argument is not written).
func (l *loader) graphArgPath(arg string) []string {
	if _, ok := l.call.Kwargs[arg]; ok {
		return []string{arg}
	}
	return l.argPath("file")
}

// npzMembers lists the arrays of an archive (names without ".npy")
// without reading them.
func npzMembers(path string) (map[string]bool, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a .npz archive: %w", path, err)
	}
	defer zr.Close()
	out := map[string]bool{}
	for _, f := range zr.File {
		out[strings.TrimSuffix(f.Name, ".npy")] = true
	}
	return out, nil
}

func sortedMembers(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// asF32 converts a numeric matrix to f32.
func asF32(t *tensor.Tensor) (*tensor.Tensor, error) {
	if len(t.Shape) != 2 {
		return nil, fmt.Errorf("want a matrix, got %v%v", t.DType, t.Shape)
	}
	if t.DType == tensor.F32 {
		return t, nil
	}
	out := tensor.New(tensor.F32, t.Shape...)
	for i := range out.F32 {
		out.F32[i] = float32(t.At(i))
	}
	return out, nil
}

// graphLabelsOf checks a labels vector of non-negative integers and makes
// it i32.
func graphLabelsOf(t *tensor.Tensor) (*tensor.Tensor, error) {
	if len(t.Shape) != 1 || !t.DType.IsInt() {
		return nil, fmt.Errorf("want a vector of integer class ids, got %v%v", t.DType, t.Shape)
	}
	out := tensor.New(tensor.I32, t.Shape...)
	for i := range out.I32 {
		v := t.At(i)
		if v < 0 || v > math.MaxInt32 {
			return nil, fmt.Errorf("node %d has class %v, not a non-negative int32", i, v)
		}
		out.I32[i] = int32(v)
	}
	return out, nil
}

// csrToDense makes the dense f32 matrix of the CSR parts NAME_data,
// NAME_indices, NAME_indptr and NAME_shape (SciPy's csr_matrix as saved by
// numpy.savez), summing duplicate entries as SciPy does. Every part is
// checked: the shape against the limit, indptr non-decreasing from 0 to
// the number of entries, every column index in range.
func csrToDense(arrays map[string]*tensor.Tensor, name string, limit int64) (*tensor.Tensor, error) {
	vals, idx, ptr, shape := arrays[name+"_data"], arrays[name+"_indices"], arrays[name+"_indptr"], arrays[name+"_shape"]
	if len(shape.Shape) != 1 || shape.Len() != 2 || !shape.DType.IsInt() {
		return nil, fmt.Errorf("%s_shape is %v%v, want two integers", name, shape.DType, shape.Shape)
	}
	rows, cols := shape.At(0), shape.At(1)
	if rows < 0 || cols < 0 || rows > math.MaxInt32 || cols > math.MaxInt32 {
		return nil, fmt.Errorf("shape [%v, %v] is out of range", rows, cols)
	}
	r, c := int(rows), int(cols)
	if c > 0 && int64(r) > limit/4/int64(c) {
		return nil, fmt.Errorf("a dense [%d, %d] f32 matrix is more than the limit of %d bytes", r, c, limit)
	}
	if len(idx.Shape) != 1 || len(vals.Shape) != 1 || len(ptr.Shape) != 1 || !idx.DType.IsInt() || !ptr.DType.IsInt() {
		return nil, fmt.Errorf("the CSR parts must be vectors with integer indices and indptr")
	}
	nnz := vals.Len()
	if idx.Len() != nnz || ptr.Len() != r+1 {
		return nil, fmt.Errorf("%d values, %d column indices and %d indptr entries for %d rows (want %d, %d, %d)", nnz, idx.Len(), ptr.Len(), r, nnz, nnz, r+1)
	}
	out := tensor.New(tensor.F32, r, c)
	prev := 0.0
	if ptr.Len() > 0 && ptr.At(0) != 0 {
		return nil, fmt.Errorf("indptr starts at %v, not 0", ptr.At(0))
	}
	for i := range r {
		lo, hi := ptr.At(i), ptr.At(i+1)
		if hi < prev || hi < lo || hi > float64(nnz) {
			return nil, fmt.Errorf("indptr[%d] = %v: want non-decreasing values up to %d", i+1, hi, nnz)
		}
		prev = hi
		for k := int(lo); k < int(hi); k++ {
			j := idx.At(k)
			if j < 0 || j >= cols {
				return nil, fmt.Errorf("column index %v (entry %d) is out of range [0, %d)", j, k, c)
			}
			out.F32[i*c+int(j)] += float32(vals.At(k))
		}
	}
	if r > 0 && int(ptr.At(r)) != nnz {
		return nil, fmt.Errorf("indptr ends at %v, not at the %d entries", ptr.At(r), nnz)
	}
	return out, nil
}

// normalizeSym replaces the square adjacency A, in place, by Kipf &
// Welling's D^-1/2 (A' + I) D^-1/2, where A' = max(A, Aᵀ) is the graph
// taken as undirected (as their code does for citation graphs) and D the
// row sums of A' + I. It computes in f64 and rounds once.
func normalizeSym(a *tensor.Tensor) {
	n := a.Shape[0]
	deg := make([]float64, n)
	for i := range n {
		for j := range n {
			v := max(a.F32[i*n+j], a.F32[j*n+i])
			if i == j {
				v++
			}
			deg[i] += float64(v)
		}
	}
	inv := make([]float64, n)
	for i, d := range deg {
		if d > 0 {
			inv[i] = 1 / math.Sqrt(d)
		}
	}
	for i := range n {
		for j := i; j < n; j++ {
			v := float64(max(a.F32[i*n+j], a.F32[j*n+i]))
			if i == j {
				v++
			}
			a.F32[i*n+j] = float32(inv[i] * v * inv[j])
			a.F32[j*n+i] = a.F32[i*n+j]
		}
	}
}

// normalizeRows divides every row of a matrix by its sum (rows summing to
// 0 stay), as Kipf & Welling's preprocessing of bag-of-words features.
func normalizeRows(x *tensor.Tensor) {
	c := x.Shape[1]
	for i := range x.Shape[0] {
		row := x.F32[i*c : (i+1)*c]
		var sum float64
		for _, v := range row {
			sum += float64(v)
		}
		if sum != 0 {
			for j, v := range row {
				row[j] = float32(float64(v) / sum)
			}
		}
	}
}

// graphMasks makes the f32 masks of the training, validation and test
// nodes (nil for a set with none) by the split: planetoid, fractions of
// the nodes, or the file's mask or index arrays.
func (l *loader) graphMasks(arrays map[string]*tensor.Tensor, labels *tensor.Tensor) ([3]*tensor.Tensor, error) {
	n := labels.Shape[0]
	var sets [3][]int
	switch l.form {
	case "planetoid":
		var err error
		if s, ok := l.splitCall.Kwargs["seed"].(string); ok && s == "run" && l.noSplitSeed != "" {
			return [3]*tensor.Tensor{}, l.errorf(lang.CodeValue, []string{"split"}, "the split is drawn with the training run's seed (seed = \"run\"), %s", l.noSplitSeed)
		}
		if sets, err = planetoid(labels, l.splitCall, l.splitSeed); err != nil {
			return [3]*tensor.Tensor{}, l.errorf(lang.CodeValue, []string{"split"}, "%v", err)
		}
	case "fractions":
		sp := l.split
		if sp == (Split{}) {
			sp = DefaultSplit()
		}
		perm := data.Permutation(n, 0, graphSplitStream)
		a := int(math.Round(sp.Train * float64(n)))
		b := a + int(math.Round(sp.Val*float64(n)))
		if sp.Test == 0 {
			b = n
		}
		a, b = min(a, n), min(b, n)
		sets = [3][]int{perm[:a], perm[a:b], perm[b:]}
	default: // masks, indices
		for i, k := range []string{"train", "val", "test"} {
			name, ok := l.splitCall.Kwargs[k].(string)
			if !ok {
				continue
			}
			idx, err := rowsOf(l.form, arrays[name], n)
			if err != nil {
				return [3]*tensor.Tensor{}, l.errorf(lang.CodeValue, []string{"split", k}, "%s(%s = %q): %v", l.form, k, name, err)
			}
			sets[i] = idx
		}
	}
	var out [3]*tensor.Tensor
	for i, nodes := range sets {
		if len(nodes) == 0 {
			continue
		}
		m := tensor.New(tensor.F32, n)
		for _, j := range nodes {
			m.F32[j] = 1
		}
		out[i] = m
	}
	return out, nil
}

// planetoid draws the split of Yang et al.'s Planetoid benchmarks as
// planetoid(per_class, val, test, seed = 0) says: in the order of a seeded
// permutation of the nodes, the first per_class nodes of each class train,
// and of the nodes left the next val validate and the next test test (PyG's
// RandomNodeSplit with num_train_per_class). seed = "run" draws with the
// run's seed, runSeed. A class with fewer nodes, or too few nodes left, is
// an error.
func planetoid(labels *tensor.Tensor, c lang.Call, runSeed uint64) ([3][]int, error) {
	per, nVal, nTest := int(c.Args[0].(int64)), int(c.Args[1].(int64)), int(c.Args[2].(int64))
	seed := uint64(0)
	switch v := c.Kwargs["seed"].(type) {
	case int64:
		seed = uint64(v)
	case string: // "run", checked by checkPlanetoid
		seed = runSeed
	}
	n := labels.Shape[0]
	taken := map[int32]int{}
	for _, y := range labels.I32 {
		taken[y] += 0
	}
	perm := data.Permutation(n, seed, planetoidStream)
	var out [3][]int
	var rest []int
	for _, i := range perm {
		if y := labels.I32[i]; taken[y] < per {
			taken[y]++
			out[0] = append(out[0], i)
		} else {
			rest = append(rest, i)
		}
	}
	classes := make([]int32, 0, len(taken))
	for y := range taken {
		classes = append(classes, y)
	}
	slices.Sort(classes)
	for _, y := range classes {
		if k := taken[y]; k < per {
			return out, fmt.Errorf("planetoid(%d, ...): class %d has %d nodes, fewer than %d", per, y, k, per)
		}
	}
	if nVal+nTest > len(rest) {
		return out, fmt.Errorf("planetoid(%d, %d, %d): %d validation and %d test nodes, but only %d nodes are left after the %d training nodes",
			per, nVal, nTest, nVal, nTest, len(rest), len(out[0]))
	}
	out[1], out[2] = rest[:nVal], rest[nVal:nVal+nTest]
	slices.Sort(out[0])
	return out, nil
}
