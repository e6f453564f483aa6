package nnc

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// ParamsOptions control LoadParamsWith.
type ParamsOptions struct {
	// From names the convention the file's tensor names follow: "" for
	// nnc's own parameter paths (what SaveParams writes), "torch" for a
	// PyTorch state_dict saved as safetensors from modules that mirror the
	// model's std/nn layers (see docs/interop.md, "PyTorch weights").
	From string
	// Rename replaces a prefix of the file's tensor names before they are
	// matched ("features.0" → "conv1" makes "features.0.weight" read as
	// "conv1.weight"); the longest matching prefix wins, and a prefix
	// matches whole dot-separated components only.
	Rename map[string]string
	// AllowExtra accepts a file holding tensors that no parameter reads;
	// without it they are an error (listed with the other problems).
	AllowExtra bool
	// Convert converts floating-point tensors to the parameter's dtype
	// (f64 to f32 and back); without it a dtype that differs from the
	// declared one is an error, never a silent conversion.
	Convert bool
}

// LoadParamsWith reads parameters from a safetensors file under the naming
// convention and checks of o. Every parameter must be found, with its
// declared shape (up to axes of size 1) and dtype, or nothing is changed;
// the error lists every missing, mismatched and (without AllowExtra)
// unused tensor together, sorted by name.
func (f *Func) LoadParamsWith(path string, o ParamsOptions) (err error) {
	defer recoverInternal(&err)
	if !f.ok() {
		return errNoFunc
	}
	if path == "" {
		return errors.New("LoadParamsWith: empty file name")
	}
	m, err := data.LoadSafetensors(path)
	if err != nil {
		return err
	}
	leaves := f.leaves()
	vals, err := gatherParams(leaves, m, o, path)
	if err != nil {
		return err
	}
	return f.writeParams(func(store *runtime.Store) error {
		return setParams(store, leaves, vals, path)
	})
}

// renamed applies prefix renames to the names of m.
func renamed(m map[string]*Tensor, rename map[string]string, file string) (map[string]*Tensor, error) {
	if len(rename) == 0 {
		return m, nil
	}
	froms := make([]string, 0, len(rename))
	for k := range rename {
		froms = append(froms, k)
	}
	sort.Slice(froms, func(i, j int) bool {
		return len(froms[i]) > len(froms[j]) || len(froms[i]) == len(froms[j]) && froms[i] < froms[j]
	})
	out := make(map[string]*Tensor, len(m))
	for name, t := range m {
		to := name
		for _, from := range froms {
			if name == from || strings.HasPrefix(name, from+".") {
				to = rename[from] + strings.TrimPrefix(name, from)
				break
			}
		}
		if _, dup := out[to]; dup {
			return nil, fmt.Errorf("%s: two tensors are named %s after renaming", file, to)
		}
		out[to] = t
	}
	return out, nil
}

// source says where a parameter's value comes from in the file: the
// tensor's name, whether its 2-D matrix is transposed, and for a slice of
// a stacked tensor (torch's in_proj_weight) which third of its first axis.
type source struct {
	key       string
	transpose bool
	third     int // 0 for the whole tensor, else 1, 2 or 3
}

// gatherParams finds each leaf's tensor in m, converts it to the leaf's
// layout and returns the values by parameter path.
func gatherParams(leaves []*ops.Node, m map[string]*Tensor, o ParamsOptions, file string) (map[string]*Tensor, error) {
	if o.From != "" && o.From != "torch" {
		return nil, fmt.Errorf("unknown parameter naming %q (want \"torch\", or none for nnc's own paths)", o.From)
	}
	m, err := renamed(m, o.Rename, file)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	vals := map[string]*Tensor{}
	var problems []string
	for _, n := range leaves {
		src := source{key: n.Name()}
		if o.From == "torch" {
			var also []string
			src, also = torchSource(n, m)
			for _, k := range also {
				used[k] = true
			}
		}
		t, ok := m[src.key]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s %s: the file has no tensor %s", n.Name(), n.Type, src.key))
			continue
		}
		used[src.key] = true
		v, err := fromSource(t, src, n.Type, o.Convert)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %s: tensor %s %v", n.Name(), n.Type, src.key, err))
			continue
		}
		vals[n.Name()] = v
	}
	var extra []string
	for name := range m {
		if !used[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(problems)
	sort.Strings(extra)
	if len(extra) > 0 && !o.AllowExtra {
		problems = append(problems, fmt.Sprintf("the file also holds %s the model does not read: %s (allow them with --allow-extra)", count(len(extra), "tensor"), strings.Join(extra, ", ")))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", file, strings.Join(problems, "; "))
	}
	return vals, nil
}

// torchSource maps a parameter of a std/nn layer to the state_dict entry
// of the PyTorch module it mirrors; a parameter declared outside std/nn
// keeps its path. also lists entries the layer accounts for without
// reading them (BatchNorm's num_batches_tracked).
func torchSource(n *ops.Node, m map[string]*Tensor) (source, []string) {
	path := n.Name()
	model, leaf, ok := lang.StdLeafOwner(n.Pos)
	if !ok {
		return source{key: path}, nil
	}
	prefix := ""
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		prefix = path[:i+1]
	}
	switch model {
	case "nn.Dense":
		if s, ok := attentionSource(prefix, leaf, m); ok {
			return s, nil
		}
		if leaf == "W" {
			return source{key: prefix + "weight", transpose: true}, nil
		}
		return source{key: prefix + "bias"}, nil
	case "nn.Conv2D", "nn.Conv3D":
		// torch.nn.Conv2d/Conv3d's weight is [c_out, c_in/groups, k...],
		// as K is.
		return source{key: prefix + map[string]string{"K": "weight", "b": "bias"}[leaf]}, nil
	case "nn.Embedding":
		return source{key: prefix + "weight"}, nil
	case "nn.LayerNorm", "nn.BatchNorm":
		key := map[string]string{"gamma": "weight", "beta": "bias"}[leaf]
		if key == "" {
			key = leaf // running_mean, running_var
		}
		var also []string
		if model == "nn.BatchNorm" {
			also = []string{prefix + "num_batches_tracked"}
		}
		return source{key: prefix + key}, also
	case "nn.LSTM", "nn.GRU":
		key := map[string]string{"W_ih": "weight_ih_l0", "W_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}[leaf]
		return source{key: prefix + key, transpose: strings.HasPrefix(leaf, "W")}, nil
	}
	return source{key: path}, nil
}

// attentionSource maps the Dense projections wq, wk, wv and wo of an
// nn.MultiHeadAttention to torch.nn.MultiheadAttention's in_proj_weight
// (the three stacked [d, d] matrices), in_proj_bias and out_proj, when the
// file holds them.
func attentionSource(prefix, leaf string, m map[string]*Tensor) (source, bool) {
	parts := strings.Split(strings.TrimSuffix(prefix, "."), ".")
	if len(parts) < 2 {
		return source{}, false
	}
	parent := strings.Join(parts[:len(parts)-1], ".") + "."
	switch proj := parts[len(parts)-1]; proj {
	case "wq", "wk", "wv":
		if _, ok := m[parent+"in_proj_weight"]; !ok {
			return source{}, false
		}
		third := map[string]int{"wq": 1, "wk": 2, "wv": 3}[proj]
		if leaf == "W" {
			return source{key: parent + "in_proj_weight", transpose: true, third: third}, true
		}
		return source{key: parent + "in_proj_bias", third: third}, true
	case "wo":
		if _, ok := m[parent+"out_proj.weight"]; !ok {
			return source{}, false
		}
		if leaf == "W" {
			return source{key: parent + "out_proj.weight", transpose: true}, true
		}
		return source{key: parent + "out_proj.bias"}, true
	}
	return source{}, false
}

// fromSource takes the part of t that src names, transposes it if asked,
// and checks (or, with convert, converts) its dtype against want.
func fromSource(t *Tensor, src source, want ops.Type, convert bool) (*Tensor, error) {
	if t.DType != want.DType {
		if !convert || !isFloat(t.DType) || !isFloat(want.DType) {
			hint := ""
			if isFloat(t.DType) && isFloat(want.DType) {
				hint = " (convert it with --convert)"
			}
			return nil, fmt.Errorf("is %s, but the model declares %s%s", tensorType(t), want, hint)
		}
		t = converted(t, want.DType)
	}
	if src.third > 0 {
		if len(t.Shape) == 0 || t.Shape[0]%3 != 0 {
			return nil, fmt.Errorf("is %s: its first axis does not split in three", tensorType(t))
		}
		t = thirdOf(t, src.third)
	}
	if src.transpose {
		if len(t.Shape) != 2 {
			return nil, fmt.Errorf("is %s: a matrix was expected", tensorType(t))
		}
		t = transposed(t)
	}
	wantShape, ok := want.Shape.Concrete()
	if ok && !slices.Equal(squeezed(t.Shape), squeezed(wantShape)) {
		return nil, fmt.Errorf("has shape %v after the mapping, but the model declares %s", t.Shape, want)
	}
	return t, nil
}

// isFloat reports whether dt is a floating-point dtype.
func isFloat(dt tensor.DType) bool { return dt == tensor.F32 || dt == tensor.F64 }

// converted is t as dtype dt (f32 and f64 only).
func converted(t *Tensor, dt tensor.DType) *Tensor {
	out := tensor.New(dt, t.Shape...)
	for i := range t.Len() {
		out.Set(i, t.At(i))
	}
	return out
}

// thirdOf is the k-th third (1, 2 or 3) of t along its first axis.
func thirdOf(t *Tensor, k int) *Tensor {
	shape := append([]int{t.Shape[0] / 3}, t.Shape[1:]...)
	out := tensor.New(t.DType, shape...)
	n := out.Len()
	for i := range n {
		out.Set(i, t.At((k-1)*n+i))
	}
	return out
}

// transposed is the transpose of the matrix t.
func transposed(t *Tensor) *Tensor {
	r, c := t.Shape[0], t.Shape[1]
	out := tensor.New(t.DType, c, r)
	for i := range r {
		for j := range c {
			out.Set(j*r+i, t.At(i*c+j))
		}
	}
	return out
}
